// The origin check. See server_context.hpp.
#include "server_context.hpp"

#include <algorithm>

namespace palaver::server {
namespace {

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
           return lower(x) == lower(y);
         });
}

}  // namespace

bool origin_policy::allows(std::string_view origin, std::string_view host) const {
  if (origin.empty()) return true;
  for (std::string_view scheme : {"http://", "https://"})
    if (origin.starts_with(scheme) && equal_ignoring_case(origin.substr(scheme.size()), host))
      return true;
  return std::any_of(allowed_.begin(), allowed_.end(), [&](const std::string& allowed) {
    return equal_ignoring_case(allowed, origin);
  });
}

const site_entry* server_context::find_site(const std::optional<std::string>& id) const {
  if (!id) return sites.empty() ? nullptr : &sites.front();
  for (const site_entry& site : sites)
    if (site.auth.site_id == *id) return &site;
  return nullptr;
}

}  // namespace palaver::server
