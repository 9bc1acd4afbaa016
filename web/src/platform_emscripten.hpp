// The browser as the widget sees it: the page's options, the WebGL2 context, DOM input, the
// WebSocket, timers and animation frames, localStorage, fetch, the DOM text field over the
// input bar, the clipboard, the ARIA log and postMessage with the host page. The only code
// that includes Emscripten headers; main.cpp drives it through these functions and hears the
// page through one `browser_events`. Main thread only (the browser's).
//
// Sections: types · start-up · frames and timers · socket · storage and fetch · host page ·
// DOM text field · clipboard and links · ARIA log · page state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace palaver::web::browser {

// ---- types --------------------------------------------------------------------------------

// What the page was opened with: `?site=` and the loader's hash (`#title=…&host=…`).
struct page_options {
  std::string site;   // the site id; empty: the server's default site
  std::string host;   // the host page's origin when framed by the loader, else ""
  std::string title;  // the header's title; empty: the view's default
  std::string color;  // the brand colour "#rrggbb"; empty: the view's default
  std::string theme;  // "light", "dark" or "auto" (follows the OS)
  std::string lang;   // the widget's language, as the page asks (data-lang); empty: the browser's
  std::string greeting;     // the page's own words for the greeting and the field's
  std::string placeholder;  // placeholder; empty: the catalogue's
};

// Pointer, wheel, keyboard and focus events of the canvas, in CSS pixels.
struct input_event {
  enum class kind : std::uint8_t {
    pointer_move,
    pointer_down,
    pointer_up,
    pointer_leave,
    wheel,     // x, y: the scroll in CSS pixels (positive: content moves up / left)
    key_down,  // key: the DOM keyCode
    key_up,
    character,  // key: a code point typed while the canvas has focus
    blur,       // the canvas or the window lost focus: every key and button is up
  };
  enum modifier : std::uint8_t { ctrl = 1, shift = 2, alt = 4, meta = 8 };

  kind type = kind::pointer_move;
  float x = 0, y = 0;  // the pointer's position, or the wheel's scroll
  int button = 0;      // the DOM button: 0 main, 1 middle, 2 secondary
  int key = 0;
  std::uint8_t modifiers = 0;
  bool touch = false;  // a finger, not a mouse or pen
};

enum class host_command { open, close, identify, send };

// The page's own words, in the widget's language (catalogue.hpp).
struct page_words {
  std::string lang;  // <html lang>
  bool rtl = false;  // <html dir>
  std::string title;
  std::string input_label, placeholder;  // the text field's
  std::string canvas_label, log_label;
  std::string loading, no_webgl;  // the loading state's
};

// What the page tells the widget. Every call comes from the browser's event loop.
class browser_events {
 public:
  virtual ~browser_events() = default;
  // An animation frame asked for with request_frame(); returns whether it drew.
  virtual bool animation_frame() = 0;
  virtual void timer(int slot) = 0;
  // The canvas's size in CSS pixels and the device pixel ratio; the backing store already is
  // size × ratio (cleared: draw at once).
  virtual void resized(float css_width, float css_height, float pixel_ratio) = 0;
  virtual void input(const input_event& event) = 0;
  // The visitor typed in the DOM text field, or pressed Enter in it (without Shift and not
  // while composing with an IME).
  virtual void text_field_changed() = 0;
  virtual void text_field_submitted() = 0;
  // Escape in the text field or the canvas: the loader's contract says it closes the panel.
  virtual void escape_pressed() = 0;
  // The catalogue asked for with load_catalogue() arrived: its JSON, or nullopt when it could
  // not be fetched.
  virtual void catalogue_loaded(std::optional<std::string_view> json) = 0;
  virtual void socket_opened() = 0;
  virtual void socket_closed() = 0;
  virtual void socket_message(std::string_view text) = 0;
  // GET /api/v1/conversations answered: its body, or nullopt when it failed.
  virtual void conversations_listed(std::optional<std::string_view> body) = 0;
  // A message from the host page (already checked: its origin and its window).
  virtual void host_message(host_command command, std::string_view argument) = 0;
  virtual void online_changed(bool online) = 0;
  // The OS switched between light and dark.
  virtual void color_scheme_changed(bool dark) = 0;
};

// ---- start-up -----------------------------------------------------------------------------

page_options read_page_options();
// Installs the page's event listeners; `events` must outlive the page. Reports the first
// resized() before returning.
void start(browser_events& events);
// A WebGL2 context on #palaver-canvas, made current. False: no WebGL2 here.
bool create_gl_context();
// Fetches the widget's words in language `tag` (i18n/<tag>.json, with the site's own words
// from the server): catalogue_loaded() once.
void load_catalogue(const std::string& tag);
// The browser's languages, most preferred first (navigator.languages).
std::vector<std::string> browser_languages();
// Puts the widget's language on the page: <html lang dir>, <title>, the accessible names.
void set_page_words(const page_words& words);
// `when` in the page's language (<html lang>) and the visitor's time zone: the time of day,
// or the date and time.
std::string format_time(std::int64_t when, bool with_date);
bool online();
bool prefers_dark();
// Milliseconds since the Unix epoch (Date.now()), and a monotonic clock for frame timing.
std::int64_t now_ms();
double monotonic_ms();

// ---- frames and timers --------------------------------------------------------------------

// One animation_frame() at the next repaint; asking twice before it runs asks once.
void request_frame();
// timer(slot) once, after `delay_ms`; setting a slot again replaces its earlier time.
void set_timer(int slot, double delay_ms);
void cancel_timer(int slot);

// ---- socket -------------------------------------------------------------------------------

// Opens ws(s)://<this page's host>/ws, closing (and silencing) any socket opened before.
void open_socket();
void send_on_socket(std::string_view text);
// Closes the socket; none of its later events reach browser_events.
void close_socket();

// ---- storage and fetch --------------------------------------------------------------------

// localStorage of the widget's origin; "" when absent or when storage is not available.
std::string load_item(const std::string& key);
// An empty value removes the item.
void store_item(const std::string& key, const std::string& value);
// GET /api/v1/conversations with the Bearer token (and the site, when not the default).
void list_conversations(const std::string& token, const std::string& site);

// ---- host page ----------------------------------------------------------------------------

// postMessage({palaver: 1, type, ...}) to the host page; nothing when not framed.
void post_ready();
void post_close();
// The launcher's title and unread label ("{title} ({count} unread)") in the widget's language.
void post_labels(const std::string& title, const std::string& unread);
void post_unread(int count);
void post_message(const std::string& id, std::string_view role, const std::string& text,
                  std::int64_t created_at);

// ---- DOM text field -----------------------------------------------------------------------

struct text_field_place {
  float x = 0, y = 0, width = 0, height = 0;  // CSS pixels
  std::string color;                          // CSS colour of the text
  bool enabled = true;
  bool shown = false;
  friend bool operator==(const text_field_place&, const text_field_place&) = default;
};
void place_text_field(const text_field_place& place);
std::string text_field_value();
void clear_text_field();
void focus_text_field();
// Lines the field's text takes at its current width (1…5).
int text_field_lines();

// ---- clipboard and links ------------------------------------------------------------------

void copy_to_clipboard(const std::string& text);
// A new tab without opener; only mailto: and absolute http(s) links with a host.
void open_link(const std::string& url);
// The canvas's CSS cursor ("default", "pointer", "text", ...).
void set_cursor(const char* cursor);

// ---- ARIA log -----------------------------------------------------------------------------

// Adds the node of message `id` (before the node of `before_id`, or last) or replaces its
// text. `role` goes in data-role, `text` is the node's whole textContent.
void log_put(const std::string& id, std::string_view role, const std::string& text,
             const std::string& before_id);
void log_remove(const std::string& id);

// ---- page state ---------------------------------------------------------------------------

// data-palaver-<name>="<value>" on <html>: the page's CSS (the loading state) and tests read
// it. "state": loading | ready | error; "connection": the view model's connection state.
void set_page_state(const char* name, std::string_view value);

}  // namespace palaver::web::browser
