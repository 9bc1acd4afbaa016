// The origin check. See server_context.hpp.
#include "server_context.hpp"

#include <algorithm>

namespace palaver::server {
bool origin_policy::allows(std::string_view origin) const {
  // Browsers send the scheme and host in lowercase, as config stores them.
  return origin.empty() || std::find(allowed_.begin(), allowed_.end(), origin) != allowed_.end();
}

bool socket_count::try_add(const std::string& owner, int limit) {
  std::lock_guard lock(mutex_);
  int& open = open_[owner];
  if (open >= limit) return false;
  ++open;
  return true;
}

void socket_count::remove(const std::string& owner) {
  std::lock_guard lock(mutex_);
  if (auto it = open_.find(owner); it != open_.end() && --it->second <= 0) open_.erase(it);
}

const site_entry* server_context::find_site(const std::optional<std::string>& id) const {
  if (!id) return sites.empty() ? nullptr : &sites.front();
  for (const site_entry& site : sites)
    if (site.auth.site_id == *id) return &site;
  return nullptr;
}

}  // namespace palaver::server
