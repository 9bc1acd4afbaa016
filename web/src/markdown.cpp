// Markdown for the widget (see markdown.hpp): md4c's callbacks build a document of styled
// spans, plain_text() flattens a document. Every call owns all of its state: safe from any thread.
// No exceptions are thrown (the Wasm build has them off); any input, however broken, gives a
// document.
//
// Sections: UTF-8 · entities · links · the document builder (md4c callbacks) · parse_markdown
//           · plain_text
#include "markdown.hpp"

#include <algorithm>
#include <array>
#include <bitset>
#include <climits>
#include <md4c.h>
#include <utility>

#include "palaver/text.hpp"
#include "palaver/url.hpp"

#include "text/utf8.hpp"

namespace palaver::web {
namespace {

// ---- UTF-8 --------------------------------------------------------------------------------

constexpr std::string_view replacement_character = "\xEF\xBF\xBD";  // U+FFFD

bool is_continuation(char c) {
  return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

// `text` itself when it is valid UTF-8 (the usual case: no copy), else a copy in `storage` with
// each ill-formed sequence (a bad byte and the continuation bytes after it) as one U+FFFD. Done
// once before parsing, so every span, href and code block downstream is valid UTF-8 and the
// view, the clipboard and the screen-reader mirror never meet a broken byte.
std::string_view valid_utf8(std::string_view text, std::string& storage) {
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t n = palaver::utf8_sequence_length(text, i);
    if (n == 0) break;
    i += n;
  }
  if (i == text.size()) return text;
  storage.reserve(text.size() + 16);
  storage.assign(text.substr(0, i));
  while (i < text.size()) {
    const std::size_t start = i;
    while (i < text.size()) {
      const std::size_t n = palaver::utf8_sequence_length(text, i);
      if (n == 0) break;
      i += n;
    }
    storage.append(text.substr(start, i - start));
    if (i == text.size()) break;
    storage += replacement_character;
    ++i;
    for (int k = 0; k < 3 && i < text.size() && is_continuation(text[i]); ++k)
      ++i;
  }
  return storage;
}

// ---- entities -----------------------------------------------------------------------------

struct named_entity {
  std::string_view name;
  std::string_view utf8;
};

// The named entities people (and models) actually write, sorted by name for binary search.
// HTML5's full list (md4c's entity.c, ~2,100 names) would add about 40 KB to the widget's Wasm for
// names nobody types; a name not listed here is shown as written, as an unknown name must be.
constexpr named_entity named_entities[] = {
    {"AElig", "Æ"},     {"Aacute", "Á"},    {"Agrave", "À"},    {"Auml", "Ä"},
    {"Ccedil", "Ç"},    {"Dagger", "‡"},    {"Delta", "Δ"},     {"Eacute", "É"},
    {"Egrave", "È"},    {"Gamma", "Γ"},     {"Lambda", "Λ"},    {"Ntilde", "Ñ"},
    {"Omega", "Ω"},     {"Oslash", "Ø"},    {"Ouml", "Ö"},      {"Phi", "Φ"},
    {"Pi", "Π"},        {"Prime", "″"},     {"Psi", "Ψ"},       {"Sigma", "Σ"},
    {"Theta", "Θ"},     {"Uuml", "Ü"},      {"Xi", "Ξ"},        {"aacute", "á"},
    {"acirc", "â"},     {"aelig", "æ"},     {"agrave", "à"},    {"alpha", "α"},
    {"amp", "&"},       {"and", "∧"},       {"apos", "'"},      {"aring", "å"},
    {"asymp", "≈"},     {"auml", "ä"},      {"bdquo", "„"},     {"beta", "β"},
    {"bull", "•"},      {"cap", "∩"},       {"ccedil", "ç"},    {"cent", "¢"},
    {"check", "✓"},     {"chi", "χ"},       {"clubs", "♣"},     {"copy", "©"},
    {"cup", "∪"},       {"curren", "¤"},    {"dArr", "⇓"},      {"dagger", "†"},
    {"darr", "↓"},      {"deg", "°"},       {"delta", "δ"},     {"diams", "♦"},
    {"divide", "÷"},    {"eacute", "é"},    {"ecirc", "ê"},     {"egrave", "è"},
    {"empty", "∅"},     {"emsp", "\u2003"}, {"ensp", "\u2002"}, {"epsilon", "ε"},
    {"equiv", "≡"},     {"eta", "η"},       {"euml", "ë"},      {"euro", "€"},
    {"exist", "∃"},     {"forall", "∀"},    {"frac12", "½"},    {"frac14", "¼"},
    {"frac34", "¾"},    {"gamma", "γ"},     {"ge", "≥"},        {"gt", ">"},
    {"hArr", "⇔"},      {"harr", "↔"},      {"hearts", "♥"},    {"hellip", "…"},
    {"iacute", "í"},    {"iexcl", "¡"},     {"infin", "∞"},     {"iquest", "¿"},
    {"isin", "∈"},      {"kappa", "κ"},     {"lArr", "⇐"},      {"lambda", "λ"},
    {"laquo", "«"},     {"larr", "←"},      {"ldquo", "“"},     {"le", "≤"},
    {"lsaquo", "‹"},    {"lsquo", "‘"},     {"lt", "<"},        {"mdash", "—"},
    {"micro", "µ"},     {"middot", "·"},    {"minus", "−"},     {"mu", "μ"},
    {"nabla", "∇"},     {"nbsp", "\u00A0"}, {"ndash", "–"},     {"ne", "≠"},
    {"ntilde", "ñ"},    {"oacute", "ó"},    {"omega", "ω"},     {"ouml", "ö"},
    {"para", "¶"},      {"permil", "‰"},    {"phi", "φ"},       {"pi", "π"},
    {"plusmn", "±"},    {"pound", "£"},     {"prime", "′"},     {"quot", "\""},
    {"rArr", "⇒"},      {"raquo", "»"},     {"rarr", "→"},      {"rdquo", "”"},
    {"reg", "®"},       {"rho", "ρ"},       {"rsaquo", "›"},    {"rsquo", "’"},
    {"sbquo", "‚"},     {"sect", "§"},      {"shy", "\u00AD"},  {"sigma", "σ"},
    {"spades", "♠"},    {"sum", "∑"},       {"sup2", "²"},      {"sup3", "³"},
    {"szlig", "ß"},     {"tau", "τ"},       {"theta", "θ"},     {"thinsp", "\u2009"},
    {"times", "×"},     {"trade", "™"},     {"uArr", "⇑"},      {"uacute", "ú"},
    {"uarr", "↑"},      {"uuml", "ü"},      {"yen", "¥"},       {"zwj", "\u200D"},
    {"zwnj", "\u200C"},
};

constexpr bool entities_sorted() {
  for (std::size_t i = 1; i < std::size(named_entities); ++i)
    if (!(named_entities[i - 1].name < named_entities[i].name)) return false;
  return true;
}
static_assert(entities_sorted(), "find_entity searches by halves");

const named_entity* find_entity(std::string_view name) {
  const auto* end = std::end(named_entities);
  const auto* it =
      std::lower_bound(std::begin(named_entities), end, name,
                       [](const named_entity& e, std::string_view k) { return e.name < k; });
  return it != end && it->name == name ? it : nullptr;
}

// md4c hands over anything shaped like an entity ("&name;", "&#123;", "&#x1F600;"); this
// decodes it, or keeps it as written when the name is unknown.
void append_entity(std::string& out, std::string_view entity) {
  if (entity.size() >= 4 && entity[1] == '#') {
    const bool hex = entity[2] == 'x' || entity[2] == 'X';
    char32_t value = 0;
    for (std::size_t i = hex ? 3 : 2; i + 1 < entity.size(); ++i) {
      const char c = entity[i];
      unsigned digit = 0;
      if (c >= '0' && c <= '9') {
        digit = static_cast<unsigned>(c - '0');
      } else if (hex && c >= 'a' && c <= 'f') {
        digit = static_cast<unsigned>(c - 'a' + 10);
      } else if (hex && c >= 'A' && c <= 'F') {
        digit = static_cast<unsigned>(c - 'A' + 10);
      } else {
        out.append(entity);  // not md4c's shape after all: as written
        return;
      }
      // md4c allows at most 7 digits; the clamp keeps a longer one from overflowing anyway.
      value = std::min<char32_t>(value * (hex ? 16 : 10) + digit, 0x110000);
    }
    // &#0; is U+FFFD, as CommonMark asks (as are non-characters and surrogates).
    text::append_utf8(out, value == 0 ? 0xFFFD : value);
    return;
  }
  if (entity.size() >= 3 && entity.front() == '&' && entity.back() == ';') {
    const std::string_view name = entity.substr(1, entity.size() - 2);
    const named_entity* found = find_entity(name);
    if (found != nullptr) {
      out.append(found->utf8);
      return;
    }
  }
  out.append(entity);
}

// ---- links --------------------------------------------------------------------------------

// md4c's attribute (a link's destination) with its entities decoded.
std::string attribute_text(const MD_ATTRIBUTE& attribute) {
  std::string out;
  if (attribute.text == nullptr || attribute.size == 0) return out;
  out.reserve(attribute.size);
  for (std::size_t k = 0; attribute.substr_offsets[k] < attribute.size; ++k) {
    const std::string_view piece(attribute.text + attribute.substr_offsets[k],
                                 attribute.substr_offsets[k + 1] - attribute.substr_offsets[k]);
    switch (attribute.substr_types[k]) {
      case MD_TEXT_ENTITY:
        append_entity(out, piece);
        break;
      case MD_TEXT_NULLCHAR:
        out += replacement_character;
        break;
      default:
        out.append(piece);
    }
  }
  return out;
}

char lower_ascii(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i)
    if (lower_ascii(text[i]) != prefix[i]) return false;
  return true;
}

// The widget opens links through JS, so a destination is an allowlist decision: mailto:, and
// http(s) only as palaver::is_web_url has it (the project's one rule: an absolute URL with a
// real host). Anything else (javascript:, data:, a relative path, or "https:/x", "http:\\x"
// and the like, which a browser resolves against the widget's own origin) gives "" and the
// link shows as plain text. Control characters are refused whatever the scheme: browsers
// strip them inside schemes ("java\tscript:").
std::string safe_href(std::string href) {
  for (const char c : href)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) return {};
  if (starts_with_ignoring_case(href, "mailto:")) return href;
  // Schemes are case-insensitive (browsers lowercase them, "HTTPS://x" is a web link): the
  // check sees the scheme lowercased, the link keeps what was written.
  std::string checked = href;
  for (std::size_t i = 0; i < checked.size() && checked[i] != ':'; ++i)
    checked[i] = lower_ascii(checked[i]);
  return palaver::is_web_url(checked) ? href : std::string();
}

// ---- the document builder (md4c callbacks) ------------------------------------------------

// Receives md4c's events for one parse and turns them into blocks. Inline text goes to the
// block `target_` names (or to the open table cell); text that arrives with no target (md4c's
// tight list items after a nested block) opens a paragraph, so no text is ever dropped.
class builder {
 public:
  document take() && { return std::move(doc_); }

  static int on_enter_block(MD_BLOCKTYPE type, void* detail, void* self) {
    static_cast<builder*>(self)->enter_block(type, detail);
    return 0;
  }
  static int on_leave_block(MD_BLOCKTYPE type, void*, void* self) {
    static_cast<builder*>(self)->leave_block(type);
    return 0;
  }
  static int on_enter_span(MD_SPANTYPE type, void* detail, void* self) {
    static_cast<builder*>(self)->enter_span(type, detail);
    return 0;
  }
  static int on_leave_span(MD_SPANTYPE type, void*, void* self) {
    static_cast<builder*>(self)->leave_span(type);
    return 0;
  }
  static int on_text(MD_TEXTTYPE type, const MD_CHAR* text, MD_SIZE size, void* self) {
    static_cast<builder*>(self)->add_text(type, std::string_view(text, size));
    return 0;
  }

 private:
  struct open_list {
    bool ordered = false;
    int next_number = 1;
  };
  static constexpr std::size_t none = static_cast<std::size_t>(-1);

  block& open_block(block_kind kind) {
    item_waits_for_paragraph_ = false;
    block& b = doc_.blocks.emplace_back();
    b.kind = kind;
    b.depth = static_cast<int>(lists_.size());
    b.quote_depth = quote_depth_;
    target_ = doc_.blocks.size() - 1;
    return b;
  }

  void enter_block(MD_BLOCKTYPE type, void* detail) {
    switch (type) {
      case MD_BLOCK_QUOTE:
        ++quote_depth_;
        close_target();
        break;
      case MD_BLOCK_UL:
      case MD_BLOCK_OL: {
        open_list list;
        list.ordered = type == MD_BLOCK_OL;
        if (list.ordered) {
          // md4c allows 9 digits at most, which an int holds.
          list.next_number = static_cast<int>(static_cast<MD_BLOCK_OL_DETAIL*>(detail)->start);
        }
        lists_.push_back(list);
        close_target();
        break;
      }
      case MD_BLOCK_LI: {
        block& item = open_block(block_kind::list_item);
        if (!lists_.empty() && lists_.back().ordered) {
          int& next = lists_.back().next_number;
          item.ordered = true;
          item.number = next;
          if (next < INT_MAX) ++next;
        }
        // The item's first paragraph (a loose list's <p>) is the item's own text.
        item_waits_for_paragraph_ = true;
        break;
      }
      case MD_BLOCK_HR:
        open_block(block_kind::rule);
        close_target();
        break;
      case MD_BLOCK_H:
        open_block(block_kind::heading).level =
            static_cast<int>(static_cast<MD_BLOCK_H_DETAIL*>(detail)->level);
        break;
      case MD_BLOCK_CODE: {
        std::string language = attribute_text(static_cast<MD_BLOCK_CODE_DETAIL*>(detail)->lang);
        open_block(block_kind::code).language = std::move(language);
        break;
      }
      case MD_BLOCK_P:
        if (item_waits_for_paragraph_ && target_ != none) {
          item_waits_for_paragraph_ = false;
        } else {
          open_block(block_kind::paragraph);
        }
        break;
      case MD_BLOCK_HTML:  // not produced with MD_FLAG_NOHTML; shown as text if it ever is
        open_block(block_kind::paragraph);
        break;
      case MD_BLOCK_TABLE:
        open_block(block_kind::table);
        table_ = target_;
        target_ = none;
        break;
      case MD_BLOCK_THEAD:
        in_table_head_ = true;
        break;
      case MD_BLOCK_TBODY:
        in_table_head_ = false;
        break;
      case MD_BLOCK_TR:
        if (table_ != none) {
          block& table = doc_.blocks[table_];
          table.rows.emplace_back();
          if (in_table_head_) ++table.header_rows;
        }
        break;
      case MD_BLOCK_TH:
      case MD_BLOCK_TD:
        if (table_ != none && !doc_.blocks[table_].rows.empty()) {
          block& table = doc_.blocks[table_];
          table.rows.back().emplace_back();
          if (table.rows.size() == 1) {
            const MD_ALIGN align = static_cast<MD_BLOCK_TD_DETAIL*>(detail)->align;
            table.align.push_back(align == MD_ALIGN_CENTER  ? cell_align::center
                                  : align == MD_ALIGN_RIGHT ? cell_align::right
                                                            : cell_align::left);
          }
          in_cell_ = true;
        }
        break;
      default:  // MD_BLOCK_DOC
        break;
    }
  }

  void leave_block(MD_BLOCKTYPE type) {
    switch (type) {
      case MD_BLOCK_QUOTE:
        --quote_depth_;
        close_target();
        break;
      case MD_BLOCK_UL:
      case MD_BLOCK_OL:
        if (!lists_.empty()) lists_.pop_back();
        close_target();
        break;
      case MD_BLOCK_CODE:
        if (target_ != none) {
          std::string& code = doc_.blocks[target_].code;
          if (!code.empty() && code.back() == '\n') code.pop_back();
        }
        close_target();
        break;
      case MD_BLOCK_TABLE:
        table_ = none;
        in_cell_ = false;
        close_target();
        break;
      case MD_BLOCK_TH:
      case MD_BLOCK_TD:
        in_cell_ = false;
        break;
      case MD_BLOCK_LI:
      case MD_BLOCK_H:
      case MD_BLOCK_P:
      case MD_BLOCK_HTML:
        close_target();
        break;
      default:
        break;
    }
  }

  void close_target() {
    target_ = none;
    item_waits_for_paragraph_ = false;
  }

  void enter_span(MD_SPANTYPE type, void* detail) {
    switch (type) {
      case MD_SPAN_EM:
        ++italic_;
        break;
      case MD_SPAN_STRONG:
        ++bold_;
        break;
      case MD_SPAN_CODE:
        ++code_;
        break;
      case MD_SPAN_DEL:
        ++strike_;
        break;
      case MD_SPAN_A:
        hrefs_.push_back(safe_href(attribute_text(static_cast<MD_SPAN_A_DETAIL*>(detail)->href)));
        break;
      default:  // an image's alt text comes as ordinary text, which is all we show of it
        break;
    }
  }

  void leave_span(MD_SPANTYPE type) {
    const auto down = [](int& count) { count = std::max(count - 1, 0); };
    switch (type) {
      case MD_SPAN_EM:
        down(italic_);
        break;
      case MD_SPAN_STRONG:
        down(bold_);
        break;
      case MD_SPAN_CODE:
        down(code_);
        break;
      case MD_SPAN_DEL:
        down(strike_);
        break;
      case MD_SPAN_A:
        if (!hrefs_.empty()) hrefs_.pop_back();
        break;
      default:
        break;
    }
  }

  void add_text(MD_TEXTTYPE type, std::string_view text) {
    if (!in_cell_ && target_ == none) open_block(block_kind::paragraph);
    if (!in_cell_ && doc_.blocks[target_].kind == block_kind::code) {
      std::string& code = doc_.blocks[target_].code;
      if (type == MD_TEXT_NULLCHAR) {
        code += replacement_character;
      } else {
        code.append(text);
      }
      return;
    }
    std::vector<span>& spans =
        in_cell_ ? doc_.blocks[table_].rows.back().back() : doc_.blocks[target_].spans;
    const std::string_view href = hrefs_.empty() ? std::string_view() : hrefs_.back();
    std::uint8_t style = style_plain;
    if (bold_ > 0) style |= style_bold;
    if (italic_ > 0) style |= style_italic;
    if (code_ > 0) style |= style_code;
    if (strike_ > 0) style |= style_strike;
    if (!href.empty()) style |= style_link;
    // Same look, same target: one span, so the view draws (and wraps) fewer pieces.
    if (spans.empty() || spans.back().style != style || spans.back().href != href) {
      span& s = spans.emplace_back();
      s.style = style;
      s.href = href;
    }
    std::string& out = spans.back().text;
    switch (type) {
      case MD_TEXT_NULLCHAR:
        out += replacement_character;
        break;
      case MD_TEXT_BR:
        out += '\n';
        break;
      case MD_TEXT_SOFTBR:
        out += ' ';
        break;
      case MD_TEXT_ENTITY:
        append_entity(out, text);
        break;
      default:
        out.append(text);
    }
  }

  document doc_;
  std::size_t target_ = none;  // the block receiving inline text
  std::size_t table_ = none;   // the open table
  bool in_table_head_ = false;
  bool in_cell_ = false;
  bool item_waits_for_paragraph_ = false;
  int quote_depth_ = 0;
  std::vector<open_list> lists_;
  int bold_ = 0, italic_ = 0, code_ = 0, strike_ = 0;  // counts: emphasis can nest in itself
  std::vector<std::string> hrefs_;  // "" for a link whose destination was refused
};

}  // namespace

// ---- parse_markdown -----------------------------------------------------------------------

document parse_markdown(std::string_view text) {
  std::string storage;
  text = valid_utf8(text, storage);
  // md4c counts in 32 bits; a reply that long cannot reach the widget (frames are far smaller,
  // and Wasm's memory is 32-bit too), so a natively parsed giant is parsed in its first 4 GiB.
  text = text.substr(0, palaver::utf8_prefix_length(text, UINT_MAX));

  MD_PARSER parser{};
  parser.flags = MD_FLAG_TABLES | MD_FLAG_STRIKETHROUGH | MD_FLAG_NOHTML |
                 MD_FLAG_PERMISSIVEURLAUTOLINKS | MD_FLAG_PERMISSIVEWWWAUTOLINKS |
                 MD_FLAG_PERMISSIVEEMAILAUTOLINKS;
  parser.enter_block = &builder::on_enter_block;
  parser.leave_block = &builder::on_leave_block;
  parser.enter_span = &builder::on_enter_span;
  parser.leave_span = &builder::on_leave_span;
  parser.text = &builder::on_text;

  builder b;
  if (md_parse(text.data(), static_cast<MD_SIZE>(text.size()), &parser, &b) != 0) {
    // md4c gives up only when memory runs out: show the reply as it came rather than lose it.
    document fallback;
    if (!text.empty()) fallback.blocks.emplace_back().spans.emplace_back().text = text;
    return fallback;
  }
  return std::move(b).take();
}

// ---- plain_text ---------------------------------------------------------------------------

namespace {

// "text (href)", except where the text already says where the link goes (autolinks).
void append_spans(std::string& out, const std::vector<span>& spans) {
  for (std::size_t i = 0; i < spans.size();) {
    const std::string& href = spans[i].href;
    if (href.empty()) {
      out += spans[i++].text;
      continue;
    }
    const std::size_t start = out.size();
    while (i < spans.size() && spans[i].href == href)
      out += spans[i++].text;
    const std::string_view shown = std::string_view(out).substr(start);
    bool says_it = shown == href;
    for (const std::string_view scheme : {"mailto:", "http://", "https://"})
      says_it = says_it || (starts_with_ignoring_case(href, scheme) &&
                            shown == std::string_view(href).substr(scheme.size()));
    if (!says_it) {
      out += " (";
      out += href;
      out += ')';
    }
  }
}

// `text` with `prefix` before every line but the first, which gets `first`.
void append_lines(std::string& out, std::string_view text, std::string_view first,
                  std::string_view prefix) {
  out += first;
  std::size_t start = 0;
  for (std::size_t nl = text.find('\n'); nl != std::string_view::npos;
       nl = text.find('\n', start)) {
    out.append(text.substr(start, nl + 1 - start));
    out += prefix;
    start = nl + 1;
  }
  out.append(text.substr(start));
}

}  // namespace

std::string plain_text(const document& doc) {
  std::string out;
  std::string body;
  std::string prefix;
  std::string first;
  for (std::size_t i = 0; i < doc.blocks.size(); ++i) {
    const block& b = doc.blocks[i];
    if (i > 0) {
      const bool same_list =
          b.kind == block_kind::list_item && doc.blocks[i - 1].kind == block_kind::list_item;
      out += same_list ? "\n" : "\n\n";
    }
    body.clear();
    switch (b.kind) {
      case block_kind::code:
        body = b.code;
        break;
      case block_kind::rule:
        body = "---";
        break;
      case block_kind::table:
        for (std::size_t r = 0; r < b.rows.size(); ++r) {
          if (r > 0) body += '\n';
          for (std::size_t c = 0; c < b.rows[r].size(); ++c) {
            if (c > 0) body += '\t';
            append_spans(body, b.rows[r][c]);
          }
        }
        break;
      default:
        append_spans(body, b.spans);
    }
    prefix.clear();
    for (int q = 0; q < b.quote_depth; ++q)
      prefix += "> ";
    for (int d = 0; d < b.depth; ++d)
      prefix += "  ";
    first = prefix;
    if (b.kind == block_kind::list_item) {
      first.resize(first.size() - std::min<std::size_t>(first.size(), 2));
      first += b.ordered ? std::to_string(b.number) + ". " : std::string("• ");
    }
    append_lines(out, body, first, prefix);
  }
  return out;
}

}  // namespace palaver::web
