// The widget's colours: light or dark, built around the site's brand colour so that text on
// it stays readable. Pure functions; any thread.
#pragma once

#include <string_view>

#include "imgui.h"

namespace palaver::web {

struct palette {
  ImU32 background, surface, text, muted, border;
  ImU32 brand, on_brand;  // the brand colour and the text drawn on it
  ImU32 user_bubble, user_text, reply_bubble, reply_text, operator_bubble;
  ImU32 code_background, link, error, warning, success;
};

// The minimum contrast of text on its background (WCAG AA for normal text).
inline constexpr double min_text_contrast = 4.5;

// The palette for light or dark from the brand colour "#rrggbb" or "#rgb" (anything else: a
// default blue). The brand is darkened or lightened until white or near-black text on it
// reaches min_text_contrast.
palette make_palette(bool dark, std::string_view brand_color);

// The WCAG contrast ratio of two opaque colours (1 … 21).
double contrast(ImU32 a, ImU32 b);

}  // namespace palaver::web
