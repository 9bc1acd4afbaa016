// Frame type names and the error frame made from a decode_error.
#include "palaver/frames.hpp"

#include "frame_names.hpp"

namespace palaver {
namespace detail {

const std::array<std::string_view, std::variant_size_v<client_frame>> client_type_names = {
    "auth",  "subscribe", "unsubscribe", "message",    "cancel",
    "reply", "action",    "feedback",    "regenerate", "ping",
};

const std::array<std::string_view, std::variant_size_v<server_frame>> server_type_names = {
    "ready", "conversation", "history", "ack",  "message",      "typing", "progress",
    "delta", "done",         "ask",     "edit", "notification", "error",  "pong",
};

}  // namespace detail

std::string_view type_name(const client_frame& frame) {
  return detail::client_type_names[frame.index()];
}

std::string_view type_name(const server_frame& frame) {
  return detail::server_type_names[frame.index()];
}

error_frame make_error_frame(const decode_error& error, std::optional<std::string> ref) {
  std::string message = describe(error);
  if (message.size() > limits::max_error_message_bytes) {
    std::size_t cut = limits::max_error_message_bytes;
    while (cut > 0 && (static_cast<unsigned char>(message[cut]) & 0xC0) == 0x80)
      --cut;
    message.resize(cut);  // on a code point boundary, so the text stays valid UTF-8
  }
  return error_frame{error.code, std::move(message), std::move(ref)};
}

}  // namespace palaver
