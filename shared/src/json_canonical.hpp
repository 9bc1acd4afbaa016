// Canonical text of an arbitrary JSON value (metadata): members in their original order,
// no whitespace, strings escaped as everywhere else. Internal to shared/; stateless.
#pragma once

#include <optional>
#include <string>

#include "palaver/model.hpp"

#include <boost/json/value.hpp>

namespace palaver::detail {

// The canonical text, or nullopt if the value holds a number JSON cannot write (a double
// that overflowed to infinity, such as 1e400).
std::optional<std::string> canonical_json(const boost::json::value& value);

// The codec's way to make a json_object_text from text it has made canonical.
struct json_object_access {
  static json_object_text make(std::string canonical) {
    return json_object_text(std::move(canonical));
  }
};

}  // namespace palaver::detail
