// The project's one rule for "a link to another web site": what the codec accepts in
// attachment URLs (with server paths) and what the widget lets markdown links open. A pure
// function: safe anywhere, native and Wasm.
#pragma once

#include <string_view>

namespace palaver {

// Whether `url` is an absolute http:// or https:// URL with a real host: the one form a
// browser cannot resolve against the page's own origin. Browsers read "https:/x", "https:x"
// and "http:\x" as relative to the page, "https:///x" as host "x", and turn "\" into "/"
// anywhere and drop tabs and newlines inside, so the scheme must be exactly that (lowercase,
// at the very start), followed by an authority whose host is not empty, and the whole string
// must be free of "\", spaces and control characters. Bytes above 0x7F (international names
// and paths) are allowed; callers that need ASCII check it themselves.
inline bool is_web_url(std::string_view url) {
  for (const char c : url) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7F || c == '\\') return false;
  }
  std::string_view rest;
  if (url.starts_with("https://"))
    rest = url.substr(8);
  else if (url.starts_with("http://"))
    rest = url.substr(7);
  else
    return false;
  // The authority ends at the path, query or fragment; the host follows any "user@".
  std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (const auto at = authority.rfind('@'); at != std::string_view::npos)
    authority.remove_prefix(at + 1);
  return !authority.empty() && authority.front() != ':';  // ":443" alone has no host
}

}  // namespace palaver
