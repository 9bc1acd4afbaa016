// Accepts TCP connections and hands each to an http_session. Runs on the io_context's
// threads; start() and stop() may be called from any thread.
#pragma once

#include <memory>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>

namespace palaver::server {

struct server_context;

class listener : public std::enable_shared_from_this<listener> {
 public:
  // Binds and listens; the error says why it could not (port in use, ...).
  static std::shared_ptr<listener> open(boost::asio::io_context& io,
                                        const boost::asio::ip::tcp::endpoint& endpoint,
                                        std::shared_ptr<server_context> context,
                                        boost::system::error_code& ec);

  void start();
  void stop();  // stops accepting; sessions already running go on
  boost::asio::ip::tcp::endpoint local_endpoint() const;

  listener(boost::asio::io_context& io, std::shared_ptr<server_context> context);

 private:
  void do_accept();
  void on_accept(boost::system::error_code ec, boost::asio::ip::tcp::socket socket);

  boost::asio::io_context& io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_;  // after a failed accept
  std::shared_ptr<server_context> context_;
};

}  // namespace palaver::server
