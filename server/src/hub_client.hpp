// What the chat hub sees of a connected, authenticated socket. Implemented by ws_session.
// deliver() and close_going_away() are thread-safe (they post to the socket's strand); who() and
// id() never change after the socket authenticated.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "auth.hpp"
#include "shared_frame.hpp"

namespace palaver::server {

class hub_client {
 public:
  virtual ~hub_client() = default;
  // Queues a frame; never blocks. A socket whose queue grows past its limit is closed.
  virtual void deliver(shared_frame frame) = 0;
  // The message it just sent had been stored before (same client_msg_id): an ack follows as
  // usual, and nothing more does. A socket needs nothing here (the ack tells its client);
  // the REST API's synchronous post stops waiting for a reply.
  virtual void acknowledged_resend(const message&) {}
  // Sends what is queued, then closes with 1001 (going away): the server is stopping.
  virtual void close_going_away() = 0;
  virtual const identity& who() const = 0;
  virtual const std::string& owner() const = 0;  // owner_id(who()), computed once
  virtual std::uint64_t id() const = 0;
};

// A process-unique id for a new client (sockets and REST requests alike).
inline std::uint64_t next_client_id() {
  static std::atomic<std::uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace palaver::server
