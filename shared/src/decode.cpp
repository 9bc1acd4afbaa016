// The decoder: JSON text -> frames and model values, validated against fields.hpp.
// Throws nothing but std::bad_alloc; the first rule broken, in canonical field order, is the
// error reported.
// Stateless apart from per-call locals: safe on any thread.
//
// Sections: enums · metadata · the reader visitor · frame dispatch · public entry points.
#include <string>
#include <utility>

#include "palaver/codec.hpp"

#include <boost/json.hpp>

#include "fields.hpp"
#include "frame_names.hpp"
#include "json_canonical.hpp"
#include "json_parse.hpp"
#include "text_rules.hpp"

namespace palaver {
namespace json = boost::json;
using detail::blank;
using detail::emit;
using detail::presence;
using namespace detail::text_rules;

namespace {

// ---- enums -----------------------------------------------------------------------------

std::optional<role> parse_enum(std::string_view s, role*) {
  return role_from_string(s);
}
std::optional<message_status> parse_enum(std::string_view s, message_status*) {
  return message_status_from_string(s);
}
std::optional<finish_reason> parse_enum(std::string_view s, finish_reason*) {
  return finish_reason_from_string(s);
}
std::optional<notification_level> parse_enum(std::string_view s, notification_level*) {
  return notification_level_from_string(s);
}
std::optional<error_code> parse_enum(std::string_view s, error_code*) {
  return error_code_from_string(s);
}

// ---- metadata --------------------------------------------------------------------------

// The rules of a metadata object, for frames and canonical_json_object() alike. The error
// names no field: the caller knows which one it is.
result<json_object_text> to_object_text(const json::value& v) {
  if (!v.is_object()) return decode_error{error_code::bad_field, "", "must be an object"};
  if (v.get_object().empty()) return json_object_text{};  // {} and absent are the same
  std::optional<std::string> text = detail::canonical_json(v);
  if (!text) return decode_error{error_code::bad_field, "", "holds a number out of range"};
  if (text->size() > limits::max_metadata_bytes)
    return decode_error{error_code::too_large, "",
                        "longer than " + std::to_string(limits::max_metadata_bytes) + " bytes"};
  return detail::json_object_access::make(std::move(*text));
}

// ---- the reader visitor ----------------------------------------------------------------

// Reads the members of one JSON object into a value through its fields(). All readers of
// one decode share `error`: after the first failure every read is skipped.
class reader {
 public:
  reader(const json::object& object, std::string path, std::optional<decode_error>& error)
      : object_(object), path_(std::move(path)), error_(error) {}

  // Identifiers.
  void id(std::string_view key, std::string& out, presence p = presence::required) {
    string_field(key, out, p, limits::max_id_bytes, [&](std::string_view s) {
      return check(is_id(s), key, "must be 1 to 64 of A-Z a-z 0-9 _ -");
    });
  }
  void id(std::string_view key, std::optional<std::string>& out) {
    if (present(key)) id(key, out.emplace());
  }

  void agent(std::string_view key, std::string& out) {
    string_field(key, out, presence::required, limits::max_agent_bytes, [&](std::string_view s) {
      return check(!s.empty() && all_of(s, is_agent_char), key, "must be 1 to 32 of a-z 0-9 _ -");
    });
  }
  void agent(std::string_view key, std::optional<std::string>& out) {
    if (present(key)) agent(key, out.emplace());
  }

  void token(std::string_view key, std::optional<std::string>& out) {
    if (!present(key)) return;
    string_field(key, out.emplace(), presence::required, limits::max_token_bytes,
                 [&](std::string_view s) {
                   return check(!s.empty() && all_of(s, is_token_char), key,
                                "must be printable ASCII without spaces");
                 });
  }

  void text(std::string_view key, std::string& out, std::size_t max_bytes, blank b,
            presence p = presence::required) {
    string_field(key, out, p, max_bytes, [&](std::string_view s) {
      return check(b == blank::allowed || !is_blank(s), key, "must not be blank");
    });
  }
  void text(std::string_view key, std::optional<std::string>& out, std::size_t max_bytes, blank b) {
    if (!present(key)) return;
    text(key, out.emplace(), max_bytes, b);
  }

  void url(std::string_view key, std::string& out, presence p) {
    string_field(key, out, p, limits::max_url_bytes, [&](std::string_view s) {
      return check(is_safe_url(s), key, "must be an http(s) URL or a path starting with /");
    });
  }

  void mime_type(std::string_view key, std::string& out) {
    string_field(key, out, presence::required, limits::max_mime_type_bytes,
                 [&](std::string_view s) {
                   return check(is_mime_type(s), key, "must be a media type such as text/plain");
                 });
  }

  // Numbers.
  template <class Int>
  void integer(std::string_view key, Int& out, std::int64_t min, std::int64_t max) {
    const json::value* v = find(key, presence::required);
    if (!v) return;
    if (!v->is_int64() && !v->is_uint64())
      return fail(error_code::bad_field, key, "must be an integer");
    if (!v->is_int64() || v->get_int64() < min || v->get_int64() > max)
      return fail(error_code::bad_field, key,
                  "must be between " + std::to_string(min) + " and " + std::to_string(max));
    out = static_cast<Int>(v->get_int64());
  }
  template <class Int>
  void integer(std::string_view key, std::optional<Int>& out, std::int64_t min, std::int64_t max) {
    if (!present(key)) return;
    integer(key, out.emplace(), min, max);
  }

  void rating(std::string_view key, int& out) {
    integer(key, out, -1, 1);
    if (!error_) check(out != 0, key, "must be 1 or -1");
  }
  void rating(std::string_view key, std::optional<int>& out) {
    if (!present(key)) return;
    rating(key, out.emplace());
  }

  // Any integer is a version; one this build does not speak is UNSUPPORTED_VERSION.
  void version(std::string_view key, int& out) {
    std::int64_t version = 0;
    integer(key, version, -limits::max_safe_integer, limits::max_safe_integer);
    if (error_) return;
    if (version < limits::min_protocol || version > limits::max_protocol)
      return fail(error_code::unsupported_version, key,
                  "protocol " + std::to_string(version) + " is not supported; this build speaks " +
                      std::to_string(limits::max_protocol));
    out = static_cast<int>(version);
  }

  void boolean(std::string_view key, bool& out) {
    const json::value* v = find(key, presence::required);
    if (!v) return;
    if (!v->is_bool()) return fail(error_code::bad_field, key, "must be true or false");
    out = v->get_bool();
  }

  template <class Enum>
  void enumeration(std::string_view key, Enum& out) {
    const json::value* v = find(key, presence::required);
    if (!v) return;
    if (!v->is_string()) return fail(error_code::bad_field, key, "must be a string");
    const auto parsed = parse_enum(std::string_view(v->get_string()), static_cast<Enum*>(nullptr));
    if (check(parsed.has_value(), key, "is not one of the allowed values")) out = *parsed;
  }

  // Nested values.
  template <class T>
  void object(std::string_view key, T& out) {
    const json::value* v = find(key, presence::required);
    if (v) read_object(*v, key, out);
  }
  template <class T>
  void object(std::string_view key, std::optional<T>& out) {
    if (present(key)) object(key, out.emplace());
  }

  template <class T>
  void array(std::string_view key, std::vector<T>& out, std::size_t max_count, emit) {
    const json::array* items = array_field(key, max_count);
    if (!items) return;
    out.resize(items->size());
    for (std::size_t i = 0; i < items->size() && !error_; ++i)
      read_object((*items)[i], element_key(key, i), out[i]);
  }

  void choices(std::string_view key, std::vector<std::string>& out) {
    const json::array* items = array_field(key, limits::max_choices);
    if (!items) return;
    out.resize(items->size());
    for (std::size_t i = 0; i < items->size() && !error_; ++i) {
      const std::string element = element_key(key, i);
      string_value((*items)[i], element, out[i], limits::max_label_bytes, [&](std::string_view s) {
        return check(!is_blank(s), element, "must not be blank");
      });
    }
  }

  void json_object(std::string_view key, json_object_text& out, emit) {
    const json::value* v = find(key, presence::optional);
    if (!v) return;
    auto text = to_object_text(*v);
    if (!text) return fail(text.error().code, key, std::move(text.error().detail));
    out = std::move(*text);
  }

  // A message needs text unless attachments carry it.
  void require_content(std::string_view key, const std::string& text, bool no_attachments) {
    if (!error_ && no_attachments) check(!is_blank(text), key, "must not be blank");
  }

 private:
  bool present(std::string_view key) const {
    const json::value* v = object_.if_contains(key);
    return v && !v->is_null();
  }

  // The member, or nullptr when absent (null counts as absent); records MISSING_FIELD.
  const json::value* find(std::string_view key, presence p) {
    if (error_) return nullptr;
    const json::value* v = object_.if_contains(key);
    if (v && !v->is_null()) return v;
    if (p == presence::required) fail(error_code::missing_field, key, "is required");
    return nullptr;
  }

  template <class Check>
  void string_field(std::string_view key, std::string& out, presence p, std::size_t max_bytes,
                    Check&& rule) {
    if (const json::value* v = find(key, p)) string_value(*v, key, out, max_bytes, rule);
  }

  template <class Check>
  void string_value(const json::value& v, std::string_view key, std::string& out,
                    std::size_t max_bytes, Check&& rule) {
    if (!v.is_string()) return fail(error_code::bad_field, key, "must be a string");
    const json::string& s = v.get_string();
    if (s.size() > max_bytes)
      return fail(error_code::too_large, key,
                  "longer than " + std::to_string(max_bytes) + " bytes");
    if (s.find('\0') != json::string::npos)
      return fail(error_code::bad_field, key, "must not contain U+0000");
    if (rule(std::string_view(s))) out.assign(s.data(), s.size());
  }

  const json::array* array_field(std::string_view key, std::size_t max_count) {
    const json::value* v = find(key, presence::optional);
    if (!v) return nullptr;
    if (!v->is_array()) return fail(error_code::bad_field, key, "must be an array"), nullptr;
    if (v->get_array().size() > max_count)
      return fail(error_code::too_large, key, "more than " + std::to_string(max_count) + " items"),
             nullptr;
    return &v->get_array();
  }

  template <class T>
  void read_object(const json::value& v, std::string_view key, T& out) {
    if (!v.is_object()) return fail(error_code::bad_field, key, "must be an object");
    reader nested(v.get_object(), path_ + std::string(key) + ".", error_);
    detail::fields(nested, out);
  }

  static std::string element_key(std::string_view key, std::size_t index) {
    return std::string(key) + "[" + std::to_string(index) + "]";
  }

  bool check(bool ok, std::string_view key, std::string_view detail) {
    if (!ok) fail(error_code::bad_field, key, std::string(detail));
    return ok;
  }

  void fail(error_code code, std::string_view key, std::string detail) {
    if (!error_) error_ = decode_error{code, path_ + std::string(key), std::move(detail)};
  }

  const json::object& object_;
  std::string path_;
  std::optional<decode_error>& error_;
};

// ---- frame dispatch --------------------------------------------------------------------

decode_error frame_error(error_code code, std::string detail) {
  return decode_error{code, "", std::move(detail)};
}

std::string_view parse_error_detail(const boost::system::error_code& ec) {
  if (ec == json::error::too_deep) return "nested deeper than 16 levels";
  if (ec == json::error::exponent_overflow) return "a number is out of range";
  return "not valid JSON (RFC 8259, UTF-8)";
}

// Parses `text`, at most `max_bytes` long, as one JSON object no deeper than
// limits::max_json_depth.
result<json::value> parse_object(std::string_view text, std::size_t max_bytes,
                                 json::storage_ptr storage = {}) {
  if (text.size() > max_bytes)
    return frame_error(error_code::too_large,
                       "longer than " + std::to_string(max_bytes) + " bytes");
  json::parse_options options;
  options.max_depth = limits::max_json_depth;
  boost::system::error_code ec;
  json::value value = detail::parse_json_exactly(text, ec, std::move(storage), options);
  if (ec)
    return frame_error(ec == json::error::too_deep ? error_code::too_large : error_code::bad_frame,
                       std::string(parse_error_detail(ec)));
  if (!value.is_object()) return frame_error(error_code::bad_frame, "not a JSON object");
  return value;
}

// Best effort, for the error frame that answers a frame that failed: the ids it named.
void add_context(decode_error& error, const json::object& frame) {
  const auto id_at = [&](std::string_view key) -> std::optional<std::string> {
    const json::value* v = frame.if_contains(key);
    if (v && v->is_string() && is_id(v->get_string())) return std::string(v->get_string());
    return std::nullopt;
  };
  for (const char* key : {"client_msg_id", "request_id", "message_id"})
    if ((error.ref = id_at(key))) break;
  error.conversation_id = id_at("conversation_id");
}

template <class Variant, std::size_t I>
Variant read_alternative(reader& r) {
  std::variant_alternative_t<I, Variant> frame;
  detail::fields(r, frame);
  return Variant(std::move(frame));
}

// Reads the alternative of `Variant` at `index`, chosen at run time from the "type" member.
template <class Variant, std::size_t... I>
Variant read_alternative(std::size_t index, reader& r, std::index_sequence<I...>) {
  using read_fn = Variant (*)(reader&);
  static constexpr read_fn table[] = {&read_alternative<Variant, I>...};
  return table[index](r);
}

// Decodes a frame whose type is its "type" member or, for a REST body, `as_type`.
template <class Variant, std::size_t N>
result<Variant> decode_frame(std::string_view text, std::size_t max_bytes,
                             const std::array<std::string_view, N>& type_names,
                             std::optional<std::string_view> as_type = std::nullopt) {
  unsigned char buffer[4096];
  json::monotonic_resource arena(buffer, sizeof buffer);
  auto parsed = parse_object(text, max_bytes, &arena);
  if (!parsed) return parsed.error();
  const json::object& object = parsed->get_object();

  std::string_view type_name;
  if (as_type) {
    type_name = *as_type;
  } else {
    const json::value* type = object.if_contains("type");
    if (!type || type->is_null())
      return decode_error{error_code::missing_field, "type", "is required"};
    if (!type->is_string()) return decode_error{error_code::bad_field, "type", "must be a string"};
    type_name = type->get_string();
  }
  std::size_t index = 0;
  while (index < N && type_names[index] != type_name)
    ++index;
  if (index == N)
    return decode_error{error_code::unknown_type, "type", "is not a known frame type"};

  std::optional<decode_error> error;
  reader r(object, "", error);
  Variant frame = read_alternative<Variant>(index, r, std::make_index_sequence<N>{});
  if (error) {
    add_context(*error, object);
    return *error;
  }
  return frame;
}

template <class T>
result<T> decode_value(std::string_view text) {
  auto parsed = parse_object(text, limits::max_server_frame_bytes);
  if (!parsed) return parsed.error();
  std::optional<decode_error> error;
  reader r(parsed->get_object(), "", error);
  T value;
  detail::fields(r, value);
  if (error) return *error;
  return value;
}

}  // namespace

// ---- public entry points ---------------------------------------------------------------

result<client_frame> decode_client_frame(std::string_view text) {
  return decode_frame<client_frame>(text, limits::max_frame_bytes, detail::client_type_names);
}

result<client_frame> decode_client_body(std::string_view type, std::string_view text) {
  return decode_frame<client_frame>(text, limits::max_frame_bytes, detail::client_type_names, type);
}

result<server_frame> decode_server_body(std::string_view type, std::string_view text) {
  return decode_frame<server_frame>(text, limits::max_frame_bytes, detail::server_type_names, type);
}

result<server_frame> decode_server_frame(std::string_view text) {
  return decode_frame<server_frame>(text, limits::max_server_frame_bytes,
                                    detail::server_type_names);
}

result<conversation> decode_conversation(std::string_view text) {
  return decode_value<conversation>(text);
}

result<message> decode_message(std::string_view text) {
  return decode_value<message>(text);
}

result<conversation_list> decode_conversation_list(std::string_view text) {
  return decode_value<conversation_list>(text);
}

result<json_object_text> canonical_json_object(std::string_view text) {
  auto parsed = parse_object(text, limits::max_server_frame_bytes);
  if (!parsed) return parsed.error();
  return to_object_text(*parsed);
}

}  // namespace palaver
