// libFuzzer target for the widget's markdown (web/src/markdown.*) and its line layout
// (web/src/text/line_layout.*), which render whatever an agent replies: parse_markdown(),
// text::lay_out() of every block at several widths with a simple measure, plain_text().
// Beyond "no crash": every string of the document and the plain text is valid UTF-8, links go
// only to web or mail addresses, and the pieces lay_out() returns cover each span's text once
// (leaving out only blanks and newlines), never cut a character, sit side by side on their
// line, and overflow its width only where the text has no break opportunity.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"
#include "markdown.hpp"
#include "text/line_break.hpp"
#include "text/line_layout.hpp"
#include "text/unicode.hpp"
#include "text/utf8.hpp"

namespace {

namespace md = palaver::web;
using palaver::fuzz::check;
using palaver::fuzz::is_valid_utf8;

// Whole units per character (two in code), so every sum is exact in a float.
float measure(std::string_view text, std::uint8_t style, bool /*rtl*/) {
  float width = 0;
  for (const char c : text)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) width += (style & md::style_code) ? 2 : 1;
  return width;
}

bool starts_with_ignoring_case(std::string_view text, std::string_view lower_prefix) {
  if (text.size() < lower_prefix.size()) return false;
  for (std::size_t i = 0; i < lower_prefix.size(); ++i) {
    const char c = text[i] >= 'A' && text[i] <= 'Z' ? static_cast<char>(text[i] + 32) : text[i];
    if (c != lower_prefix[i]) return false;
  }
  return true;
}

void check_span(const md::span& s) {
  check(is_valid_utf8(s.text), "a span's text is not UTF-8");
  check(s.href.empty() == !(s.style & md::style_link), "a link without a target, or the reverse");
  if (s.href.empty()) return;
  check(starts_with_ignoring_case(s.href, "http:") || starts_with_ignoring_case(s.href, "https:") ||
            starts_with_ignoring_case(s.href, "mailto:"),
        "a link to a scheme other than http:, https: or mailto:");
  for (const char c : s.href)
    check(static_cast<unsigned char>(c) >= 0x20 && c != 0x7F, "a link with a control character");
  check(is_valid_utf8(s.href), "a link that is not UTF-8");
}

bool at_boundary(std::string_view text, std::size_t i) {
  return i == text.size() || (static_cast<unsigned char>(text[i]) & 0xC0) != 0x80;
}

// What a layout may leave out: whitespace at a break (bidi classes WS and S: spaces, tabs and
// the like) and line breaks (B, and U+2028).
bool blank(char32_t c) {
  using palaver::web::text::bidi_class;
  const bidi_class b = palaver::web::text::bidi_class_of(c);
  return b == bidi_class::ws || b == bidi_class::s || b == bidi_class::b;
}

// Where the spans' text may break (line_breaks() over all of it, as lay_out() sees it), by the
// byte of each span a piece starts at.
class break_map {
 public:
  explicit break_map(const std::vector<md::span>& spans) {
    std::string all;
    for (const md::span& s : spans) {
      starts_.push_back(all.size());
      all += s.text;
    }
    text_ = palaver::web::text::decode_utf8(all);
    breaks_ = palaver::web::text::line_breaks(text_.code_points);
  }
  // The code point index of byte `offset` of span `run`.
  std::size_t at(std::size_t run, std::size_t offset) const {
    const std::uint32_t byte = static_cast<std::uint32_t>(starts_[run] + offset);
    return static_cast<std::size_t>(
        std::lower_bound(text_.offsets.begin(), text_.offsets.end(), byte) - text_.offsets.begin());
  }
  // Whether a line may break anywhere inside [from, to) but at `from`.
  bool breaks_inside(std::size_t from, std::size_t to) const {
    for (std::size_t i = from + 1; i < to; ++i)
      if (breaks_[i] != palaver::web::text::break_opportunity::none) return true;
    return false;
  }

 private:
  std::vector<std::size_t> starts_;
  palaver::web::text::decoded_text text_;
  std::vector<palaver::web::text::break_opportunity> breaks_;
};

void check_layout(const std::vector<md::span>& spans, float max_width) {
  const break_map breaks(spans);
  std::vector<palaver::web::text::styled_run> runs;
  for (const md::span& s : spans)
    runs.push_back({s.text, s.style});
  const palaver::web::text::paragraph p = palaver::web::text::lay_out(runs, max_width, measure);
  check(!p.lines.empty(), "lay_out() returned no lines");
  // Which bytes of each span pieces show: each at most once.
  std::vector<std::vector<bool>> shown;
  for (const md::span& s : spans)
    shown.emplace_back(s.text.size(), false);
  for (const palaver::web::text::line& l : p.lines) {
    float x = 0;
    std::size_t first = SIZE_MAX, last = 0;  // the code points its inked pieces span
    for (const palaver::web::text::piece& piece : l.pieces) {
      check(piece.run_index < spans.size(), "a piece of no span");
      const std::string_view text = spans[piece.run_index].text;
      check(piece.offset + piece.length <= text.size() && piece.length > 0,
            "a piece outside its span");
      check(at_boundary(text, piece.offset) && at_boundary(text, piece.offset + piece.length),
            "a piece cuts a character");
      for (std::size_t i = piece.offset; i < piece.offset + piece.length; ++i) {
        check(!shown[piece.run_index][i], "a byte in two pieces");
        shown[piece.run_index][i] = true;
      }
      const std::string_view bytes = text.substr(piece.offset, piece.length);
      check(piece.width == measure(bytes, spans[piece.run_index].style, piece.rtl),
            "a piece's width is not its text's");
      check(piece.x == x, "pieces not side by side");
      x += piece.width;
      if (!piece.whitespace) {
        first = std::min(first, breaks.at(piece.run_index, piece.offset));
        last = std::max(last, breaks.at(piece.run_index, piece.offset + piece.length));
      }
    }
    check(l.width <= x, "a line wider than its pieces");
    // Too wide only where it could not break: one word, or one cluster of a word too long.
    check(l.width <= max_width || first == SIZE_MAX || !breaks.breaks_inside(first, last),
          "a line overflows where it could have broken");
  }
  for (std::size_t r = 0; r < spans.size(); ++r)
    for (std::size_t i = 0; i < spans[r].text.size();) {
      const auto [c, length] = palaver::web::text::decode_at(spans[r].text, i);
      check(shown[r][i] || blank(c), "lay_out() left out more than blanks");
      i += length;
    }
}

void check_spans(const std::vector<md::span>& spans) {
  for (const md::span& s : spans)
    check_span(s);
  for (const float width : {-1.0F, 0.0F, 1.0F, 7.0F, 40.0F})
    check_layout(spans, width);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // md4c 0.4.8 reads the byte after a text that ends in a digit (md_is_container_mark; fixed
  // upstream). Every caller passes a std::string's text, whose terminator makes that byte
  // readable: so does the fuzzer, to find what the widget would meet.
  const std::string text(reinterpret_cast<const char*>(data), size);
  const md::document doc = md::parse_markdown(text);
  for (const md::block& b : doc.blocks) {
    check(b.kind != md::block_kind::heading || (b.level >= 1 && b.level <= 6),
          "a heading level outside 1..6");
    check(b.depth >= 0 && b.quote_depth >= 0, "a negative depth");
    check(is_valid_utf8(b.code) && is_valid_utf8(b.language), "code that is not UTF-8");
    check_spans(b.spans);
    for (const auto& row : b.rows)
      for (const auto& cell : row)
        check_spans(cell);
    if (b.kind == md::block_kind::code) check_layout({md::span{b.code, md::style_code, {}}}, 40);
  }
  check(is_valid_utf8(md::plain_text(doc)), "plain_text() is not UTF-8");
  return 0;
}
