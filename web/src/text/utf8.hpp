// UTF-8 to code points for the text core, keeping where each code point came from, so that
// results in code points (breaks, bidi runs) map back to byte ranges. Ill-formed UTF-8 is one
// U+FFFD per byte, as palaver::utf8_sequence_length defines it. Pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace palaver::web::text {

// Code points with their byte offsets: code_points[i] starts at byte offsets[i] of its text;
// offsets has one more entry, where the last code point ends.
struct decoded_text {
  std::u32string code_points;
  std::vector<std::uint32_t> offsets{0};
};

// Appends `text`'s code points to `out` (whose offsets go on counting from where it ends):
// text decoded piece by piece has the offsets of the pieces joined.
void append_decoded(std::string_view text, decoded_text& out);

decoded_text decode_utf8(std::string_view text);

// The code point at byte `i` and the bytes it takes (U+FFFD and 1 where ill-formed).
struct decoded_code_point {
  char32_t code_point = 0;
  std::size_t length = 0;
};
decoded_code_point decode_at(std::string_view text, std::size_t i);

// Appends `cp` as UTF-8 (U+FFFD for a surrogate or a value past U+10FFFF).
void append_utf8(std::string& out, char32_t cp);
std::string encode_utf8(std::u32string_view code_points);

}  // namespace palaver::web::text
