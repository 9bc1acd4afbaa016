// Lays messages out. See message_layout.hpp.
//
// Sections: measuring · the layouter (inline runs, then one function per block kind) ·
// drawing.
#include "message_layout.hpp"

#include <algorithm>
#include <cfloat>

#include "markdown.hpp"

namespace palaver::web {
namespace {

constexpr float line_spacing = 1.45f;  // line height as a multiple of the font size
constexpr float list_indent = 20.f;
constexpr float quote_indent = 14.f;
constexpr float code_padding = 10.f;
constexpr float cell_padding = 6.f;

// ---- the layouter -------------------------------------------------------------------------

class layouter {
 public:
  layouter(const layout_style& style, float width) : s_(style), width_(std::max(width, 40.f)) {}

  laid_out_text plain(std::string_view text) {
    std::vector<span> spans{span{std::string(text), style_plain, {}}};
    y_ = inline_runs(spans, 0, width_, face::regular, s_.font_size, s_.text_color);
    return finish();
  }

  laid_out_text markdown(std::string_view text) {
    const document doc = parse_markdown(text);
    const block* previous = nullptr;
    for (const block& b : doc.blocks) {
      if (previous) y_ += gap(*previous, b);
      const float top = y_;
      // Blocks inside a list item (a second paragraph, code) line up with its text.
      const float nested = b.kind == block_kind::list_item ? 0 : list_indent * b.depth;
      const float x = b.quote_depth * quote_indent + nested;
      lay_out_block(b, x, width_ - x);
      for (int q = 0; q < b.quote_depth; ++q)
        box({q * quote_indent, top}, {q * quote_indent + 3, y_}, s_.colors.border, 1.5f);
      previous = &b;
    }
    return finish();
  }

 private:
  // The face a markdown style is drawn in, within a block drawn in `base`.
  static text_style style_of(std::uint8_t style, face base) {
    if (style & style_code) return {face::mono, false};
    return {(style & style_bold) && base == face::regular ? face::bold : base,
            (style & style_italic) != 0};
  }

  float measure(face font, std::string_view text) const { return s_.painter->width(font, text); }

  void box(ImVec2 min, ImVec2 max, ImU32 color, float rounding) {
    out_.boxes.push_back(box_piece{min, max, color, rounding});
  }

  // Wraps spans into lines from (x, y_) within `width`, `indent` in from the paragraph's start
  // (its left, or its right when right-to-left); returns the y below the last line. A
  // right-to-left paragraph (by its first strong character) is aligned right: what it places
  // is anchored to the right edge (finish() moves it when the text is narrower than a line).
  float inline_runs(const std::vector<span>& spans, float x, float width, face base, float size,
                    ImU32 color, float indent = 0) {
    const float line_height = size * line_spacing;
    std::vector<text::styled_run> runs;
    runs.reserve(spans.size());
    for (const span& sp : spans)
      runs.push_back(text::styled_run{sp.text, sp.style});
    const text::paragraph paragraph = text::lay_out(
        runs, width - indent,
        [&](std::string_view text, std::uint8_t style, bool rtl) {
          return s_.painter->measure(text, style_of(style, base), rtl);
        },
        s_.painter->dictionary());
    float y = y_;
    const marks start = mark();
    for (const text::line& l : paragraph.lines) {
      const float line_x = paragraph.rtl ? x + width - indent - l.width : x + indent;
      for (const text::piece& p : l.pieces) {
        const span& sp = spans[p.run_index];
        const ImVec2 pos{line_x + p.x, y + (line_height - size) / 2};
        if (sp.style & style_code)
          box({pos.x - 2, y + 2}, {pos.x + p.width + 2, y + line_height - 2},
              s_.colors.code_background, 3);
        text_piece piece{pos,
                         style_of(sp.style, base),
                         p.rtl,
                         p.width,
                         (sp.style & style_link) ? s_.link_color : color,
                         sp.text.substr(p.offset, p.length),
                         (sp.style & style_link) != 0,
                         (sp.style & style_strike) != 0};
        out_.texts.push_back(std::move(piece));
        if ((sp.style & style_link) && !sp.href.empty())
          out_.targets.push_back(click_target{
              click_target::kind::link, {pos.x, y}, {pos.x + p.width, y + line_height}, sp.href});
      }
      used_width_ = std::max(used_width_, paragraph.rtl ? width_ - line_x : line_x + l.width);
      y += line_height;
    }
    last_rtl_ = paragraph.rtl;
    if (paragraph.rtl) anchor_right(start);
    return y;
  }

  // Where the output ends now, and what was placed since then anchored to the right edge.
  struct marks {
    std::size_t texts, boxes, targets;
  };
  marks mark() const { return {out_.texts.size(), out_.boxes.size(), out_.targets.size()}; }
  void anchor_right(marks since) { right_.push_back({since, mark()}); }

  // Space between two blocks: list items of one list sit closer than paragraphs.
  float gap(const block& before, const block& after) const {
    if (before.kind == block_kind::list_item && after.kind == block_kind::list_item)
      return s_.font_size * 0.2f;
    return s_.font_size * 0.6f;
  }

  void lay_out_block(const block& b, float x, float width) {
    switch (b.kind) {
      case block_kind::paragraph:
        y_ = inline_runs(b.spans, x, width, face::regular, s_.font_size, s_.text_color);
        break;
      case block_kind::heading: {
        const bool big = b.level <= 2;
        y_ = inline_runs(b.spans, x, width, big ? face::heading : face::bold,
                         big ? heading_size : s_.font_size, s_.text_color);
        break;
      }
      case block_kind::list_item:
        list_item(b, x, width);
        break;
      case block_kind::code:
        code_block(b, x, width);
        break;
      case block_kind::table:
        table(b, x, width);
        break;
      case block_kind::rule:
        box({x, y_ + s_.font_size * 0.5f}, {x + width, y_ + s_.font_size * 0.5f + 1},
            s_.colors.border, 0);
        y_ += s_.font_size;
        used_width_ = std::max(used_width_, x + width);
        break;
    }
  }

  // The marker sits before the item's text: on its right in a right-to-left item.
  void list_item(const block& b, float x, float width) {
    const float indent = list_indent * std::max(b.depth, 1);
    const std::string marker = b.ordered ? std::to_string(b.number) + "." : "\xE2\x80\xA2";
    const float marker_width = measure(face::regular, marker);
    const float line_height = s_.font_size * line_spacing;
    const float top = y_;
    y_ = inline_runs(b.spans, x, width, face::regular, s_.font_size, s_.text_color, indent);
    const float marker_x = last_rtl_ ? x + width - indent + 6 : x + indent - marker_width - 6;
    const marks before = mark();
    out_.texts.push_back(text_piece{{marker_x, top + (line_height - s_.font_size) / 2},
                                    {face::regular},
                                    false,
                                    marker_width,
                                    s_.colors.muted,
                                    marker});
    if (last_rtl_) anchor_right(before);
  }

  void code_block(const block& b, float x, float width) {
    const float size = code_size;
    const float small = small_size;
    const float top = y_;
    const float header = small * line_spacing + 4;
    // The header row: the language, and a copy button.
    if (!b.language.empty())
      out_.texts.push_back(text_piece{{x + code_padding, top + 4},
                                      {face::small},
                                      false,
                                      measure(face::small, b.language),
                                      s_.colors.muted,
                                      b.language});
    const std::string copy_label(s_.copy_label);
    const float copy_width = measure(face::small, copy_label);
    const ImVec2 copy_pos{x + width - code_padding - copy_width, top + 4};
    out_.texts.push_back(
        text_piece{copy_pos, {face::small}, false, copy_width, s_.colors.link, copy_label});
    out_.targets.push_back(click_target{
        click_target::kind::copy, {copy_pos.x - 6, top}, {x + width, top + header}, b.code});
    // The code, one span per line so that long lines wrap at the block's width.
    y_ = top + header;
    std::size_t start = 0;
    while (start <= b.code.size()) {
      const std::size_t end = std::min(b.code.find('\n', start), b.code.size());
      std::vector<span> spans{span{b.code.substr(start, end - start), style_code, {}}};
      if (spans[0].text.empty()) spans[0].text = " ";
      y_ = inline_runs(spans, x + code_padding, width - 2 * code_padding, face::mono, size,
                       s_.colors.text);
      start = end + 1;
    }
    y_ += code_padding * 0.6f;
    // Under everything drawn so far for this block.
    out_.boxes.insert(out_.boxes.begin(),
                      box_piece{{x, top}, {x + width, y_}, s_.colors.code_background, 8});
    used_width_ = std::max(used_width_, x + width);
  }

  void table(const block& b, float x, float width) {
    std::size_t columns = 0;
    for (const auto& row : b.rows)
      columns = std::max(columns, row.size());
    if (columns == 0) return;
    const float column_width = width / static_cast<float>(columns);
    const float top = y_;
    for (std::size_t r = 0; r < b.rows.size(); ++r) {
      const bool header = static_cast<int>(r) < b.header_rows;
      const float row_top = y_;
      float row_bottom = row_top;
      for (std::size_t c = 0; c < b.rows[r].size(); ++c) {
        y_ = row_top + cell_padding;
        const float cell_x = x + column_width * static_cast<float>(c) + cell_padding;
        const float bottom =
            inline_runs(b.rows[r][c], cell_x, column_width - 2 * cell_padding,
                        header ? face::bold : face::regular, s_.font_size, s_.text_color);
        row_bottom = std::max(row_bottom, bottom + cell_padding);
      }
      if (header) box({x, row_top}, {x + width, row_bottom}, s_.colors.code_background, 0);
      box({x, row_bottom - 1}, {x + width, row_bottom}, s_.colors.border, 0);
      y_ = row_bottom;
    }
    box({x, top}, {x + width, top + 1}, s_.colors.border, 0);
    used_width_ = std::max(used_width_, x + width);
  }

  laid_out_text finish() {
    out_.size = ImVec2(std::min(used_width_, width_), y_);
    // Right-to-left text narrower than a line: its right edge is the text's, not the line's.
    const float shift = width_ - out_.size.x;
    if (shift > 0)
      for (const auto& [from, to] : right_) {
        for (std::size_t i = from.texts; i < to.texts; ++i)
          out_.texts[i].pos.x -= shift;
        for (std::size_t i = from.boxes; i < to.boxes; ++i) {
          out_.boxes[i].min.x -= shift;
          out_.boxes[i].max.x -= shift;
        }
        for (std::size_t i = from.targets; i < to.targets; ++i) {
          out_.targets[i].min.x -= shift;
          out_.targets[i].max.x -= shift;
        }
      }
    if (s_.painter->mirrored()) mirror(out_.size.x);
    return std::move(out_);
  }

  // For a mirrored interface (text_painter::set_mirrored): everything placed flipped within
  // the text's box, so that the frame's final flip shows it as laid out.
  void mirror(float box_width) {
    const auto flip = [&](ImVec2& min, ImVec2& max) {
      const float left = box_width - max.x;
      max.x = box_width - min.x;
      min.x = left;
    };
    for (text_piece& t : out_.texts)
      t.pos.x = box_width - t.pos.x - t.width;
    for (box_piece& b : out_.boxes)
      flip(b.min, b.max);
    for (click_target& t : out_.targets)
      flip(t.min, t.max);
  }

  const layout_style& s_;
  float width_;
  float y_ = 0;
  float used_width_ = 0;
  bool last_rtl_ = false;  // the direction of the paragraph inline_runs laid out last
  std::vector<std::pair<marks, marks>> right_;  // what is anchored to the right edge
  laid_out_text out_;
};

}  // namespace

laid_out_text lay_out(std::string_view text, bool markdown, float width,
                      const layout_style& style) {
  layouter l(style, width);
  return markdown ? l.markdown(text) : l.plain(text);
}

// ---- drawing ------------------------------------------------------------------------------

void draw_laid_out(const laid_out_text& laid, text_painter& painter, ImDrawList* list,
                   ImVec2 origin) {
  const ImVec2 clip_min = list->GetClipRectMin();
  const ImVec2 clip_max = list->GetClipRectMax();
  for (const box_piece& b : laid.boxes)
    list->AddRectFilled({origin.x + b.min.x, origin.y + b.min.y},
                        {origin.x + b.max.x, origin.y + b.max.y}, b.color, b.rounding);
  for (const text_piece& t : laid.texts) {
    const ImVec2 pos{origin.x + t.pos.x, origin.y + t.pos.y};
    const float size = face_size(t.style.font);
    if (pos.y > clip_max.y || pos.y + size * 2 < clip_min.y) continue;  // off screen
    painter.draw_piece(list, pos, t.style, t.rtl, t.color, t.text);
    if (t.underline)
      list->AddLine({pos.x, pos.y + size + 1}, {pos.x + t.width, pos.y + size + 1}, t.color);
    if (t.strike)
      list->AddLine({pos.x, pos.y + size * 0.55f}, {pos.x + t.width, pos.y + size * 0.55f},
                    t.color);
  }
}

const click_target* target_at(const laid_out_text& laid, ImVec2 origin, ImVec2 point) {
  for (const click_target& t : laid.targets)
    if (point.x >= origin.x + t.min.x && point.x < origin.x + t.max.x &&
        point.y >= origin.y + t.min.y && point.y < origin.y + t.max.y)
      return &t;
  return nullptr;
}

}  // namespace palaver::web
