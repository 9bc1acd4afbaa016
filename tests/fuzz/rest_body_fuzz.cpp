// libFuzzer target for the REST API's request bodies (server/src/rest_api.cpp): every input is
// decoded as each body type the API takes, as the server does, with shared's
// decode_client_body / decode_server_body. Beyond "no crash": a body decodes to the frame its
// route reads (rest_api does std::get on it), re-encodes and decodes to the same value as a body
// and as a frame, and a refused body's answer is a valid error frame.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "palaver/codec.hpp"
#include "palaver/limits.hpp"

#include "fuzz_support.hpp"

namespace {

using palaver::fuzz::check;

// `Decoded` is result<client_frame> or result<server_frame>; `Frame` the alternative the route
// takes out of it.
template <class Frame, class Decoded>
void check_body(std::string_view type, const Decoded& decoded,
                Decoded (*decode_body)(std::string_view, std::string_view),
                Decoded (*decode_frame)(std::string_view)) {
  if (!decoded) {
    // What rest_api's rejected() answers: the refusal as an `error` frame.
    const std::string answer =
        palaver::encode(palaver::server_frame{palaver::make_error_frame(decoded.error())});
    const auto back = palaver::decode_server_frame(answer);
    check(back && std::holds_alternative<palaver::error_frame>(*back),
          "a refused body's answer is not an error frame");
    return;
  }
  check(std::holds_alternative<Frame>(*decoded), "a body decoded to another frame type");
  const std::string canonical = palaver::encode(*decoded);
  const auto as_body = decode_body(type, canonical);
  check(as_body && *as_body == *decoded && palaver::encode(*as_body) == canonical,
        "a body does not survive encode and decode as a body");
  // A WebSocket frame is bounded where a body is not: compare only what a frame may hold.
  if (canonical.size() <= palaver::limits::max_frame_bytes) {
    const auto as_frame = decode_frame(canonical);
    check(as_frame && *as_frame == *decoded, "a body does not decode as the same frame");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  // POST /api/v1/messages and /conversations/{id}/messages; POST /api/v1/feedback.
  check_body<palaver::message_frame>("message", palaver::decode_client_body("message", body),
                                     &palaver::decode_client_body, &palaver::decode_client_frame);
  check_body<palaver::feedback_frame>("feedback", palaver::decode_client_body("feedback", body),
                                      &palaver::decode_client_body, &palaver::decode_client_frame);
  // POST /api/v1/conversations/{id}/notifications (site backend).
  check_body<palaver::notification_frame>(
      "notification", palaver::decode_server_body("notification", body),
      &palaver::decode_server_body, &palaver::decode_server_frame);
  return 0;
}
