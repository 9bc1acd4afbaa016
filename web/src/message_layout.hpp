// A message's text laid out for drawing: paragraphs, headings, lists, quotes, code blocks and
// tables (markdown) or plain wrapped text, as positioned pieces (boxes, text runs, click
// targets) relative to the text's top-left corner. Computed once per text and width, drawn
// every frame with an offset: scrolling a long conversation costs no layout.
// Main thread only (it measures with the painter).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "imgui.h"
#include "text_painter.hpp"
#include "theme.hpp"

namespace palaver::web {

// A piece of text as line_layout.hpp cuts it, at its line box's top-left.
struct text_piece {
  ImVec2 pos;
  text_style style;
  bool rtl = false;
  float width = 0;
  ImU32 color = 0;
  std::string text;
  bool underline = false;
  bool strike = false;
};

struct box_piece {
  ImVec2 min, max;
  ImU32 color = 0;
  float rounding = 0;
};

// Somewhere a click does something: follow a link, copy a code block.
struct click_target {
  enum class kind { link, copy } what = kind::link;
  ImVec2 min, max;
  std::string value;  // the href, or the text to copy
};

struct laid_out_text {
  std::vector<box_piece> boxes;  // drawn under the text
  std::vector<text_piece> texts;
  std::vector<click_target> targets;
  ImVec2 size;  // the widest line and the total height
};

struct layout_style {
  text_painter* painter = nullptr;
  palette colors;
  float font_size = 15;
  ImU32 text_color = 0;  // the bubble's text colour
  ImU32 link_color = 0;
  std::string_view copy_label = "Copy";  // a code block's copy button
};

// Markdown (replies, operators) or plain text (what the visitor wrote) within `width`.
laid_out_text lay_out(std::string_view text, bool markdown, float width, const layout_style& style);

// Draws at `origin` (screen coordinates).
void draw_laid_out(const laid_out_text& laid, text_painter& painter, ImDrawList* list,
                   ImVec2 origin);

// The target under `point` (screen coordinates), or nullptr.
const click_target* target_at(const laid_out_text& laid, ImVec2 origin, ImVec2 point);

}  // namespace palaver::web
