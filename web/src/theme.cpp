// The widget's colours. See theme.hpp.
#include "theme.hpp"

#include <algorithm>
#include <cmath>
#include <optional>

namespace palaver::web {
namespace {

struct rgb {
  double r, g, b;  // 0 … 1
};

constexpr rgb default_brand{0.145, 0.388, 0.922};  // #2563eb

std::optional<int> hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return std::nullopt;
}

std::optional<rgb> parse(std::string_view text) {
  if (text.empty() || text[0] != '#') return std::nullopt;
  text.remove_prefix(1);
  if (text.size() != 3 && text.size() != 6) return std::nullopt;
  double channels[3];
  const std::size_t width = text.size() / 3;
  for (std::size_t i = 0; i < 3; ++i) {
    int value = 0;
    for (std::size_t j = 0; j < width; ++j) {
      const auto digit = hex_digit(text[i * width + j]);
      if (!digit) return std::nullopt;
      value = value * 16 + *digit;
    }
    if (width == 1) value *= 17;
    channels[i] = value / 255.0;
  }
  return rgb{channels[0], channels[1], channels[2]};
}

ImU32 pack(rgb c, double alpha = 1) {
  const auto byte = [](double v) {
    return static_cast<ImU32>(std::lround(std::clamp(v, 0.0, 1.0) * 255));
  };
  return IM_COL32(byte(c.r), byte(c.g), byte(c.b), byte(alpha));
}

rgb unpack(ImU32 c) {
  return {((c >> IM_COL32_R_SHIFT) & 0xFF) / 255.0, ((c >> IM_COL32_G_SHIFT) & 0xFF) / 255.0,
          ((c >> IM_COL32_B_SHIFT) & 0xFF) / 255.0};
}

double luminance(rgb c) {
  const auto linear = [](double v) {
    return v <= 0.03928 ? v / 12.92 : std::pow((v + 0.055) / 1.055, 2.4);
  };
  return 0.2126 * linear(c.r) + 0.7152 * linear(c.g) + 0.0722 * linear(c.b);
}

rgb mix(rgb a, rgb b, double t) {
  return {a.r + (b.r - a.r) * t, a.g + (b.g - a.g) * t, a.b + (b.b - a.b) * t};
}

ImU32 hex(unsigned value) {
  return pack(
      rgb{((value >> 16) & 0xFF) / 255.0, ((value >> 8) & 0xFF) / 255.0, (value & 0xFF) / 255.0});
}

}  // namespace

double contrast(ImU32 a, ImU32 b) {
  const double la = luminance(unpack(a)), lb = luminance(unpack(b));
  return (std::max(la, lb) + 0.05) / (std::min(la, lb) + 0.05);
}

palette make_palette(bool dark, std::string_view brand_color) {
  rgb brand = parse(brand_color).value_or(default_brand);
  // Text on the brand: white if the brand is dark enough, else near-black; if neither
  // reaches the contrast, darken the brand step by step towards black.
  const ImU32 white = hex(0xffffff), ink = hex(0x111827);
  ImU32 on_brand = white;
  for (int step = 0; step < 20; ++step) {
    const ImU32 packed = pack(brand);
    if (contrast(packed, white) >= min_text_contrast) {
      on_brand = white;
      break;
    }
    if (contrast(packed, ink) >= min_text_contrast) {
      on_brand = ink;
      break;
    }
    brand = mix(brand, rgb{0, 0, 0}, 0.1);
  }

  palette p{};
  p.brand = pack(brand);
  p.on_brand = on_brand;
  p.user_bubble = p.brand;
  p.user_text = on_brand;
  if (dark) {
    p.background = hex(0x111318);
    p.surface = hex(0x1c1f26);
    p.text = hex(0xe8eaee);
    p.muted = hex(0x9aa1ad);
    p.border = hex(0x2e333d);
    p.reply_bubble = hex(0x23272f);
    p.operator_bubble = pack(mix(brand, rgb{0.137, 0.153, 0.184}, 0.8));
    p.code_background = hex(0x2a2f38);
    p.link = pack(mix(brand, rgb{1, 1, 1}, 0.45));
    p.error = hex(0xf87171);
    p.warning = hex(0xfbbf24);
    p.success = hex(0x34d399);
  } else {
    p.background = hex(0xffffff);
    p.surface = hex(0xf5f6f8);
    p.text = hex(0x1f2328);
    p.muted = hex(0x6b7280);
    p.border = hex(0xe3e6ea);
    p.reply_bubble = hex(0xf1f3f5);
    p.operator_bubble = pack(mix(brand, rgb{1, 1, 1}, 0.88));
    p.code_background = hex(0xe9ecef);
    p.link = pack(brand);
    p.error = hex(0xb91c1c);
    p.warning = hex(0x92400e);
    p.success = hex(0x047857);
  }
  p.reply_text = p.text;
  // A link must stay readable on a reply bubble too.
  for (int step = 0; step < 20 && contrast(p.link, p.reply_bubble) < min_text_contrast; ++step)
    p.link = pack(mix(unpack(p.link), dark ? rgb{1, 1, 1} : rgb{0, 0, 0}, 0.15));
  return p;
}

}  // namespace palaver::web
