// The wire "type" of every frame, indexed like the client_frame / server_frame variants.
// Internal to shared/: the decoder looks types up here, the encoder writes them from here.
#pragma once

#include <array>
#include <string_view>
#include <variant>

#include "palaver/frames.hpp"

namespace palaver::detail {

inline constexpr std::array<std::string_view, std::variant_size_v<client_frame>> client_type_names =
    {
        "auth",  "subscribe", "unsubscribe", "history",    "message", "cancel",
        "reply", "action",    "feedback",    "regenerate", "ping",
};

inline constexpr std::array<std::string_view, std::variant_size_v<server_frame>> server_type_names =
    {
        "ready", "conversation", "history", "ack",  "message",      "typing", "progress",
        "delta", "done",         "ask",     "edit", "notification", "error",  "pong",
};

}  // namespace palaver::detail
