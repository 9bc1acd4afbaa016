// Line break opportunities: UAX #14's own test file line by line, then the tailorings the
// widget adds (no break inside a cluster, Korean at spaces, Southeast Asian dictionary words).
#include "text/line_break.hpp"

#include <gtest/gtest.h>

#include "text/utf8.hpp"
#include "unicode_test_file.hpp"

namespace palaver::web::text {
namespace {

using testing::hex;
using testing::parse_break_case;
using testing::test_lines;

// Pure UAX #14, as its test file expects: no tailoring.
line_break_options untailored() {
  line_break_options options;
  options.hangul_as_alphabetic = false;
  options.keep_grapheme_clusters = false;
  return options;
}

TEST(LineBreak, PassesEveryLineOfLineBreakTest) {
  std::size_t passed = 0;
  const auto lines = test_lines("auxiliary/LineBreakTest.txt");
  ASSERT_GT(lines.size(), 7000u) << "LineBreakTest.txt is missing or short";
  for (const auto& line : lines) {
    const testing::break_case c = parse_break_case(line.text);
    ASSERT_EQ(c.breaks.size(), c.text.size() + 1) << "line " << line.number;
    const std::vector<break_opportunity> breaks = line_breaks(c.text, untailored());
    std::vector<bool> got;
    for (const break_opportunity b : breaks)
      got.push_back(b != break_opportunity::none);
    if (got == c.breaks)
      ++passed;
    else
      ADD_FAILURE() << "LineBreakTest.txt line " << line.number << ": " << hex(c.text);
  }
  std::printf("LineBreakTest.txt: %zu of %zu lines pass\n", passed, lines.size());
  EXPECT_EQ(passed, lines.size());
}

// The text between break opportunities, "|" where the line must break.
std::string shown(std::string_view utf8, const line_break_options& options = {}) {
  const decoded_text d = decode_utf8(utf8);
  const std::vector<break_opportunity> breaks = line_breaks(d.code_points, options);
  std::string out;
  for (std::size_t i = 0; i < d.code_points.size(); ++i) {
    if (i > 0 && breaks[i] == break_opportunity::allowed) out += "/";
    if (i > 0 && breaks[i] == break_opportunity::mandatory) out += "|";
    append_utf8(out, d.code_points[i]);
  }
  return out;
}

TEST(LineBreak, StartAndEnd) {
  EXPECT_TRUE(line_breaks(U"").size() == 1 && line_breaks(U"")[0] == break_opportunity::none);
  const std::vector<break_opportunity> b = line_breaks(U"ab");
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(b[0], break_opportunity::none);
  EXPECT_EQ(b[1], break_opportunity::none);
  EXPECT_EQ(b[2], break_opportunity::mandatory);
}

TEST(LineBreak, AfterSpacesAndHyphensAndNewlines) {
  EXPECT_EQ(shown("the quick  fox"), "the /quick  /fox");
  EXPECT_EQ(shown("well-known -5 a\nb\r\nc"), "well-/known /-5 /a\n|b\r\n|c");
  EXPECT_EQ(shown("(a) 50% $3.50"), "(a) /50% /$3.50");
}

TEST(LineBreak, NeverInsideAClusterUnlessAsked) {
  // A mark after a space: UAX #14 breaks before it (LB10 makes it AL), a reader sees one
  // character.
  EXPECT_EQ(shown("a \u0301b"), "a \u0301b");
  EXPECT_EQ(shown("a \u0301b", untailored()), "a /\u0301b");
}

TEST(LineBreak, KoreanBreaksAtSpacesUnlessAsked) {
  EXPECT_EQ(shown("한국어 텍스트"), "한국어 /텍스트");
  EXPECT_EQ(shown("한국어 텍스트", untailored()), "한/국/어 /텍/스/트");
}

TEST(LineBreak, SoutheastAsianRunsBreakWhereTheDictionarySays) {
  // สวัสดีครับ: "hello" + polite particle; the dictionary knows they are two words.
  std::vector<std::u32string> asked;
  line_break_options options;
  options.dictionary_words = [&](std::u32string_view run) {
    asked.emplace_back(run);
    return std::vector<std::size_t>{0, 6, 99};
  };
  EXPECT_EQ(shown("ok สวัสดีครับ ok", options), "ok /สวัสดี/ครับ /ok");
  EXPECT_EQ(asked, (std::vector<std::u32string>{U"สวัสดีครับ"}));
  // Without one, a run is one word (AL, LB1).
  EXPECT_EQ(shown("ok สวัสดีครับ ok"), "ok /สวัสดีครับ /ok");
  // A word start the dictionary puts before a mark is ignored: never inside a cluster.
  options.dictionary_words = [](std::u32string_view) { return std::vector<std::size_t>{2}; };
  EXPECT_EQ(shown("สวัสดี", options), "สวัสดี");  // offset 2 is the mark U+0E31
}

}  // namespace
}  // namespace palaver::web::text
