// libFuzzer target for the protocol decoder. Any input, either direction: decoding must not
// crash, leak or hit undefined behaviour, and a decoded frame must survive a round trip:
// decode(encode(frame)) == frame, and its canonical text is stable.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "palaver/codec.hpp"

namespace {

template <class Frame>
void check_round_trip(const palaver::result<Frame>& decoded,
                      palaver::result<Frame> (*decode)(std::string_view)) {
  if (!decoded) return;
  const std::string canonical = palaver::encode(*decoded);
  const auto again = decode(canonical);
  if (!again || !(*again == *decoded) || palaver::encode(*again) != canonical) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  check_round_trip(palaver::decode_client_frame(text), &palaver::decode_client_frame);
  check_round_trip(palaver::decode_server_frame(text), &palaver::decode_server_frame);
  return 0;
}
