// libFuzzer target for everything that reads outside input in shared/: the frame decoders,
// the model decoders (REST bodies, the store), metadata canonicalisation, and the transcript
// fed with whatever decodes. Nothing may crash, leak or hit undefined behaviour, and every
// decoded value must survive a round trip: decode(encode(v)) == v, with stable text.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "palaver/codec.hpp"
#include "palaver/transcript.hpp"

namespace {

template <class Value>
void check_round_trip(const palaver::result<Value>& decoded,
                      palaver::result<Value> (*decode)(std::string_view)) {
  if (!decoded) return;
  const std::string canonical = palaver::encode(*decoded);
  const auto again = decode(canonical);
  if (!again || !(*again == *decoded) || palaver::encode(*again) != canonical) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  check_round_trip(palaver::decode_client_frame(text), &palaver::decode_client_frame);
  check_round_trip(palaver::decode_message(text), &palaver::decode_message);
  check_round_trip(palaver::decode_conversation(text), &palaver::decode_conversation);
  if (const auto metadata = palaver::canonical_json_object(text); metadata && !metadata->empty()) {
    const auto again = palaver::canonical_json_object(metadata->text());
    if (!again || !(*again == *metadata)) std::abort();
  }

  const auto frame = palaver::decode_server_frame(text);
  check_round_trip(frame, &palaver::decode_server_frame);
  if (frame) {
    // Twice: the second time everything with a seq is a duplicate.
    palaver::transcript transcript("c1");
    transcript.apply(*frame);
    transcript.apply(*frame);
  }
  return 0;
}
