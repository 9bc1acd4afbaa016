// UAX #9 over GNU FriBidi: its fribidi_get_par_embedding_levels_ex takes the bidi and bracket
// types of each character, which come from our Unicode 15 tables (FriBidi's own are Unicode
// 10, and never linked). FriBidi handles one paragraph a call: text with separators inside is
// resolved paragraph by paragraph. Reordering (L1's line end, L2) is ours, to order pieces as
// well as characters. Pure functions; FriBidi keeps no state between calls.
#include "text/bidi.hpp"

#include <algorithm>
#include <array>
#include <fribidi-bidi.h>
#include <fribidi-brackets.h>

#include "text/unicode.hpp"

namespace palaver::web::text {
namespace {

using bc = bidi_class;

// In the order of bidi_class.
constexpr std::array<FriBidiCharType, 23> fribidi_types = {
    FRIBIDI_TYPE_LTR, FRIBIDI_TYPE_RTL, FRIBIDI_TYPE_AL,  FRIBIDI_TYPE_EN,  FRIBIDI_TYPE_ES,
    FRIBIDI_TYPE_ET,  FRIBIDI_TYPE_AN,  FRIBIDI_TYPE_CS,  FRIBIDI_TYPE_NSM, FRIBIDI_TYPE_BN,
    FRIBIDI_TYPE_BS,  FRIBIDI_TYPE_SS,  FRIBIDI_TYPE_WS,  FRIBIDI_TYPE_ON,  FRIBIDI_TYPE_LRE,
    FRIBIDI_TYPE_LRO, FRIBIDI_TYPE_RLE, FRIBIDI_TYPE_RLO, FRIBIDI_TYPE_PDF, FRIBIDI_TYPE_LRI,
    FRIBIDI_TYPE_RLI, FRIBIDI_TYPE_FSI, FRIBIDI_TYPE_PDI,
};
static_assert(fribidi_types.size() == static_cast<std::size_t>(bc::pdi) + 1);

bool is_isolate_initiator(bc c) {
  return c == bc::lri || c == bc::rli || c == bc::fsi;
}

bool is_x9_removed(bc c) {
  switch (c) {
    case bc::lre:
    case bc::rle:
    case bc::lro:
    case bc::rlo:
    case bc::pdf:
    case bc::bn:
      return true;
    default:
      return false;
  }
}

// L1's "whitespace": what goes to the paragraph level at the end of a line.
bool resets_at_line_end(bc c) {
  return c == bc::ws || c == bc::s || c == bc::b || c == bc::lri || c == bc::rli || c == bc::fsi ||
         c == bc::pdi || is_x9_removed(c);
}

// Whether a character can raise a level above an LTR paragraph's 0: with none of them (most
// text), every level is 0 and FriBidi need not run.
bool leaves_ltr(bc c) {
  return c == bc::r || c == bc::al || c == bc::an || (c >= bc::lre && c <= bc::pdi);
}

// Resolves one paragraph (no separator inside but maybe its last character) into `levels`.
void resolve_paragraph(std::u32string_view text, bool rtl, std::uint8_t* levels) {
  const std::uint8_t paragraph_level = rtl ? 1 : 0;
  if (!rtl && std::none_of(text.begin(), text.end(),
                           [](char32_t cp) { return leaves_ltr(bidi_class_of(cp)); })) {
    std::fill(levels, levels + text.size(), std::uint8_t{0});
    return;
  }
  std::vector<FriBidiCharType> types(text.size());
  std::vector<FriBidiBracketType> brackets(text.size(), FRIBIDI_NO_BRACKET);
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bc c = bidi_class_of(text[i]);
    types[i] = fribidi_types[static_cast<std::size_t>(c)];
    if (c != bc::on) continue;  // BD14, BD15: only ON brackets pair
    const bracket b = bracket_of(text[i]);
    if (b.id != 0) brackets[i] = b.id | (b.opening ? FRIBIDI_BRACKET_OPEN_MASK : 0);
  }
  FriBidiParType direction = rtl ? FRIBIDI_PAR_RTL : FRIBIDI_PAR_LTR;
  std::vector<FriBidiLevel> resolved(text.size());
  const FriBidiLevel ok = fribidi_get_par_embedding_levels_ex(
      types.data(), brackets.data(), static_cast<FriBidiStrIndex>(text.size()), &direction,
      resolved.data());
  for (std::size_t i = 0; i < text.size(); ++i)
    levels[i] = ok ? static_cast<std::uint8_t>(resolved[i]) : paragraph_level;
}

}  // namespace

bool removed_by_x9(char32_t cp) {
  return is_x9_removed(bidi_class_of(cp));
}

std::optional<bool> first_strong_is_rtl(std::u32string_view text) {
  std::size_t isolates = 0;
  for (const char32_t cp : text) {
    const bc c = bidi_class_of(cp);
    if (c == bc::b) break;
    if (is_isolate_initiator(c)) {
      ++isolates;
    } else if (c == bc::pdi) {
      if (isolates > 0) --isolates;
    } else if (isolates == 0 && (c == bc::l || c == bc::r || c == bc::al)) {
      return c != bc::l;
    }
  }
  return std::nullopt;
}

bidi_paragraph resolve_bidi(std::u32string_view text, std::optional<bool> rtl) {
  bidi_paragraph out;
  out.rtl = rtl ? *rtl : first_strong_is_rtl(text).value_or(false);
  out.levels.resize(text.size());
  std::size_t start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (bidi_class_of(text[i]) != bc::b) continue;
    resolve_paragraph(text.substr(start, i + 1 - start), out.rtl, out.levels.data() + start);
    start = i + 1;
  }
  if (start < text.size())
    resolve_paragraph(text.substr(start), out.rtl, out.levels.data() + start);
  return out;
}

std::vector<std::uint8_t> line_levels(const bidi_paragraph& paragraph, std::u32string_view text,
                                      std::size_t start, std::size_t end) {
  end = std::min({end, text.size(), paragraph.levels.size()});
  start = std::min(start, end);
  std::vector<std::uint8_t> levels(paragraph.levels.begin() + static_cast<std::ptrdiff_t>(start),
                                   paragraph.levels.begin() + static_cast<std::ptrdiff_t>(end));
  const std::uint8_t paragraph_level = paragraph.rtl ? 1 : 0;
  for (std::size_t i = end; i > start && resets_at_line_end(bidi_class_of(text[i - 1])); --i)
    levels[i - 1 - start] = paragraph_level;
  return levels;
}

std::vector<std::size_t> visual_order(std::span<const std::uint8_t> levels) {
  std::vector<std::size_t> order(levels.size());
  for (std::size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  if (levels.empty()) return order;
  const auto [lowest, highest] = std::minmax_element(levels.begin(), levels.end());
  const int lowest_odd = *lowest | 1;
  // `order` holds logical indices in the current visual order; their levels travel with them.
  for (int level = *highest; level >= lowest_odd; --level) {
    for (std::size_t i = 0; i < order.size();) {
      if (levels[order[i]] < level) {
        ++i;
        continue;
      }
      std::size_t j = i;
      while (j < order.size() && levels[order[j]] >= level)
        ++j;
      std::reverse(order.begin() + static_cast<std::ptrdiff_t>(i),
                   order.begin() + static_cast<std::ptrdiff_t>(j));
      i = j;
    }
  }
  return order;
}

std::vector<visual_run> visual_runs(const bidi_paragraph& paragraph, std::u32string_view text,
                                    std::size_t start, std::size_t end) {
  const std::vector<std::uint8_t> levels = line_levels(paragraph, text, start, end);
  std::vector<visual_run> runs;  // in logical order first
  for (std::size_t i = 0; i < levels.size(); ++i) {
    if (runs.empty() || runs.back().level != levels[i])
      runs.push_back({start + i, start + i + 1, levels[i]});
    else
      runs.back().end = start + i + 1;
  }
  std::vector<std::uint8_t> run_levels;
  run_levels.reserve(runs.size());
  for (const visual_run& r : runs)
    run_levels.push_back(r.level);
  std::vector<visual_run> out;
  out.reserve(runs.size());
  for (const std::size_t i : visual_order(run_levels))
    out.push_back(runs[i]);
  return out;
}

}  // namespace palaver::web::text
