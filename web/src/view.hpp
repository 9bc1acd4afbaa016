// The chat view: draws the view model with Dear ImGui (header, conversation list, message
// bubbles with markdown, streaming reply, banners, the input bar) and turns clicks into the
// view model's intents. It never touches the browser: what it needs from the page (opening a
// link, the clipboard, the DOM text field that overlays the input bar) goes through
// view_services, which the platform layer implements. Main thread only, between
// ImGui::NewFrame() and ImGui::Render().
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "imgui.h"
#include "view_model.hpp"

namespace palaver::web {

// The faces the view draws with; the platform builds them into ImGui's atlas.
struct fonts {
  ImFont* regular = nullptr;
  ImFont* bold = nullptr;     // also headings' face
  ImFont* heading = nullptr;  // bold, larger
  ImFont* mono = nullptr;     // code
};

// Colours, from the theme (light or dark) and the site's brand colour.
struct palette {
  ImU32 background, surface, text, muted, border;
  ImU32 brand, on_brand;  // the brand colour and text drawn on it
  ImU32 user_bubble, user_text, reply_bubble, reply_text, operator_bubble;
  ImU32 code_background, link, error, warning, success;
};

// Builds the palette for light or dark from the brand colour "#rrggbb" (invalid: a default
// blue); the brand is darkened or lightened until text on it is readable (WCAG AA, 4.5:1).
palette make_palette(bool dark, std::string_view brand_color);

// What the view asks of the page.
class view_services {
 public:
  virtual ~view_services() = default;
  virtual void open_link(std::string_view url) = 0;   // in a new tab, without opener
  virtual void copy_text(std::string_view text) = 0;  // to the clipboard
  // Where the DOM text field must sit this frame (CSS pixels, in the canvas), its text colour
  // and whether it is enabled. The view draws the box around it.
  virtual void place_input(ImVec2 min, ImVec2 max, ImU32 text_color, bool enabled) = 0;
  // The field's current text, and clearing it after a send.
  virtual std::string input_text() const = 0;
  virtual void clear_input() = 0;
  virtual void focus_input() = 0;
  virtual void close_widget() = 0;  // the header's close button: tell the host page
};

struct view_options {
  std::string title = "Chat";
  std::string welcome = "Hi! Ask us anything.";
};

class chat_view {
 public:
  chat_view(view_options opts, fonts faces, palette colors);

  void set_palette(palette colors) { colors_ = colors; }
  void set_fonts(fonts faces) { fonts_ = faces; }

  // Draws one frame over the whole display and applies what the visitor did.
  void draw(view_model& model, view_services& services, timestamp_ms now);
  // Enter in the DOM field (without Shift): send what it holds.
  void submit(view_model& model, view_services& services, timestamp_ms now);

  // Whether something moves on screen (the typing dots, a streaming caret): the platform
  // keeps drawing at a low rate while true, and draws nothing while false and idle.
  bool animating() const { return animating_; }

 private:
  view_options options_;
  fonts fonts_;
  palette colors_;
  bool animating_ = false;
  bool show_conversations_ = false;
  bool stick_to_bottom_ = true;
  std::size_t shown_messages_ = 0;  // to scroll down when a new one arrives
};

}  // namespace palaver::web
