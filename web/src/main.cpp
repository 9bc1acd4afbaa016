// The widget's program: one `widget` joins the view model, the chat view, Dear ImGui with its
// OpenGL3 (WebGL2) renderer, and the browser (platform_emscripten.hpp). It draws on demand
// only: when the model's revision moved, input arrived, or the view animates (then at ~15 fps
// from a timer); an idle or hidden widget draws nothing. Main thread only.
//
// Sections: constants · the widget (start-up, fonts, frames, input, the model's effects, the
// page's events, view services) · main.
#include <GLES3/gl3.h>
#include <algorithm>
#include <array>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "aria_log.hpp"
#include "browser_glyphs.hpp"
#include "imgui.h"
#include "platform_emscripten.hpp"
#include "renderer.hpp"
#include "view.hpp"
#include "view_model.hpp"

namespace palaver::web {
namespace {

namespace br = browser;

// ---- constants ----------------------------------------------------------------------------

// Frames drawn after input, so that hover and active states catch up with the pointer.
constexpr int settle_frames = 3;
constexpr double animation_interval_ms = 66;  // ~15 fps while the view animates
// Finger travel before a touch becomes a scroll rather than a tap, in CSS pixels.
constexpr float touch_slop_px = 8;

enum timer_slot : int {
  tick_timer = 0,
  animation_timer = 1,
  handshake_timer = 2,
  catalogue_timer = 3,
};
// The first frame waits for the visitor's language; a server that does not send it is not
// waited for longer than this (the widget then speaks English).
constexpr double catalogue_wait_ms = 3000;
// Framed, the widget waits for the loader's first `open` or `close` (which follows its
// `identify`, if any) before it connects, so that it authenticates once; a host page that
// never answers is not waited for longer than this.
constexpr double handshake_wait_ms = 2000;

// DOM keyCodes, which are also the indices of io.KeysDown.
enum dom_key : int {
  key_backspace = 8,
  key_tab = 9,
  key_enter = 13,
  key_escape = 27,
  key_space = 32,
  key_page_up = 33,
  key_page_down = 34,
  key_end = 35,
  key_home = 36,
  key_left = 37,
  key_up = 38,
  key_right = 39,
  key_down = 40,
  key_insert = 45,
  key_delete = 46,
};

std::string css_color(ImU32 color) {
  const ImVec4 c = ImGui::ColorConvertU32ToFloat4(color);
  char text[48];
  std::snprintf(text, sizeof text, "rgba(%d,%d,%d,%.3f)", int(c.x * 255 + 0.5f),
                int(c.y * 255 + 0.5f), int(c.z * 255 + 0.5f), c.w);
  return text;
}

const char* css_cursor(ImGuiMouseCursor cursor) {
  switch (cursor) {
    case ImGuiMouseCursor_TextInput:
      return "text";
    case ImGuiMouseCursor_Hand:
      return "pointer";
    case ImGuiMouseCursor_ResizeNS:
      return "ns-resize";
    case ImGuiMouseCursor_ResizeEW:
      return "ew-resize";
    case ImGuiMouseCursor_NotAllowed:
      return "not-allowed";
    case ImGuiMouseCursor_None:
      return "none";
    default:
      return "default";
  }
}

// A right-to-left interface is drawn left-to-right and flipped here, vertices and clip
// rectangles, around the vertical axis of a display `width` wide (its text was drawn
// pre-flipped: text_painter::set_mirrored).
void flip_horizontally(ImDrawData& data, float width) {
  for (int i = 0; i < data.CmdListsCount; ++i) {
    ImDrawList& list = *data.CmdLists[i];
    for (ImDrawVert& v : list.VtxBuffer)
      v.pos.x = width - v.pos.x;
    for (ImDrawCmd& cmd : list.CmdBuffer) {
      const float left = width - cmd.ClipRect.z;
      cmd.ClipRect.z = width - cmd.ClipRect.x;
      cmd.ClipRect.x = left;
    }
  }
}

// ---- the widget ---------------------------------------------------------------------------

class widget final : public br::browser_events, public view_services {
 public:
  explicit widget(br::page_options page)
      : page_(std::move(page)),
        token_key_("palaver.token." + page_.site),
        conversation_key_("palaver.conversation." + page_.site),
        model_(model_options(), br::now_ms()),
        log_(&words_) {}

  void start();

  // browser_events
  bool animation_frame() override;
  void timer(int slot) override;
  void resized(float css_width, float css_height, float pixel_ratio) override;
  void input(const br::input_event& event) override;
  void text_field_changed() override { request_draw(); }
  void text_field_submitted() override;
  void escape_pressed() override;
  void catalogue_loaded(std::optional<std::string_view> json) override;
  void socket_opened() override;
  void socket_closed() override;
  void socket_message(std::string_view text) override;
  void conversations_listed(std::optional<std::string_view> body) override;
  void host_message(br::host_command command, std::string_view argument) override;
  void online_changed(bool online) override;
  void color_scheme_changed(bool dark) override;

  // view_services
  void open_link(std::string_view url) override { br::open_link(std::string(url)); }
  void copy_text(std::string_view text) override;
  void place_input(ImVec2 min, ImVec2 max, ImU32 text_color, bool enabled) override;
  std::string input_text() const override { return br::text_field_value(); }
  void clear_input() override { br::clear_text_field(); }
  void focus_input() override { want_focus_ = true; }
  int input_lines() const override { return br::text_field_lines(); }
  void close_widget() override { br::post_close(); }
  std::string format_time(timestamp_ms when, bool with_date) const override;

 private:
  view_model::options model_options() const;
  bool dark() const;
  void speak();  // shows the view in words_' language
  palette colors() const { return make_palette(dark(), page_.color); }

  bool can_draw() const { return view_ && visible_; }
  void request_draw();
  void draw();
  void apply_input();
  // A page x as the view sees it: flipped in a right-to-left interface.
  float view_x(float x) const { return mirrored_ ? css_width_ - x : x; }
  void redraw_after_input();

  void pump();
  void carry_out(effect& e);
  void schedule_tick();
  void mirror();

  br::page_options page_;
  std::string token_key_, conversation_key_;
  std::string language_;  // the catalogue asked for
  // Times as the browser formatted them: Intl costs ~20 µs a call, and every message on
  // screen shows its time in every frame.
  mutable std::unordered_map<std::int64_t, std::string> times_;
  catalogue words_;  // the visitor's language, English until its catalogue arrives
  view_model model_;
  renderer renderer_;
  br::browser_glyphs glyphs_;
  std::optional<text_painter> painter_;  // once WebGL is there
  std::optional<chat_view> view_;
  aria_log log_;

  bool gl_ready_ = false;
  bool visible_ = false;
  bool first_frame_drawn_ = false;
  bool os_dark_ = false;
  float css_width_ = 1, css_height_ = 1, pixel_ratio_ = 1;
  bool mirrored_ = false;  // a right-to-left language: the frame is flipped (flip_horizontally)

  std::uint64_t drawn_revision_ = 0;
  std::uint64_t mirrored_revision_ = 0;
  int settle_ = 0;
  double last_frame_ms_ = 0;
  std::deque<br::input_event> inputs_;
  struct touch_state {
    bool down = false;
    bool scrolling = false;
    float start_x = 0, start_y = 0, last_x = 0, last_y = 0;
  } touch_;
  std::string clipboard_;  // what the widget copied last, for ImGui's own paste
  const char* cursor_ = "";

  br::text_field_place field_;
  bool field_placed_ = false;  // the view placed the field during this frame
  bool want_focus_ = false;    // focus the field once it is placed (it may be hidden now)

  bool awaiting_host_ = false;  // framed: no connecting before the loader's first open/close
  std::optional<timestamp_ms> scheduled_wakeup_;
  std::string stored_conversation_;
  connection_state shown_connection_ = connection_state::connecting;
  bool connection_shown_ = false;
};

// -- start-up

view_model::options widget::model_options() const {
  view_model::options opts;
  opts.site = page_.site;
  opts.stored_token = br::load_item(token_key_);
  opts.last_conversation_id = br::load_item(conversation_key_);
  opts.words = &words_;
  // Client message ids and backoff jitter need no cryptographic randomness.
  opts.random = [state = static_cast<std::uint64_t>(br::now_ms()) ^
                         static_cast<std::uint64_t>(br::monotonic_ms() * 1000)]() mutable {
    state += 0x9e3779b97f4a7c15ULL;
    std::uint64_t z = state;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  };
  return opts;
}

bool widget::dark() const {
  if (page_.theme == "dark") return true;
  if (page_.theme == "light") return false;
  return os_dark_;
}

void widget::start() {
  stored_conversation_ = model_.current_conversation_id();
  os_dark_ = br::prefers_dark();
  br::set_page_state("state", "loading");
  br::set_page_state("theme", dark() ? "dark" : "light");
  br::start(*this);  // reports the size at once
  if (!br::create_gl_context()) {
    br::set_page_state("state", "error");
  } else {
    IMGUI_CHECKVERSION();
    ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = nullptr;
    io.LogFilename = nullptr;
    io.ConfigFlags |= ImGuiConfigFlags_NavEnableKeyboard;
    io.BackendPlatformName = "palaver_browser";
    io.BackendFlags |= ImGuiBackendFlags_HasMouseCursors;
    const std::pair<ImGuiKey, int> keys[] = {
        {ImGuiKey_Tab, key_tab},
        {ImGuiKey_LeftArrow, key_left},
        {ImGuiKey_RightArrow, key_right},
        {ImGuiKey_UpArrow, key_up},
        {ImGuiKey_DownArrow, key_down},
        {ImGuiKey_PageUp, key_page_up},
        {ImGuiKey_PageDown, key_page_down},
        {ImGuiKey_Home, key_home},
        {ImGuiKey_End, key_end},
        {ImGuiKey_Insert, key_insert},
        {ImGuiKey_Delete, key_delete},
        {ImGuiKey_Backspace, key_backspace},
        {ImGuiKey_Space, key_space},
        {ImGuiKey_Enter, key_enter},
        {ImGuiKey_Escape, key_escape},
        {ImGuiKey_KeyPadEnter, key_enter},
        {ImGuiKey_A, 'A'},
        {ImGuiKey_C, 'C'},
        {ImGuiKey_V, 'V'},
        {ImGuiKey_X, 'X'},
        {ImGuiKey_Y, 'Y'},
        {ImGuiKey_Z, 'Z'},
    };
    for (const auto& [imgui_key, dom_key] : keys)
      io.KeyMap[imgui_key] = dom_key;
    io.ClipboardUserData = this;
    io.SetClipboardTextFn = [](void* self, const char* text) {
      static_cast<widget*>(self)->copy_text(text);
    };
    io.GetClipboardTextFn = [](void* self) {
      return static_cast<const char*>(static_cast<widget*>(self)->clipboard_.c_str());
    };
    ImGui::GetStyle().WindowBorderSize = 0;
    // ImGui draws no text (text_painter does) and its texture is the painter's atlas: its font
    // is a blank one, and it bakes no lines into a texture.
    io.Fonts->Flags |= ImFontAtlasFlags_NoBakedLines;
    prepare_glyphless_font(*io.Fonts);
    gl_ready_ = renderer_.init();
    if (!gl_ready_) br::set_page_state("state", "error");
  }
  // The page's own words win over every language's.
  if (!page_.title.empty()) words_.override(msg::title, page_.title);
  if (!page_.greeting.empty()) words_.override(msg::greeting, page_.greeting);
  if (!page_.placeholder.empty()) words_.override(msg::input_placeholder, page_.placeholder);
  language_ = choose_language(page_.lang, br::browser_languages());
  br::load_catalogue(language_);
  br::set_timer(catalogue_timer, catalogue_wait_ms);
  if (!br::online()) model_.browser_online(false, br::now_ms());
  // Framed by the loader: hidden until the host page says `open`. Alone: shown.
  if (page_.host.empty()) {
    visible_ = true;
    want_focus_ = true;
    model_.set_visible(true);
  } else {
    awaiting_host_ = true;
    br::set_timer(handshake_timer, handshake_wait_ms);
  }
  br::post_ready();
  pump();
}

// -- language

void widget::catalogue_loaded(std::optional<std::string_view> json) {
  if (painter_ || !json) return speak();  // too late, or none: as it is
  if (auto texts = parse_catalogue(language_, *json); texts.has_value())
    words_.use(std::move(*texts));
  speak();
}

void widget::speak() {
  if (painter_) return;  // spoken already (the catalogue, or its timer, came second)
  const bool rtl = is_rtl(words_.tag());
  br::page_words page;
  page.lang = words_.tag();
  page.rtl = rtl;
  page.title = std::string(words_.text(msg::title));
  page.input_label = std::string(words_.text(msg::input_label));
  page.placeholder = std::string(words_.text(msg::input_placeholder));
  page.canvas_label = std::string(words_.text(msg::canvas_label));
  page.log_label = std::string(words_.text(msg::log_label));
  page.loading = std::string(words_.text(msg::page_loading));
  page.no_webgl = std::string(words_.text(msg::page_no_webgl));
  br::set_page_words(page);
  br::post_labels(page.title, std::string(words_.text(msg::launcher_unread)));
  if (!gl_ready_) return;
  mirrored_ = rtl;
  painter_.emplace(glyphs_);
  painter_->set_pixel_ratio(pixel_ratio_);
  painter_->set_language(words_.tag());
  painter_->set_mirrored(rtl);
  view_.emplace(words_, *painter_, colors());
  request_draw();
}

std::string widget::format_time(timestamp_ms when, bool with_date) const {
  const std::int64_t key = when * 2 + (with_date ? 1 : 0);
  auto it = times_.find(key);
  if (it == times_.end()) {
    if (times_.size() >= 4096) times_.clear();  // a bound: a long visit meets many times
    it = times_.emplace(key, br::format_time(when, with_date)).first;
  }
  return it->second;
}

// -- frames

void widget::request_draw() {
  if (can_draw()) br::request_frame();
}

bool widget::animation_frame() {
  if (!can_draw()) return false;
  draw();
  if (!inputs_.empty() || settle_ > 0 || model_.revision() != drawn_revision_)
    br::request_frame();
  else if (view_->animating())
    br::set_timer(animation_timer, animation_interval_ms);
  return true;
}

void widget::draw() {
  ImGuiIO& io = ImGui::GetIO();
  painter_->set_pixel_ratio(pixel_ratio_);
  const double now = br::monotonic_ms();
  io.DeltaTime = last_frame_ms_ > 0
                     ? static_cast<float>(std::clamp((now - last_frame_ms_) / 1000.0, 1e-4, 1.0))
                     : 1.0f / 60;
  last_frame_ms_ = now;
  io.DisplaySize = ImVec2(css_width_, css_height_);
  io.DisplayFramebufferScale = ImVec2(pixel_ratio_, pixel_ratio_);
  apply_input();
  if (settle_ > 0) --settle_;

  ImGui::NewFrame();
  drawn_revision_ = model_.revision();
  field_placed_ = false;
  view_->draw(model_, *this, br::now_ms());
  ImGui::Render();
  if (mirrored_) flip_horizontally(*ImGui::GetDrawData(), css_width_);

  const ImVec4 clear = ImGui::ColorConvertU32ToFloat4(colors().background);
  glViewport(0, 0, static_cast<int>(std::lround(css_width_ * pixel_ratio_)),
             static_cast<int>(std::lround(css_height_ * pixel_ratio_)));
  glClearColor(clear.x, clear.y, clear.z, 1);
  glClear(GL_COLOR_BUFFER_BIT);
  painter_->upload();
  renderer_.render(*ImGui::GetDrawData(), pixel_ratio_);
  if (painter_->end_frame()) br::request_frame();

  if (!field_placed_ && field_.shown) {
    field_.shown = false;
    br::place_text_field(field_);
  }
  if (want_focus_ && field_.shown) {
    want_focus_ = false;
    br::focus_text_field();
  }
  const char* cursor = css_cursor(ImGui::GetMouseCursor());
  if (cursor != cursor_) br::set_cursor(cursor_ = cursor);
  if (!first_frame_drawn_) {
    first_frame_drawn_ = true;
    br::set_page_state("state", "ready");
  }
  pump();  // what the visitor did during the frame
}

// -- input

void widget::redraw_after_input() {
  settle_ = settle_frames;
  request_draw();
}

void widget::input(const br::input_event& event) {
  using kind = br::input_event::kind;
  if (!event.touch || event.type == kind::pointer_leave || event.type == kind::blur) {
    inputs_.push_back(event);
    redraw_after_input();
    return;
  }
  // A finger: a tap clicks where it lifts, a drag scrolls (as a wheel would).
  br::input_event e = event;
  switch (event.type) {
    case kind::pointer_down:
      touch_ = {true, false, event.x, event.y, event.x, event.y};
      e.type = kind::pointer_move;
      inputs_.push_back(e);
      break;
    case kind::pointer_move:
      if (!touch_.down) return;
      if (!touch_.scrolling &&
          std::hypot(event.x - touch_.start_x, event.y - touch_.start_y) < touch_slop_px)
        return;
      touch_.scrolling = true;
      e.type = kind::wheel;
      e.x = event.x - touch_.last_x;
      e.y = event.y - touch_.last_y;
      touch_.last_x = event.x;
      touch_.last_y = event.y;
      inputs_.push_back(e);
      break;
    case kind::pointer_up:
      if (!touch_.down) return;
      touch_.down = false;
      if (!touch_.scrolling) {
        e.type = kind::pointer_down;
        inputs_.push_back(e);
        e.type = kind::pointer_up;
        inputs_.push_back(e);
      }
      e.type = kind::pointer_leave;  // no hover after the finger left
      inputs_.push_back(e);
      break;
    default:
      inputs_.push_back(e);
  }
  redraw_after_input();
}

// Hands queued input to ImGui. ImGui 1.86 reads button and key state once per frame, so a
// press and its release that came between two frames are spread over two: the queue stops
// at the second change of the same button or key.
void widget::apply_input() {
  using kind = br::input_event::kind;
  ImGuiIO& io = ImGui::GetIO();
  std::array<bool, 5> button_changed{};
  std::array<bool, 512> key_changed{};
  // ImGui's wheel step is five lines of its current font (ImGui::UpdateMouseWheel): its own,
  // never drawn, but the unit its scrolling counts in.
  const float wheel_step = 5 * io.Fonts->Fonts[0]->FontSize * io.FontGlobalScale;
  bool full = false;  // a button or key changed twice: the rest waits for the next frame
  while (!inputs_.empty() && !full) {
    const br::input_event& e = inputs_.front();
    switch (e.type) {
      case kind::pointer_move:
        io.MousePos = ImVec2(view_x(e.x), e.y);
        break;
      case kind::pointer_down:
      case kind::pointer_up: {
        // DOM buttons: 0 main, 1 middle, 2 secondary; ImGui's: 0 left, 1 right, 2 middle.
        const int button = e.button == 1 ? 2 : e.button == 2 ? 1 : e.button;
        if (button < 0 || button >= 5) break;
        if (button_changed[button]) {
          full = true;
          continue;
        }
        button_changed[button] = true;
        io.MousePos = ImVec2(view_x(e.x), e.y);
        io.MouseDown[button] = e.type == kind::pointer_down;
        break;
      }
      case kind::pointer_leave:
        // Not in the frame of a release: the button under the pointer must see it released.
        if (std::find(button_changed.begin(), button_changed.end(), true) != button_changed.end()) {
          full = true;
          continue;
        }
        if (std::any_of(std::begin(io.MouseDown), std::end(io.MouseDown), [](bool b) { return b; }))
          break;  // captured: a drag goes on outside
        io.MousePos = ImVec2(-FLT_MAX, -FLT_MAX);
        break;
      case kind::wheel:
        io.MouseWheelH += (mirrored_ ? -e.x : e.x) / wheel_step;
        io.MouseWheel += e.y / wheel_step;
        break;
      case kind::key_down:
      case kind::key_up: {
        if (e.key <= 0 || e.key >= 512) break;
        // A mirrored view is laid out left to right: the arrow the visitor sees point left
        // moves to what the view has on its right.
        int key = e.key;
        if (mirrored_ && (key == key_left || key == key_right))
          key = key == key_left ? key_right : key_left;
        if (key_changed[key]) {
          full = true;
          continue;
        }
        key_changed[key] = true;
        io.KeysDown[key] = e.type == kind::key_down;
        break;
      }
      case kind::character:
        io.AddInputCharacter(static_cast<unsigned>(e.key));
        break;
      case kind::blur:
        std::fill(std::begin(io.KeysDown), std::end(io.KeysDown), false);
        std::fill(std::begin(io.MouseDown), std::end(io.MouseDown), false);
        io.AddFocusEvent(false);
        break;
    }
    if (e.type == kind::key_down || e.type == kind::key_up || e.type == kind::pointer_down ||
        e.type == kind::pointer_up) {
      io.KeyCtrl = e.modifiers & br::input_event::ctrl;
      io.KeyShift = e.modifiers & br::input_event::shift;
      io.KeyAlt = e.modifiers & br::input_event::alt;
      io.KeySuper = e.modifiers & br::input_event::meta;
    }
    inputs_.pop_front();
  }
  // Enter presses the focused button too, not only Space (ImGui 1.86 maps Enter to text input).
  if (io.KeysDown[key_enter]) io.NavInputs[ImGuiNavInput_Activate] = 1;
}

void widget::escape_pressed() {
  // An open ImGui popup takes Escape for itself.
  if (ImGui::GetCurrentContext() && ImGui::IsPopupOpen("", ImGuiPopupFlags_AnyPopup)) return;
  br::post_close();
}

void widget::text_field_submitted() {
  if (!view_) return;
  view_->submit(model_, *this, br::now_ms());
  pump();
  redraw_after_input();
}

// -- the model's effects

void widget::pump() {
  for (std::vector<effect> effects = model_.take_effects(); !effects.empty();
       effects = model_.take_effects())
    for (effect& e : effects)
      carry_out(e);
  schedule_tick();
  if (model_.current_conversation_id() != stored_conversation_) {
    stored_conversation_ = model_.current_conversation_id();
    br::store_item(conversation_key_, stored_conversation_);
  }
  if (model_.revision() != mirrored_revision_) mirror();
  if (model_.revision() != drawn_revision_) request_draw();
}

void widget::carry_out(effect& e) {
  std::visit(
      [&](auto& x) {
        using type = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<type, send_effect>) {
          br::send_on_socket(x.frame);
        } else if constexpr (std::is_same_v<type, open_socket_effect>) {
          br::open_socket();
        } else if constexpr (std::is_same_v<type, close_socket_effect>) {
          br::close_socket();
        } else if constexpr (std::is_same_v<type, store_token_effect>) {
          br::store_item(token_key_, x.token);
        } else if constexpr (std::is_same_v<type, list_conversations_effect>) {
          br::list_conversations(x.token, page_.site);
        } else if constexpr (std::is_same_v<type, host_effect>) {
          if (const auto* m = std::get_if<host_message_event>(&x.event))
            br::post_message(m->msg.id, to_string(m->msg.author_role), m->msg.text,
                             m->msg.created_at);
          else if (const auto* u = std::get_if<host_unread_event>(&x.event))
            br::post_unread(u->count);
        }
      },
      e);
}

void widget::schedule_tick() {
  const std::optional<timestamp_ms> wakeup = awaiting_host_ ? std::nullopt : model_.next_wakeup();
  if (wakeup == scheduled_wakeup_) return;
  scheduled_wakeup_ = wakeup;
  if (wakeup)
    br::set_timer(tick_timer,
                  static_cast<double>(std::max<timestamp_ms>(0, *wakeup - br::now_ms())));
  else
    br::cancel_timer(tick_timer);
}

// The ARIA log and the connection state on <html>, after every change of the model.
void widget::mirror() {
  mirrored_revision_ = model_.revision();
  for (const log_operation& op : log_.update(model_)) {
    if (op.what == log_operation::kind::put)
      br::log_put(op.id, op.role, op.text, op.before_id);
    else
      br::log_remove(op.id);
  }
  if (!connection_shown_ || model_.connection() != shown_connection_) {
    static constexpr const char* names[] = {"connecting", "online", "reconnecting", "offline"};
    shown_connection_ = model_.connection();
    connection_shown_ = true;
    br::set_page_state("connection", names[static_cast<int>(shown_connection_)]);
  }
}

// -- the page's events

void widget::timer(int slot) {
  if (slot == tick_timer) {
    scheduled_wakeup_.reset();
    model_.tick(br::now_ms());
    pump();
  } else if (slot == animation_timer) {
    request_draw();
  } else if (slot == handshake_timer && awaiting_host_) {
    awaiting_host_ = false;
    pump();
  } else if (slot == catalogue_timer) {
    speak();
  }
}

void widget::resized(float css_width, float css_height, float pixel_ratio) {
  css_width_ = std::max(css_width, 1.0f);
  css_height_ = std::max(css_height, 1.0f);
  pixel_ratio_ = std::clamp(pixel_ratio, 0.5f, 4.0f);
  // Resizing cleared the canvas: draw now, not at the next frame, so nothing flashes.
  if (can_draw()) animation_frame();
}

void widget::socket_opened() {
  model_.socket_opened(br::now_ms());
  pump();
}

void widget::socket_closed() {
  model_.socket_closed(br::now_ms());
  pump();
}

void widget::socket_message(std::string_view text) {
  model_.frame_received(text, br::now_ms());
  pump();
}

void widget::conversations_listed(std::optional<std::string_view> body) {
  model_.conversations_listed(body);
  pump();
}

void widget::host_message(br::host_command command, std::string_view argument) {
  const timestamp_ms now = br::now_ms();
  if (command == br::host_command::open || command == br::host_command::close) {
    awaiting_host_ = false;
    br::cancel_timer(handshake_timer);
  }
  switch (command) {
    case br::host_command::open:
      visible_ = true;
      model_.set_visible(true);
      want_focus_ = true;
      break;
    case br::host_command::close:
      visible_ = false;
      model_.set_visible(false);
      break;
    case br::host_command::identify:
      model_.identify(std::string(argument), now);
      break;
    case br::host_command::send:
      model_.send_text(argument, now);
      break;
  }
  pump();
  request_draw();
}

void widget::online_changed(bool online) {
  model_.browser_online(online, br::now_ms());
  pump();
}

void widget::color_scheme_changed(bool dark) {
  os_dark_ = dark;
  br::set_page_state("theme", this->dark() ? "dark" : "light");
  if (view_) view_->set_palette(colors());
  request_draw();
}

// -- view services

void widget::copy_text(std::string_view text) {
  clipboard_ = std::string(text);
  br::copy_to_clipboard(clipboard_);
}

void widget::place_input(ImVec2 min, ImVec2 max, ImU32 text_color, bool enabled) {
  field_placed_ = true;
  br::text_field_place place;
  place.x = mirrored_ ? view_x(max.x) : min.x;
  place.y = min.y;
  place.width = std::max(0.0f, max.x - min.x);
  place.height = std::max(0.0f, max.y - min.y);
  place.color = css_color(text_color);
  place.enabled = enabled;
  place.shown = true;
  if (place == field_) return;
  field_ = std::move(place);
  br::place_text_field(field_);
}

}  // namespace
}  // namespace palaver::web

// ---- main ---------------------------------------------------------------------------------

int main() {
  // Lives as long as the page: the browser's event loop drives it after main returns.
  static palaver::web::widget app(palaver::web::browser::read_page_options());
  app.start();
  return 0;
}
