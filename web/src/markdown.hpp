// Markdown for the widget: a reply's text parsed (md4c, CommonMark with tables and
// strikethrough) into blocks of styled spans (text/line_layout.hpp lays them out), and the plain
// text a screen reader or the clipboard gets. Pure functions over values, no ImGui:
// the view draws what these return. Safe from any thread; no shared state.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace palaver::web {

// Inline styles; a span may combine them (bold | italic | link).
enum span_style : std::uint8_t {
  style_plain = 0,
  style_bold = 1,
  style_italic = 2,
  style_code = 4,  // inline code: the monospace face
  style_link = 8,  // `href` says where to
  style_strike = 16,
};

struct span {
  std::string text;
  std::uint8_t style = style_plain;
  std::string href;  // links only: mailto:, or http(s) with a host (palaver::is_web_url)
  friend bool operator==(const span&, const span&) = default;
};

enum class block_kind {
  paragraph,  // spans
  heading,    // spans, level 1..6
  code,       // code (verbatim, without the final newline), language
  list_item,  // spans; depth, ordered, number
  table,      // rows (the first `header_rows` are the header), align per column
  rule,       // a thematic break
};

enum class cell_align : std::uint8_t { left, center, right };

struct block {
  block_kind kind = block_kind::paragraph;
  std::vector<span> spans;
  int level = 0;        // heading level
  int depth = 0;        // list nesting: 1 for a top-level item; a block inside an item (its
                        // second paragraph, its code) has the item's depth, to be indented to it
  int quote_depth = 0;  // how many block quotes enclose the block (any kind)
  bool ordered = false;
  int number = 0;  // an ordered item's number
  std::string code;
  std::string language;
  std::vector<std::vector<std::vector<span>>> rows;  // table: rows of cells of spans
  int header_rows = 0;
  std::vector<cell_align> align;
  friend bool operator==(const block&, const block&) = default;
};

struct document {
  std::vector<block> blocks;
  friend bool operator==(const document&, const document&) = default;
};

// Parses CommonMark (plus GFM tables, ~~strikethrough~~ and bare URLs, www. and e-mail
// addresses as links). Raw HTML is shown as text, never interpreted; an image shows its alt
// text; a link to anything but mailto: or an absolute http(s) URL with a host is plain text
// (never one the browser would resolve against the widget's origin). Never fails:
// any text is a document, and ill-formed UTF-8 comes out as U+FFFD. About one pass over the
// text, so it can run again whenever a streaming reply's text changes.
document parse_markdown(std::string_view text);

// ---- plain text ---------------------------------------------------------------------------

// The document as plain text: blocks separated by blank lines (items of a list by one newline),
// list items with "• " or "1. " indented two spaces a level, quoted lines with "> ", table cells
// separated by tabs, code verbatim, a rule as "---", links as "text (href)" unless the text is
// the address already.
std::string plain_text(const document& doc);

}  // namespace palaver::web
