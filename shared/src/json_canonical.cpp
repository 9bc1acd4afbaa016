// Canonical JSON of arbitrary values. See json_canonical.hpp.
#include "json_canonical.hpp"

#include <cmath>

#include <boost/json.hpp>

#include "json_writer.hpp"

namespace palaver::detail {
namespace {

// False if the value holds a number that JSON cannot write.
bool write_value(json_writer& w, const boost::json::value& value) {
  switch (value.kind()) {
    case boost::json::kind::object:
      w.begin_object();
      for (const auto& member : value.get_object()) {
        w.key(member.key());
        if (!write_value(w, member.value())) return false;
      }
      w.end_object();
      break;
    case boost::json::kind::array:
      w.begin_array();
      for (const auto& element : value.get_array())
        if (!write_value(w, element)) return false;
      w.end_array();
      break;
    case boost::json::kind::string:
      w.string(value.get_string());
      break;
    case boost::json::kind::int64:
      w.integer(value.get_int64());
      break;
    case boost::json::kind::bool_:
      w.boolean(value.get_bool());
      break;
    case boost::json::kind::null:
      w.raw("null");
      break;
    case boost::json::kind::double_:
      if (!std::isfinite(value.get_double())) return false;
      [[fallthrough]];
    case boost::json::kind::uint64:
      w.raw(boost::json::serialize(value));
      break;
  }
  return true;
}

}  // namespace

std::optional<std::string> canonical_json(const boost::json::value& value) {
  std::string out;
  json_writer writer(out);
  if (!write_value(writer, value)) return std::nullopt;
  return out;
}

}  // namespace palaver::detail
