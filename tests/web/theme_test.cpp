// The widget's colours: whatever brand colour a site picks, text on it and links stay readable.
#include "theme.hpp"

#include <gtest/gtest.h>

namespace palaver::web {
namespace {

TEST(Theme, TextOnAnyBrandColourReachesTheContrastMinimum) {
  for (const char* brand : {"#ffffff", "#ffeb3b", "#00ff00", "#2563eb", "#000000", "#777",
                            "#e11d48", "#10b981", "not a colour", ""}) {
    for (bool dark : {false, true}) {
      const palette p = make_palette(dark, brand);
      EXPECT_GE(contrast(p.brand, p.on_brand), min_text_contrast) << brand << " dark=" << dark;
      EXPECT_GE(contrast(p.user_bubble, p.user_text), min_text_contrast) << brand;
      EXPECT_GE(contrast(p.reply_bubble, p.reply_text), min_text_contrast) << brand;
      EXPECT_GE(contrast(p.reply_bubble, p.link), min_text_contrast) << brand << " dark=" << dark;
    }
  }
}

TEST(Theme, ADarkEnoughBrandIsKeptAsItIsWithWhiteText) {
  const palette p = make_palette(false, "#1d4ed8");
  EXPECT_EQ(p.brand, IM_COL32(0x1d, 0x4e, 0xd8, 0xff));
  EXPECT_EQ(p.on_brand, IM_COL32(0xff, 0xff, 0xff, 0xff));
  EXPECT_EQ(make_palette(false, "#1D4ED8").brand, p.brand);  // hex digits in either case
  EXPECT_EQ(make_palette(false, "#fff").brand, make_palette(false, "#ffffff").brand);
}

TEST(Theme, DarkAndLightDifferWhereTheVisitorLooks) {
  const palette light = make_palette(false, "#2563eb");
  const palette dark = make_palette(true, "#2563eb");
  EXPECT_GT(contrast(light.background, dark.background), 10);
  EXPECT_GE(contrast(dark.background, dark.text), min_text_contrast);
  EXPECT_GE(contrast(light.background, light.text), min_text_contrast);
}

TEST(Theme, ContrastIsTheWcagRatio) {
  EXPECT_NEAR(contrast(IM_COL32(0, 0, 0, 255), IM_COL32(255, 255, 255, 255)), 21.0, 1e-9);
  EXPECT_NEAR(contrast(IM_COL32(10, 20, 30, 255), IM_COL32(10, 20, 30, 255)), 1.0, 1e-9);
}

}  // namespace
}  // namespace palaver::web
