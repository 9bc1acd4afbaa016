// Draws browser-rasterised text. See text_painter.hpp.
//
// Sections: faces · the atlas (shelf packing) · the painter.
#include "text_painter.hpp"

#include <GLES3/gl3.h>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <unordered_map>
#include <vector>

namespace palaver::web {
namespace {

// ---- faces --------------------------------------------------------------------------------

// A face's em and baseline as fractions of its line box: the proportions of the Inter faces the
// view was first drawn with, so every size in the view keeps its meaning.
constexpr float em_per_size = 0.82f;
constexpr float baseline_per_size = 0.8f;

// The system's own faces: every visitor's machine has fonts for the scripts it reads, and the
// browser falls back through them per character. Colour emoji fonts come last so that digits
// and symbols stay text unless a variation selector asks for emoji.
constexpr std::string_view sans_families =
    "system-ui,-apple-system,\"Segoe UI\",Roboto,\"Noto Sans\",\"Helvetica Neue\",Arial";
constexpr std::string_view mono_families =
    "ui-monospace,\"SF Mono\",Menlo,Consolas,\"DejaVu Sans Mono\",\"Noto Sans Mono\",monospace";
constexpr std::string_view emoji_families =
    "\"Apple Color Emoji\",\"Segoe UI Emoji\",\"Noto Color Emoji\"";

// Chinese, Japanese and Korean faces of the common systems, named: a character the first face
// lacks costs the browser a font fallback search each (~0.3 ms, so a screenful of new
// ideographs would stall for a tenth of a second), one of these faces costs nothing. Their
// order picks the Han glyph forms: the widget's language's first.
constexpr std::string_view cjk_simplified =
    "\"PingFang SC\",\"Hiragino Sans GB\",\"Microsoft YaHei\",\"Noto Sans CJK SC\"";
constexpr std::string_view cjk_traditional =
    "\"PingFang TC\",\"Microsoft JhengHei\",\"Noto Sans CJK TC\"";
constexpr std::string_view cjk_japanese =
    "\"Hiragino Sans\",\"Hiragino Kaku Gothic ProN\",\"Yu Gothic\",Meiryo,\"Noto Sans CJK JP\"";
constexpr std::string_view cjk_korean =
    "\"Apple SD Gothic Neo\",\"Malgun Gothic\",\"Noto Sans CJK KR\"";

std::string cjk_families(std::string_view language) {
  std::string_view first = cjk_simplified;
  if (language == "ja") first = cjk_japanese;
  if (language == "ko") first = cjk_korean;
  if (language == "zh-Hant") first = cjk_traditional;
  std::string all(first);
  for (const std::string_view more : {cjk_simplified, cjk_traditional, cjk_japanese, cjk_korean})
    if (more != first) all.append(",").append(more);
  return all;
}

std::string css_font(text_style style, float ratio, const std::string& cjk) {
  const face f = style.font;
  const bool bold = f == face::bold || f == face::heading;
  char size[48];
  std::snprintf(size, sizeof size, "%s%s %.2fpx ", style.italic ? "italic " : "",
                bold ? "600" : "400", face_size(f) * em_per_size * ratio);
  std::string font(size);
  font.append(f == face::mono ? mono_families : sans_families).append(",").append(cjk);
  return font.append(",sans-serif,").append(emoji_families);
}

// ---- the atlas ----------------------------------------------------------------------------

constexpr int atlas_size = 2048;  // RGBA: 16 MB on the GPU, as many in the page's copy
constexpr int white_block = 4;    // ImGui's white pixel lives in it
constexpr int padding = 1;        // between bitmaps, so that filtering never bleeds
// New pieces rasterised in one frame, at most: the browser draws each in ~0.1 ms (CPU), so a
// screenful of new text (400 ideographs) appears over a few short frames, not in one long one.
constexpr int new_pieces_per_frame = 64;

// Rows of bitmaps ("shelves"), filled left to right, each as tall as its tallest bitmap.
class shelf_packer {
 public:
  void reset() {
    x_ = white_block + padding;
    y_ = 0;
    row_height_ = white_block;
  }
  // Where a w × h bitmap goes, or false when the atlas is full.
  bool place(int w, int h, int& x, int& y) {
    if (w + padding > atlas_size || h + padding > atlas_size) return false;
    if (x_ + w + padding > atlas_size) {
      y_ += row_height_ + padding;
      x_ = 0;
      row_height_ = 0;
    }
    if (y_ + h + padding > atlas_size) return false;
    x = x_;
    y = y_;
    x_ += w + padding;
    row_height_ = std::max(row_height_, h);
    return true;
  }

 private:
  int x_ = 0, y_ = 0, row_height_ = 0;
};

std::string piece_key(std::string_view text, text_style style, bool rtl) {
  std::string key;
  key.reserve(text.size() + 2);
  key += static_cast<char>(static_cast<int>(style.font) | (style.italic ? 16 : 0) | (rtl ? 32 : 0));
  key += text;
  return key;
}

}  // namespace

float face_size(face f) {
  switch (f) {
    case face::heading:
      return heading_size;
    case face::mono:
      return code_size;
    case face::small:
      return small_size;
    default:
      return body_size;
  }
}

// ---- the painter --------------------------------------------------------------------------

struct text_painter::impl {
  struct placed {
    int x = 0, y = 0;
    bool drawn = false;  // false: it did not fit this frame
  };

  explicit impl(glyph_source& s) : source(s) {
    glGenTextures(1, &texture);
    glBindTexture(GL_TEXTURE_2D, texture);
    // Bitmaps are drawn texel for pixel: no filtering, so no fringe from a neighbour.
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
    glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA, atlas_size, atlas_size, 0, GL_RGBA, GL_UNSIGNED_BYTE,
                 nullptr);
    empty_atlas();
    ImFontAtlas& imgui_atlas = *ImGui::GetIO().Fonts;
    imgui_atlas.SetTexID(reinterpret_cast<ImTextureID>(static_cast<std::intptr_t>(texture)));
    const float white = (white_block / 2.0f) / atlas_size;
    imgui_atlas.TexUvWhitePixel = ImVec2(white, white);
    dictionary = [this](std::u32string_view run) { return source.dictionary_words(run); };
  }
  ~impl() { glDeleteTextures(1, &texture); }

  // Other fonts: everything measured or drawn is out of date.
  void start_over() {
    ++generation;
    for (std::string& font : fonts)
      font.clear();
    measured.clear();
    empty_atlas();
  }

  void empty_atlas() {
    source.clear_atlas(atlas_size);
    packer.reset();
    placed_pieces.clear();
  }

  const ink_box& metrics(std::string_view text, text_style style, bool rtl) {
    std::string key = piece_key(text, style, rtl);
    auto it = measured.find(key);
    if (it == measured.end()) {
      std::string& font = fonts[font_index(style)];
      if (font.empty()) font = css_font(style, ratio, cjk);
      it = measured.emplace(std::move(key), source.measure(text, font, rtl)).first;
    }
    return it->second;
  }

  static int font_index(text_style style) {
    return static_cast<int>(style.font) * 2 + (style.italic ? 1 : 0);
  }

  glyph_source& source;
  GLuint texture = 0;
  float ratio = 1;
  std::string cjk = cjk_families("en");
  std::uint32_t generation = 1;
  std::string fonts[static_cast<int>(face::count_) * 2];  // by font_index, at `ratio`
  std::unordered_map<std::string, ink_box> measured;      // by piece_key
  std::unordered_map<std::string, placed> placed_pieces;  // by piece_key + colour
  shelf_packer packer;
  int new_pieces = 0;         // rasterised this frame
  bool more_to_draw = false;  // pieces left for the next frame
  bool overflowed = false;
  bool overflowed_last_frame = false;
  bool mirrored = false;
  text::dictionary_fn dictionary;
};

text_painter::text_painter(glyph_source& source) : impl_(std::make_unique<impl>(source)) {}
text_painter::~text_painter() = default;

void text_painter::set_pixel_ratio(float ratio) {
  if (ratio == impl_->ratio) return;
  impl_->ratio = ratio;
  impl_->start_over();
}

void text_painter::set_language(std::string_view tag) {
  std::string cjk = cjk_families(tag);
  if (cjk == impl_->cjk) return;
  impl_->cjk = std::move(cjk);
  impl_->start_over();
}

float text_painter::pixel_ratio() const {
  return impl_->ratio;
}
std::uint32_t text_painter::generation() const {
  return impl_->generation;
}
const text::dictionary_fn& text_painter::dictionary() const {
  return impl_->dictionary;
}
ImTextureID text_painter::texture() const {
  return reinterpret_cast<ImTextureID>(static_cast<std::intptr_t>(impl_->texture));
}

void text_painter::set_mirrored(bool on) {
  if (on == impl_->mirrored) return;
  impl_->mirrored = on;
  ++impl_->generation;  // laid-out text is placed for one side
}
bool text_painter::mirrored() const {
  return impl_->mirrored;
}

float text_painter::measure(std::string_view text, text_style style, bool rtl) {
  return impl_->metrics(text, style, rtl).advance / impl_->ratio;
}

void text_painter::draw_piece(ImDrawList* list, ImVec2 pos, text_style style, bool rtl, ImU32 color,
                              std::string_view text) {
  impl& m = *impl_;
  const ink_box& box = m.metrics(text, style, rtl);
  if (box.width <= 0 || box.height <= 0) return;  // spaces and other ink-less pieces
  const float r = m.ratio;
  // The pen on whole device pixels: the bitmap is drawn 1:1, as crisp as the page's own text.
  const float pen_x = std::round(pos.x * r);
  const float baseline = std::round((pos.y + face_size(style.font) * baseline_per_size) * r);
  // Mirrored, `pos` is where the flip will put the piece's right edge: its ink lands as far
  // from the advance's end as it would from the pen.
  const float ink_left = m.mirrored ? std::round(box.advance) - box.left - box.width : box.left;
  const ImVec2 min{(pen_x + ink_left) / r, (baseline - box.top) / r};
  const ImVec2 max{min.x + box.width / r, min.y + box.height / r};
  const ImVec2 clip_min = list->GetClipRectMin(), clip_max = list->GetClipRectMax();
  if (max.x < clip_min.x || min.x > clip_max.x || max.y < clip_min.y || min.y > clip_max.y)
    return;  // not seen: not rasterised either

  const std::uint32_t rgb = ((color >> IM_COL32_R_SHIFT) & 0xFF) << 16 |
                            ((color >> IM_COL32_G_SHIFT) & 0xFF) << 8 |
                            ((color >> IM_COL32_B_SHIFT) & 0xFF);
  std::string key = piece_key(text, style, rtl);
  key.append(reinterpret_cast<const char*>(&rgb), 3);
  auto it = m.placed_pieces.find(key);
  if (it == m.placed_pieces.end()) {
    if (m.new_pieces >= new_pieces_per_frame) {
      m.more_to_draw = true;  // next frame
      return;
    }
    ++m.new_pieces;
    impl::placed p;
    p.drawn = m.packer.place(box.width, box.height, p.x, p.y);
    if (p.drawn)
      m.source.rasterise(text, m.fonts[impl::font_index(style)], rtl, rgb, p.x, p.y, box);
    else
      m.overflowed = true;
    it = m.placed_pieces.emplace(std::move(key), p).first;
  }
  if (!it->second.drawn) return;
  const float texel = 1.0f / atlas_size;
  ImVec2 uv_min{it->second.x * texel, it->second.y * texel};
  ImVec2 uv_max{(it->second.x + box.width) * texel, (it->second.y + box.height) * texel};
  if (m.mirrored) std::swap(uv_min.x, uv_max.x);
  // The bitmap has the text's colour: the vertex colour only carries its opacity.
  const ImU32 tint = IM_COL32(255, 255, 255, (color >> IM_COL32_A_SHIFT) & 0xFF);
  list->PrimReserve(6, 4);
  list->PrimRectUV(min, max, uv_min, uv_max, tint);
}

float text_painter::width(face font, std::string_view text) {
  const text::styled_run run{text, 0};
  const text::paragraph p = text::lay_out(
      {&run, 1}, std::numeric_limits<float>::infinity(),
      [&](std::string_view piece, std::uint8_t, bool rtl) { return measure(piece, {font}, rtl); },
      impl_->dictionary);
  float widest = 0;
  for (const text::line& l : p.lines)
    widest = std::max(widest, l.width);
  return widest;
}

void text_painter::draw(ImDrawList* list, face font, ImVec2 pos, ImU32 color,
                        std::string_view text) {
  draw_wrapped(list, font, pos, std::numeric_limits<float>::infinity(), color, text);
}

float text_painter::draw_wrapped(ImDrawList* list, face font, ImVec2 pos, float max_width,
                                 ImU32 color, std::string_view text, bool measure_only) {
  const text::styled_run run{text, 0};
  const text::paragraph p = text::lay_out(
      {&run, 1}, max_width,
      [&](std::string_view piece, std::uint8_t, bool rtl) { return measure(piece, {font}, rtl); },
      impl_->dictionary);
  const float line_height = face_size(font);
  float y = pos.y;
  for (const text::line& l : p.lines) {
    const float box_width = std::isfinite(max_width) ? max_width : l.width;
    const float x = p.rtl ? box_width - l.width : 0;
    if (!measure_only)
      for (const text::piece& piece : l.pieces) {
        const float left = impl_->mirrored ? box_width - (x + piece.x + piece.width) : x + piece.x;
        draw_piece(list, {pos.x + left, y}, {font}, piece.rtl, color,
                   text.substr(piece.offset, piece.length));
      }
    y += line_height;
  }
  return y - pos.y;
}

void text_painter::upload() {
  impl_->source.upload(impl_->texture);
}

bool text_painter::end_frame() {
  impl& m = *impl_;
  const bool again = (m.overflowed && !m.overflowed_last_frame) || m.more_to_draw;
  // A frame whose text alone overfills the atlas is drawn with what fits, not again and again.
  m.overflowed_last_frame = m.overflowed;
  if (m.overflowed) m.empty_atlas();
  m.overflowed = false;
  m.more_to_draw = false;
  m.new_pieces = 0;
  return again;
}

}  // namespace palaver::web
