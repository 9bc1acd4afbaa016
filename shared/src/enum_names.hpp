// Wire names of the protocol's enums, indexed by enumerator value. Internal to shared/.
// Constant tables: safe on any thread.
#pragma once

#include <array>
#include <cassert>
#include <optional>
#include <string_view>

namespace palaver::detail {

template <class Enum, std::size_t N>
std::string_view name_of(const std::array<std::string_view, N>& names, Enum value) {
  assert(static_cast<std::size_t>(value) < N && "not an enumerator");
  return names[static_cast<std::size_t>(value)];
}

template <class Enum, std::size_t N>
std::optional<Enum> enum_from_name(const std::array<std::string_view, N>& names,
                                   std::string_view name) {
  for (std::size_t i = 0; i < N; ++i)
    if (names[i] == name) return static_cast<Enum>(i);
  return std::nullopt;
}

}  // namespace palaver::detail
