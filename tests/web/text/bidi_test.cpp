// Bidi: UAX #9's BidiCharacterTest.txt (levels and visual order of every line), then what a
// reader of Arabic or Hebrew mixed with English and numbers sees.
#include "text/bidi.hpp"

#include <optional>
#include <sstream>

#include <gtest/gtest.h>

#include "text/utf8.hpp"
#include "unicode_test_file.hpp"

namespace palaver::web::text {
namespace {

using testing::hex;
using testing::test_lines;

std::vector<std::string> split(const std::string& s, char separator) {
  std::vector<std::string> out(1);
  for (const char c : s) {
    if (c == separator)
      out.emplace_back();
    else
      out.back() += c;
  }
  return out;
}

std::vector<std::string> words(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string w; in >> w;)
    out.push_back(w);
  return out;
}

// The code points of [start, end) of a line in visual order, left to right.
std::vector<std::size_t> visual_indices(const bidi_paragraph& p, std::u32string_view text,
                                        std::size_t start, std::size_t end) {
  std::vector<std::size_t> out;
  for (const visual_run& r : visual_runs(p, text, start, end)) {
    for (std::size_t k = 0; k < r.end - r.start; ++k)
      out.push_back(r.rtl() ? r.end - 1 - k : r.start + k);
  }
  return out;
}

TEST(Bidi, PassesEveryLineOfBidiCharacterTest) {
  std::size_t passed = 0;
  const auto lines = test_lines("BidiCharacterTest.txt");
  ASSERT_GT(lines.size(), 90000u) << "BidiCharacterTest.txt is missing or short";
  std::size_t reported = 0;
  for (const auto& line : lines) {
    const std::vector<std::string> fields = split(line.text, ';');
    ASSERT_EQ(fields.size(), 5u) << "line " << line.number;
    std::u32string text;
    for (const std::string& w : words(fields[0]))
      text.push_back(static_cast<char32_t>(std::stoul(w, nullptr, 16)));
    std::optional<bool> rtl;
    if (fields[1] == "0") rtl = false;
    if (fields[1] == "1") rtl = true;
    const bidi_paragraph p = resolve_bidi(text, rtl);
    const std::vector<std::uint8_t> levels = line_levels(p, text, 0, text.size());

    bool ok = (p.rtl ? "1" : "0") == fields[2];
    const std::vector<std::string> expected_levels = words(fields[3]);
    ok = ok && expected_levels.size() == text.size();
    for (std::size_t i = 0; ok && i < text.size(); ++i)
      ok = expected_levels[i] == "x" || std::stoul(expected_levels[i]) == levels[i];
    std::vector<std::size_t> order;
    for (const std::size_t i : visual_indices(p, text, 0, text.size()))
      if (!removed_by_x9(text[i])) order.push_back(i);
    std::vector<std::size_t> expected_order;
    for (const std::string& w : words(fields[4]))
      expected_order.push_back(std::stoul(w));
    ok = ok && order == expected_order;
    if (ok) {
      ++passed;
    } else if (++reported <= 20) {
      ADD_FAILURE() << "BidiCharacterTest.txt line " << line.number << ": " << hex(text);
    }
  }
  std::printf("BidiCharacterTest.txt: %zu of %zu lines pass\n", passed, lines.size());
  EXPECT_EQ(passed, lines.size());
}

TEST(Bidi, ParagraphDirectionIsTheFirstStrongCharacters) {
  EXPECT_EQ(first_strong_is_rtl(U"123 שלום abc"), true);
  EXPECT_EQ(first_strong_is_rtl(U"123 abc שלום"), false);
  EXPECT_EQ(first_strong_is_rtl(U"السلام"), true);  // AL
  EXPECT_EQ(first_strong_is_rtl(U"123 !?"), std::nullopt);
  // An isolate's contents do not count (P2), nor a later paragraph.
  EXPECT_EQ(first_strong_is_rtl(U"\u2067abc\u2069 שלום"), true);
  EXPECT_EQ(first_strong_is_rtl(U"123\nשלום"), std::nullopt);
  // Without one: LTR unless the caller says otherwise.
  EXPECT_FALSE(resolve_bidi(U"123").rtl);
  EXPECT_TRUE(resolve_bidi(U"123", true).rtl);
}

// The visual order of a UTF-8 line, as the characters a reader sees left to right.
std::string seen(std::string_view utf8, std::optional<bool> rtl = {}) {
  const std::u32string text = decode_utf8(utf8).code_points;
  const bidi_paragraph p = resolve_bidi(text, rtl);
  std::string out;
  for (const std::size_t i : visual_indices(p, text, 0, text.size()))
    append_utf8(out, text[i]);
  return out;
}

TEST(Bidi, ArabicWithEnglishAndNumbers) {
  // "I bought 3 books from Amazon": Arabic right to left, the English word and the number
  // each left to right inside it.
  EXPECT_EQ(seen("اشتريت 3 كتب من Amazon"), "Amazon نم بتك 3 تيرتشا");
  EXPECT_EQ(seen("السعر 12.50 دولار"), "رالود 12.50 رعسلا");
}

TEST(Bidi, HebrewInEnglishAndBrackets) {
  EXPECT_EQ(seen("He said שלום עולם today"), "He said םלוע םולש today");
  // Brackets pair (N0): around English in a Hebrew paragraph they take the paragraph's
  // direction, so ")" comes first in visual order (the browser draws it mirrored, as "(").
  EXPECT_EQ(seen("שלום (abc) עולם"), "םלוע )abc( םולש");
}

TEST(Bidi, LineRunsAndTrailingWhitespace) {
  const std::u32string text = U"אבג abc def";
  const bidi_paragraph p = resolve_bidi(text);
  EXPECT_TRUE(p.rtl);
  EXPECT_EQ(p.levels[7], 2);  // the space between "abc" and "def"
  // As the last character of the line "אבג abc ", it goes to the paragraph's level (L1) and
  // to the line's left end.
  EXPECT_EQ(line_levels(p, text, 0, 8).back(), 1);
  EXPECT_EQ(visual_runs(p, text, 0, 8), (std::vector<visual_run>{{7, 8, 1}, {4, 7, 2}, {0, 4, 1}}));
  EXPECT_EQ(visual_runs(p, text, 8, text.size()), (std::vector<visual_run>{{8, 11, 2}}));
}

TEST(Bidi, VisualOrderReversesFromTheHighestLevel) {
  const std::vector<std::uint8_t> levels = {0, 1, 1, 2, 2, 1, 0};
  EXPECT_EQ(visual_order(levels), (std::vector<std::size_t>{0, 5, 3, 4, 2, 1, 6}));
  EXPECT_EQ(visual_order(std::vector<std::uint8_t>{2, 2, 0}), (std::vector<std::size_t>{0, 1, 2}));
  EXPECT_TRUE(visual_order({}).empty());
}

TEST(Bidi, NewlinesEndEmbeddingsButKeepTheDirection) {
  // An RLE left open on the first line does not reach the second.
  const std::u32string text = U"a\u202B\u05D0\nc";
  const bidi_paragraph p = resolve_bidi(text);
  EXPECT_EQ(p.levels[2], 1);
  EXPECT_EQ(p.levels[4], 0);
}

}  // namespace
}  // namespace palaver::web::text
