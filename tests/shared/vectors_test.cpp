// Every vector in tests/vectors/ decodes to exactly what its .want file says, in this build.
#include "vectors.hpp"

#include <algorithm>

#include <gtest/gtest.h>

namespace palaver::test {
namespace {

TEST(Vectors, EnoughOfThemAndEnoughInvalidOnes) {
  const auto vectors = load_vectors();
  const auto invalid = std::count_if(vectors.begin(), vectors.end(), [](const vector_case& v) {
    return v.want.starts_with("error: ");
  });
  EXPECT_GE(vectors.size(), 60u);
  EXPECT_GE(invalid, 25);
}

TEST(Vectors, EachDecodesToItsExpectation) {
  for (const auto& vector : load_vectors()) {
    SCOPED_TRACE(vector.name);
    ASSERT_FALSE(vector.want.empty()) << "missing or empty .want file";
    const std::string line = outcome(vector);
    EXPECT_EQ(expectation_of(line), vector.want) << line;
  }
}

TEST(Vectors, ValidOnesAreAlreadyCanonicalOrBecomeSo) {
  // Encoding a valid vector's canonical text and decoding it again is the identity.
  for (const auto& vector : load_vectors()) {
    if (vector.want.starts_with("error: ")) continue;
    SCOPED_TRACE(vector.name);
    vector_case canonical = vector;
    canonical.input = vector.want;
    EXPECT_EQ(outcome(canonical), "ok " + vector.want);
  }
}

}  // namespace
}  // namespace palaver::test
