// Wire names of the error codes and the human form of a decode_error.
#include "palaver/errors.hpp"

#include <stdexcept>

#include <boost/throw_exception.hpp>

#include "enum_names.hpp"

namespace palaver {
namespace {

constexpr std::array<std::string_view, error_code_count> error_names = {
    "BAD_FRAME",  "UNKNOWN_TYPE",        "MISSING_FIELD",    "BAD_FIELD",
    "TOO_LARGE",  "UNSUPPORTED_VERSION", "AUTH_REQUIRED",    "AUTH_FAILED",
    "FORBIDDEN",  "NOT_FOUND",           "RATE_LIMITED",     "CONFLICT",
    "RESUME_GAP", "UPSTREAM_ERROR",      "UPSTREAM_TIMEOUT", "INTERNAL",
};

}  // namespace

std::string_view to_string(error_code code) {
  return detail::name_of(error_names, code);
}

std::optional<error_code> error_code_from_string(std::string_view name) {
  return detail::enum_from_name<error_code>(error_names, name);
}

std::string describe(const decode_error& error) {
  if (error.field.empty()) return error.detail;
  return error.field + ": " + error.detail;
}

void throw_exception_from_error(const decode_error& error, const boost::source_location& location) {
  boost::throw_exception(
      std::runtime_error(std::string(to_string(error.code)) + " " + describe(error)), location);
}

}  // namespace palaver
