// What several fuzz targets share: an invariant check that reports what broke before libFuzzer
// saves the input, a UTF-8 validity test, and the layout of an input that carries a byte
// stream together with where the stream is cut into reads (the SSE parser and the HTTP
// parser must give the same result however the network splits their bytes).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "palaver/text.hpp"

namespace palaver::fuzz {

// Aborts with `what` on stderr when `ok` is false: libFuzzer treats the abort as a crash and
// writes the input to crash-<sha1>, and the message says which promise it broke.
inline void check(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "fuzz invariant broken: %s\n", what);
  std::abort();
}

inline bool is_valid_utf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t length = utf8_sequence_length(text, i);
    if (length == 0) return false;
    i += length;
  }
  return true;
}

// An input read as [control][payload][k size bytes]: the control byte's low four bits are k, its
// high four bits an option of the target's own (0..15); the k bytes at the end give the sizes of
// the reads (each byte + 1, cycled until the payload is used up). k = 0: one read of the whole
// payload. So a plain seed is one control byte (e.g. 0x00) followed by the stream's text.
struct stream_input {
  std::uint8_t option = 0;
  std::string_view payload;
  std::vector<std::size_t> read_sizes;

  static stream_input from(const std::uint8_t* data, std::size_t size) {
    stream_input in;
    if (size == 0) return in;
    const std::size_t k = std::min<std::size_t>(data[0] & 0x0F, size - 1);
    in.option = static_cast<std::uint8_t>(data[0] >> 4);
    in.payload = std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1 - k);
    for (std::size_t i = size - k; i < size; ++i)
      in.read_sizes.push_back(std::size_t{data[i]} + 1);
    return in;
  }

  // Calls on_read(std::string_view) for each read, in order; at least once, even when empty.
  template <class OnRead>
  void for_each_read(OnRead&& on_read) const {
    if (read_sizes.empty() || payload.empty()) return on_read(payload);
    std::string_view rest = payload;
    for (std::size_t i = 0; !rest.empty(); i = (i + 1) % read_sizes.size()) {
      const std::size_t n = std::min(read_sizes[i], rest.size());
      on_read(rest.substr(0, n));
      rest.remove_prefix(n);
    }
  }
};

}  // namespace palaver::fuzz
