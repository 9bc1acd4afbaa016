// Draws what Dear ImGui built for a frame (ImDrawData) with WebGL2: one shader program, one
// vertex and one index buffer, a scissor per clip rectangle. The widget's own renderer rather
// than ImGui's OpenGL3 backend: ImGui draws no text of its own here (text_painter.hpp does), so
// nothing needs ImGui's font atlas built or uploaded, and its default font, its font rasteriser
// and the backend's GL state juggling stay out of the download. Main thread only, with the
// WebGL2 context current.
#pragma once

#include "imgui.h"

namespace palaver::web {

class renderer {
 public:
  // Compiles the shaders and makes the buffers; false (logged) when WebGL refused.
  bool init();
  // Draws `data` into the current framebuffer, `scale` device pixels per ImGui unit.
  void render(const ImDrawData& data, float scale);

 private:
  unsigned program_ = 0, vertex_array_ = 0, vertices_ = 0, indices_ = 0;
  int projection_ = -1, texture_ = -1;
};

// Gives ImGui a font atlas it can use without building one: a font of one blank glyph (ImGui
// measures its own few labels with it; the view draws none), ready before the first frame.
void prepare_glyphless_font(ImFontAtlas& atlas);

}  // namespace palaver::web
