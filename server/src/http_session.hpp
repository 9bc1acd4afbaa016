// One HTTP connection: reads requests within the header and body limits and answers them —
// embedded files, /healthz, /metrics — or hands the socket to a ws_session on a permitted
// WebSocket upgrade at /ws. Lives on its connection's strand.
#pragma once

#include <memory>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

namespace boost::beast::http {
class message_generator;
}

namespace palaver::server {

class connection_slot;
struct server_context;

class http_session : public std::enable_shared_from_this<http_session> {
 public:
  http_session(boost::asio::ip::tcp::socket socket, std::shared_ptr<server_context> context,
               std::unique_ptr<connection_slot> slot);
  ~http_session();
  void start();

 private:
  struct state;  // Beast stays out of this header
  void do_read();
  void on_read(boost::system::error_code ec);
  void do_rest(boost::beast::http::request<boost::beast::http::string_body> req);
  // Writes a response, then reads the next request or, unless keep_alive, closes.
  void send(boost::beast::http::message_generator response, bool keep_alive);
  void on_write(boost::system::error_code ec, bool keep_alive);
  void do_close();
  // After a last response: stops sending, then reads and discards what the client still
  // sends (the rest of a refused body) until it closes, so the answer is not lost to a reset.
  void do_linger();
  void on_linger(boost::system::error_code ec);

  std::unique_ptr<state> state_;
  std::shared_ptr<server_context> context_;
  std::unique_ptr<connection_slot> slot_;  // after context_: given back before it goes
};

}  // namespace palaver::server
