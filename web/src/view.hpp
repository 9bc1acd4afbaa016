// The chat view: draws the view model with Dear ImGui (header, conversation list, message
// bubbles with markdown, streaming reply, banners, the input bar) and turns clicks into the
// view model's intents. It never touches the browser: what it needs from the page (opening a
// link, the clipboard, the DOM text field that overlays the input bar) goes through
// view_services, which the platform layer implements. Main thread only, between
// ImGui::NewFrame() and ImGui::Render().
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "catalogue.hpp"
#include "imgui.h"
#include "text_painter.hpp"
#include "theme.hpp"
#include "view_model.hpp"

namespace palaver::web {

struct layout_style;  // message_layout.hpp

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
  // Lines the field's text takes at its width (1 … 5): a view may grow the bar to fit them.
  virtual int input_lines() const { return 1; }
  virtual void close_widget() = 0;  // the header's close button: tell the host page
  // A time of day (a message's), or a date and time (a conversation's), in the visitor's
  // language and time zone.
  virtual std::string format_time(timestamp_ms when, bool with_date) const = 0;
};

class chat_view {
 public:
  // The words and the painter outlive the view.
  chat_view(const catalogue& words, text_painter& painter, palette colors);
  ~chat_view();
  chat_view(const chat_view&) = delete;
  chat_view& operator=(const chat_view&) = delete;

  void set_palette(palette colors) { colors_ = colors; }

  // Draws one frame over the whole display and applies what the visitor did.
  void draw(view_model& model, view_services& services, timestamp_ms now);
  // Enter in the DOM field (without Shift): send what it holds.
  void submit(view_model& model, view_services& services, timestamp_ms now);

  // Whether something moves on screen (the typing dots, a streaming caret): the platform
  // keeps drawing at a low rate while true, and draws nothing while false and idle.
  bool animating() const { return animating_; }

 private:
  struct layout_cache;
  struct row;

  float draw_header(view_model& model, view_services& services, float width);
  float draw_strip(const view_model& model, float top, float width);
  void draw_conversations(view_model& model, view_services& services, ImVec2 min, ImVec2 max);
  void draw_messages(view_model& model, view_services& services, ImVec2 min, ImVec2 max,
                     timestamp_ms now);
  void draw_welcome(ImDrawList* list, ImVec2 origin, float width, float height);
  void draw_row(view_model& model, view_services& services, const row& r, ImVec2 origin,
                float width, bool last_reply);
  void draw_actions(view_model& model, view_services& services, const message& m, ImVec2 pos,
                    bool last_reply);
  void draw_typing(ImDrawList* list, ImVec2 pos, const view_model& model, timestamp_ms now);
  void draw_ask(view_model& model, const ask_frame& ask, ImVec2 pos, float width);
  float banners_height(const view_model& model, float width) const;
  void draw_banners(view_model& model, ImVec2 pos, float width);
  void draw_input(view_model& model, view_services& services, ImVec2 pos, float width,
                  timestamp_ms now);
  layout_style style_for(role author) const;

  const catalogue& words_;
  text_painter& painter_;
  palette colors_;
  std::unique_ptr<layout_cache> cache_;
  bool animating_ = false;
  bool show_conversations_ = false;
  bool stick_to_bottom_ = true;
  std::size_t shown_messages_ = 0;  // rows drawn last frame: a change needs one more frame
  float last_total_ = 0;            // content height last frame
  std::string anchor_id_;           // the first message last frame, to keep the view still
  float anchor_top_ = 0;            // when older messages arrive above it
};

}  // namespace palaver::web
