// "{name}" placeholders: what counts as one, and filling them.
#include "palaver/placeholders.hpp"

#include <gtest/gtest.h>

namespace palaver {
namespace {

TEST(Placeholders, AreExactlyBracedNames) {
  EXPECT_EQ(placeholders("{title} ({count}), {count} {} {a-b"),
            (std::vector<std::string_view>{"title", "count", "count"}));
  EXPECT_EQ(placeholders("{a_1}{B2}"), (std::vector<std::string_view>{"a_1", "B2"}));
  EXPECT_TRUE(placeholders("no braces, { a }, {a b}, {").empty());
}

TEST(Placeholders, FillingInsertsValuesAsTheyAre) {
  const placeholder_value values[] = {{"title", "{count}"}, {"count", "3"}};
  // A value is inserted as it is, never read for placeholders in turn.
  EXPECT_EQ(fill_placeholders("{title} / {count}", values), "{count} / 3");
  // Without a value, or not a name: left as written.
  EXPECT_EQ(fill_placeholders("{name} {} {a b} { {{count}} }{", values),
            "{name} {} {a b} { {3} }{");
  EXPECT_EQ(fill_placeholders("", values), "");
  EXPECT_EQ(fill_placeholders("{count}{count}", values), "33");
}

}  // namespace
}  // namespace palaver
