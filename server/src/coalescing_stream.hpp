// The layer between a WebSocket and its TCP connection that coalesces writes. Everything
// written goes into a pending buffer; whenever no write is in flight, all that is pending
// goes to the socket in one write. The session appends its frames here directly, framed
// once per socket and never through a write operation of Beast's. A burst of deltas for one
// socket therefore costs one syscall. Beast's own writes (the 101 response, pongs, the close
// frame) pass through async_write_some and join the same byte stream in order.
// Every byte waiting for the socket counts against one cap, whoever wrote it (the session's
// frames, Beast's pongs and close): a peer that does not read cannot grow it past the cap;
// the write that would is refused and the connection is closed.
// Reads go straight to the socket: a plain one, with no timers of its own (the session keeps
// the time), so an idle connection holds as little as its pending read needs.
// Not thread-safe: only the connection's strand may touch it.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/core/role.hpp>
#include <boost/beast/websocket/teardown.hpp>

namespace palaver::server {

class metrics;

class coalescing_stream {
 public:
  using next_layer_type = boost::asio::ip::tcp::socket;
  using executor_type = next_layer_type::executor_type;
  using error_code = boost::system::error_code;

  // `stats` (may be null) counts each write to the connection. `backlog_limit`: the bytes
  // that may wait for the socket (a single frame larger than it still goes out, alone).
  coalescing_stream(next_layer_type stream, metrics* stats,
                    std::size_t backlog_limit = std::numeric_limits<std::size_t>::max())
      : next_(std::move(stream)), stats_(stats), backlog_limit_(backlog_limit) {}

  // Whoever owns this layer: a write in flight keeps it alive.
  void set_owner(std::weak_ptr<void> owner) { owner_ = std::move(owner); }

  executor_type get_executor() noexcept { return next_.get_executor(); }
  next_layer_type& next_layer() noexcept { return next_; }
  const next_layer_type& next_layer() const noexcept { return next_; }

  // One server frame (FIN set, unmasked: RFC 6455 §5.2) added to what is pending. Nothing is
  // written until flush(). False: it would pass the backlog limit, so the connection was
  // closed instead (overflowed()).
  bool append_text(std::string_view payload) { return append_frame(opcode_text, payload); }
  bool append_ping() { return append_frame(opcode_ping, {}); }

  // Whether a write was refused for passing the backlog limit (the connection is closed).
  bool overflowed() const noexcept { return overflowed_; }

  // Writes what is pending now, unless a write is in flight: then its completion writes
  // everything appended meanwhile, in one write.
  void flush();

  // Forgets what is pending and not yet being written (a close that does not flush).
  void discard_pending() { pending_.clear(); }

  // Gives the buffers' memory back if nothing is pending or being written: for a socket that
  // went quiet (a streaming one keeps its buffers, so its writes allocate nothing).
  void release_idle_buffers();

  // Bytes appended and not yet confirmed written: the socket's backlog.
  std::size_t backlog() const noexcept { return pending_.size() + writing_.size(); }

  // AsyncReadStream: straight to the socket.
  template <class MutableBuffers, class ReadHandler>
  auto async_read_some(const MutableBuffers& buffers, ReadHandler&& handler) {
    return next_.async_read_some(buffers, std::forward<ReadHandler>(handler));
  }

  // AsyncWriteStream, for Beast's own writes: appended whole and flushed; completes at once
  // (through the executor), or with the error a write met before.
  template <class ConstBuffers, class WriteHandler>
  auto async_write_some(const ConstBuffers& buffers, WriteHandler&& handler) {
    return boost::asio::async_initiate<WriteHandler, void(error_code, std::size_t)>(
        [this](auto handler, const ConstBuffers& buffers) {
          std::size_t written = 0;
          if (!error_ && admit(boost::asio::buffer_size(buffers))) {
            for (const auto buffer : boost::beast::buffers_range_ref(buffers))
              pending_.append(static_cast<const char*>(buffer.data()), buffer.size());
            written = boost::asio::buffer_size(buffers);
            flush();
          }
          boost::asio::post(get_executor(),
                            boost::beast::bind_front_handler(std::move(handler), error_, written));
        },
        handler, buffers);
  }

  // The end of a WebSocket's closing handshake (found by Beast through ADL): once what is
  // pending is written, the connection's own teardown.
  template <class TeardownHandler>
  friend void async_teardown(boost::beast::role_type role, coalescing_stream& stream,
                             TeardownHandler&& handler) {
    stream.teardown_ = [&stream, role, handler = std::forward<TeardownHandler>(handler)]() mutable {
      boost::beast::websocket::async_teardown(role, stream.next_, std::move(handler));
    };
    stream.teardown_when_written();
  }

 private:
  static constexpr std::uint8_t opcode_text = 0x1;
  static constexpr std::uint8_t opcode_ping = 0x9;

  bool append_frame(std::uint8_t opcode, std::string_view payload);
  // Whether `bytes` more may wait; if not, closes the connection (overflowed()).
  bool admit(std::size_t bytes);
  void on_written(error_code ec);
  void teardown_when_written();

  next_layer_type next_;
  metrics* stats_;
  std::size_t backlog_limit_;
  bool overflowed_ = false;
  std::weak_ptr<void> owner_;
  std::string pending_;  // appended since the write in flight began
  std::string writing_;  // the write in flight; empty when none
  bool in_flight_ = false;
  error_code error_;  // the first write error: every later write fails with it
  // Beast's teardown, waiting for the write in flight.
  std::optional<boost::asio::any_completion_handler<void()>> teardown_;
};

}  // namespace palaver::server
