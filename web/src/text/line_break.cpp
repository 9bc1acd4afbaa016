// UAX #14 in one pass over the text. Rules LB4..LB8a look at the raw classes; LB9 folds a
// combining sequence into its base, so the later rules see "items" (a base and its marks), and
// the few rules that look further back than one item (LB8, LB14..LB17 over spaces, LB21a,
// LB25's numbers, LB30a's pairs of flags) read a small state kept per item. Pure functions.
#include "text/line_break.hpp"

#include <algorithm>

#include "text/grapheme.hpp"
#include "text/unicode.hpp"

namespace palaver::web::text {
namespace {

using lb = line_break_class;

template <typename... Classes>
bool any_of(lb c, Classes... classes) {
  return ((c == classes) || ...);
}

bool is_mark(lb c) {
  return c == lb::cm || c == lb::zwj;
}

// What LB9 cannot attach marks to: they become AL (LB10).
bool ends_combining(lb c) {
  return any_of(c, lb::bk, lb::cr, lb::lf, lb::nl, lb::sp, lb::zw);
}

bool is_hangul(lb c) {
  return any_of(c, lb::jl, lb::jv, lb::jt, lb::h2, lb::h3);
}

// The class each rule sees for a code point: SA is AL (LB1; the dictionary works apart),
// and Hangul is AL where the options ask for Korean's breaks at spaces.
struct classified {
  lb value;
  line_break_properties properties;
};

classified classify(char32_t cp, const line_break_options& options) {
  const line_break_properties p = line_break_properties_of(cp);
  lb value = p.value;
  if (value == lb::sa || (options.hangul_as_alphabetic && is_hangul(value))) value = lb::al;
  return {value, p};
}

// The state of the text before a position, as the rules after LB9 need it.
struct before_state {
  lb item = lb::sp;            // the last item's class (after LB9/LB10)
  line_break_properties base;  // its base character's properties
  lb item_before = lb::sp;     // the item before it (LB21a)
  bool have_item = false;      // false at the start of the text
  lb before_spaces = lb::sp;   // the last item that is not a space (LB8, LB14..LB17)
  bool have_before_spaces = false;
  std::size_t regional_indicators = 0;  // consecutive RI items ending here (LB30a)
  bool in_number = false;               // the items since a NU are NU, SY or IS: NU (NU | SY | IS)*
  bool closed_number = false;           // ... then one CL or CP
};

class line_breaker {
 public:
  line_breaker(std::u32string_view text, const line_break_options& options)
      : text_(text), options_(options) {
    classes_.reserve(text.size());
    for (const char32_t cp : text)
      classes_.push_back(classify(cp, options));
  }

  std::vector<break_opportunity> run() && {
    std::vector<break_opportunity> out(text_.size() + 1, break_opportunity::none);
    if (text_.empty()) return out;
    out.back() = break_opportunity::mandatory;  // LB3
    add_item(0, true);
    for (std::size_t i = 1; i < text_.size(); ++i) {
      bool folded = false;
      out[i] = decide(i, folded);
      add_item(i, !folded);
    }
    if (options_.dictionary_words) apply_dictionary(out);
    if (options_.keep_grapheme_clusters) {
      const std::vector<bool> clusters = grapheme_boundaries(text_);
      for (std::size_t i = 1; i < text_.size(); ++i)
        if (!clusters[i] && out[i] == break_opportunity::allowed) out[i] = break_opportunity::none;
    }
    return out;
  }

 private:
  // Whether the line may break between code points i - 1 and i. `folded`: code point i is a
  // mark LB9 attaches to the item before it.
  break_opportunity decide(std::size_t i, bool& folded) const {
    using enum break_opportunity;
    const lb raw_before = classes_[i - 1].value;
    const lb raw_after = classes_[i].value;
    folded = is_mark(raw_after) && !ends_combining(state_.item);
    // LB4, LB5: after a newline.
    if (raw_before == lb::bk) return mandatory;
    if (raw_before == lb::cr) return raw_after == lb::lf ? none : mandatory;
    if (raw_before == lb::lf || raw_before == lb::nl) return mandatory;
    // LB6, LB7: never before a newline, a space or ZW.
    if (any_of(raw_after, lb::bk, lb::cr, lb::lf, lb::nl, lb::sp, lb::zw)) return none;
    // LB8: after ZW and the spaces after it.
    if (state_.have_before_spaces && state_.before_spaces == lb::zw) return allowed;
    if (raw_before == lb::zwj) return none;  // LB8a
    // LB9: marks stay with their base; LB10: other marks are AL.
    if (folded) return none;
    const lb b = is_mark(raw_after) ? lb::al : raw_after;
    const lb a = state_.item;
    if (a == lb::wj || b == lb::wj) return none;                         // LB11
    if (a == lb::gl) return none;                                        // LB12
    if (b == lb::gl && !any_of(a, lb::sp, lb::ba, lb::hy)) return none;  // LB12a
    if (any_of(b, lb::cl, lb::cp, lb::ex, lb::is, lb::sy)) return none;  // LB13
    if (state_.have_before_spaces) {
      const lb s = state_.before_spaces;                          // the item before SP*
      if (s == lb::op) return none;                               // LB14
      if (s == lb::qu && b == lb::op) return none;                // LB15
      if (any_of(s, lb::cl, lb::cp) && b == lb::ns) return none;  // LB16
      if (s == lb::b2 && b == lb::b2) return none;                // LB17
    }
    if (a == lb::sp) return allowed;                                             // LB18
    if (a == lb::qu || b == lb::qu) return none;                                 // LB19
    if (a == lb::cb || b == lb::cb) return allowed;                              // LB20
    if (any_of(b, lb::ba, lb::hy, lb::ns) || a == lb::bb) return none;           // LB21
    if (any_of(a, lb::hy, lb::ba) && state_.item_before == lb::hl) return none;  // LB21a
    if (a == lb::sy && b == lb::hl) return none;                                 // LB21b
    if (b == lb::in) return none;                                                // LB22
    if ((any_of(a, lb::al, lb::hl) && b == lb::nu) || (a == lb::nu && any_of(b, lb::al, lb::hl)))
      return none;  // LB23
    if ((a == lb::pr && any_of(b, lb::id, lb::eb, lb::em)) ||
        (any_of(a, lb::id, lb::eb, lb::em) && b == lb::po))
      return none;  // LB23a
    if ((any_of(a, lb::pr, lb::po) && any_of(b, lb::al, lb::hl)) ||
        (any_of(a, lb::al, lb::hl) && any_of(b, lb::pr, lb::po)))
      return none;                             // LB24
    if (in_number_pair(i, a, b)) return none;  // LB25
    if ((a == lb::jl && any_of(b, lb::jl, lb::jv, lb::h2, lb::h3)) ||
        (any_of(a, lb::jv, lb::h2) && any_of(b, lb::jv, lb::jt)) ||
        (any_of(a, lb::jt, lb::h3) && b == lb::jt))
      return none;                                                                    // LB26
    if ((is_hangul(a) && b == lb::po) || (a == lb::pr && is_hangul(b))) return none;  // LB27
    if (any_of(a, lb::al, lb::hl) && any_of(b, lb::al, lb::hl)) return none;          // LB28
    if (a == lb::is && any_of(b, lb::al, lb::hl)) return none;                        // LB29
    if ((any_of(a, lb::al, lb::hl, lb::nu) && b == lb::op &&
         !classes_[i].properties.east_asian_wide) ||
        (a == lb::cp && !state_.base.east_asian_wide && any_of(b, lb::al, lb::hl, lb::nu)))
      return none;                                                                         // LB30
    if (a == lb::ri && b == lb::ri && state_.regional_indicators % 2 == 1) return none;    // LB30a
    if (b == lb::em && (a == lb::eb || state_.base.unassigned_pictographic)) return none;  // LB30b
    return allowed;                                                                        // LB31
  }

  // LB25 as Example 7's regular expression:
  //   (PR | PO) × (OP | HY)? NU;  (OP | HY) × NU;  NU (NU | SY | IS)* × (NU | SY | IS | CL | CP);
  //   NU (NU | SY | IS)* (CL | CP)? × (PO | PR).
  bool in_number_pair(std::size_t i, lb a, lb b) const {
    if (any_of(a, lb::pr, lb::po)) {
      if (b == lb::nu) return true;
      if (any_of(b, lb::op, lb::hy)) return next_item_class(i) == lb::nu;
    }
    if (any_of(a, lb::op, lb::hy) && b == lb::nu) return true;
    if (state_.in_number && any_of(b, lb::nu, lb::sy, lb::is, lb::cl, lb::cp)) return true;
    return (state_.in_number || state_.closed_number) && any_of(b, lb::po, lb::pr);
  }

  // The class of the item after the one starting at i (its marks skipped), or BK at the end.
  lb next_item_class(std::size_t i) const {
    std::size_t j = i + 1;
    while (j < classes_.size() && is_mark(classes_[j].value))
      ++j;
    return j < classes_.size() ? classes_[j].value : lb::bk;
  }

  // Moves the state past code point i: a new item, or a mark folded into the last one.
  void add_item(std::size_t i, bool starts_item) {
    if (!starts_item) return;
    lb c = classes_[i].value;
    if (is_mark(c)) c = lb::al;  // LB10 (a mark LB9 could not attach)
    before_state& s = state_;
    const bool was_in_number = s.in_number;
    s.item_before = s.have_item ? s.item : lb::sp;
    s.item = c;
    s.base = classes_[i].properties;
    s.have_item = true;
    if (c != lb::sp) {
      s.before_spaces = c;
      s.have_before_spaces = true;
    }
    s.regional_indicators = c == lb::ri ? s.regional_indicators + 1 : 0;
    s.in_number = c == lb::nu || (was_in_number && any_of(c, lb::sy, lb::is));
    s.closed_number = was_in_number && any_of(c, lb::cl, lb::cp);
  }

  // Inside each SA run, only where the dictionary says a word starts.
  void apply_dictionary(std::vector<break_opportunity>& out) const {
    const auto in_run = [&](std::size_t k) {
      const line_break_properties& p = classes_[k].properties;
      return p.value == lb::sa || p.southeast_asian_mark;
    };
    for (std::size_t start = 0; start < text_.size();) {
      if (!in_run(start)) {
        ++start;
        continue;
      }
      std::size_t end = start + 1;
      while (end < text_.size() && in_run(end))
        ++end;
      for (std::size_t k = start + 1; k < end; ++k)
        out[k] = break_opportunity::none;
      for (const std::size_t word : options_.dictionary_words(text_.substr(start, end - start)))
        if (word > 0 && word < end - start) out[start + word] = break_opportunity::allowed;
      start = end;
    }
  }

  std::u32string_view text_;
  const line_break_options& options_;
  std::vector<classified> classes_;
  before_state state_;
};

}  // namespace

std::vector<break_opportunity> line_breaks(std::u32string_view text,
                                           const line_break_options& options) {
  return line_breaker(text, options).run();
}

}  // namespace palaver::web::text
