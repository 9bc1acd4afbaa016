// Canonical JSON output for the codec. See json_writer.hpp.
#include "json_writer.hpp"

#include <charconv>

#include "palaver/text.hpp"

namespace palaver::detail {

void json_writer::separate() {
  if (out_.size() > start_ && out_.back() != '{' && out_.back() != '[' && out_.back() != ':')
    out_.push_back(',');
}

void json_writer::key(std::string_view name) {
  string(name);
  out_.push_back(':');
}

// Escapes what JSON requires and replaces bytes that are not UTF-8 with U+FFFD, so the
// output is always a valid text frame, even for a reply cut in the middle of a character.
void json_writer::string(std::string_view value) {
  static constexpr char hex[] = "0123456789abcdef";
  separate();
  out_.push_back('"');
  std::size_t run_start = 0;  // start of the bytes copied as they are
  std::size_t i = 0;
  while (i < value.size()) {
    const auto c = static_cast<unsigned char>(value[i]);
    if (c >= 0x80) {
      if (const std::size_t length = utf8_sequence_length(value, i)) {
        i += length;
        continue;
      }
      out_.append(value.data() + run_start, i - run_start);
      out_.append("\xEF\xBF\xBD");  // U+FFFD REPLACEMENT CHARACTER
      run_start = ++i;
      continue;
    }
    if (c >= 0x20 && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    out_.append(value.data() + run_start, i - run_start);
    run_start = ++i;
    out_.push_back('\\');
    switch (c) {
      case '"':
        out_.push_back('"');
        break;
      case '\\':
        out_.push_back('\\');
        break;
      case '\b':
        out_.push_back('b');
        break;
      case '\f':
        out_.push_back('f');
        break;
      case '\n':
        out_.push_back('n');
        break;
      case '\r':
        out_.push_back('r');
        break;
      case '\t':
        out_.push_back('t');
        break;
      default:
        out_.append("u00");
        out_.push_back(hex[c >> 4]);
        out_.push_back(hex[c & 0xF]);
    }
  }
  out_.append(value.data() + run_start, value.size() - run_start);
  out_.push_back('"');
}

void json_writer::integer(std::int64_t value) {
  separate();
  char buffer[24];
  const auto end = std::to_chars(buffer, buffer + sizeof buffer, value).ptr;
  out_.append(buffer, end);
}

void json_writer::boolean(bool value) {
  separate();
  out_.append(value ? "true" : "false");
}

void json_writer::raw(std::string_view json) {
  separate();
  out_.append(json);
}

}  // namespace palaver::detail
