// The character-level rules of the protocol's strings: ids, agent names, tokens, media types,
// URLs, blank text. Internal to shared/; pure functions.
#pragma once

#include <string_view>

#include "palaver/limits.hpp"
#include "palaver/url.hpp"

namespace palaver::detail::text_rules {

inline bool is_id_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

inline bool is_agent_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

inline bool is_token_char(char c) {
  return c > 0x20 && c < 0x7F;
}

inline bool is_mime_char(char c) {
  return is_id_char(c) || c == '.' || c == '+' || c == '!' || c == '#' || c == '$' || c == '&' ||
         c == '^';
}

template <class Pred>
bool all_of(std::string_view s, Pred pred) {
  for (char c : s)
    if (!pred(c)) return false;
  return true;
}

inline bool is_blank(std::string_view s) {
  return all_of(s, [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; });
}

inline bool is_mime_type(std::string_view s) {
  const auto slash = s.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == s.size()) return false;
  return all_of(s.substr(0, slash), is_mime_char) && all_of(s.substr(slash + 1), is_mime_char);
}

// Printable ASCII, and either a web link with a host (is_web_url, the one rule the widget's
// links follow too) or a server-relative path: never javascript:, data: or the like, nor what
// a browser resolves to another host (//host, /\\host).
inline bool is_safe_url(std::string_view s) {
  if (!all_of(s, is_token_char)) return false;
  if (s.size() > 1 && s[0] == '/') return s[1] != '/' && s.find('\\') == std::string_view::npos;
  return is_web_url(s);
}

inline bool is_id(std::string_view s) {
  return !s.empty() && s.size() <= limits::max_id_bytes && all_of(s, is_id_char);
}

}  // namespace palaver::detail::text_rules
