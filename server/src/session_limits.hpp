// The limits a connection enforces, each a named setting (defaults here; config.hpp fills
// them from the operator's settings). Plain values, copied into each session.
#pragma once

#include <chrono>
#include <cstddef>

namespace palaver::server {

// The defaults of the limits that bound clients by their IP address (before any login, so
// no identity can be held to account), named once: config.hpp's limits_config starts from
// them too. See docs/configuration.md §5 for why each is what it is.
inline constexpr std::size_t default_max_connections = 10000;
inline constexpr std::size_t default_max_connections_per_address = 256;
inline constexpr int default_new_visitors_per_minute_per_address = 30;

struct session_limits {
  std::size_t max_frame_bytes = 64 * 1024;         // larger: close 1009
  std::size_t outgoing_queue_bytes = 1024 * 1024;  // a reader this far behind is closed
  std::size_t http_header_bytes = 8 * 1024;        // larger: 431
  std::size_t http_body_bytes = 1024 * 1024;       // larger: 413
  std::chrono::seconds auth_timeout{10};           // no auth by then: close 1008
  std::chrono::seconds idle_timeout{60};           // no frame, no pong for this long: close
  std::chrono::seconds ping_interval{25};          // of silence, then a ping; < idle_timeout
  std::chrono::seconds http_timeout{30};           // a request not complete by then
  int frames_per_second = 50;                      // per socket, every frame type
  // TCP connections open at once, HTTP and WebSocket alike: over the whole server, and from
  // one client IP address (behind a reverse proxy, every client has the proxy's).
  std::size_t max_connections = default_max_connections;
  std::size_t max_connections_per_address = default_max_connections_per_address;
  // Anonymous visitors one client IP address may create per minute (POST /api/v1/visitors).
  int new_visitors_per_minute_per_address = default_new_visitors_per_minute_per_address;
};

}  // namespace palaver::server
