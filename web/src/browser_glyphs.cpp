// The browser's text. See browser_glyphs.hpp.
//
// JS state is kept in Module.pvGlyphs: the atlas copy (a canvas the CPU reads back, hence
// willReadFrequently), the font and direction last set on it, the regions drawn since the last
// upload, and what the missing-glyph probe learnt per family and code point.
#include "browser_glyphs.hpp"

#include <algorithm>
#include <emscripten/em_js.h>
#include <emscripten/emscripten.h>

#include "text/utf8.hpp"

namespace {

// JavaScript, not C++: clang-format would split its === and !==.
// clang-format off

// The atlas copy, made on first use; emptied but for the white block ImGui draws shapes with.
EM_JS(void, js_glyphs_clear, (int size), {
  var g = Module.pvGlyphs;
  if (!g) {
    var canvas = typeof OffscreenCanvas !== "undefined" ? new OffscreenCanvas(size, size)
                                                        : document.createElement("canvas");
    canvas.width = canvas.height = size;
    g = Module.pvGlyphs = {
      ctx: canvas.getContext("2d", {willReadFrequently: true}), fonts: [], font: -1, rtl: -1,
      dirty: [], probe: null, known: {}
    };
    g.ctx.textAlign = "left";
    g.ctx.textBaseline = "alphabetic";
    // Fonts by number (js_glyphs_font): a CSS font list is long, and decoding and comparing it
    // at every call cost more than measuring a word.
    g.set = function(font, rtl) {
      if (g.font !== font) g.ctx.font = g.fonts[g.font = font];
      if (g.rtl !== rtl) g.ctx.direction = (g.rtl = rtl) ? "rtl" : "ltr";
    };
  }
  g.ctx.clearRect(0, 0, size, size);
  g.ctx.fillStyle = "#fff";
  g.ctx.fillRect(0, 0, 4, 4);
  g.color = 0xFFFFFF;
  g.dirty = [[0, 0, 4, 4]];
});

EM_JS(void, js_glyphs_font, (int id, const char* font), {
  Module.pvGlyphs.fonts[id] = UTF8ToString(font);
});

// advance, then the ink box (left, top, width, height) in whole pixels with a pixel to spare.
EM_JS(void, js_glyphs_measure, (const char* text, int length, int font, int rtl, float* out), {
  var g = Module.pvGlyphs;
  g.set(font, rtl);
  var m = g.ctx.measureText(UTF8ToString(text, length));
  var left = Math.floor(-m.actualBoundingBoxLeft), right = Math.ceil(m.actualBoundingBoxRight);
  var top = Math.ceil(m.actualBoundingBoxAscent), bottom = Math.ceil(m.actualBoundingBoxDescent);
  var inked = right > left && top + bottom > 0;
  HEAPF32[out >> 2] = m.width;
  HEAPF32[(out >> 2) + 1] = inked ? left - 1 : 0;
  HEAPF32[(out >> 2) + 2] = inked ? top + 1 : 0;
  HEAPF32[(out >> 2) + 3] = inked ? right - left + 2 : 0;
  HEAPF32[(out >> 2) + 4] = inked ? top + bottom + 2 : 0;
});

// Counts the code points of `text` no font drew, soon after, off the frame
// (palaverStats.glyphChecksPending: how many pieces wait): each code point is drawn once alone
// and compared with the box a font draws for a code point it lacks (U+10FFFD, which none has);
// an emoji sequence that came out wider than one emoji was drawn as its parts.
EM_JS(void, js_glyphs_check, (const char* text, int length, int font), {
  var g = Module.pvGlyphs, stats = Module.pv.stats;
  g.checks = g.checks || [];
  g.checks.push([UTF8ToString(text, length), g.fonts[font]]);
  stats.glyphChecksPending = g.checks.length;
  if (g.checking) return;
  g.checking = true;
  // Off the frame: a few milliseconds of checks per turn of the event loop.
  setTimeout(function work() {
    var until = performance.now() + 4;
    while (g.checks.length && performance.now() < until) {
      var next = g.checks.shift();
      g.check(next[0], next[1]);
    }
    stats.glyphChecksPending = g.checks.length;
    if (g.checks.length) setTimeout(work, 0);
    else g.checking = false;
  }, 0);
  if (g.check) return;
  g.check = function(s, f) {
    var family = f.slice(f.indexOf("px ") + 3);
    if (!g.probe) {
      var c = typeof OffscreenCanvas !== "undefined" ? new OffscreenCanvas(48, 32)
                                                     : document.createElement("canvas");
      c.width = 48;
      c.height = 32;
      g.probe = c.getContext("2d", {willReadFrequently: true});
      g.probe.textBaseline = "alphabetic";
      // Nothing to see: spaces, controls, joiners, variation selectors and the other default
      // ignorables. (EM_JS passes no backslash escapes: code point ranges, not \p{...} classes.)
      g.skip = function(cp) {
        return cp <= 0x20 || (cp >= 0x7F && cp <= 0xA0) || cp === 0xAD || cp === 0x34F ||
               cp === 0x61C || cp === 0x1680 || (cp >= 0x180B && cp <= 0x180F) ||
               (cp >= 0x2000 && cp <= 0x200F) || (cp >= 0x2028 && cp <= 0x202F) ||
               (cp >= 0x205F && cp <= 0x206F) || cp === 0x3000 || cp === 0x3164 ||
               (cp >= 0xFE00 && cp <= 0xFE0F) || cp === 0xFEFF || cp === 0xFFA0 ||
               (cp >= 0xFFF0 && cp <= 0xFFF8) || (cp >= 0x1BCA0 && cp <= 0x1BCA3) ||
               (cp >= 0x1D173 && cp <= 0x1D17A) || (cp >= 0xE0000 && cp <= 0xE0FFF);
      };
      // Parts of an emoji sequence: a joiner, the keycap, a regional indicator, a skin tone.
      g.joins = function(cp) {
        return cp === 0x200D || cp === 0x20E3 || (cp >= 0x1F1E6 && cp <= 0x1F1FF) ||
               (cp >= 0x1F3FB && cp <= 0x1F3FF);
      };
      g.graphemes = typeof Intl.Segmenter === "function" ? new Intl.Segmenter(undefined, {granularity: "grapheme"}) : null;
    }
    var p = g.probe, known = g.known[family] || (g.known[family] = {});
    // A character's box (its advance and ink extents): one of a font's real glyphs almost never
    // has exactly the box of the font's missing-glyph box, so pixels are compared only then.
    function box(ch) {
      var m = p.measureText(ch);
      return [m.width, m.actualBoundingBoxLeft, m.actualBoundingBoxRight, m.actualBoundingBoxAscent,
              m.actualBoundingBoxDescent].join(" ");
    }
    function pixels(ch) {
      p.clearRect(0, 0, 48, 32);
      p.fillText(ch, 8, 24);
      return new Uint32Array(p.getImageData(0, 0, 48, 32).data.buffer);
    }
    function same(a, b) {
      for (var i = 0; i < a.length; i++)
        if (a[i] !== b[i]) return false;
      return true;
    }
    if (g.probeFamily !== family) p.font = "20px " + (g.probeFamily = family);  // not p.font:
    // the canvas reads it back normalized, never equal to what was set
    if (!known.tofu) {
      var none = String.fromCodePoint(0x10FFFD);
      known.tofu = {box: box(none), pixels: pixels(none)};
      known.emoji = p.measureText(String.fromCodePoint(0x1F600)).width;
    }
    var missing = 0;
    function note(ch) {
      missing++;
      if (stats.missingCodepoints.length < 100)
        stats.missingCodepoints.push(ch.codePointAt(0).toString(16));
    }
    var sequences = false;
    for (var ch of s) {
      var cp = ch.codePointAt(0);
      if (g.joins(cp)) sequences = true;
      if (g.skip(cp)) continue;
      if (!(ch in known))
        known[ch] = box(ch) !== known.tofu.box || !same(pixels(ch), known.tofu.pixels);
      if (!known[ch]) note(ch);
    }
    if (g.graphemes && sequences) {
      for (var part of g.graphemes.segment(s)) {
        var chars = Array.from(part.segment), joined = chars.some(function(c) {
          return g.joins(c.codePointAt(0));
        });
        chars = chars.filter(function(c) { return !g.skip(c.codePointAt(0)); });
        if (joined && chars.length > 1 && p.measureText(part.segment).width > known.emoji * 1.5)
          chars.slice(1).forEach(note);
      }
    }
    stats.missingGlyphs += missing;
  };
});

// Each bitmap has a slot of its own in an atlas that was cleared when emptied: no clearing or
// clipping per piece (the ink box has a pixel to spare on each side).
EM_JS(void, js_glyphs_rasterise, (const char* text, int length, int font, int rtl, int color,
                                  int x, int y, int left, int top, int width, int height), {
  var g = Module.pvGlyphs, ctx = g.ctx;
  g.set(font, rtl);
  if (g.color !== color) {
    g.color = color;
    ctx.fillStyle = "#" + (0x1000000 + color).toString(16).slice(1);
  }
  ctx.fillText(UTF8ToString(text, length), x - left, y + top);
  // Pieces land side by side on a shelf: one region for a run of them.
  var last = g.dirty[g.dirty.length - 1];
  if (last && last[1] === y && last[0] + last[2] + 1 === x) {
    last[2] += width + 1;
    last[3] = Math.max(last[3], height);
  } else {
    g.dirty.push([x, y, width, height]);
  }
});

EM_JS(void, js_glyphs_upload, (int texture), {
  var g = Module.pvGlyphs;
  if (!g || !g.dirty.length) return;
  GLctx.bindTexture(GLctx.TEXTURE_2D, GL.textures[texture]);
  g.dirty.forEach(function(r) {
    var pixels = g.ctx.getImageData(r[0], r[1], r[2], r[3]).data;
    GLctx.texSubImage2D(GLctx.TEXTURE_2D, 0, r[0], r[1], r[2], r[3], GLctx.RGBA,
                        GLctx.UNSIGNED_BYTE, pixels);
  });
  g.dirty = [];
});

// Code point offsets where words start inside `text` (not 0), at most `capacity`.
EM_JS(int, js_word_starts, (const char* text, int length, int* out, int capacity), {
  if (typeof Intl.Segmenter !== "function") return 0;
  var words = Module.pvWords || (Module.pvWords = new Intl.Segmenter(undefined, {granularity: "word"}));
  var s = UTF8ToString(text, length), count = 0, unit = 0, point = 0;
  for (var part of words.segment(s)) {
    for (; unit < part.index; ++unit) {
      var c = s.charCodeAt(unit);
      if (c < 0xDC00 || c > 0xDFFF) ++point;  // not the second half of a pair
    }
    if (part.index > 0 && count < capacity) HEAP32[(out >> 2) + count++] = point;
  }
  return count;
});

// clang-format on

}  // namespace

namespace palaver::web::browser {

ink_box browser_glyphs::measure(std::string_view text, const std::string& font, bool rtl) {
  float out[5];
  js_glyphs_measure(text.data(), static_cast<int>(text.size()), font_id(font), rtl ? 1 : 0, out);
  return ink_box{out[0], static_cast<int>(out[1]), static_cast<int>(out[2]),
                 static_cast<int>(out[3]), static_cast<int>(out[4])};
}

void browser_glyphs::rasterise(std::string_view text, const std::string& font, bool rtl,
                               std::uint32_t color, int x, int y, const ink_box& box) {
  const int id = font_id(font);
  js_glyphs_rasterise(text.data(), static_cast<int>(text.size()), id, rtl ? 1 : 0,
                      static_cast<int>(color), x, y, box.left, box.top, box.width, box.height);
  js_glyphs_check(text.data(), static_cast<int>(text.size()), id);
}

int browser_glyphs::font_id(const std::string& font) {
  const auto known = std::find(fonts_.begin(), fonts_.end(), font);
  if (known != fonts_.end()) return static_cast<int>(known - fonts_.begin());
  fonts_.push_back(font);
  js_glyphs_font(static_cast<int>(fonts_.size() - 1), font.c_str());
  return static_cast<int>(fonts_.size() - 1);
}

void browser_glyphs::clear_atlas(int size) {
  js_glyphs_clear(size);
}

void browser_glyphs::upload(unsigned texture) {
  js_glyphs_upload(static_cast<int>(texture));
}

std::vector<std::size_t> browser_glyphs::dictionary_words(std::u32string_view run) {
  const std::string utf8 = text::encode_utf8(run);
  std::vector<int> found(run.size());
  const int count = js_word_starts(utf8.data(), static_cast<int>(utf8.size()), found.data(),
                                   static_cast<int>(found.size()));
  return std::vector<std::size_t>(found.begin(), found.begin() + count);
}

}  // namespace palaver::web::browser
