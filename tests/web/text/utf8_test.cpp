// UTF-8 decoding with byte offsets: what every part of the text core maps its results back
// through.
#include "text/utf8.hpp"

#include <gtest/gtest.h>

namespace palaver::web::text {
namespace {

TEST(Utf8, DecodesWithTheByteOffsetOfEachCodePoint) {
  const decoded_text d = decode_utf8("aé€😀");
  EXPECT_EQ(d.code_points, U"aé€😀");
  EXPECT_EQ(d.offsets, (std::vector<std::uint32_t>{0, 1, 3, 6, 10}));
}

TEST(Utf8, IllFormedBytesAreEachAReplacementCharacter) {
  // A stray continuation byte, a cut sequence, an overlong form, a surrogate.
  const decoded_text d = decode_utf8("\x80x\xe2\x82\xc0\xaf\xed\xa0\x80");
  EXPECT_EQ(d.code_points, std::u32string(1, U'\uFFFD') + U"x" + std::u32string(7, U'\uFFFD'));
  EXPECT_EQ(d.offsets.back(), 9u);
  EXPECT_EQ(d.offsets[3], 3u);  // each one byte long: nothing is lost or skipped
}

TEST(Utf8, AppendingKeepsCountingBytes) {
  decoded_text d;
  append_decoded("ab", d);
  append_decoded("é", d);
  EXPECT_EQ(d.code_points, U"abé");
  EXPECT_EQ(d.offsets, (std::vector<std::uint32_t>{0, 1, 2, 4}));
}

TEST(Utf8, EncodesBackAndReplacesWhatIsNotACharacter) {
  EXPECT_EQ(encode_utf8(U"aé€😀"), "aé€😀");
  std::string out;
  append_utf8(out, 0xD800);
  append_utf8(out, 0x110000);
  EXPECT_EQ(out, "\uFFFD\uFFFD");
  EXPECT_EQ(decode_at("€", 0).length, 3u);
}

}  // namespace
}  // namespace palaver::web::text
