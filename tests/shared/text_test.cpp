// Shortening UTF-8 text to a limit never splits a character.
#include "palaver/text.hpp"

#include <gtest/gtest.h>

namespace palaver {
namespace {

TEST(Text, APrefixWithinTheLimitEndsOnACharacterBoundary) {
  const std::string_view text = "aé€😀";  // 1 + 2 + 3 + 4 bytes
  EXPECT_EQ(utf8_prefix_length(text, 100), text.size());
  EXPECT_EQ(utf8_prefix_length(text, 10), 10u);
  EXPECT_EQ(utf8_prefix_length(text, 9), 6u);  // inside 😀: back to its start
  EXPECT_EQ(utf8_prefix_length(text, 4), 3u);  // inside €
  EXPECT_EQ(utf8_prefix_length(text, 2), 1u);  // inside é
  EXPECT_EQ(utf8_prefix_length(text, 0), 0u);
  EXPECT_EQ(utf8_prefix_length("", 5), 0u);
}

TEST(Text, OnlyWellFormedSequencesHaveALength) {
  const auto length = [](std::string_view s) { return utf8_sequence_length(s, 0); };
  EXPECT_EQ(length("a"), 1u);
  EXPECT_EQ(length("é"), 2u);
  EXPECT_EQ(length("€"), 3u);
  EXPECT_EQ(length("😀"), 4u);
  EXPECT_EQ(length("\xe2\x82"), 0u);          // cut short
  EXPECT_EQ(length("\x80"), 0u);              // a stray continuation byte
  EXPECT_EQ(length("\xc0\xaf"), 0u);          // overlong "/"
  EXPECT_EQ(length("\xed\xa0\x80"), 0u);      // a surrogate
  EXPECT_EQ(length("\xf4\x90\x80\x80"), 0u);  // above U+10FFFF
  EXPECT_EQ(utf8_sequence_length("a€", 1), 3u);
}

}  // namespace
}  // namespace palaver
