// Grapheme clusters: UAX #29's own test file, line by line, and the clusters a reader sees as
// one character in the scripts and emoji the widget shows.
#include "text/grapheme.hpp"

#include <gtest/gtest.h>

#include "unicode_test_file.hpp"

namespace palaver::web::text {
namespace {

using testing::hex;
using testing::parse_break_case;
using testing::test_lines;

TEST(Grapheme, PassesEveryLineOfGraphemeBreakTest) {
  std::size_t passed = 0;
  const auto lines = test_lines("auxiliary/GraphemeBreakTest.txt");
  ASSERT_GT(lines.size(), 600u) << "GraphemeBreakTest.txt is missing or short";
  for (const auto& line : lines) {
    const testing::break_case c = parse_break_case(line.text);
    ASSERT_EQ(c.breaks.size(), c.text.size() + 1) << "line " << line.number;
    if (grapheme_boundaries(c.text, /*indic_conjuncts=*/false) == c.breaks)
      ++passed;
    else
      ADD_FAILURE() << "GraphemeBreakTest.txt line " << line.number << ": " << hex(c.text);
  }
  std::printf("GraphemeBreakTest.txt: %zu of %zu lines pass\n", passed, lines.size());
  EXPECT_EQ(passed, lines.size());
}

std::vector<std::string_view> clusters(std::string_view s) {
  return grapheme_clusters(s);
}
using views = std::vector<std::string_view>;

TEST(Grapheme, MarksStayWithTheirLetter) {
  EXPECT_EQ(clusters("e\u0301a"), (views{"e\u0301", "a"}));
  // Vietnamese: a letter with two stacked marks, decomposed.
  EXPECT_EQ(clusters("Vie\u0323\u0302t"), (views{"V", "i", "e\u0323\u0302", "t"}));
  // Hebrew with points: shin, shin dot, qamats.
  EXPECT_EQ(clusters("\u05E9\u05C1\u05B8\u05DC"), (views{"\u05E9\u05C1\u05B8", "\u05DC"}));
  // Devanagari: a spacing vowel sign joins its consonant.
  EXPECT_EQ(clusters("\u0915\u093F\u0928"), (views{"\u0915\u093F", "\u0928"}));
}

TEST(Grapheme, IndicConjunctsAreOneClusterAsUnicode151Says) {
  // क्षि: ka, virama, ssa, vowel sign i. Unicode 15.0 splits after the virama; GB9c does not.
  const std::u32string kssi = U"\u0915\u094D\u0937\u093F";
  EXPECT_EQ(grapheme_boundaries(kssi), (std::vector<bool>{true, false, false, false, true}));
  EXPECT_EQ(grapheme_boundaries(kssi, false), (std::vector<bool>{true, false, true, false, true}));
  // With a nukta (Extend) before the virama, and ZWJ after it: still one.
  EXPECT_EQ(clusters("\u0915\u093C\u094D\u200D\u0937x"),
            (views{"\u0915\u093C\u094D\u200D\u0937", "x"}));
  // A virama after a vowel (not a consonant) joins nothing.
  EXPECT_EQ(clusters("\u0905\u094D\u0915"), (views{"\u0905\u094D", "\u0915"}));
}

TEST(Grapheme, EmojiSequencesAreOneCluster) {
  EXPECT_EQ(clusters("👩‍💻👨‍👩‍👧"),
            (views{"👩‍💻", "👨‍👩‍👧"}));
  EXPECT_EQ(clusters("👍🏽👍"), (views{"👍🏽", "👍"}));
  EXPECT_EQ(clusters("🇯🇵🇫🇷🇩"), (views{"🇯🇵", "🇫🇷", "🇩"}));
  EXPECT_EQ(clusters("1️⃣2"), (views{"1️⃣", "2"}));
  // A tag sequence: the flag of Scotland.
  EXPECT_EQ(clusters("🏴\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007Fx"),
            (views{"🏴\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F", "x"}));
}

TEST(Grapheme, HangulSyllablesAndJamo) {
  EXPECT_EQ(clusters("한국"), (views{"한", "국"}));
  EXPECT_EQ(clusters("\u1112\u1161\u11AB"), (views{"\u1112\u1161\u11AB"}));  // 한, as jamo
}

TEST(Grapheme, CrLfIsOneAndControlsAreAlone) {
  EXPECT_EQ(clusters("a\r\nb"), (views{"a", "\r\n", "b"}));
  EXPECT_EQ(clusters("\n\u0301"), (views{"\n", "\u0301"}));
}

TEST(Grapheme, IllFormedBytesAreEachAReplacementCharacter) {
  EXPECT_EQ(clusters("\xff\xfe"), (views{"\xff", "\xfe"}));
  EXPECT_EQ(clusters(""), views{});
}

}  // namespace
}  // namespace palaver::web::text
