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

connection_slot::~connection_slot() {
  owner_.close(address_);
}

std::unique_ptr<connection_slot> address_limits::open(std::string address,
                                                      const session_limits& limits) {
  std::lock_guard lock(mutex_);
  if (open_total_ >= limits.max_connections) return nullptr;
  std::size_t& open = open_[address];
  if (open >= limits.max_connections_per_address) return nullptr;
  ++open;
  ++open_total_;
  return std::make_unique<connection_slot>(*this, std::move(address));
}

void address_limits::close(const std::string& address) {
  std::lock_guard lock(mutex_);
  --open_total_;
  if (auto it = open_.find(address); it != open_.end() && --it->second == 0) open_.erase(it);
}

bool address_limits::admit_new_visitor(const std::string& address, const session_limits& limits) {
  const double per_minute = limits.new_visitors_per_minute_per_address;
  const double per_second = per_minute / 60;
  const auto now = token_bucket::clock::now();
  std::lock_guard lock(mutex_);
  // Addresses whose bucket has filled up again are as good as new: forget them, so the map
  // stays as small as the addresses that created visitors lately.
  constexpr std::size_t prune_above = 4096;
  if (visitors_.size() > prune_above)
    for (auto it = visitors_.begin(); it != visitors_.end();) {
      it->second.refill(per_second, per_minute, now);
      it = it->second.tokens >= per_minute ? visitors_.erase(it) : std::next(it);
    }
  return visitors_.try_emplace(address, per_minute, now)
      .first->second.take(per_second, per_minute, now);
}

const site_entry* server_context::find_site(const std::optional<std::string>& id) const {
  if (!id) return sites.empty() ? nullptr : &sites.front();
  for (const site_entry& site : sites)
    if (site.auth.site_id == *id) return &site;
  return nullptr;
}

}  // namespace palaver::server
