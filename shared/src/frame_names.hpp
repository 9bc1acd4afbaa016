// The wire "type" of every frame, indexed like the client_frame / server_frame variants.
// Internal to shared/: the decoder looks types up here, the encoder writes them from here.
#pragma once

#include <array>
#include <string_view>
#include <variant>

#include "palaver/frames.hpp"

namespace palaver::detail {

extern const std::array<std::string_view, std::variant_size_v<client_frame>> client_type_names;
extern const std::array<std::string_view, std::variant_size_v<server_frame>> server_type_names;

}  // namespace palaver::detail
