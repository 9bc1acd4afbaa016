// Text drawn as the browser rasterises it. Each piece of text (a word, a space, a run of one
// style and one direction: text/line_layout.hpp cuts them) is measured once and rasterised
// once, in colour, into a glyph atlas by the page (a glyph_source), then drawn as one textured
// quad. The atlas is ImGui's texture too (it holds ImGui's white pixel), so a frame is still
// one draw call per clip rectangle. When the atlas is full it is emptied and the frame drawn
// again; a frame rasterises a few dozen new pieces at most, the rest the next frames. Main thread
// only, between ImGui::NewFrame() and the render.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "imgui.h"
#include "text/line_layout.hpp"

namespace palaver::web {

// The faces the view draws with. A face's size is its line box in CSS pixels (what ImGui calls
// a font size); its em is smaller (em_per_size).
enum class face : std::uint8_t { regular, bold, heading, mono, small, count_ };

inline constexpr float body_size = 17;
inline constexpr float small_size = 13.5f;
inline constexpr float heading_size = 21;
inline constexpr float code_size = 15.5f;
float face_size(face f);

struct text_style {
  face font = face::regular;
  bool italic = false;
};

// A piece's metrics in device pixels: its advance, and the box its ink fits in (the bitmap):
// `left` from the pen, `top` above the baseline.
struct ink_box {
  float advance = 0;
  int left = 0, top = 0, width = 0, height = 0;
};

// What the page does for the painter (browser_glyphs.hpp). `font` is a CSS font shorthand at
// device pixels.
class glyph_source {
 public:
  virtual ~glyph_source() = default;
  virtual ink_box measure(std::string_view text, const std::string& font, bool rtl) = 0;
  // Draws `text` in `color` (0xRRGGBB) into the page's copy of the atlas, the bitmap's top-left
  // at (x, y).
  virtual void rasterise(std::string_view text, const std::string& font, bool rtl,
                         std::uint32_t color, int x, int y, const ink_box& box) = 0;
  // Empties the page's copy of the atlas (size × size, transparent) but for a white 4×4
  // block at its top-left corner.
  virtual void clear_atlas(int size) = 0;
  // Sends what changed in the page's copy since the last upload to `texture`.
  virtual void upload(unsigned texture) = 0;
  // Where words start in a run of text written without spaces (Thai, Lao, Khmer, Myanmar).
  virtual std::vector<std::size_t> dictionary_words(std::u32string_view run) = 0;
};

class text_painter {
 public:
  // Needs ImGui's context: the painter's atlas becomes ImGui's texture, with its white pixel.
  explicit text_painter(glyph_source& source);
  ~text_painter();
  text_painter(const text_painter&) = delete;
  text_painter& operator=(const text_painter&) = delete;

  // Device pixels per CSS pixel. Another ratio empties the caches: lay text out again.
  void set_pixel_ratio(float ratio);
  float pixel_ratio() const;
  // The widget's language (a catalogue tag): which Chinese, Japanese or Korean faces come
  // first, for their forms of the characters they share.
  void set_language(std::string_view tag);
  // Changes each time laid-out text may have changed (a new ratio, mirroring): layouts are
  // keyed on it.
  std::uint32_t generation() const;

  // A right-to-left interface is drawn left-to-right and flipped as a whole at the end of the
  // frame (main.cpp), but its text must read the right way: while `on`, text is placed
  // flipped within its own box and each bitmap drawn mirrored, so that the final flip puts
  // both right. The view then needs no code of its own for right-to-left.
  void set_mirrored(bool on);
  bool mirrored() const;

  // A piece (see line_layout.hpp): its width in CSS pixels, and drawing it with its line box's
  // top-left at `pos` (screen coordinates; when mirrored, where the flip will move its right
  // edge).
  float measure(std::string_view text, text_style style, bool rtl);
  void draw_piece(ImDrawList* list, ImVec2 pos, text_style style, bool rtl, ImU32 color,
                  std::string_view text);

  // Any text on one line (ordered for display, never wrapped; newlines are spaces).
  float width(face font, std::string_view text);
  void draw(ImDrawList* list, face font, ImVec2 pos, ImU32 color, std::string_view text);
  // Text wrapped within `max_width`, right-aligned when it is right-to-left; returns its
  // height. `measure_only` lays out without drawing.
  float draw_wrapped(ImDrawList* list, face font, ImVec2 pos, float max_width, ImU32 color,
                     std::string_view text, bool measure_only = false);

  // The browser's word starts for text without spaces, for line_layout.
  const text::dictionary_fn& dictionary() const;

  ImTextureID texture() const;
  // Before the render: sends the frame's new glyphs to the GPU. After it: true when the frame
  // should be drawn again, because some text waits for its turn to be rasterised (a few dozen
  // new pieces a frame) or the atlas filled up (it has been emptied).
  void upload();
  bool end_frame();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace palaver::web
