// Prints "<name>\t<outcome>" for every test vector, one per line. The native and the Wasm
// build must print the same bytes (tests/compare_builds.cmake). Exits 1 when none is found.
#include <cstdio>

#include "vectors.hpp"

int main() {
  const auto vectors = palaver::test::load_vectors();
  for (const auto& vector : vectors) {
    const std::string line = vector.name + "\t" + palaver::test::outcome(vector) + "\n";
    std::fwrite(line.data(), 1, line.size(), stdout);
  }
  if (vectors.empty()) std::fputs("no vectors found under " PALAVER_VECTOR_DIR "\n", stderr);
  return vectors.empty() ? 1 : 0;
}
