// The Unicode character properties the text core reads (grapheme break, line break, bidi
// class, bracket pairs), from tables web/tools/unicode_tables.py generates at build time from
// the Unicode Character Database (Debian's unicode-data, Unicode 15.0). Pure functions over
// constant tables: safe from any thread, native and Wasm.
#pragma once

#include <cstdint>
#include <string_view>

namespace palaver::web::text {

// The Unicode version of the tables, "15.0.0".
std::string_view unicode_version();

// Grapheme_Cluster_Break (UAX #29).
// clang-format off
enum class grapheme_break : std::uint8_t {
  other, cr, lf, control, extend, zwj, regional_indicator, prepend, spacing_mark,
  l, v, t, lv, lvt,  // Hangul jamo and syllables
};
// clang-format on

struct grapheme_properties {
  grapheme_break value = grapheme_break::other;
  bool extended_pictographic = false;  // emoji-data.txt: what GB11 joins with ZWJ
  // Unicode 15.1's Indic_Conjunct_Break, for GB9c: a consonant, or a virama joining it to the
  // next consonant (Devanagari, Bengali, Gujarati, Oriya, Telugu, Malayalam).
  bool conjunct_consonant = false;
  bool conjunct_linker = false;
};
grapheme_properties grapheme_properties_of(char32_t cp);

// Line_Break (UAX #14), already resolved by rule LB1: AI, SG and XX are AL, CJ is NS (the
// strict line breaking of small kana), and an SA character that is a mark (Mn, Mc) is CM.
// clang-format off
enum class line_break_class : std::uint8_t {
  bk, cr, lf, cm, nl, wj, zw, gl, sp, zwj,    // newlines, marks, joiners, spaces
  b2, ba, bb, hy, cb,                         // breaks around dashes and hyphens
  cl, cp, ex, in, ns, op, qu, is,             // punctuation
  nu, po, pr, sy,                             // numbers (LB25)
  al, eb, em, h2, h3, hl, id, jl, jv, jt, ri, // letters, emoji, Hangul, ideographs, flags
  sa,  // Thai, Lao, Khmer, Myanmar...: words come from a dictionary, not from the class
};
// clang-format on

struct line_break_properties {
  line_break_class value = line_break_class::al;
  bool east_asian_wide = false;          // OP, CP: East_Asian_Width F, W or H (LB30 skips them)
  bool southeast_asian_mark = false;     // CM: an SA mark, part of its SA run
  bool unassigned_pictographic = false;  // Extended_Pictographic and unassigned (LB30b)
};
line_break_properties line_break_properties_of(char32_t cp);

// Bidi_Class (UAX #9); unassigned code points have their block's default (R in Hebrew's, AL in
// Arabic's, BN for noncharacters and default ignorables...).
// clang-format off
enum class bidi_class : std::uint8_t {
  l, r, al,                                    // strong
  en, es, et, an, cs, nsm, bn,                 // weak
  b, s, ws, on,                                // neutral
  lre, lro, rle, rlo, pdf, lri, rli, fsi, pdi, // explicit
};
// clang-format on
bidi_class bidi_class_of(char32_t cp);

// Bidi_Paired_Bracket_Type with the pair's identity: brackets that pair have the same id (the
// code point of the opening one, after canonical equivalence: U+2329 and U+3008 are one).
struct bracket {
  char32_t id = 0;  // 0: not a bracket
  bool opening = false;
};
bracket bracket_of(char32_t cp);

}  // namespace palaver::web::text
