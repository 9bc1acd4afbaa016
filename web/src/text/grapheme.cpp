// UAX #29's grapheme cluster rules GB3..GB999, one pass with the states that look back: an
// emoji followed by extenders (GB11), the parity of a run of regional indicators (GB12, GB13)
// and, optionally, a consonant followed by a virama (15.1's GB9c). Pure functions.
#include "text/grapheme.hpp"

#include "text/unicode.hpp"
#include "text/utf8.hpp"

namespace palaver::web::text {
namespace {

using gb = grapheme_break;

bool is_control(gb g) {
  return g == gb::control || g == gb::cr || g == gb::lf;
}

// Whether there is a boundary between `before` and `after`, not counting GB11, GB12 and GB13.
bool pair_breaks(gb before, gb after) {
  if (before == gb::cr && after == gb::lf) return false;     // GB3
  if (is_control(before) || is_control(after)) return true;  // GB4, GB5
  if (before == gb::l && (after == gb::l || after == gb::v || after == gb::lv || after == gb::lvt))
    return false;  // GB6
  if ((before == gb::lv || before == gb::v) && (after == gb::v || after == gb::t))
    return false;                                                              // GB7
  if ((before == gb::lvt || before == gb::t) && after == gb::t) return false;  // GB8
  if (after == gb::extend || after == gb::zwj) return false;                   // GB9
  if (after == gb::spacing_mark) return false;                                 // GB9a
  if (before == gb::prepend) return false;                                     // GB9b
  return true;
}

}  // namespace

std::vector<bool> grapheme_boundaries(std::u32string_view text, bool indic_conjuncts) {
  std::vector<bool> out(text.size() + 1, false);
  if (text.empty()) return out;
  out.front() = true;
  out.back() = true;
  grapheme_properties before = grapheme_properties_of(text[0]);
  bool emoji_extended = before.extended_pictographic;  // text so far ends ExtPict Extend*
  bool emoji_zwj = false;                              // ... or ExtPict Extend* ZWJ
  std::size_t regional_indicators = before.value == gb::regional_indicator ? 1 : 0;
  // GB9c: Consonant [Extend Linker]* Linker [Extend Linker]* × Consonant.
  bool after_consonant = before.conjunct_consonant;  // Consonant [Extend Linker]*
  bool after_linker = false;                         // ... with a Linker in it
  for (std::size_t i = 1; i < text.size(); ++i) {
    const grapheme_properties after = grapheme_properties_of(text[i]);
    bool boundary = pair_breaks(before.value, after.value);
    if (boundary && emoji_zwj && after.extended_pictographic) boundary = false;  // GB11
    if (boundary && indic_conjuncts && after_linker && after.conjunct_consonant)
      boundary = false;  // GB9c
    if (boundary && before.value == gb::regional_indicator &&
        after.value == gb::regional_indicator && regional_indicators % 2 == 1)
      boundary = false;  // GB12, GB13
    out[i] = boundary;

    emoji_zwj = emoji_extended && after.value == gb::zwj;
    emoji_extended = after.extended_pictographic || (emoji_extended && after.value == gb::extend);
    regional_indicators = after.value == gb::regional_indicator ? regional_indicators + 1 : 0;
    const bool extends = after.value == gb::extend || after.value == gb::zwj;
    after_linker = after_consonant && (after.conjunct_linker || (after_linker && extends));
    after_consonant = after.conjunct_consonant || (after_consonant && extends);
    before = after;
  }
  return out;
}

std::vector<std::string_view> grapheme_clusters(std::string_view text) {
  const decoded_text decoded = decode_utf8(text);
  const std::vector<bool> boundaries = grapheme_boundaries(decoded.code_points);
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (std::size_t i = 1; i < boundaries.size(); ++i) {
    if (!boundaries[i]) continue;
    out.push_back(text.substr(decoded.offsets[start], decoded.offsets[i] - decoded.offsets[start]));
    start = i;
  }
  return out;
}

}  // namespace palaver::web::text
