// HTTP request loop, routing and the WebSocket hand-off. See http_session.hpp.
#include "http_session.hpp"

#include <chrono>
#include <optional>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "frame_policy.hpp"
#include "metrics.hpp"
#include "rest_api.hpp"
#include "server_context.hpp"
#include "static_files.hpp"
#include "store.hpp"
#include "ws_session.hpp"

namespace palaver::server {

namespace beast = boost::beast;
namespace http = beast::http;
using request = http::request<http::string_body>;

// How long a closing connection keeps reading what the client still sends, at most.
constexpr std::chrono::seconds linger_time{5};
constexpr std::size_t linger_read_bytes = 16 * 1024;

struct http_session::state {
  explicit state(boost::asio::ip::tcp::socket socket) : stream(std::move(socket)) {}
  beast::tcp_stream stream;
  beast::flat_buffer buffer;
  std::optional<http::request_parser<http::string_body>> parser;
  std::optional<http::message_generator> response;
};

namespace {

http::response<http::string_body> text_response(const request& req, http::status status,
                                                std::string body) {
  http::response<http::string_body> res{status, req.version()};
  res.set(http::field::server, "palaver");
  res.set(http::field::content_type, "text/plain; charset=utf-8");
  res.set(http::field::cache_control, "no-store");
  res.keep_alive(req.keep_alive());
  res.body() = std::move(body);
  res.prepare_payload();
  if (req.method() == http::verb::head) res.body().clear();  // the length stays, the body goes
  return res;
}

// The response, marked as the last on its connection.
http::response<http::string_body> closing(http::response<http::string_body> res) {
  res.keep_alive(false);
  return res;
}

http::message_generator file_response(const request& req, const embedded_file& file,
                                      std::string_view policy) {
  const static_reply reply =
      choose_reply(file, req[http::field::accept_encoding], req[http::field::if_none_match]);
  http::response<http::span_body<const unsigned char>> res{
      reply.status == 304 ? http::status::not_modified : http::status::ok, req.version()};
  res.set(http::field::server, "palaver");
  res.set(http::field::content_type, reply.content_type);
  res.set(http::field::etag, reply.etag);
  res.set(http::field::cache_control, "no-cache");  // revalidate: the ETag makes that cheap
  res.set(http::field::vary, "Accept-Encoding");
  res.set("X-Content-Type-Options", "nosniff");
  if (!policy.empty()) res.set("Content-Security-Policy", policy);
  if (reply.gzipped) res.set(http::field::content_encoding, "gzip");
  res.keep_alive(req.keep_alive());
  if (req.method() != http::verb::head) res.body() = reply.body;
  res.prepare_payload();
  if (req.method() == http::verb::head) res.content_length(reply.body.size());
  return res;
}

// What /metrics shows: every counter, and the store's.
std::string render_metrics(const server_context& context) {
  const store_stats stats = context.db->stats();
  return context.stats->render({stats.commits, stats.failed_commits, stats.queue_depth,
                                store_stats::commit_bounds_us, stats.commit_latency,
                                stats.commit_latency_sum_us});
}

http::message_generator route(const server_context& context, const request& req) {
  const std::string_view target = req.target();
  const bool read = req.method() == http::verb::get || req.method() == http::verb::head;
  if (target == "/healthz" && read) return text_response(req, http::status::ok, "ok\n");
  if (target == "/metrics" && read) {
    auto res = text_response(req, http::status::ok, render_metrics(context));
    res.set(http::field::content_type, metrics::content_type);
    return res;
  }
  const std::string_view path = target.substr(0, target.find_first_of("?#"));  // as find_file
  const bool demo_page = path == "/" || path == "/protocol.html";
  if (const embedded_file* file = find_file(target); file && (context.demo_pages || !demo_page)) {
    if (!read) {
      auto res = text_response(req, http::status::method_not_allowed, "use GET\n");
      res.set(http::field::allow, "GET, HEAD");
      return res;
    }
    const std::optional<std::string> policy = frame_policy(context, target);
    if (!policy) return text_response(req, http::status::not_found, "no such site\n");
    // A catalogue asked for with `site` carries that site's texts (built at start-up); an
    // unknown site is answered as the widget's page answers it.
    if (const auto site_id = query_parameter(target, "site");
        site_id && path.starts_with("/i18n/")) {
      const site_entry* site = context.find_site(site_id);
      if (site == nullptr) return text_response(req, http::status::not_found, "no such site\n");
      if (const auto own = site->catalogues.find(path)) return file_response(req, *own, *policy);
    }
    return file_response(req, *file, *policy);
  }
  return text_response(req, http::status::not_found, "not found\n");
}

}  // namespace

http_session::http_session(boost::asio::ip::tcp::socket socket,
                           std::shared_ptr<server_context> context,
                           std::unique_ptr<connection_slot> slot)
    : state_(std::make_unique<state>(std::move(socket))),
      context_(std::move(context)),
      slot_(std::move(slot)) {}

http_session::~http_session() = default;

void http_session::start() {
  boost::asio::dispatch(state_->stream.get_executor(),
                        [self = shared_from_this()] { self->do_read(); });
}

void http_session::do_read() {
  auto& parser = state_->parser.emplace();
  parser.header_limit(static_cast<std::uint32_t>(context_->limits.http_header_bytes));
  parser.body_limit(context_->limits.http_body_bytes);
  state_->stream.expires_after(context_->limits.http_timeout);
  http::async_read(
      state_->stream, state_->buffer, parser,
      [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
}

void http_session::on_read(beast::error_code ec) {
  if (ec == http::error::end_of_stream || ec == beast::error::timeout) return do_close();
  auto& stream = state_->stream;
  if (ec == http::error::header_limit || ec == http::error::body_limit) {
    // Answer once, then close: what follows in the buffer is not a request we can trust.
    const bool header = ec == http::error::header_limit;
    request req{http::verb::get, "/", 11};
    auto res = text_response(
        req,
        header ? http::status::request_header_fields_too_large : http::status::payload_too_large,
        header ? "request headers too large\n" : "request body too large\n");
    return send(closing(std::move(res)), false);
  }
  if (ec) return do_close();

  request req = state_->parser->release();
  if (beast::websocket::is_upgrade(req)) {
    if (req.target() != "/ws")
      return send(closing(text_response(req, http::status::not_found, "not found\n")), false);
    if (!context_->origins.allows(req[http::field::origin]))
      return send(closing(text_response(req, http::status::forbidden, "origin not allowed\n")),
                  false);
    stream.expires_never();  // the WebSocket keeps its own timeouts
    return start_ws_session(std::move(stream), std::move(req), context_, std::move(slot_));
  }

  const bool keep_alive = req.keep_alive();
  if (is_rest_target(req.target())) return do_rest(std::move(req));
  send(route(*context_, req), keep_alive);
}

void http_session::do_rest(request req) {
  rest_request rest{std::string(req.method_string()),
                    std::string(req.target()),
                    std::string(req[http::field::authorization]),
                    std::string(req["X-Palaver-Site"]),
                    std::move(req.body()),
                    slot_->address()};
  const unsigned version = req.version();
  const bool keep_alive = req.keep_alive();
  handle_rest(
      context_, std::move(rest),
      [self = shared_from_this(), version, keep_alive](rest_response answer) {
        self->context_->stats->http_request(answer.status);
        // Back onto this connection's strand: the answer may come from any thread.
        boost::asio::post(self->state_->stream.get_executor(), [self, version, keep_alive,
                                                                answer = std::move(answer)] {
          http::response<http::string_body> res{static_cast<http::status>(answer.status), version};
          res.set(http::field::server, "palaver");
          res.set(http::field::cache_control, "no-store");
          if (!answer.body.empty()) res.set(http::field::content_type, "application/json");
          res.keep_alive(keep_alive);
          res.body() = std::move(answer.body);
          res.prepare_payload();
          self->send(std::move(res), keep_alive);
        });
      });
}

void http_session::send(http::message_generator response, bool keep_alive) {
  state_->response.emplace(std::move(response));
  beast::async_write(state_->stream, std::move(*state_->response),
                     [self = shared_from_this(), keep_alive](beast::error_code e, std::size_t) {
                       self->on_write(e, keep_alive);
                     });
}

void http_session::on_write(beast::error_code ec, bool keep_alive) {
  if (ec) return do_close();
  if (!keep_alive) return do_linger();
  do_read();
}

void http_session::do_close() {
  beast::error_code ignored;
  state_->stream.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send, ignored);
}

void http_session::do_linger() {
  do_close();
  state_->buffer.clear();
  state_->stream.expires_after(linger_time);  // one deadline for all the reads below
  on_linger({});
}

void http_session::on_linger(beast::error_code ec) {
  if (ec) return;  // the client closed, or linger_time is over: the socket closes with us
  // Never committed: every read lands in the same bytes.
  state_->stream.async_read_some(
      state_->buffer.prepare(linger_read_bytes),
      [self = shared_from_this()](beast::error_code e, std::size_t) { self->on_linger(e); });
}

}  // namespace palaver::server
