// Appends canonical JSON to a std::string: no whitespace, strings escaped the same way on
// every build. Internal to the codec. One writer per call; not shared between threads.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace palaver::detail {

class json_writer {
 public:
  explicit json_writer(std::string& out) : out_(out), start_(out.size()) {}

  void begin_object() { separate(), out_.push_back('{'); }
  void end_object() { out_.push_back('}'); }
  void begin_array() { separate(), out_.push_back('['); }
  void end_array() { out_.push_back(']'); }

  // Starts a member: writes `"name":`; the value call that follows writes no comma.
  void key(std::string_view name);

  void string(std::string_view value);
  void integer(std::int64_t value);
  void boolean(bool value);
  // Already-canonical JSON text (a nested object kept as text).
  void raw(std::string_view json);

  // Shorthands for a member and its value.
  void member(std::string_view name, std::string_view value) { key(name), string(value); }
  void member(std::string_view name, const char* value) { key(name), string(value); }
  void member(std::string_view name, std::int64_t value) { key(name), integer(value); }
  void member(std::string_view name, int value) { key(name), integer(value); }
  void member(std::string_view name, bool value) { key(name), boolean(value); }

 private:
  // A comma before a value or key unless it is the first in its container or follows a key.
  void separate();

  std::string& out_;
  std::size_t start_;  // where this writer began appending: nothing before it is ours
};

}  // namespace palaver::detail
