// What every connection shares: the limits, the origin allowlist, the chat hub. Built once
// at start-up and read-only afterwards (the hub is thread-safe): safe on any thread.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "auth.hpp"
#include "catalogues.hpp"
#include "session_limits.hpp"
#include "token_bucket.hpp"

namespace palaver::server {

class chat_hub;
class metrics;
class store;

// Which pages may open a WebSocket: the server's own origins and the listed ones, compared
// exactly (config normalizes them). Never derived from the request's Host header: a
// DNS-rebinding page would pass that check.
class origin_policy {
 public:
  origin_policy() = default;
  explicit origin_policy(std::vector<std::string> allowed) : allowed_(std::move(allowed)) {}

  // `origin` is the request's Origin header. A request without one is not from a browser
  // page: allowed (it cannot ride a visitor's cookies anyway; auth decides).
  bool allows(std::string_view origin) const;
  const std::vector<std::string>& allowed() const { return allowed_; }

 private:
  std::vector<std::string> allowed_;  // e.g. "https://www.example.com"
};

// A site that embeds the widget: who may chat there, and from which pages.
struct site_entry {
  site_auth auth;
  origin_policy origins;  // the server's own and the site's
  std::string api_key;    // what the site's backend presents to the REST API; empty: none
  std::string default_agent = "echo";
  site_catalogues catalogues;  // its [site.texts] applied, made at start-up; empty: none
};

// How many authenticated sockets each identity has open, for sockets_per_identity.
// Thread-safe.
class socket_count {
 public:
  // Counts one more for `owner` unless it already has `limit`.
  bool try_add(const std::string& owner, int limit);
  void remove(const std::string& owner);

 private:
  std::mutex mutex_;
  std::unordered_map<std::string, int> open_;
};

class address_limits;

// A connection's place within the connection limits, from its client's address; given back
// when destroyed. The address_limits outlives every slot (it lives in the server_context that
// every connection holds).
class connection_slot {
 public:
  connection_slot(address_limits& owner, std::string address)
      : owner_(owner), address_(std::move(address)) {}
  ~connection_slot();
  connection_slot(const connection_slot&) = delete;
  connection_slot& operator=(const connection_slot&) = delete;
  const std::string& address() const { return address_; }  // the client's IP, as text

 private:
  address_limits& owner_;
  std::string address_;
};

// Per client address, the limits no login can bound: connections open at once (over the
// whole server and per address) and anonymous visitors created per minute. Thread-safe (a
// mutex, taken once per connection or created visitor: never per frame).
class address_limits {
 public:
  // A slot for a new connection from `address`; nullptr when the server or that address
  // already has its limit open.
  std::unique_ptr<connection_slot> open(std::string address, const session_limits& limits);
  // Whether `address` may create another anonymous visitor now (a token bucket refilled at
  // limits.new_visitors_per_minute_per_address).
  bool admit_new_visitor(const std::string& address, const session_limits& limits);

 private:
  friend class connection_slot;
  void close(const std::string& address);

  std::mutex mutex_;
  std::size_t open_total_ = 0;
  std::unordered_map<std::string, std::size_t> open_;
  std::unordered_map<std::string, token_bucket> visitors_;
};

struct server_context {
  session_limits limits;
  origin_policy origins;  // the server's own and every site's: checked at the upgrade
  std::vector<site_entry> sites;
  std::shared_ptr<const authenticator> auth;
  std::shared_ptr<chat_hub> hub;
  std::shared_ptr<metrics> stats;
  store* db = nullptr;  // outlives every connection: main destroys it after the io_context
  boost::asio::any_io_executor executor;  // for timers of work that is no connection's
  bool demo_pages = true;                 // "/" (the demo product page) and "/protocol.html"
  int messages_per_minute = 20;           // per socket, reported in `ready.limits`
  int sockets_per_identity = 10;
  socket_count sockets;
  address_limits addresses;

  // The site an `auth` names; absent: the first configured site. nullptr: no such site.
  const site_entry* find_site(const std::optional<std::string>& id) const;
};

}  // namespace palaver::server
