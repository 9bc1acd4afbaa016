// Look-ups in the generated Unicode tables (unicode_tables.inc, in the build tree): a binary
// search in a property's sorted ranges. Pure functions over constant data.
#include "text/unicode.hpp"

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <span>

namespace palaver::web::text {
namespace {

// A property as ranges: BMP ranges as a 16-bit start and an 8-bit value, the rest as
// `start << 8 | value`. A code point has the value of the last range starting at or before it.
struct range_table {
  std::span<const std::uint16_t> bmp_starts;
  std::span<const std::uint8_t> bmp_values;
  std::span<const std::uint32_t> supplementary;

  std::uint8_t operator[](char32_t cp) const {
    if (supplementary.empty() || cp < (supplementary.front() >> 8)) {
      const auto after = std::upper_bound(bmp_starts.begin(), bmp_starts.end(), cp);
      return bmp_values[static_cast<std::size_t>(after - bmp_starts.begin()) - 1];
    }
    const std::uint32_t key = (static_cast<std::uint32_t>(cp) << 8) | 0xFF;
    const auto after = std::upper_bound(supplementary.begin(), supplementary.end(), key);
    return static_cast<std::uint8_t>(*std::prev(after) & 0xFF);
  }
};

#include "unicode_tables.inc"

constexpr std::uint8_t extended_pictographic_bit = 0x10;
constexpr std::uint8_t conjunct_consonant_bit = 0x20;
constexpr std::uint8_t conjunct_linker_bit = 0x40;
constexpr std::uint8_t line_break_flag = 0x40;  // its meaning depends on the class

}  // namespace

std::string_view unicode_version() {
  return unicode_version_string;
}

grapheme_properties grapheme_properties_of(char32_t cp) {
  if (cp > 0x10FFFF) cp = 0xFFFD;
  const std::uint8_t v = grapheme_table[cp];
  return {static_cast<grapheme_break>(v & 0x0F), (v & extended_pictographic_bit) != 0,
          (v & conjunct_consonant_bit) != 0, (v & conjunct_linker_bit) != 0};
}

line_break_properties line_break_properties_of(char32_t cp) {
  if (cp > 0x10FFFF) cp = 0xFFFD;
  const std::uint8_t v = line_break_table[cp];
  line_break_properties p;
  p.value = static_cast<line_break_class>(v & 0x3F);
  if (v & line_break_flag) {
    switch (p.value) {
      case line_break_class::op:
      case line_break_class::cp:
        p.east_asian_wide = true;
        break;
      case line_break_class::cm:
        p.southeast_asian_mark = true;
        break;
      default:
        p.unassigned_pictographic = true;
    }
  }
  return p;
}

bidi_class bidi_class_of(char32_t cp) {
  if (cp > 0x10FFFF) cp = 0xFFFD;
  return static_cast<bidi_class>(bidi_table[cp]);
}

bracket bracket_of(char32_t cp) {
  for (const auto& [from, to] : bracket_equivalents)
    if (cp == from) cp = to;
  const std::uint32_t key = static_cast<std::uint32_t>(cp) << 8;
  const auto it = std::lower_bound(std::begin(brackets), std::end(brackets), key);
  if (it == std::end(brackets) || (*it >> 8) != cp) return {};
  const std::uint32_t entry = *it;
  // The low seven bits: the opening bracket's offset from this one, signed.
  const auto offset = static_cast<std::int32_t>(entry & 0x7F) - ((entry & 0x40) ? 0x80 : 0);
  return {static_cast<char32_t>(static_cast<std::int32_t>(cp) + offset), (entry & 0x80) != 0};
}

}  // namespace palaver::web::text
