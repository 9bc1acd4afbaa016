// The encoder: frames and model values -> canonical JSON text, walking fields.hpp.
// Writes what it is given; validation is the decoder's job. Stateless: safe on any thread.
#include "palaver/codec.hpp"

#include "fields.hpp"
#include "json_writer.hpp"

namespace palaver {
using detail::blank;
using detail::emit;
using detail::presence;

namespace {

// Writes the members of a value through its fields().
class writer {
 public:
  explicit writer(detail::json_writer& out) : out_(out) {}

  void id(std::string_view key, const std::string& v, presence p = presence::required) {
    string(key, v, p);
  }
  void id(std::string_view key, const std::optional<std::string>& v) { optional_string(key, v); }
  void agent(std::string_view key, const std::string& v) { out_.member(key, v); }
  void agent(std::string_view key, const std::optional<std::string>& v) { optional_string(key, v); }
  void token(std::string_view key, const std::optional<std::string>& v) { optional_string(key, v); }
  void text(std::string_view key, const std::string& v, std::size_t, blank,
            presence p = presence::required) {
    string(key, v, p);
  }
  void text(std::string_view key, const std::optional<std::string>& v, std::size_t, blank) {
    optional_string(key, v);
  }
  void url(std::string_view key, const std::string& v, presence p) { string(key, v, p); }
  void mime_type(std::string_view key, const std::string& v) { out_.member(key, v); }

  template <class Int>
  void integer(std::string_view key, Int v, std::int64_t, std::int64_t) {
    out_.member(key, static_cast<std::int64_t>(v));
  }
  template <class Int>
  void integer(std::string_view key, const std::optional<Int>& v, std::int64_t, std::int64_t) {
    if (v) out_.member(key, static_cast<std::int64_t>(*v));
  }
  void rating(std::string_view key, int v) { out_.member(key, v); }
  void rating(std::string_view key, const std::optional<int>& v) {
    if (v) out_.member(key, *v);
  }
  void version(std::string_view key, int v) { out_.member(key, v); }
  void boolean(std::string_view key, bool v) { out_.member(key, v); }

  template <class Enum>
  void enumeration(std::string_view key, Enum v) {
    out_.member(key, to_string(v));
  }

  template <class T>
  void object(std::string_view key, const T& v) {
    out_.key(key);
    write_object(v);
  }
  template <class T>
  void object(std::string_view key, const std::optional<T>& v) {
    if (v) object(key, *v);
  }

  template <class T>
  void array(std::string_view key, const std::vector<T>& items, std::size_t, emit e) {
    if (items.empty() && e == emit::omit_empty) return;
    out_.key(key);
    out_.begin_array();
    for (const T& item : items)
      write_object(item);
    out_.end_array();
  }

  void choices(std::string_view key, const std::vector<std::string>& items) {
    out_.key(key);
    out_.begin_array();
    for (const std::string& item : items)
      out_.string(item);
    out_.end_array();
  }

  void json_object(std::string_view key, const json_object_text& v, emit e) {
    if (v.empty() && e == emit::omit_empty) return;
    out_.key(key);
    out_.raw(v.empty() ? std::string_view("{}") : std::string_view(v.text()));
  }

  void require_content(std::string_view, const std::string&, bool) {}

  template <class T>
  void write_object(const T& v) {
    out_.begin_object();
    detail::fields(*this, v);
    out_.end_object();
  }

 private:
  void string(std::string_view key, const std::string& v, presence p) {
    if (p == presence::required || !v.empty()) out_.member(key, v);
  }
  void optional_string(std::string_view key, const std::optional<std::string>& v) {
    if (v) out_.member(key, *v);
  }

  detail::json_writer& out_;
};

template <class Variant>
void encode_frame(std::string& out, const Variant& frame) {
  detail::json_writer json(out);
  json.begin_object();
  json.member("type", type_name(frame));
  writer fields(json);
  std::visit([&](const auto& f) { detail::fields(fields, f); }, frame);
  json.end_object();
}

template <class T>
std::string encode_value(const T& value) {
  std::string out;
  detail::json_writer json(out);
  writer(json).write_object(value);
  return out;
}

}  // namespace

void encode_to(std::string& out, const client_frame& frame) {
  encode_frame(out, frame);
}
void encode_to(std::string& out, const server_frame& frame) {
  encode_frame(out, frame);
}

std::string encode(const client_frame& frame) {
  std::string out;
  encode_frame(out, frame);
  return out;
}

std::string encode(const server_frame& frame) {
  std::string out;
  encode_frame(out, frame);
  return out;
}

std::string encode(const conversation& value) {
  return encode_value(value);
}
std::string encode(const message& value) {
  return encode_value(value);
}
std::string encode(const conversation_list& value) {
  return encode_value(value);
}

}  // namespace palaver
