// Wire names of the message model's enums.
#include "palaver/model.hpp"

#include "enum_names.hpp"

namespace palaver {
namespace {

constexpr std::array<std::string_view, 4> role_names = {"user", "assistant", "operator", "system"};
constexpr std::array<std::string_view, 5> status_names = {"streaming", "complete", "cancelled",
                                                          "error", "interrupted"};
constexpr std::array<std::string_view, 5> finish_names = {"stop", "length", "cancelled", "error",
                                                          "interrupted"};
constexpr std::array<std::string_view, 3> level_names = {"info", "warning", "error"};

}  // namespace

std::string_view to_string(role value) {
  return detail::name_of(role_names, value);
}
std::string_view to_string(message_status value) {
  return detail::name_of(status_names, value);
}
std::string_view to_string(finish_reason value) {
  return detail::name_of(finish_names, value);
}
std::string_view to_string(notification_level value) {
  return detail::name_of(level_names, value);
}

std::optional<role> role_from_string(std::string_view name) {
  return detail::enum_from_name<role>(role_names, name);
}
std::optional<message_status> message_status_from_string(std::string_view name) {
  return detail::enum_from_name<message_status>(status_names, name);
}
std::optional<finish_reason> finish_reason_from_string(std::string_view name) {
  return detail::enum_from_name<finish_reason>(finish_names, name);
}
std::optional<notification_level> notification_level_from_string(std::string_view name) {
  return detail::enum_from_name<notification_level>(level_names, name);
}

message_status status_after(finish_reason reason) {
  switch (reason) {
    case finish_reason::stop:
    case finish_reason::length:
      return message_status::complete;
    case finish_reason::cancelled:
      return message_status::cancelled;
    case finish_reason::error:
      return message_status::error;
    case finish_reason::interrupted:
      return message_status::interrupted;
  }
  return message_status::error;
}

}  // namespace palaver
