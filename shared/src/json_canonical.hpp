// Canonical text of an arbitrary JSON value (metadata): members in their original order,
// no whitespace, strings escaped as everywhere else. Internal to shared/; stateless.
#pragma once

#include <string>

#include <boost/json/value.hpp>

namespace palaver::detail {

std::string canonical_json(const boost::json::value& value);

}  // namespace palaver::detail
