// The browser side of the widget. See platform_emscripten.hpp.
//
// JavaScript lives in the EM_JS functions below, one small job each; what the page calls back
// enters through the palaver_* exports at the end. The page's elements (#palaver-canvas,
// #palaver-input, #palaver-log) come from public/widget.html. JS state is kept in Module.pv.
//
// Sections: page options · start-up (listeners) · frames and timers · socket · storage and
// fetch · host page · text field, clipboard, links, cursor · ARIA log · the C++ side · exports.
#include "platform_emscripten.hpp"

#include <cstdlib>
#include <emscripten/em_js.h>
#include <emscripten/emscripten.h>
#include <emscripten/html5_webgl.h>
#include <emscripten/websocket.h>

namespace {

// JavaScript, not C++: clang-format would split its === and !== (and stringification keeps
// what it is given).
// clang-format off

// ---- page options -------------------------------------------------------------------------

// The query's `site` and the loader's hash parameters, parsed once. `host` counts only when
// the page is framed and it is a plain origin: messages are exchanged with nobody else.
EM_JS(char*, js_page_param, (const char* name), {
  if (!Module.pvParams) {
    var hash = new URLSearchParams(location.hash.slice(1));
    var p = {site: new URLSearchParams(location.search).get("site") || ""};
    ["title", "color", "theme", "lang", "greeting", "placeholder"].forEach(function(k) { p[k] = hash.get(k) || ""; });
    var host = hash.get("host") || "";
    try {
      p.host = window.parent !== window && new URL(host).origin === host ? host : "";
    } catch (e) {
      p.host = "";
    }
    Module.pvParams = p;
  }
  return allocateUTF8(Module.pvParams[UTF8ToString(name)] || "");
});

// ---- start-up: the page's listeners -------------------------------------------------------

// Every listener of the page. Input goes to _palaver_input with its kind numbered as
// input_event::kind is (0 pointer_move … 8 blur).
EM_JS(void, js_start, (), {
  var pv = Module.pv = {timers: {}, raf: 0, nodes: new Map(), lines: 1};
  var canvas = pv.canvas = document.getElementById("palaver-canvas");
  var field = pv.field = document.getElementById("palaver-input");
  pv.log = document.getElementById("palaver-log");
  pv.stats = window.palaverStats = {frames: 0, frameMs: [], missingGlyphs: 0, missingCodepoints: []};

  function mods(e) {
    return (e.ctrlKey ? 1 : 0) | (e.shiftKey ? 2 : 0) | (e.altKey ? 4 : 0) | (e.metaKey ? 8 : 0);
  }
  function send(kind, e, x, y, button, key) {
    _palaver_input(kind, x, y, button, key, mods(e), e.pointerType === "touch" ? 1 : 0);
  }
  function pointer(kind) {
    return function(e) {
      var r = canvas.getBoundingClientRect();
      send(kind, e, e.clientX - r.left, e.clientY - r.top, e.button, 0);
    };
  }
  canvas.addEventListener("pointerdown", function(e) {
    // The text field keeps the focus (and a phone its keyboard) while the canvas is clicked.
    e.preventDefault();
    if (canvas.setPointerCapture) canvas.setPointerCapture(e.pointerId);
    pointer(1)(e);
  });
  canvas.addEventListener("pointermove", pointer(0));
  canvas.addEventListener("pointerup", pointer(2));
  canvas.addEventListener("pointercancel", pointer(2));
  canvas.addEventListener("pointerleave", function(e) {
    if (e.pointerType !== "touch") pointer(3)(e);
  });
  canvas.addEventListener("wheel", function(e) {
    // Ctrl+wheel (and a trackpad's pinch) stays the browser's zoom.
    if (e.ctrlKey) return;
    e.preventDefault();
    var unit = e.deltaMode === 1 ? 16 : e.deltaMode === 2 ? canvas.clientHeight : 1;
    send(4, e, -e.deltaX * unit, -e.deltaY * unit, 0, 0);
  }, {passive: false});
  canvas.addEventListener("contextmenu", function(e) { e.preventDefault(); });
  // A lost WebGL context (a GPU reset, a phone reclaiming memory) comes back as a fresh page:
  // the token and the conversation are in storage, and the loader answers a new `ready`.
  canvas.addEventListener("webglcontextlost", function(e) { e.preventDefault(); });
  canvas.addEventListener("webglcontextrestored", function() { location.reload(); });
  var owned = [8, 13, 27, 32, 33, 34, 35, 36, 37, 38, 39, 40, 45, 46];
  canvas.addEventListener("keydown", function(e) {
    // Tab moves the page's focus on: the canvas is no keyboard trap.
    if (e.keyCode === 9) return;
    send(5, e, 0, 0, 0, e.keyCode);
    var typed = e.key.length === 1 && !e.ctrlKey && !e.metaKey;
    if (typed) send(7, e, 0, 0, 0, e.key.codePointAt(0));
    if (typed || owned.indexOf(e.keyCode) >= 0) e.preventDefault();
    if (e.keyCode === 27) _palaver_escape();
  });
  canvas.addEventListener("keyup", function(e) { send(6, e, 0, 0, 0, e.keyCode); });
  canvas.addEventListener("blur", function(e) { send(8, e, 0, 0, 0, 0); });
  window.addEventListener("blur", function(e) { send(8, e, 0, 0, 0, 0); });

  pv.line = function() { return parseFloat(getComputedStyle(field).lineHeight) || 18; };
  pv.measure = function() {
    var height = field.style.height, style = getComputedStyle(field);
    field.style.height = "0px";
    var text = field.scrollHeight - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom);
    pv.lines = Math.max(1, Math.min(5, Math.round(text / pv.line())));
    field.style.height = height;
  };
  field.addEventListener("keydown", function(e) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      _palaver_text_submitted();
    } else if (e.key === "Escape" && !e.isComposing) {
      _palaver_escape();
    }
  });
  field.addEventListener("input", function() {
    pv.measure();
    _palaver_text_changed();
  });

  pv.resize = function() {
    var ratio = window.devicePixelRatio || 1;
    var w = canvas.clientWidth || window.innerWidth, h = canvas.clientHeight || window.innerHeight;
    var bw = Math.max(1, Math.round(w * ratio)), bh = Math.max(1, Math.round(h * ratio));
    if (canvas.width !== bw) canvas.width = bw;
    if (canvas.height !== bh) canvas.height = bh;
    _palaver_resized(w, h, ratio);
  };
  window.addEventListener("resize", pv.resize);
  // A window moved to another screen changes the ratio without resizing anything.
  function watchRatio() {
    var query = matchMedia("(resolution: " + (window.devicePixelRatio || 1) + "dppx)");
    query.addEventListener("change", function() {
      pv.resize();
      watchRatio();
    }, {once: true});
  }
  watchRatio();

  window.addEventListener("online", function() { _palaver_online(1); });
  window.addEventListener("offline", function() { _palaver_online(0); });
  matchMedia("(prefers-color-scheme: dark)").addEventListener("change", function(e) {
    _palaver_color_scheme(e.matches ? 1 : 0);
  });

  var commands = {open: 0, close: 1, identify: 2, send: 3};
  window.addEventListener("message", function(e) {
    var host = Module.pvParams && Module.pvParams.host, m = e.data;
    if (!host || e.origin !== host || e.source !== window.parent) return;
    if (!m || m.palaver !== 1 || !Object.prototype.hasOwnProperty.call(commands, m.type)) return;
    var argument = m.type === "identify" ? m.token : m.type === "send" ? m.text : "";
    if (typeof argument !== "string") return;
    var p = allocateUTF8(argument);
    _palaver_host_message(commands[m.type], p);
    _free(p);
  });
  pv.resize();
});

EM_JS(void, js_load_catalogue, (const char* tag), {
  var url = "i18n/" + UTF8ToString(tag) + ".json", s = Module.pvParams.site;
  if (s) url += "?site=" + encodeURIComponent(s);
  fetch(url, {credentials: "same-origin"}).then(function(r) {
    if (!r.ok) throw new Error("HTTP " + r.status);
    return r.text();
  }).then(function(text) {
    var p = allocateUTF8(text);
    _palaver_catalogue_loaded(p);
    _free(p);
  }).catch(function() { _palaver_catalogue_loaded(0); });
});

EM_JS(void, js_set_page_words, (const char* lang, int rtl, const char* title,
                                const char* input_label, const char* placeholder,
                                const char* canvas_label, const char* log_label,
                                const char* loading, const char* no_webgl), {
  var root = document.documentElement, field = document.getElementById("palaver-input");
  root.lang = UTF8ToString(lang);
  root.dir = rtl ? "rtl" : "ltr";
  document.title = UTF8ToString(title);
  field.setAttribute("aria-label", UTF8ToString(input_label));
  field.placeholder = UTF8ToString(placeholder);
  document.getElementById("palaver-canvas").setAttribute("aria-label", UTF8ToString(canvas_label));
  document.getElementById("palaver-log").setAttribute("aria-label", UTF8ToString(log_label));
  var state = document.getElementById("palaver-loading");
  state.querySelector(".loading").textContent = UTF8ToString(loading);
  state.querySelector(".error").textContent = UTF8ToString(no_webgl);
  Module.pv.times = {};
});

// Intl's formats for <html lang>, made once each.
EM_JS(char*, js_format_time, (double when, int with_date), {
  var pv = Module.pv, key = with_date ? "date" : "time";
  if (!pv.times) pv.times = {};
  if (!pv.times[key]) {
    var options = with_date ? {month: "short", day: "numeric", hour: "numeric", minute: "2-digit"}
                            : {hour: "numeric", minute: "2-digit"};
    pv.times[key] = new Intl.DateTimeFormat(document.documentElement.lang || undefined, options);
  }
  return allocateUTF8(pv.times[key].format(new Date(when)));
});

// navigator.languages, one per line.
EM_JS(char*, js_browser_languages, (), {
  return allocateUTF8((navigator.languages || [navigator.language || ""]).join("\n"));
});

EM_JS(int, js_online, (), { return navigator.onLine === false ? 0 : 1; });
EM_JS(int, js_prefers_dark, (), {
  return matchMedia("(prefers-color-scheme: dark)").matches ? 1 : 0;
});
EM_JS(double, js_now, (), { return Date.now(); });

// ---- frames and timers --------------------------------------------------------------------

// palaverStats.frames counts the frames drawn: tests check that an idle widget draws none.
EM_JS(void, js_request_frame, (), {
  var pv = Module.pv;
  if (pv.raf) return;
  pv.raf = requestAnimationFrame(function() {
    pv.raf = 0;
    var start = performance.now();
    if (!_palaver_animation_frame()) return;
    pv.stats.frames++;
    // The last 1000 frames' CPU time (ms), for bench/widget_text.mjs.
    var times = pv.stats.frameMs;
    times.push(performance.now() - start);
    if (times.length > 1000) times.shift();
  });
});
EM_JS(void, js_set_timer, (int slot, double ms), {
  var timers = Module.pv.timers;
  clearTimeout(timers[slot]);
  timers[slot] = setTimeout(function() {
    delete timers[slot];
    _palaver_timer(slot);
  }, ms);
});
EM_JS(void, js_cancel_timer, (int slot), {
  clearTimeout(Module.pv.timers[slot]);
  delete Module.pv.timers[slot];
});

// ---- socket -------------------------------------------------------------------------------

EM_JS(char*, js_socket_url, (), {
  return allocateUTF8((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws");
});

// ---- storage and fetch --------------------------------------------------------------------

// Storage can be refused (privacy settings, sandboxing): then nothing is kept.
EM_JS(char*, js_load_item, (const char* key), {
  try {
    var value = localStorage.getItem(UTF8ToString(key));
    return value === null ? 0 : allocateUTF8(value);
  } catch (e) {
    return 0;
  }
});
EM_JS(void, js_store_item, (const char* key, const char* value), {
  try {
    var k = UTF8ToString(key), v = UTF8ToString(value);
    if (v) localStorage.setItem(k, v);
    else localStorage.removeItem(k);
  } catch (e) {
  }
});
EM_JS(void, js_list_conversations, (const char* token, const char* site), {
  var headers = {Authorization: "Bearer " + UTF8ToString(token)}, s = UTF8ToString(site);
  if (s) headers["X-Palaver-Site"] = s;
  function answer(text) {
    var p = text === null ? 0 : allocateUTF8(text);
    _palaver_conversations_listed(p);
    if (p) _free(p);
  }
  fetch("/api/v1/conversations", {headers: headers, credentials: "omit", cache: "no-store"})
    .then(function(r) { return r.ok ? r.text() : null; })
    .then(answer, function() { answer(null); });
});

// ---- host page ----------------------------------------------------------------------------

EM_JS(void, js_post_host,
      (const char* type, const char* id, const char* role, const char* text, double number), {
  var host = Module.pvParams && Module.pvParams.host;
  if (!host) return;
  var m = {palaver: 1, type: UTF8ToString(type)};
  if (m.type === "message") {
    m.message = {id: UTF8ToString(id), role: UTF8ToString(role), text: UTF8ToString(text),
                 created_at: number};
  } else if (m.type === "unread") {
    m.count = number;
  }
  window.parent.postMessage(m, host);
});

// The launcher's words in the widget's language: its title, and its label with unread replies
// ("{title} ({count} unread)").
EM_JS(void, js_post_labels, (const char* title, const char* unread), {
  var host = Module.pvParams && Module.pvParams.host;
  if (!host) return;
  window.parent.postMessage(
      {palaver: 1, type: "labels", title: UTF8ToString(title), unread: UTF8ToString(unread)}, host);
});

// ---- text field, clipboard, links, cursor -------------------------------------------------

EM_JS(void, js_place_field,
      (double x, double y, double w, double h, const char* color, int enabled, int shown), {
  var field = Module.pv.field, s = field.style;
  s.display = shown ? "block" : "none";
  s.left = x + "px";
  s.top = y + "px";
  s.width = w + "px";
  s.height = h + "px";
  var line = Module.pv.line(), pad = Math.max(0, (h - line * Math.max(1, Math.floor(h / line))) / 2);
  s.paddingTop = s.paddingBottom = pad + "px";
  s.color = UTF8ToString(color);
  field.disabled = !enabled;
});
EM_JS(char*, js_field_value, (), { return allocateUTF8(Module.pv.field.value); });
EM_JS(void, js_clear_field, (), {
  Module.pv.field.value = "";
  Module.pv.measure();
});
EM_JS(void, js_focus_field, (), { Module.pv.field.focus({preventScroll: true}); });
EM_JS(int, js_field_lines, (), { return Module.pv.lines; });

// The async Clipboard API, else a selected off-screen textarea and execCommand("copy").
EM_JS(void, js_copy, (const char* text), {
  var value = UTF8ToString(text);
  function fallback() {
    var focused = document.activeElement, area = document.createElement("textarea");
    area.value = value;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.left = "-9999px";
    document.body.appendChild(area);
    area.select();
    try {
      document.execCommand("copy");
    } catch (e) {
    }
    area.remove();
    if (focused && focused.focus) focused.focus({preventScroll: true});
  }
  if (navigator.clipboard && navigator.clipboard.writeText)
    navigator.clipboard.writeText(value).catch(fallback);
  else
    fallback();
});
// Defence in depth behind markdown.cpp's safe_href: the browser's own parser, with no base (a
// relative link throws instead of resolving against the widget's origin). An http(s) link must
// also be written as its scheme, "//" and a host, with nothing a browser would quietly repair
// (spaces, control characters, a backslash, "https:/x", "https:///x"): is_web_url's rule.
EM_JS(void, js_open_link, (const char* url), {
  var raw = UTF8ToString(url), link;
  try {
    link = new URL(raw);
  } catch (e) {
    return;
  }
  var scheme = link.protocol, web = scheme === "http:" || scheme === "https:";
  if (!web && scheme !== "mailto:") return;
  if (web) {
    var host = raw.charAt(scheme.length + 2);
    if (raw.slice(0, scheme.length + 2).toLowerCase() !== scheme + "//" || host === "" ||
        host === "/") return;
    for (var i = 0; i < raw.length; ++i) {
      var c = raw.charCodeAt(i);
      if (c <= 32 || c === 127 || c === 92) return;  // 92: a backslash
    }
  }
  window.open(link.href, "_blank", "noopener,noreferrer");
});
EM_JS(void, js_set_cursor, (const char* cursor), {
  Module.pv.canvas.style.cursor = UTF8ToString(cursor);
});

// ---- ARIA log -----------------------------------------------------------------------------

// A node's text is set before it is inserted: the live region announces it whole, once.
EM_JS(void, js_log_put, (const char* id, const char* role, const char* text, const char* before), {
  var pv = Module.pv, key = UTF8ToString(id), content = UTF8ToString(text);
  var node = pv.nodes.get(key);
  if (node) {
    if (node.textContent !== content) node.textContent = content;
    return;
  }
  node = document.createElement("div");
  node.setAttribute("data-id", key);
  node.setAttribute("data-role", UTF8ToString(role));
  node.dir = "auto";  // each message reads in its own direction
  node.textContent = content;
  pv.nodes.set(key, node);
  pv.log.insertBefore(node, pv.nodes.get(UTF8ToString(before)) || null);
});
EM_JS(void, js_log_remove, (const char* id), {
  var key = UTF8ToString(id), node = Module.pv.nodes.get(key);
  if (!node) return;
  node.remove();
  Module.pv.nodes.delete(key);
});

EM_JS(void, js_set_state, (const char* name, const char* value), {
  document.documentElement.setAttribute("data-palaver-" + UTF8ToString(name), UTF8ToString(value));
});

// clang-format on

// ---- the C++ side -------------------------------------------------------------------------

using palaver::web::browser::browser_events;
using palaver::web::browser::input_event;

browser_events* events = nullptr;
EMSCRIPTEN_WEBSOCKET_T current_socket = 0;

// A timer slot of the platform's own: a socket that could not even be created closes from
// the event loop, not from inside the call that opened it.
constexpr int socket_failed_slot = 1000;

// A string JS allocated (allocateUTF8), taken over.
std::string take(char* text) {
  if (!text) return {};
  std::string value(text);
  std::free(text);
  return value;
}

EM_BOOL on_socket_open(int, const EmscriptenWebSocketOpenEvent* event, void*) {
  if (event->socket == current_socket) events->socket_opened();
  return EM_TRUE;
}

EM_BOOL on_socket_message(int, const EmscriptenWebSocketMessageEvent* event, void*) {
  // Text arrives NUL-terminated, the NUL counted in numBytes.
  if (event->socket == current_socket && event->isText && event->numBytes > 0)
    events->socket_message(
        std::string_view(reinterpret_cast<const char*>(event->data), event->numBytes - 1));
  return EM_TRUE;
}

EM_BOOL on_socket_close(int, const EmscriptenWebSocketCloseEvent* event, void*) {
  if (event->socket != current_socket) return EM_TRUE;
  emscripten_websocket_delete(current_socket);
  current_socket = 0;
  events->socket_closed();
  return EM_TRUE;
}

}  // namespace

namespace palaver::web::browser {

page_options read_page_options() {
  page_options page;
  page.site = take(js_page_param("site"));
  page.host = take(js_page_param("host"));
  page.title = take(js_page_param("title"));
  page.color = take(js_page_param("color"));
  page.theme = take(js_page_param("theme"));
  page.lang = take(js_page_param("lang"));
  page.greeting = take(js_page_param("greeting"));
  page.placeholder = take(js_page_param("placeholder"));
  return page;
}

void start(browser_events& handler) {
  events = &handler;
  js_start();
}

bool create_gl_context() {
  EmscriptenWebGLContextAttributes attributes;
  emscripten_webgl_init_context_attributes(&attributes);
  attributes.alpha = EM_FALSE;
  attributes.depth = EM_FALSE;
  attributes.stencil = EM_FALSE;
  attributes.antialias = EM_FALSE;
  attributes.powerPreference = EM_WEBGL_POWER_PREFERENCE_LOW_POWER;
  attributes.majorVersion = 2;
  attributes.minorVersion = 0;
  const EMSCRIPTEN_WEBGL_CONTEXT_HANDLE context =
      emscripten_webgl_create_context("#palaver-canvas", &attributes);
  return context > 0 && emscripten_webgl_make_context_current(context) == EMSCRIPTEN_RESULT_SUCCESS;
}

void load_catalogue(const std::string& tag) {
  js_load_catalogue(tag.c_str());
}

void set_page_words(const page_words& words) {
  js_set_page_words(words.lang.c_str(), words.rtl ? 1 : 0, words.title.c_str(),
                    words.input_label.c_str(), words.placeholder.c_str(),
                    words.canvas_label.c_str(), words.log_label.c_str(), words.loading.c_str(),
                    words.no_webgl.c_str());
}

std::string format_time(std::int64_t when, bool with_date) {
  return take(js_format_time(static_cast<double>(when), with_date ? 1 : 0));
}

std::vector<std::string> browser_languages() {
  const std::string all = take(js_browser_languages());
  std::vector<std::string> tags;
  std::size_t start = 0;
  while (start < all.size()) {
    const std::size_t end = std::min(all.find('\n', start), all.size());
    if (end > start) tags.push_back(all.substr(start, end - start));
    start = end + 1;
  }
  return tags;
}
bool online() {
  return js_online() != 0;
}
bool prefers_dark() {
  return js_prefers_dark() != 0;
}
std::int64_t now_ms() {
  return static_cast<std::int64_t>(js_now());
}
double monotonic_ms() {
  return emscripten_get_now();
}

void request_frame() {
  js_request_frame();
}
void set_timer(int slot, double delay_ms) {
  js_set_timer(slot, delay_ms);
}
void cancel_timer(int slot) {
  js_cancel_timer(slot);
}

void open_socket() {
  close_socket();
  const std::string url = take(js_socket_url());
  EmscriptenWebSocketCreateAttributes attributes;
  emscripten_websocket_init_create_attributes(&attributes);
  attributes.url = url.c_str();
  attributes.protocols = nullptr;
  const EMSCRIPTEN_WEBSOCKET_T created = emscripten_websocket_new(&attributes);
  if (created <= 0) {
    js_set_timer(socket_failed_slot, 0);
    return;
  }
  current_socket = created;
  emscripten_websocket_set_onopen_callback(current_socket, nullptr, on_socket_open);
  emscripten_websocket_set_onmessage_callback(current_socket, nullptr, on_socket_message);
  emscripten_websocket_set_onclose_callback(current_socket, nullptr, on_socket_close);
  // An error is always followed by a close: the close is what counts.
}

void send_on_socket(std::string_view text) {
  if (!current_socket) return;
  const std::string frame(text);
  emscripten_websocket_send_utf8_text(current_socket, frame.c_str());
}

void close_socket() {
  if (!current_socket) return;
  emscripten_websocket_close(current_socket, 1000, "");
  emscripten_websocket_delete(current_socket);  // drops its handlers: no late events
  current_socket = 0;
}

std::string load_item(const std::string& key) {
  return take(js_load_item(key.c_str()));
}
void store_item(const std::string& key, const std::string& value) {
  js_store_item(key.c_str(), value.c_str());
}
void list_conversations(const std::string& token, const std::string& site) {
  js_list_conversations(token.c_str(), site.c_str());
}

void post_ready() {
  js_post_host("ready", "", "", "", 0);
}
void post_close() {
  js_post_host("close", "", "", "", 0);
}
void post_labels(const std::string& title, const std::string& unread) {
  js_post_labels(title.c_str(), unread.c_str());
}
void post_unread(int count) {
  js_post_host("unread", "", "", "", count);
}
void post_message(const std::string& id, std::string_view role, const std::string& text,
                  std::int64_t created_at) {
  js_post_host("message", id.c_str(), std::string(role).c_str(), text.c_str(),
               static_cast<double>(created_at));
}

void place_text_field(const text_field_place& place) {
  js_place_field(place.x, place.y, place.width, place.height, place.color.c_str(), place.enabled,
                 place.shown);
}
std::string text_field_value() {
  return take(js_field_value());
}
void clear_text_field() {
  js_clear_field();
}
void focus_text_field() {
  js_focus_field();
}
int text_field_lines() {
  return js_field_lines();
}

void copy_to_clipboard(const std::string& text) {
  js_copy(text.c_str());
}
void open_link(const std::string& url) {
  js_open_link(url.c_str());
}
void set_cursor(const char* cursor) {
  js_set_cursor(cursor);
}

void log_put(const std::string& id, std::string_view role, const std::string& text,
             const std::string& before_id) {
  js_log_put(id.c_str(), std::string(role).c_str(), text.c_str(), before_id.c_str());
}
void log_remove(const std::string& id) {
  js_log_remove(id.c_str());
}

void set_page_state(const char* name, std::string_view value) {
  js_set_state(name, std::string(value).c_str());
}

}  // namespace palaver::web::browser

// ---- exports: what the page's JavaScript calls --------------------------------------------

extern "C" {

EMSCRIPTEN_KEEPALIVE int palaver_animation_frame() {
  return events->animation_frame() ? 1 : 0;
}

EMSCRIPTEN_KEEPALIVE void palaver_timer(int slot) {
  if (slot == socket_failed_slot)
    events->socket_closed();
  else
    events->timer(slot);
}

EMSCRIPTEN_KEEPALIVE void palaver_resized(double width, double height, double ratio) {
  events->resized(static_cast<float>(width), static_cast<float>(height), static_cast<float>(ratio));
}

EMSCRIPTEN_KEEPALIVE void palaver_input(int kind, double x, double y, int button, int key,
                                        int modifiers, int touch) {
  input_event event;
  event.type = static_cast<input_event::kind>(kind);
  event.x = static_cast<float>(x);
  event.y = static_cast<float>(y);
  event.button = button;
  event.key = key;
  event.modifiers = static_cast<std::uint8_t>(modifiers);
  event.touch = touch != 0;
  events->input(event);
}

EMSCRIPTEN_KEEPALIVE void palaver_text_changed() {
  events->text_field_changed();
}

EMSCRIPTEN_KEEPALIVE void palaver_text_submitted() {
  events->text_field_submitted();
}

EMSCRIPTEN_KEEPALIVE void palaver_escape() {
  events->escape_pressed();
}

EMSCRIPTEN_KEEPALIVE void palaver_catalogue_loaded(const char* json) {
  if (json)
    events->catalogue_loaded(std::string_view(json));
  else
    events->catalogue_loaded(std::nullopt);
}

EMSCRIPTEN_KEEPALIVE void palaver_conversations_listed(const char* body) {
  if (body)
    events->conversations_listed(std::string_view(body));
  else
    events->conversations_listed(std::nullopt);
}

EMSCRIPTEN_KEEPALIVE void palaver_host_message(int command, const char* argument) {
  if (command < 0 || command > 3) return;
  events->host_message(static_cast<palaver::web::browser::host_command>(command), argument);
}

EMSCRIPTEN_KEEPALIVE void palaver_online(int online) {
  events->online_changed(online != 0);
}

EMSCRIPTEN_KEEPALIVE void palaver_color_scheme(int dark) {
  events->color_scheme_changed(dark != 0);
}

}  // extern "C"
