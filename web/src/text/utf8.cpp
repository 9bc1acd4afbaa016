// UTF-8 decoding and encoding for the text core. Pure functions.
#include "text/utf8.hpp"

#include "palaver/text.hpp"

namespace palaver::web::text {

decoded_code_point decode_at(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) {
    return static_cast<char32_t>(static_cast<unsigned char>(text[k]));
  };
  switch (palaver::utf8_sequence_length(text, i)) {
    case 1:
      return {byte(i), 1};
    case 2:
      return {((byte(i) & 0x1F) << 6) | (byte(i + 1) & 0x3F), 2};
    case 3:
      return {((byte(i) & 0x0F) << 12) | ((byte(i + 1) & 0x3F) << 6) | (byte(i + 2) & 0x3F), 3};
    case 4:
      return {((byte(i) & 0x07) << 18) | ((byte(i + 1) & 0x3F) << 12) |
                  ((byte(i + 2) & 0x3F) << 6) | (byte(i + 3) & 0x3F),
              4};
    default:
      return {0xFFFD, 1};
  }
}

void append_decoded(std::string_view text, decoded_text& out) {
  const std::uint32_t base = out.offsets.back();
  out.code_points.reserve(out.code_points.size() + text.size());
  out.offsets.reserve(out.offsets.size() + text.size());
  for (std::size_t i = 0; i < text.size();) {
    const decoded_code_point d = decode_at(text, i);
    out.code_points.push_back(d.code_point);
    i += d.length;
    out.offsets.push_back(base + static_cast<std::uint32_t>(i));
  }
}

decoded_text decode_utf8(std::string_view text) {
  decoded_text out;
  append_decoded(text, out);
  return out;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

std::string encode_utf8(std::u32string_view code_points) {
  std::string out;
  out.reserve(code_points.size());
  for (const char32_t cp : code_points)
    append_utf8(out, cp);
  return out;
}

}  // namespace palaver::web::text
