// Line layout: what lines a reader sees, which pieces the view draws and where, what is
// measured. The cases markdown's wrap() had keep their behaviour (spaces, newlines,
// indentation, long words, zero widths); bidi and pieces are new. Per-script cases are in
// scripts_test.cpp.
#include "text/line_layout.hpp"

#include <gtest/gtest.h>

namespace palaver::web::text {
namespace {

// A fake font: every code point is 10 wide, whatever the style and direction.
float ten_per_code_point(std::string_view s, std::uint8_t, bool) {
  float width = 0;
  for (const char c : s)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) width += 10;
  return width;
}

std::vector<styled_run> plain(std::string_view text) {
  return {styled_run{text, 0}};
}

// What each line shows: its pieces' text, left to right.
using lines_shown = std::vector<std::string>;
lines_shown shown(const std::vector<styled_run>& runs, float max_width) {
  lines_shown out;
  for (const line& l : lay_out(runs, max_width, ten_per_code_point).lines) {
    std::string s;
    for (const piece& p : l.pieces)
      s += text_of(runs, p);
    out.push_back(s);
  }
  return out;
}
lines_shown shown(std::string_view text, float max_width) {
  return shown(plain(text), max_width);
}

// Each line's pieces, left to right.
std::vector<std::vector<std::string>> pieces(const std::vector<styled_run>& runs, float max_width) {
  std::vector<std::vector<std::string>> out;
  for (const line& l : lay_out(runs, max_width, ten_per_code_point).lines) {
    out.emplace_back();
    for (const piece& p : l.pieces)
      out.back().emplace_back(text_of(runs, p));
  }
  return out;
}
using pieces_shown = std::vector<std::vector<std::string>>;

TEST(LineLayout, TextThatFitsIsOneLineOfWordsAndSpaces) {
  const auto runs = plain("hello world");
  const paragraph p = lay_out(runs, 1000, ten_per_code_point);
  EXPECT_FALSE(p.rtl);
  ASSERT_EQ(p.lines.size(), 1u);
  const line& l = p.lines[0];
  ASSERT_EQ(l.pieces.size(), 3u);
  EXPECT_EQ(l.pieces[0], (piece{0, 0, 5, 0, 50, false, false}));
  EXPECT_EQ(l.pieces[1], (piece{0, 5, 1, 50, 10, false, true}));  // the space: not drawn
  EXPECT_EQ(l.pieces[2], (piece{0, 6, 5, 60, 50, false, false}));
  EXPECT_EQ(l.width, 110);
}

TEST(LineLayout, BreaksAtSpacesAndDropsTheSpacesAtTheBreak) {
  const auto runs = plain("aaa bbb  ccc");
  const paragraph p = lay_out(runs, 70, ten_per_code_point);
  ASSERT_EQ(p.lines.size(), 2u);
  EXPECT_EQ(p.lines[0].width, 70);  // "aaa bbb"
  ASSERT_EQ(p.lines[1].pieces.size(), 1u);
  EXPECT_EQ(p.lines[1].pieces[0], (piece{0, 9, 3, 0, 30, false, false}));  // "ccc"
  EXPECT_EQ(p.lines[1].width, 30);
  EXPECT_EQ(shown("the quick brown fox jumps", 100),
            (lines_shown{"the quick", "brown fox", "jumps"}));
}

TEST(LineLayout, PiecesFollowRunsWithTheirPositions) {
  const std::vector<styled_run> runs = {{"plain ", 0}, {"bold", 1}, {"ly and more", 0}};
  const paragraph p = lay_out(runs, 130, ten_per_code_point);
  ASSERT_EQ(p.lines.size(), 2u);
  // "plain boldly" fits in 130; "boldly" is one word across two runs: two pieces.
  EXPECT_EQ(p.lines[0].pieces, (std::vector<piece>{{0, 0, 5, 0, 50, false, false},
                                                   {0, 5, 1, 50, 10, false, true},
                                                   {1, 0, 4, 60, 40, false, false},
                                                   {2, 0, 2, 100, 20, false, false}}));
  EXPECT_EQ(p.lines[0].width, 120);
  EXPECT_EQ(pieces(runs, 130)[1], (std::vector<std::string>{"and", " ", "more"}));
  EXPECT_EQ(p.lines[1].pieces[0].offset, 3u);
  // A word across runs moves as a whole: never "bold" on one line and "ly" on the next.
  EXPECT_EQ(shown(runs, 100), (lines_shown{"plain", "boldly and", "more"}));
}

TEST(LineLayout, NewlinesBreakTheLineAndAreInNoPiece) {
  EXPECT_EQ(shown("one\ntwo", 1000), (lines_shown{"one", "two"}));
  EXPECT_EQ(shown("a\n\nb", 1000), (lines_shown{"a", "", "b"}));
  EXPECT_EQ(shown("end\n", 1000), (lines_shown{"end", ""}));
  EXPECT_EQ(shown("a\r\nb\u2028c", 1000), (lines_shown{"a", "b", "c"}));
  EXPECT_EQ(shown(std::vector<styled_run>{{"a\n", 0}, {"b", 1}}, 1000), (lines_shown{"a", "b"}));
}

TEST(LineLayout, IndentationIsKeptAndTrailingSpacesAreNot) {
  const std::vector<styled_run> runs = {{"if x:\n    y = 1   \nz", 4}};
  EXPECT_EQ(shown(runs, 1000), (lines_shown{"if x:", "    y = 1", "z"}));
  EXPECT_EQ(lay_out(runs, 1000, ten_per_code_point).lines[1].width, 90);
  // Indentation that does not fit beside the word after it is dropped with the break.
  EXPECT_EQ(shown("      abcd", 50), (lines_shown{"abcd"}));
}

TEST(LineLayout, BreaksAfterHyphensAsUax14Says) {
  EXPECT_EQ(shown("a well-known fact", 80), (lines_shown{"a well-", "known", "fact"}));
  EXPECT_EQ(shown("a -5", 30), (lines_shown{"a", "-5"}));  // a minus sign stays with its number
  // Unicode 15.0 lets a line break after leading hyphens (wrap() did not).
  EXPECT_EQ(shown("use --flag", 60), (lines_shown{"use --", "flag"}));
}

TEST(LineLayout, CjkBreaksBetweenCharacters) {
  EXPECT_EQ(shown("Hi 你好世界", 50), (lines_shown{"Hi 你好", "世界"}));
  // A full stop never starts a line: it stays with the character before it.
  EXPECT_EQ(shown("你好。世界", 20), (lines_shown{"你", "好。", "世界"}));
  EXPECT_EQ(shown("日本語のテキスト", 35), (lines_shown{"日本語", "のテキ", "スト"}));
  // Every character is a piece of its own (a word, to the browser's cache).
  EXPECT_EQ(pieces(plain("日本語"), 100), (pieces_shown{{"日", "本", "語"}}));
}

TEST(LineLayout, EmojiSequencesAreNeverSplit) {
  // Thumbs up with a skin tone is two code points (20 wide here): one character to a reader.
  EXPECT_EQ(shown("👍🏽👍🏽👍🏽", 45), (lines_shown{"👍🏽👍🏽", "👍🏽"}));
  EXPECT_EQ(shown("🇫🇷🇩🇪", 10), (lines_shown{"🇫🇷", "🇩🇪"}));
  EXPECT_EQ(shown("👨‍👩‍👧 ok", 0), (lines_shown{"👨‍👩‍👧", "o", "k"}));
  EXPECT_EQ(shown("e\u0301e\u0301", 10), (lines_shown{"e\u0301", "e\u0301"}));
  EXPECT_EQ(shown("Nice 😀 work", 60), (lines_shown{"Nice 😀", "work"}));
}

TEST(LineLayout, AWordWiderThanTheLineIsSplitBetweenClusters) {
  EXPECT_EQ(shown("abcdefghij", 35), (lines_shown{"abc", "def", "ghi", "j"}));
  // It starts on a line of its own; what follows it continues after its last piece.
  EXPECT_EQ(shown("see abcdefghij k", 40), (lines_shown{"see", "abcd", "efgh", "ij k"}));
  // A URL breaks after its slashes first (UAX #14), inside a part only where one is too long.
  EXPECT_EQ(shown("https://example.com/a/very/long/path", 100),
            (lines_shown{"https://", "example.co", "m/a/very/", "long/path"}));
  // Spaces inside a word ("abc )": no break before a closing bracket) are dropped where the
  // word is split at them.
  EXPECT_EQ(shown("abc )", 30), (lines_shown{"abc", ")"}));
  // The clusters of one word on one line are one piece.
  EXPECT_EQ(pieces(plain("abcdefghij"), 35)[0], (std::vector<std::string>{"abc"}));
}

TEST(LineLayout, AZeroOrNegativeWidthGivesOneClusterPerLine) {
  EXPECT_EQ(shown("ab cé", 0), (lines_shown{"a", "b", "c", "é"}));
  EXPECT_EQ(shown("ab", -5), (lines_shown{"a", "b"}));
  EXPECT_EQ(shown("a  b", 0), (lines_shown{"a", "b"}));
}

TEST(LineLayout, IllFormedUtf8IsSplitByteByByteAndNeverLost) {
  EXPECT_EQ(shown("\xff\xfe", 0), (lines_shown{"\xff", "\xfe"}));
  EXPECT_EQ(shown("a\xe2\x82", 0), (lines_shown{"a", "\xe2", "\x82"}));
}

TEST(LineLayout, NothingToLayOutIsOneEmptyLine) {
  for (const std::vector<styled_run>& runs : {std::vector<styled_run>{}, plain(""), plain("   ")}) {
    const paragraph p = lay_out(runs, 100, ten_per_code_point);
    ASSERT_EQ(p.lines.size(), 1u);
    EXPECT_TRUE(p.lines[0].pieces.empty());
    EXPECT_EQ(p.lines[0].width, 0);
  }
}

TEST(LineLayout, MeasuresWholePiecesNotCharacters) {
  std::vector<std::string> measured;
  const measure_fn measure = [&](std::string_view s, std::uint8_t style, bool rtl) {
    measured.emplace_back(s);
    return ten_per_code_point(s, style, rtl);
  };
  const std::vector<styled_run> runs = {{"one two  three", 0}, {" four", 1}};
  lay_out(runs, 100, measure);
  // A space's width is asked once per style, then reused.
  EXPECT_EQ(measured, (std::vector<std::string>{"one", " ", "two", "three", " ", "four"}));
}

TEST(LineLayout, UsesTheMeasureOfEachStyleAndDirection) {
  // Bold is twice as wide in this fake font, and right-to-left text three times.
  const measure_fn measure = [](std::string_view s, std::uint8_t style, bool rtl) {
    return ten_per_code_point(s, style, rtl) * ((style & 1) ? 2 : 1) * (rtl ? 3 : 1);
  };
  const std::vector<styled_run> runs = {{"aa ", 0}, {"bb", 1}, {" cc", 0}};
  const paragraph p = lay_out(runs, 70, measure);
  ASSERT_EQ(p.lines.size(), 2u);
  EXPECT_EQ(p.lines[0].width, 70);  // "aa " 30 + "bb" 40
  EXPECT_EQ(p.lines[1].pieces[0].offset, 1u);
  const auto hebrew = plain("ab אב");
  const paragraph h = lay_out(hebrew, 1000, measure);
  ASSERT_EQ(h.lines[0].pieces.size(), 3u);
  EXPECT_TRUE(h.lines[0].pieces[2].rtl);
  EXPECT_EQ(h.lines[0].pieces[2].width, 60);
  EXPECT_EQ(h.lines[0].width, 90);
}

TEST(LineLayout, TabsAreWhitespaceMeasuredAsText) {
  std::vector<std::string> measured;
  const measure_fn measure = [&](std::string_view s, std::uint8_t style, bool rtl) {
    measured.emplace_back(s);
    return ten_per_code_point(s, style, rtl) * (s == "\t" ? 4 : 1);
  };
  const auto runs = plain("a\tb");
  const paragraph p = lay_out(runs, 1000, measure);
  ASSERT_EQ(p.lines[0].pieces.size(), 3u);
  EXPECT_TRUE(p.lines[0].pieces[1].whitespace);
  EXPECT_EQ(p.lines[0].pieces[2].x, 50);
  EXPECT_EQ(measured, (std::vector<std::string>{"a", "\t", "b"}));
}

TEST(LineLayout, AnRtlParagraphRunsRightToLeft) {
  const auto runs = plain("שלום abc עולם");
  const paragraph p = lay_out(runs, 1000, ten_per_code_point);
  EXPECT_TRUE(p.rtl);
  ASSERT_EQ(p.lines.size(), 1u);
  const std::vector<piece>& ps = p.lines[0].pieces;
  ASSERT_EQ(ps.size(), 5u);
  // Left to right: the last word first; each piece is drawn in its own direction.
  EXPECT_EQ(text_of(runs, ps[0]), "עולם");
  EXPECT_TRUE(ps[0].rtl);
  EXPECT_EQ(text_of(runs, ps[2]), "abc");
  EXPECT_FALSE(ps[2].rtl);
  EXPECT_EQ(text_of(runs, ps[4]), "שלום");
  float x = 0;
  for (const piece& piece : ps) {
    EXPECT_EQ(piece.x, x);
    x += piece.width;
  }
  EXPECT_EQ(p.lines[0].width, 130);
}

TEST(LineLayout, TheCallerMayGiveTheDirection) {
  const auto runs = plain("abc אבג");
  EXPECT_FALSE(lay_out(runs, 1000, ten_per_code_point).rtl);
  const paragraph p = lay_out(runs, 1000, ten_per_code_point, {}, true);
  EXPECT_TRUE(p.rtl);
  EXPECT_EQ(text_of(runs, p.lines[0].pieces[0]), "אבג");
  EXPECT_EQ(text_of(runs, p.lines[0].pieces[2]), "abc");
  // No strong character: LTR unless given.
  EXPECT_FALSE(lay_out(plain("123"), 1000, ten_per_code_point).rtl);
}

TEST(LineLayout, EachLineIsOrderedOnItsOwn) {
  // Two lines of an RTL paragraph: each holds its own words, right to left.
  const auto runs = plain("אחת שתיים שלוש");
  const paragraph p = lay_out(runs, 90, ten_per_code_point);
  ASSERT_EQ(p.lines.size(), 2u);
  EXPECT_EQ(shown(runs, 90), (lines_shown{"שתיים אחת", "שלוש"}));
  EXPECT_EQ(p.lines[1].width, 40);  // the view puts it at the right edge
}

TEST(LineLayout, TheDictionaryIsAskedForSoutheastAsianRuns) {
  std::size_t asked = 0;
  const dictionary_fn words = [&](std::u32string_view run) {
    ++asked;
    EXPECT_EQ(run, U"ภาษาไทย");
    return std::vector<std::size_t>{0, 4};
  };
  const auto runs = plain("ภาษาไทย");
  const paragraph p = lay_out(runs, 40, ten_per_code_point, words);
  EXPECT_EQ(asked, 1u);
  ASSERT_EQ(p.lines.size(), 2u);
  EXPECT_EQ(text_of(runs, p.lines[0].pieces[0]), "ภาษา");
  EXPECT_EQ(text_of(runs, p.lines[1].pieces[0]), "ไทย");
}

// ---- invariants over random text ------------------------------------------------------------

// Random text from every kind of character the layout treats apart: letters of both
// directions, marks, digits, spaces, tabs, newlines, CJK, emoji pieces, joiners, flags, bidi
// controls and ill-formed bytes, in random runs and at random widths.
TEST(LineLayout, RandomTextKeepsEveryCharacterOnceInOrderedPieces) {
  const std::vector<std::string> pool = {
      "a",      "Z",      "é",        "\u0301", "\u0323", " ",      "  ",     "\t",     "\n",
      "\r\n",   "-",      ".",        ",",      "(",      ")",      "1",      "42",     "١",
      "א",      "\u05B8", "ש",        "ع",      "ل",      "\u064E", "日",     "。",     "「",
      "ッ",     "한",     "ก",        "\u0E31", "न",      "\u094D", "👍",      "🏽",   "\u200D",
      "👩",      "🇯",      "🇵",        "\uFE0F", "\u20E3", "\u202B", "\u202C", "\u2067", "\u2069",
      "\u200B", "\xff",   "\xe2\x82", "$",      "%",      "/"};
  std::uint32_t seed = 12345;
  const auto next = [&](std::uint32_t n) {
    seed = seed * 1664525u + 1013904223u;
    return (seed >> 8) % n;
  };
  for (int round = 0; round < 3000; ++round) {
    std::vector<std::string> texts(1 + next(3));
    for (std::string& t : texts)
      for (std::uint32_t k = next(12); k > 0; --k)
        t += pool[next(static_cast<std::uint32_t>(pool.size()))];
    std::vector<styled_run> runs;
    for (std::size_t r = 0; r < texts.size(); ++r)
      runs.push_back({texts[r], static_cast<std::uint8_t>(r % 2)});
    const float max_width = static_cast<float>(next(80)) - 5;
    const paragraph p = lay_out(runs, max_width, ten_per_code_point);
    SCOPED_TRACE("round " + std::to_string(round));
    ASSERT_FALSE(p.lines.empty());

    std::vector<std::vector<int>> covered(runs.size());
    for (std::size_t r = 0; r < runs.size(); ++r)
      covered[r].assign(runs[r].text.size(), 0);
    for (const line& l : p.lines) {
      float x = 0;
      for (const piece& piece : l.pieces) {
        ASSERT_LT(piece.run_index, runs.size());
        ASSERT_GT(piece.length, 0u);
        ASSERT_LE(piece.offset + piece.length, runs[piece.run_index].text.size());
        EXPECT_EQ(piece.x, x);
        EXPECT_EQ(piece.width, ten_per_code_point(text_of(runs, piece), 0, false));
        x += piece.width;
        for (std::size_t b = piece.offset; b < piece.offset + piece.length; ++b)
          ++covered[piece.run_index][b];
      }
      EXPECT_EQ(l.width, x);
    }
    // Every byte is on exactly one line, except newlines and the spaces a break drops.
    for (std::size_t r = 0; r < runs.size(); ++r) {
      for (std::size_t b = 0; b < runs[r].text.size(); ++b) {
        const char c = runs[r].text[b];
        const bool droppable = c == ' ' || c == '\t' || c == '\n' || c == '\r';
        EXPECT_LE(covered[r][b], 1) << "run " << r << " byte " << b;
        if (!droppable) {
          EXPECT_EQ(covered[r][b], 1) << "run " << r << " byte " << b;
        }
      }
    }
  }
}

}  // namespace
}  // namespace palaver::web::text
