// The WebSocket session: handshake, auth, frame dispatch, the hub's inbox and the writes,
// pings and the idle timeout. See ws_session.hpp.
//
// Sections: the session class · handshake and auth · the timer: auth, pings, idleness ·
// reading · writing and closing.
#include "ws_session.hpp"

#include <array>
#include <chrono>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "palaver/codec.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include "chat_hub.hpp"
#include "coalescing_stream.hpp"
#include "hub_client.hpp"
#include "log.hpp"
#include "metrics.hpp"
#include "server_context.hpp"
#include "store.hpp"
#include "token_bucket.hpp"

namespace palaver::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;

namespace {

using clock = std::chrono::steady_clock;

// Close codes: RFC 6455 and the protocol's own (docs/protocol.md §7).
constexpr std::uint16_t close_policy = 1008;  // no auth in time; too many sockets
constexpr std::uint16_t close_auth_failed = 4001;

// How long a close handshake may take before the socket is dropped: a peer that answers
// nothing would otherwise hold it for Beast's handshake timeout.
constexpr std::chrono::seconds close_wait{5};

// Idle sockets should be small. A frame is read in chunks of this size into the session's own
// array, so a pending read holds no heap memory (Beast's async_read prepares 1.5 KB of a
// dynamic buffer before a byte arrives); a frame larger than one chunk is gathered in a string
// that is freed once the frame is handled.
constexpr std::size_t read_chunk_bytes = 512;

// An inbox that held more frames than this gives its memory back once drained.
constexpr std::size_t kept_inbox_frames = 64;

// ---- the session class ------------------------------------------------------------------

class ws_session final : public hub_client, public std::enable_shared_from_this<ws_session> {
 public:
  ws_session(beast::tcp_stream stream, http::request<http::string_body> upgrade,
             std::shared_ptr<server_context> context, std::unique_ptr<connection_slot> slot)
      : ws_(stream.release_socket(), context->stats.get(), context->limits.outgoing_queue_bytes),
        upgrade_(std::make_unique<http::request<http::string_body>>(std::move(upgrade))),
        context_(std::move(context)),
        slot_(std::move(slot)),
        timer_(ws_.get_executor()),
        id_(next_client_id()),
        rate_(context_->limits.frames_per_second) {}

  void run();

  // hub_client
  void deliver(shared_frame frame) override;
  void close_going_away() override {
    asio::dispatch(ws_.get_executor(), [self = shared_from_this()] {
      self->close(static_cast<std::uint16_t>(websocket::close_code::going_away),
                  "server shutting down");
    });
  }
  const identity& who() const override { return who_; }
  const std::string& owner() const override { return owner_; }
  std::uint64_t id() const override { return id_; }

 private:
  void on_accept(beast::error_code ec);
  void authenticate(const auth_frame& auth);
  void arm_timer(clock::time_point at);
  void on_timer(beast::error_code ec);
  void do_read();
  void on_read(beast::error_code ec, std::size_t bytes);
  void on_frame(std::string_view text);
  void dispatch(client_frame frame);
  // Frames over the socket's rate are refused; one that keeps on until it owes a whole
  // second's worth (sending at twice the rate for a while) is abusive and is closed.
  enum class rate_verdict { within, over, abusive };
  rate_verdict take_rate_token(clock::time_point now);
  void count_error(std::string_view frame);
  // Sends a frame of the session's own (the hub's come through deliver()).
  void send(const server_frame& frame);
  void drain_inbox();
  // Adds a frame to the connection's pending bytes; flush() writes them.
  void append(std::string_view frame);
  coalescing_stream& out() { return ws_.next_layer(); }
  // Closes after what is queued (flush) or after only the write in flight.
  void close(std::uint16_t code, std::string reason, bool flush = true);
  // Closes the socket without a close frame: for a peer that would never read one.
  void drop();
  void on_closed();

  websocket::stream<coalescing_stream> ws_;
  std::array<char, read_chunk_bytes> chunk_;
  std::string gathered_;  // a frame larger than one chunk, so far
  std::unique_ptr<http::request<http::string_body>> upgrade_;  // until auth: its Origin
  std::shared_ptr<server_context> context_;
  std::unique_ptr<connection_slot> slot_;  // after context_: given back before it goes
  // The one timer: the auth deadline, the next ping, the idle timeout, the close's end.
  asio::steady_timer timer_;
  clock::time_point auth_deadline_;
  // The last sign of a live, authenticated client: a data frame, or the pong to our ping.
  // Pings and unsolicited pongs cost nothing to send, so they do not keep a socket open.
  clock::time_point heard_;
  bool ping_outstanding_ = false;
  const std::uint64_t id_;

  bool accepted_ = false;
  bool authenticated_ = false;
  identity who_;
  std::string owner_;

  // Frames the hub delivered, waiting for the strand: deliver() runs on the hub's thread and
  // posts one drain for however many frames arrive before it runs.
  std::mutex inbox_mutex_;
  std::vector<shared_frame> inbox_;  // guarded by inbox_mutex_
  bool drain_posted_ = false;        // guarded by inbox_mutex_
  std::vector<shared_frame> draining_;
  bool closing_ = false;  // the close handshake began: nothing new goes out
  bool closed_ = false;

  token_bucket rate_;       // frames this socket may still send this second (< 0: owed)
  bool over_rate_ = false;  // RATE_LIMITED was sent for the frames refused since the last one in
};

// ---- handshake and auth -------------------------------------------------------------------

void ws_session::run() {
  out().set_owner(weak_from_this());
  const session_limits& limits = context_->limits;
  websocket::stream_base::timeout timeouts =
      websocket::stream_base::timeout::suggested(beast::role_type::server);
  // Pings and the idle timeout are this session's timer: Beast would ping at half the idle
  // timeout, whatever ping_interval says.
  timeouts.idle_timeout = websocket::stream_base::none();
  timeouts.keep_alive_pings = false;
  ws_.set_option(timeouts);
  // Runs inside a read, on the strand. Control frames count against the frame rate like any
  // other (Beast answers each ping with a pong, whatever the rate); only the pong to our own
  // ping tells that a quiet peer is alive.
  ws_.control_callback([this](websocket::frame_type kind, beast::string_view) {
    if (kind == websocket::frame_type::close || closed_) return;
    const auto now = clock::now();
    if (take_rate_token(now) == rate_verdict::abusive) {
      if (logs(log_level::debug))
        log_line(log_level::debug,
                 "socket " + std::to_string(id_) + " closed: control frame flood");
      return drop();
    }
    if (kind == websocket::frame_type::pong && ping_outstanding_) {
      ping_outstanding_ = false;
      heard_ = now;
    }
  });
  ws_.set_option(websocket::stream_base::decorator(
      [](websocket::response_type& res) { res.set(http::field::server, "palaver"); }));
  ws_.read_message_max(limits.max_frame_bytes);  // above it Beast closes with 1009
  ws_.async_accept(*upgrade_,
                   [self = shared_from_this()](beast::error_code ec) { self->on_accept(ec); });
}

void ws_session::on_accept(beast::error_code ec) {
  if (ec) return;
  accepted_ = true;
  context_->stats->connection_opened();
  heard_ = clock::now();
  auth_deadline_ = heard_ + context_->limits.auth_timeout;
  arm_timer(std::min(auth_deadline_, heard_ + context_->limits.ping_interval));
  do_read();
}

void ws_session::authenticate(const auth_frame& auth) {
  const auto refuse = [&](std::string reason) {
    send(error_frame{error_code::auth_failed, std::move(reason), std::nullopt, std::nullopt});
    close(close_auth_failed, "authentication failed");
  };
  const site_entry* site = context_->find_site(auth.site);
  if (!site) return refuse("no such site");
  if (!site->origins.allows((*upgrade_)[http::field::origin]))
    return refuse("this site is not embedded on that page");
  auto outcome = context_->auth->authenticate(
      site->auth, auth.token ? std::optional<std::string_view>(*auth.token) : std::nullopt);
  if (!outcome) return refuse(outcome.error().reason);

  const std::string owner = owner_id(outcome->who);
  if (!context_->sockets.try_add(owner, context_->sockets_per_identity)) {
    send(error_frame{error_code::rate_limited, "too many open sockets for this identity",
                     std::nullopt, std::nullopt});
    return close(close_policy, "too many sockets");
  }
  authenticated_ = true;
  const bool new_visitor = outcome->visitor_token.has_value();
  who_ = std::move(outcome->who);
  owner_ = owner;
  upgrade_.reset();  // not needed any more
  send(ready_frame{limits::max_protocol,
                   "s" + std::to_string(id_),
                   to_user_info(who_),
                   std::move(outcome->visitor_token),
                   {static_cast<std::int64_t>(context_->limits.max_frame_bytes),
                    context_->messages_per_minute}});
  // A returning visitor's last visit. A new one is not stored until its first message: an
  // anonymous auth costs nothing to send, so it must cost the store nothing either.
  if (who_.anonymous && !new_visitor) context_->db->touch_visitor(who_.user_id, who_.site_id);
  context_->hub->connect(shared_from_this());
}

// ---- the timer: auth, pings, idleness ---------------------------------------------------

// One wait at a time, re-armed from its own handler; frames only move heard_, so a busy
// socket costs no timer work per frame.
void ws_session::arm_timer(clock::time_point at) {
  timer_.expires_at(at);
  timer_.async_wait([self = shared_from_this()](beast::error_code ec) { self->on_timer(ec); });
}

void ws_session::on_timer(beast::error_code ec) {
  const auto now = clock::now();
  // Cancelled, or a wait that had already fired when the timer was moved: the newer wait
  // is the one that counts.
  if (ec || closed_ || now < timer_.expiry()) return;
  if (closing_) return drop();  // the close handshake took close_wait
  if (!authenticated_ && now >= auth_deadline_)
    return close(close_policy, "auth did not arrive in time");
  const session_limits& limits = context_->limits;
  if (now - heard_ >= limits.idle_timeout) {
    if (logs(log_level::debug))
      log_line(log_level::debug, "socket " + std::to_string(id_) + " closed: idle");
    return close(static_cast<std::uint16_t>(websocket::close_code::going_away), "idle timeout",
                 false);
  }
  // At most once a ping interval: a socket that streams meanwhile pays one allocation then.
  out().release_idle_buffers();
  auto next_ping = heard_ + limits.ping_interval;
  if (now >= next_ping) {
    if (!out().append_ping()) return on_closed();
    out().flush();
    context_->stats->frame_sent();
    ping_outstanding_ = true;
    next_ping = now + limits.ping_interval;
  }
  auto next = std::min(next_ping, heard_ + limits.idle_timeout);
  if (!authenticated_) next = std::min(next, auth_deadline_);
  arm_timer(next);
}

// ---- reading -----------------------------------------------------------------------------

void ws_session::do_read() {
  ws_.async_read_some(asio::buffer(chunk_),
                      [self = shared_from_this()](beast::error_code ec, std::size_t bytes) {
                        self->on_read(ec, bytes);
                      });
}

void ws_session::on_read(beast::error_code ec, std::size_t bytes) {
  if (ec) return on_closed();  // closed by the peer, timed out, or too large (1009 sent)
  const std::string_view chunk(chunk_.data(), bytes);
  if (!ws_.is_message_done()) {
    gathered_ += chunk;
    return do_read();
  }
  if (gathered_.empty()) {
    on_frame(chunk);
  } else {
    gathered_ += chunk;
    on_frame(gathered_);
    std::string().swap(gathered_);
  }
  if (!closed_) do_read();
}

void ws_session::on_frame(std::string_view text) {
  context_->stats->frame_received();
  const auto now = clock::now();
  if (authenticated_) heard_ = now;
  const rate_verdict rate = take_rate_token(now);
  if (rate == rate_verdict::abusive) return close(close_policy, "too many frames");
  if (rate == rate_verdict::over) {
    // One error for a run of refused frames: a flood is not answered frame for frame.
    if (!std::exchange(over_rate_, true))
      send(error_frame{error_code::rate_limited, "too many frames per second", std::nullopt,
                       std::nullopt});
    return;
  }
  over_rate_ = false;
  if (!ws_.got_text()) {
    send(error_frame{error_code::bad_frame, "frames are JSON text, not binary", std::nullopt,
                     std::nullopt});
  } else {
    auto decoded = decode_client_frame(text);
    if (decoded)
      dispatch(std::move(*decoded));
    else
      send(make_error_frame(decoded.error()));
  }
}

void ws_session::dispatch(client_frame frame) {
  if (auto* auth = std::get_if<auth_frame>(&frame)) {
    if (authenticated_)
      return send(
          error_frame{error_code::conflict, "already authenticated", std::nullopt, std::nullopt});
    return authenticate(*auth);
  }
  if (!authenticated_)
    return send(
        error_frame{error_code::auth_required, "send auth first", std::nullopt, std::nullopt});
  if (auto* ping = std::get_if<ping_frame>(&frame)) return send(pong_frame{ping->id});
  context_->hub->handle(shared_from_this(), std::move(frame));
}

// Every error sent is counted for /metrics (by code: the summary an operator watches). A
// client's mistakes are logged at debug only (a hostile client makes as many as it likes);
// the server's own failures (INTERNAL) at warn. Never a value: no token or message text.
// Read off the canonical text, where "type" comes first, then "code" and "message".
void ws_session::count_error(std::string_view frame) {
  constexpr std::string_view prefix = R"({"type":"error","code":")";
  if (!frame.starts_with(prefix)) return;
  const std::string_view rest = frame.substr(prefix.size());
  const std::string_view name = rest.substr(0, rest.find('"'));
  const auto code = error_code_from_string(name);
  if (code) context_->stats->error_sent(*code);
  const log_level level = code == error_code::internal ? log_level::warn : log_level::debug;
  if (logs(level))
    log_line(level, "socket " + std::to_string(id_) + " " + std::string(name) + " " +
                        (owner_.empty() ? std::string("(before auth)") : owner_));
}

ws_session::rate_verdict ws_session::take_rate_token(clock::time_point now) {
  const double rate = context_->limits.frames_per_second;
  rate_.refill(rate, rate, now);
  rate_.tokens -= 1;  // refused frames are owed too
  if (rate_.tokens >= 0) return rate_verdict::within;
  return rate_.tokens < -rate ? rate_verdict::abusive : rate_verdict::over;
}

// ---- writing and closing -----------------------------------------------------------------

void ws_session::deliver(shared_frame frame) {
  {
    std::lock_guard lock(inbox_mutex_);
    inbox_.push_back(std::move(frame));
    if (drain_posted_) return;
    drain_posted_ = true;
  }
  asio::post(ws_.get_executor(), [self = shared_from_this()] { self->drain_inbox(); });
}

void ws_session::drain_inbox() {
  {
    std::lock_guard lock(inbox_mutex_);
    draining_.swap(inbox_);
    drain_posted_ = false;
  }
  for (const shared_frame& frame : draining_)
    append(frame.text());
  if (draining_.capacity() > kept_inbox_frames)
    std::vector<shared_frame>().swap(draining_);
  else
    draining_.clear();
  out().flush();
}

void ws_session::send(const server_frame& frame) {
  append(shared_frame(frame).text());
  out().flush();
}

void ws_session::append(std::string_view frame) {
  if (closed_ || closing_) return;  // closing: nothing new goes out
  count_error(frame);
  if (!out().append_text(frame)) return on_closed();  // over the backlog limit: dropped
  context_->stats->frame_sent();
}

void ws_session::close(std::uint16_t code, std::string reason, bool flush) {
  if (closed_ || closing_) return;
  if (!accepted_) return drop();
  closing_ = true;
  if (!flush) out().discard_pending();  // what is being written still goes first
  arm_timer(clock::now() + close_wait);
  ws_.async_close(websocket::close_reason(static_cast<websocket::close_code>(code), reason),
                  [self = shared_from_this()](beast::error_code) { self->on_closed(); });
}

void ws_session::drop() {
  beast::error_code ignored;
  beast::get_lowest_layer(ws_).close(ignored);
  on_closed();
}

void ws_session::on_closed() {
  if (closed_) return;
  closed_ = true;
  if (out().overflowed())
    log_line(log_level::info, "socket " + std::to_string(id_) + " closed: too far behind");
  if (accepted_) context_->stats->connection_closed();
  timer_.cancel();
  if (authenticated_) {
    context_->sockets.remove(owner_);
    context_->hub->disconnect(id_);
  }
}

}  // namespace

void start_ws_session(beast::tcp_stream stream, http::request<http::string_body> upgrade,
                      std::shared_ptr<server_context> context,
                      std::unique_ptr<connection_slot> slot) {
  std::make_shared<ws_session>(std::move(stream), std::move(upgrade), std::move(context),
                               std::move(slot))
      ->run();
}

}  // namespace palaver::server
