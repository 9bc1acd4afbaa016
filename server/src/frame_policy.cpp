// The frame-ancestors policy of served pages. See frame_policy.hpp.
#include "frame_policy.hpp"

#include "server_context.hpp"
#include "static_files.hpp"

namespace palaver::server {

// Site ids are plain ASCII (A-Z a-z 0-9 _ -), so they need no percent-decoding.
std::optional<std::string> query_parameter(std::string_view target, std::string_view name) {
  const auto question = target.find('?');
  if (question == std::string_view::npos) return std::nullopt;
  std::string_view query = target.substr(question + 1);
  query = query.substr(0, query.find('#'));
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.size() > name.size() && pair.starts_with(name) && pair[name.size()] == '=')
      return std::string(pair.substr(name.size() + 1));
    if (pair == name) return std::string();
  }
  return std::nullopt;
}

namespace {

// Whether `origin` can go into the header as one source: scheme://host[:port] characters only.
// Config checks origins already; this keeps a bad one from adding directives (`;`) or sources.
// IPv6 literals ("http://[::1]:8080") are left out too: CSP's grammar has no way to write them
// (browsers ignore them with a warning); 'self' still covers the server reached that way.
bool plain_origin(std::string_view origin) {
  if (origin.find("://") == std::string_view::npos) return false;
  for (const char c : origin) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && std::string_view(":/.-+").find(c) == std::string_view::npos) return false;
  }
  return true;
}

}  // namespace

std::optional<std::string> frame_policy(const server_context& context, std::string_view target) {
  const std::string_view path = target.substr(0, target.find_first_of("?#"));
  std::string policy = "frame-ancestors 'self'";
  if (path == "/widget.html") {
    const site_entry* site = context.find_site(query_parameter(target, "site"));
    if (site == nullptr) return std::nullopt;
    for (const std::string& origin : site->origins.allowed())
      if (plain_origin(origin)) policy += " " + origin;
    return policy;
  }
  if (mime_type_for(path).starts_with("text/html")) return policy;
  return std::string();
}

}  // namespace palaver::server
