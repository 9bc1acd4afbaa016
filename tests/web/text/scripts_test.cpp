// Line layout script by script: the lines and the visual order a reader of each writing system
// expects, from the Latin alphabet with stacked marks to Thai, Arabic and emoji sequences.
// The fake font gives every grapheme cluster a width of 10, whatever its code points.
#include <gtest/gtest.h>

#include "text/grapheme.hpp"
#include "text/line_layout.hpp"

namespace palaver::web::text {
namespace {

float ten_per_cluster(std::string_view s, std::uint8_t, bool) {
  return 10.0f * static_cast<float>(grapheme_clusters(s).size());
}

using lines_shown = std::vector<std::string>;
using pieces_shown = std::vector<std::vector<std::string>>;

// Each line's pieces, left to right (each piece's text in logical order, as fillText gets it).
pieces_shown pieces(std::string_view text, float max_width, const dictionary_fn& words = {}) {
  const std::vector<styled_run> runs = {{text, 0}};
  pieces_shown out;
  for (const line& l : lay_out(runs, max_width, ten_per_cluster, words).lines) {
    out.emplace_back();
    for (const piece& p : l.pieces)
      out.back().emplace_back(text_of(runs, p));
  }
  return out;
}

lines_shown shown(std::string_view text, float max_width, const dictionary_fn& words = {}) {
  lines_shown out;
  for (const std::vector<std::string>& line : pieces(text, max_width, words)) {
    out.emplace_back();
    for (const std::string& p : line)
      out.back() += p;
  }
  return out;
}

TEST(Scripts, LatinWithCombiningMarksAndVietnameseStackedMarks) {
  EXPECT_EQ(shown("Cafe\u0301 cre\u0300me", 50), (lines_shown{"Cafe\u0301", "cre\u0300me"}));
  // "Tiếng Việt" decomposed: e, circumflex, acute. A word split for want of room is split
  // between letters, each with all its marks.
  EXPECT_EQ(shown("Tie\u0302\u0301ng Vie\u0323\u0302t", 20),
            (lines_shown{"Ti", "e\u0302\u0301n", "g", "Vi", "e\u0323\u0302t"}));
  EXPECT_EQ(shown("Tie\u0302\u0301ng Vie\u0323\u0302t", 50),
            (lines_shown{"Tie\u0302\u0301ng", "Vie\u0323\u0302t"}));
}

TEST(Scripts, GreekAndCyrillicBreakAtSpaces) {
  EXPECT_EQ(shown("Καλημέρα κόσμε", 90), (lines_shown{"Καλημέρα", "κόσμε"}));
  EXPECT_EQ(shown("Привет, мир! Как дела?", 80), (lines_shown{"Привет,", "мир! Как", "дела?"}));
}

TEST(Scripts, ChineseAndJapaneseBreakBetweenIdeographsButNotAroundPunctuation) {
  // Never 」, 、 or 。 at a line's start, never 「 at its end.
  EXPECT_EQ(shown("「東京」は日本の首都です。", 30),
            (lines_shown{"「東", "京」は", "日本の", "首都で", "す。"}));
  EXPECT_EQ(shown("東京、大阪", 20), (lines_shown{"東", "京、", "大阪"}));
  EXPECT_EQ(shown("我爱你。", 20), (lines_shown{"我爱", "你。"}));
}

TEST(Scripts, JapaneseSmallKanaAndTheLongVowelMarkNeverStartALine) {
  // UAX #14's default (strict) line breaking: small kana and ー are CJ, treated as NS.
  EXPECT_EQ(shown("キャッシュ", 30), (lines_shown{"キャッ", "シュ"}));
  EXPECT_EQ(shown("ラーメン", 20), (lines_shown{"ラー", "メン"}));
  EXPECT_EQ(shown("ちょっと", 10), (lines_shown{"ち", "ょ", "っ", "と"}))
      << "at a width of one character, a word must still be split";
  EXPECT_EQ(shown("ちょっと", 30), (lines_shown{"ちょっ", "と"}));
}

TEST(Scripts, KoreanBreaksAtSpaces) {
  EXPECT_EQ(shown("안녕하세요 세계", 60), (lines_shown{"안녕하세요", "세계"}));
  EXPECT_EQ(shown("한국어 텍스트를 봅니다", 80), (lines_shown{"한국어 텍스트를", "봅니다"}));
  // A word too long for a line is split between syllables, as any word.
  EXPECT_EQ(shown("안녕하세요 세계", 30), (lines_shown{"안녕하", "세요", "세계"}));
}

TEST(Scripts, ThaiBreaksOnlyWhereTheDictionarySays) {
  // ผม|ชอบ|ภาษา|ไทย: "I like the Thai language", no spaces.
  const dictionary_fn thai = [](std::u32string_view run) {
    if (run == U"ผมชอบภาษาไทย") return std::vector<std::size_t>{0, 2, 5, 9};
    if (run == U"สวัสดีครับ") return std::vector<std::size_t>{0, 6};
    return std::vector<std::size_t>{};
  };
  EXPECT_EQ(shown("ผมชอบภาษาไทย", 50, thai), (lines_shown{"ผมชอบ", "ภาษา", "ไทย"}));
  EXPECT_EQ(pieces("ผมชอบภาษาไทย", 1000, thai), (pieces_shown{{"ผม", "ชอบ", "ภาษา", "ไทย"}}));
  // สวัสดี|ครับ, with marks: 7 clusters. Without a dictionary the run is one word, split
  // between clusters only because it does not fit.
  EXPECT_EQ(shown("สวัสดีครับ", 50, thai), (lines_shown{"สวัสดี", "ครับ"}));
  EXPECT_EQ(shown("สวัสดีครับ", 50), (lines_shown{"สวัสดีค", "รับ"}));
  EXPECT_EQ(shown("สวัสดีครับ", 1000), (lines_shown{"สวัสดีครับ"}));
}

TEST(Scripts, ArabicWithEnglishAndNumbers) {
  // "Welcome to Palaver 2.0 today": an RTL paragraph; "Palaver 2.0" reads left to right
  // inside it.
  const std::string_view text = "مرحبا بك في Palaver 2.0 اليوم";
  const std::vector<styled_run> runs = {{text, 0}};
  const paragraph p = lay_out(runs, 1000, ten_per_cluster);
  EXPECT_TRUE(p.rtl);
  EXPECT_EQ(
      pieces(text, 1000),
      (pieces_shown{{"اليوم", " ", "Palaver", " ", "2.0", " ", "في", " ", "بك", " ", "مرحبا"}}));
  ASSERT_EQ(p.lines[0].pieces.size(), 11u);
  EXPECT_TRUE(p.lines[0].pieces[0].rtl);
  EXPECT_FALSE(p.lines[0].pieces[2].rtl);
  EXPECT_FALSE(p.lines[0].pieces[4].rtl);
  // Wrapped: the first words on the first line, each line right to left, the spaces at the
  // breaks dropped (so each line's width is its words', for the view to align it right).
  const paragraph wrapped = lay_out(runs, 130, ten_per_cluster);
  EXPECT_EQ(pieces(text, 130),
            (pieces_shown{{"في", " ", "بك", " ", "مرحبا"}, {"Palaver", " ", "2.0"}, {"اليوم"}}));
  EXPECT_EQ(wrapped.lines[0].width, 110);
  EXPECT_EQ(wrapped.lines[1].width, 110);
  EXPECT_EQ(wrapped.lines[2].width, 50);
}

TEST(Scripts, ArabicNumbersAndPunctuation) {
  // Arabic-Indic digits (AN) read left to right; the full stop belongs to the word before it,
  // one right-to-left piece (the browser draws it at the word's left).
  EXPECT_EQ(pieces("العدد ١٢٣ هنا.", 1000), (pieces_shown{{"هنا.", " ", "١٢٣", " ", "العدد"}}));
  const std::vector<styled_run> runs = {{"العدد ١٢٣ هنا.", 0}};
  const paragraph p = lay_out(runs, 1000, ten_per_cluster);
  EXPECT_TRUE(p.lines[0].pieces[0].rtl);
  EXPECT_FALSE(p.lines[0].pieces[2].rtl);
}

TEST(Scripts, HebrewWithPoints) {
  // "Shalom olam" pointed: each letter keeps its points, the paragraph reads right to left.
  const std::string_view text = "שָׁלוֹם עוֹלָם";
  EXPECT_EQ(pieces(text, 1000), (pieces_shown{{"עוֹלָם", " ", "שָׁלוֹם"}}));
  // At a width of one letter, every line is one letter with all its points.
  const lines_shown lines = shown("שָׁלוֹם", 0);
  EXPECT_EQ(lines, (lines_shown{"שָׁ", "ל", "וֹ", "ם"}));
}

TEST(Scripts, DevanagariWordsAndConjunctsStayWhole) {
  // नमस्ते: न म स्ते (3 clusters, the last a conjunct: स + virama + त + vowel sign);
  // दुनिया: दु नि या.
  EXPECT_EQ(shown("नमस्ते दुनिया", 30), (lines_shown{"नमस्ते", "दुनिया"}));
  EXPECT_EQ(shown("नमस्ते दुनिया", 60), (lines_shown{"नमस्ते", "दुनिया"}));
  EXPECT_EQ(shown("नमस्ते दुनिया", 70), (lines_shown{"नमस्ते दुनिया"}));
  EXPECT_EQ(pieces("नमस्ते दुनिया", 70), (pieces_shown{{"नमस्ते", " ", "दुनिया"}}));
  // Split for want of room, a word is never split inside a conjunct (Unicode 15.1's GB9c).
  EXPECT_EQ(shown("नमस्ते", 20), (lines_shown{"नम", "स्ते"}));
}

TEST(Scripts, EmojiSequencesAreOneClusterNeverBroken) {
  const std::string_view text = "👩‍💻 👨‍👩‍👧 👍🏽 🇯🇵🇫🇷 1️⃣";
  EXPECT_EQ(shown(text, 0),
            (lines_shown{"👩‍💻", "👨‍👩‍👧", "👍🏽", "🇯🇵", "🇫🇷", "1️⃣"}));
  EXPECT_EQ(shown(text, 30), (lines_shown{"👩‍💻 👨‍👩‍👧", "👍🏽 🇯🇵",
                                          "🇫🇷 1️⃣"}));
  EXPECT_EQ(pieces("🇯🇵🇫🇷", 1000), (pieces_shown{{"🇯🇵", "🇫🇷"}}));
  EXPECT_EQ(pieces("I 👍🏽 it", 1000), (pieces_shown{{"I", " ", "👍🏽", " ", "it"}}));
}

}  // namespace
}  // namespace palaver::web::text
