// The canonical JSON writer: separators, escaping, appending after existing text.
#include "json_writer.hpp"

#include <gtest/gtest.h>

namespace palaver::detail {
namespace {

TEST(JsonWriter, NestsObjectsAndArraysWithCommasOnlyBetweenItems) {
  std::string out;
  json_writer w(out);
  w.begin_object();
  w.member("a", std::int64_t{1});
  w.key("b");
  w.begin_array();
  w.integer(-2);
  w.begin_object();
  w.end_object();
  w.boolean(false);
  w.end_array();
  w.member("c", "x");
  w.end_object();
  EXPECT_EQ(out, R"({"a":1,"b":[-2,{},false],"c":"x"})");
}

TEST(JsonWriter, EscapesQuotesBackslashesAndControlCharactersOnly) {
  static constexpr char input[] = "q\"b\\n\nt\tc\x01z\x1f/é😀\0";  // ends in a NUL of its own
  std::string out;
  json_writer(out).string(std::string(input, sizeof input - 1));
  EXPECT_EQ(out, "\"q\\\"b\\\\n\\nt\\tc\\u0001z\\u001f/é😀\\u0000\"");
}

TEST(JsonWriter, ReplacesWhatIsNotUtf8SoTheOutputIsAlwaysAValidFrame) {
  std::string out;
  json_writer w(out);
  w.begin_array();
  w.string("ok \xe2\x82");            // a reply cut inside "€"
  w.string("\xc0\xaf \xed\xa0\x80");  // an overlong "/" and a UTF-8-encoded surrogate
  w.string("\xf4\x90\x80\x80 \x80");  // above U+10FFFF, a stray continuation byte
  w.string("€ 😀 \xf4\x8f\xbf\xbf");   // valid, up to U+10FFFF, is kept as it is
  w.end_array();
  EXPECT_EQ(out,
            "[\"ok \xEF\xBF\xBD\xEF\xBF\xBD\","
            "\"\xEF\xBF\xBD\xEF\xBF\xBD \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\","
            "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD \xEF\xBF\xBD\","
            "\"€ 😀 \xf4\x8f\xbf\xbf\"]");
}

TEST(JsonWriter, AppendsAfterExistingTextWithoutASeparator) {
  std::string out = "prefix:";
  json_writer w(out);
  w.begin_object();
  w.member("k", true);
  w.end_object();
  EXPECT_EQ(out, R"(prefix:{"k":true})");
}

TEST(JsonWriter, WritesExtremeIntegersExactly) {
  std::string out;
  json_writer w(out);
  w.begin_array();
  w.integer(INT64_MIN);
  w.integer(9007199254740991);
  w.end_array();
  EXPECT_EQ(out, "[-9223372036854775808,9007199254740991]");
}

}  // namespace
}  // namespace palaver::detail
