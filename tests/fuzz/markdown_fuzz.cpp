// libFuzzer target for the widget's markdown (web/src/markdown.*), which renders whatever an
// agent replies: parse_markdown(), wrap() at several widths with a simple measure, plain_text().
// Beyond "no crash": every string of the document and the plain text is valid UTF-8, links go
// only to web or mail addresses, and the lines wrap() returns cover each span's text in order,
// skipping only blanks, never cut a character, and overflow their width only with one piece.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"
#include "markdown.hpp"

namespace {

namespace md = palaver::web;
using palaver::fuzz::check;
using palaver::fuzz::is_valid_utf8;

// Whole units per character (two in code), so every sum is exact in a float.
float measure(std::string_view text, std::uint8_t style) {
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

void check_wrap(const std::vector<md::span>& spans, float max_width) {
  const std::vector<md::line> lines = md::wrap(spans, max_width, measure);
  check(!lines.empty(), "wrap() returned no lines");
  std::size_t span_index = 0;
  std::size_t offset = 0;  // where the text not yet covered by a run starts
  // The bytes from (span_index, offset) up to a run's start, which wrap() dropped.
  const auto check_skipped = [&](std::size_t to_span, std::size_t to_offset) {
    for (; span_index < to_span; ++span_index, offset = 0)
      for (const char c : std::string_view(spans[span_index].text).substr(offset))
        check(c == ' ' || c == '\t' || c == '\n', "wrap() dropped more than blanks");
    for (const char c : std::string_view(spans[span_index].text).substr(offset, to_offset - offset))
      check(c == ' ' || c == '\t' || c == '\n', "wrap() dropped more than blanks");
    offset = to_offset;
  };
  for (const md::line& l : lines) {
    float x = 0;
    for (const md::run& r : l.runs) {
      check(r.span_index < spans.size(), "a run of no span");
      const std::string_view text = spans[r.span_index].text;
      check(r.offset + r.length <= text.size() && r.length > 0, "a run outside its span");
      check(r.span_index > span_index || (r.span_index == span_index && r.offset >= offset),
            "runs out of order or overlapping");
      check(at_boundary(text, r.offset) && at_boundary(text, r.offset + r.length),
            "a run cuts a character");
      check_skipped(r.span_index, r.offset);
      offset = r.offset + r.length;
      const float width = measure(text.substr(r.offset, r.length), spans[r.span_index].style);
      check(r.x == x && r.width == width, "a run's position or width is not its text's");
      x += r.width;
    }
    check(l.width == x, "a line's width is not its runs'");
    check(l.width <= max_width || l.runs.size() <= 1, "a line overflows with several runs");
  }
  if (!spans.empty()) check_skipped(spans.size() - 1, spans.back().text.size());
}

void check_spans(const std::vector<md::span>& spans) {
  for (const md::span& s : spans)
    check_span(s);
  for (const float width : {-1.0F, 0.0F, 1.0F, 7.0F, 40.0F})
    check_wrap(spans, width);
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
    if (b.kind == md::block_kind::code) check_wrap({md::span{b.code, md::style_code, {}}}, 40);
  }
  check(is_valid_utf8(md::plain_text(doc)), "plain_text() is not UTF-8");
  return 0;
}
