// ImGui's draw data on WebGL2. See renderer.hpp.
#include "renderer.hpp"

#include <GLES3/gl3.h>
#include <cmath>
#include <cstdint>
#include <cstdio>

#include "imgui_internal.h"

namespace palaver::web {
namespace {

// Positions in ImGui units mapped to clip space by `transform` (scale x, scale y, offset x,
// offset y); colours are the vertices' bytes; the texture is the painter's atlas (RGBA, text in
// its own colour, a white block for shapes).
constexpr const char* vertex_shader = R"(#version 300 es
uniform vec4 transform;
layout(location = 0) in vec2 position;
layout(location = 1) in vec2 uv;
layout(location = 2) in vec4 color;
out vec2 frag_uv;
out vec4 frag_color;
void main() {
  frag_uv = uv;
  frag_color = color;
  gl_Position = vec4(position * transform.xy + transform.zw, 0.0, 1.0);
})";

constexpr const char* fragment_shader = R"(#version 300 es
precision mediump float;
uniform sampler2D atlas;
in vec2 frag_uv;
in vec4 frag_color;
out vec4 out_color;
void main() {
  out_color = frag_color * texture(atlas, frag_uv);
})";

GLuint compile(GLenum kind, const char* source) {
  const GLuint shader = glCreateShader(kind);
  glShaderSource(shader, 1, &source, nullptr);
  glCompileShader(shader);
  GLint ok = 0;
  glGetShaderiv(shader, GL_COMPILE_STATUS, &ok);
  if (!ok) {
    char log[512] = "";
    glGetShaderInfoLog(shader, sizeof log, nullptr, log);
    std::fprintf(stderr, "palaver: a shader did not compile: %s\n", log);
  }
  return shader;
}

}  // namespace

bool renderer::init() {
  program_ = glCreateProgram();
  const GLuint vertex = compile(GL_VERTEX_SHADER, vertex_shader);
  const GLuint fragment = compile(GL_FRAGMENT_SHADER, fragment_shader);
  glAttachShader(program_, vertex);
  glAttachShader(program_, fragment);
  glLinkProgram(program_);
  glDeleteShader(vertex);  // kept by the program while it lives
  glDeleteShader(fragment);
  GLint linked = 0;
  glGetProgramiv(program_, GL_LINK_STATUS, &linked);
  if (!linked) {
    std::fprintf(stderr, "palaver: the shaders did not link\n");
    return false;
  }
  projection_ = glGetUniformLocation(program_, "transform");
  texture_ = glGetUniformLocation(program_, "atlas");

  glGenVertexArrays(1, &vertex_array_);
  glGenBuffers(1, &vertices_);
  glGenBuffers(1, &indices_);
  glBindVertexArray(vertex_array_);
  glBindBuffer(GL_ARRAY_BUFFER, vertices_);
  glBindBuffer(GL_ELEMENT_ARRAY_BUFFER, indices_);  // part of the vertex array's state
  const auto attribute = [](GLuint index, GLint size, GLenum type, bool normalized,
                            std::size_t offset) {
    glEnableVertexAttribArray(index);
    glVertexAttribPointer(index, size, type, normalized ? GL_TRUE : GL_FALSE, sizeof(ImDrawVert),
                          reinterpret_cast<const void*>(offset));
  };
  attribute(0, 2, GL_FLOAT, false, offsetof(ImDrawVert, pos));
  attribute(1, 2, GL_FLOAT, false, offsetof(ImDrawVert, uv));
  attribute(2, 4, GL_UNSIGNED_BYTE, true, offsetof(ImDrawVert, col));
  glBindVertexArray(0);
  return true;
}

void renderer::render(const ImDrawData& data, float scale) {
  const ImVec2 origin = data.DisplayPos, size = data.DisplaySize;
  const int framebuffer_height = static_cast<int>(std::lround(size.y * scale));
  if (size.x <= 0 || size.y <= 0) return;

  // Colour blended over what is there; the frame's alpha stays opaque.
  glEnable(GL_BLEND);
  glBlendEquation(GL_FUNC_ADD);
  glBlendFuncSeparate(GL_SRC_ALPHA, GL_ONE_MINUS_SRC_ALPHA, GL_ONE, GL_ONE_MINUS_SRC_ALPHA);
  glDisable(GL_CULL_FACE);
  glDisable(GL_DEPTH_TEST);
  glEnable(GL_SCISSOR_TEST);
  glUseProgram(program_);
  glUniform4f(projection_, 2 / size.x, -2 / size.y, -1 - 2 * origin.x / size.x,
              1 + 2 * origin.y / size.y);
  glUniform1i(texture_, 0);
  glActiveTexture(GL_TEXTURE0);
  glBindVertexArray(vertex_array_);

  constexpr GLenum index_type = sizeof(ImDrawIdx) == 2 ? GL_UNSIGNED_SHORT : GL_UNSIGNED_INT;
  for (int i = 0; i < data.CmdListsCount; ++i) {
    const ImDrawList& list = *data.CmdLists[i];
    glBufferData(GL_ARRAY_BUFFER, list.VtxBuffer.Size * static_cast<GLsizeiptr>(sizeof(ImDrawVert)),
                 list.VtxBuffer.Data, GL_STREAM_DRAW);
    glBufferData(GL_ELEMENT_ARRAY_BUFFER,
                 list.IdxBuffer.Size * static_cast<GLsizeiptr>(sizeof(ImDrawIdx)),
                 list.IdxBuffer.Data, GL_STREAM_DRAW);
    for (const ImDrawCmd& cmd : list.CmdBuffer) {
      // The view sets no callbacks, and without ImGuiBackendFlags_RendererHasVtxOffset every
      // command's vertices start at 0.
      const int left = static_cast<int>((cmd.ClipRect.x - origin.x) * scale);
      const int top = static_cast<int>((cmd.ClipRect.y - origin.y) * scale);
      const int right = static_cast<int>(std::ceil((cmd.ClipRect.z - origin.x) * scale));
      const int bottom = static_cast<int>(std::ceil((cmd.ClipRect.w - origin.y) * scale));
      if (right <= left || bottom <= top || cmd.ElemCount == 0) continue;
      glScissor(left, framebuffer_height - bottom, right - left, bottom - top);
      glBindTexture(GL_TEXTURE_2D,
                    static_cast<GLuint>(reinterpret_cast<std::intptr_t>(cmd.GetTexID())));
      glDrawElements(GL_TRIANGLES, static_cast<GLsizei>(cmd.ElemCount), index_type,
                     reinterpret_cast<const void*>(cmd.IdxOffset * sizeof(ImDrawIdx)));
    }
  }
  glBindVertexArray(0);
  glDisable(GL_SCISSOR_TEST);
}

void prepare_glyphless_font(ImFontAtlas& atlas) {
  // AddFont wants a font file; nothing reads it, since nothing builds this atlas.
  static unsigned char no_file = 0;
  constexpr float size = 13;  // ImGui's own default: its paddings and wheel step stay as meant
  ImFontConfig config;
  config.FontData = &no_file;
  config.FontDataSize = 1;
  config.SizePixels = size;
  ImFont* font = atlas.AddFont(&config);
  ImFontAtlasBuildSetupFont(&atlas, font, &atlas.ConfigData.back(), size * 0.8f, -size * 0.2f);
  font->AddGlyph(&atlas.ConfigData.back(), ' ', 0, 0, 0, 0, 0, 0, 0, 0, size * 0.25f);
  font->BuildLookupTable();
  atlas.TexReady = true;  // what ImGui::NewFrame() checks; the painter's atlas is the texture
}

}  // namespace palaver::web
