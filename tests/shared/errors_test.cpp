// Error codes: stable wire names, and the human message of a decode error.
#include "palaver/errors.hpp"

#include <set>

#include <gtest/gtest.h>

namespace palaver {
namespace {

TEST(Errors, EveryCodeHasADistinctNameThatRoundTrips) {
  std::set<std::string_view> names;
  for (int i = 0; i < error_code_count; ++i) {
    const auto code = static_cast<error_code>(i);
    const std::string_view name = to_string(code);
    EXPECT_TRUE(names.insert(name).second) << name;
    EXPECT_EQ(error_code_from_string(name), code) << name;
  }
  EXPECT_EQ(names.size(), 16u);
}

TEST(Errors, WireNamesAreTheDocumentedOnes) {
  EXPECT_EQ(to_string(error_code::bad_frame), "BAD_FRAME");
  EXPECT_EQ(to_string(error_code::unsupported_version), "UNSUPPORTED_VERSION");
  EXPECT_EQ(to_string(error_code::resume_gap), "RESUME_GAP");
  EXPECT_EQ(to_string(error_code::upstream_timeout), "UPSTREAM_TIMEOUT");
  EXPECT_EQ(to_string(error_code::internal), "INTERNAL");
}

TEST(Errors, UnknownNamesAreNotCodes) {
  EXPECT_FALSE(error_code_from_string("bad_frame"));
  EXPECT_FALSE(error_code_from_string(""));
  EXPECT_FALSE(error_code_from_string("TEAPOT"));
}

TEST(Errors, DescribeNamesTheFieldWhenThereIsOne) {
  EXPECT_EQ(describe({error_code::too_large, "message.text", "longer than 10 bytes"}),
            "message.text: longer than 10 bytes");
  EXPECT_EQ(describe({error_code::bad_frame, "", "not valid JSON"}), "not valid JSON");
}

}  // namespace
}  // namespace palaver
