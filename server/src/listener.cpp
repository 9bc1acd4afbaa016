// Accept loop. See listener.hpp.
#include "listener.hpp"

#include <boost/asio/strand.hpp>

#include "http_session.hpp"
#include "log.hpp"
#include "server_context.hpp"

namespace palaver::server {

namespace asio = boost::asio;

listener::listener(asio::io_context& io, std::shared_ptr<server_context> context)
    : io_(io),
      acceptor_(asio::make_strand(io)),
      retry_(acceptor_.get_executor()),
      context_(std::move(context)) {}

std::shared_ptr<listener> listener::open(asio::io_context& io,
                                         const asio::ip::tcp::endpoint& endpoint,
                                         std::shared_ptr<server_context> context,
                                         boost::system::error_code& ec) {
  auto self = std::make_shared<listener>(io, std::move(context));
  auto& acceptor = self->acceptor_;
  if (acceptor.open(endpoint.protocol(), ec)) return nullptr;
  if (acceptor.set_option(asio::socket_base::reuse_address(true), ec)) return nullptr;
  if (acceptor.bind(endpoint, ec)) return nullptr;
  if (acceptor.listen(asio::socket_base::max_listen_connections, ec)) return nullptr;
  return self;
}

void listener::start() {
  do_accept();
}

void listener::stop() {
  asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
    boost::system::error_code ignored;
    self->acceptor_.close(ignored);
    self->retry_.cancel();
  });
}

asio::ip::tcp::endpoint listener::local_endpoint() const {
  boost::system::error_code ignored;
  return acceptor_.local_endpoint(ignored);
}

void listener::do_accept() {
  // Each connection gets its own strand: its state is touched only there.
  acceptor_.async_accept(
      asio::make_strand(io_),
      [self = shared_from_this()](boost::system::error_code ec, asio::ip::tcp::socket socket) {
        self->on_accept(ec, std::move(socket));
      });
}

void listener::on_accept(boost::system::error_code ec, asio::ip::tcp::socket socket) {
  if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;  // stopped
  if (!ec) {
    boost::system::error_code no_peer;
    const auto peer = socket.remote_endpoint(no_peer);
    auto slot =
        no_peer ? nullptr : context_->addresses.open(peer.address().to_string(), context_->limits);
    if (!slot) {
      // Over max_connections or max_connections_per_address: closed at once, before it costs
      // a session. A log line per refusal would let a flood fill the log: debug only.
      if (logs(log_level::debug)) log_line(log_level::debug, "connection refused: too many open");
      socket.close(no_peer);
      return do_accept();
    }
    // Deltas are small and must not wait for the peer's delayed ACK (Nagle's algorithm holds
    // a small segment while one is unacknowledged: up to 40 ms here). Batching is the write
    // layer's job: it sends whatever is pending in one write.
    boost::system::error_code ignored;
    socket.set_option(asio::ip::tcp::no_delay(true), ignored);
    std::make_shared<http_session>(std::move(socket), context_, std::move(slot))->start();
    return do_accept();
  }
  // A failed accept (too many open files, say) must not end the loop, nor spin: wait a bit.
  retry_.expires_after(std::chrono::milliseconds(100));
  retry_.async_wait([self = shared_from_this()](boost::system::error_code e) {
    if (!e) self->do_accept();
  });
}

}  // namespace palaver::server
