// Frame type names and the error frame made from a decode_error.
#include "palaver/frames.hpp"

#include "palaver/text.hpp"

#include "frame_names.hpp"
#include "text_rules.hpp"

namespace palaver {
namespace {

constexpr bool all_named(const auto& names) {
  for (std::string_view name : names)
    if (name.empty()) return false;
  return true;
}
static_assert(all_named(detail::client_type_names), "a client frame has no type name");
static_assert(all_named(detail::server_type_names), "a server frame has no type name");

}  // namespace

std::string_view type_name(const client_frame& frame) {
  return detail::client_type_names[frame.index()];
}

std::string_view type_name(const server_frame& frame) {
  return detail::server_type_names[frame.index()];
}

error_frame make_error_frame(const decode_error& error) {
  using namespace detail::text_rules;
  std::string message = describe(error);
  message.resize(utf8_prefix_length(message, limits::max_error_message_bytes));
  const auto valid_id = [](const std::optional<std::string>& id) {
    return id && is_id(*id) ? id : std::nullopt;
  };
  return error_frame{error.code, std::move(message), valid_id(error.ref),
                     valid_id(error.conversation_id)};
}

}  // namespace palaver
