// ws_load: a WebSocket load generator for a running palaver over loopback. It owns N client
// connections, the run's counters and the printed figures; bench/ws_load.py drives it.
// Threading: one io_context run by --threads threads (default 1). Each client's state is
// touched only through its own strand; the run's totals are atomics; the run's bookkeeping
// (who is ready, who is closed) is under one mutex, taken a few times per connection; its
// timer and signal set live on the run's own strand.
//
// Sections: options · the run · a client · main.
//
// Load mode: every client authenticates as a new anonymous visitor, then sends `message`
// frames (text "/long" by default: the echo agent's longest reply) one after another, reading
// `delta` frames until `done` before sending the next. Every frame is decoded by the shared
// codec, and every reply's deltas must add up to its done.text: anything else is an error,
// printed, and the exit status is 1. Counting starts when every client is ready and stops
// after --seconds; clients then finish the reply they are on and close.
// Idle mode (--idle K): K authenticated connections that send nothing; once all are open it
// prints "idle: K open" and holds them until SIGTERM/SIGINT or --seconds.
// Latency mode (--latency, with load): each delta's text starts with the CLOCK_MONOTONIC time
// in ns at which the upstream wrote it (bench/ws_load.py's stamping upstream, behind the
// `openai` agent); the time from then to its arrival here is recorded, and the percentiles
// are printed.
// The last line of output is "RESULT " and a JSON object, for the driver.
#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <sys/resource.h>
#include <thread>
#include <variant>
#include <vector>

#include "palaver/codec.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using clock_type = std::chrono::steady_clock;

// ---- options ------------------------------------------------------------------------------

struct options {
  std::string host = "127.0.0.1";
  int port = 0;
  int clients = 1;
  double seconds = 10;  // load: the measured window; idle: the longest hold
  int idle = 0;         // > 0: idle mode with this many connections
  std::optional<std::string> site;
  std::string origin;          // default: the server's own origin, http://host:port
  std::string text = "/long";  // what each message says
  int threads = 1;
  int connect_concurrency = 64;  // connections between TCP connect and `ready` at once
  double setup_seconds = 60;     // every client must be ready by then
  double drain_seconds = 15;     // after the window, replies in flight must end by then
  bool latency = false;          // deltas carry the upstream's send time: record each delay
};

[[noreturn]] void usage(const char* why) {
  std::cerr << "ws_load: " << why << "\n"
            << "usage: ws_load --port PORT [--host 127.0.0.1] [--clients N] [--seconds S]\n"
            << "               [--idle K] [--site ID] [--origin URL] [--text TEXT]\n"
            << "               [--threads N] [--connect-concurrency N] [--latency]\n";
  std::exit(2);
}

options parse_options(int argc, char** argv) {
  options o;
  const auto number = [&](std::string_view flag, const char* value) {
    double out = 0;
    const auto [end, ec] = std::from_chars(value, value + std::strlen(value), out);
    if (ec != std::errc() || *end != '\0' || out < 0)
      usage(("bad value for " + std::string(flag)).c_str());
    return out;
  };
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (flag == "--latency") {
      o.latency = true;
      continue;
    }
    if (i + 1 >= argc) usage(("missing value after " + std::string(flag)).c_str());
    const char* value = argv[++i];
    if (flag == "--host")
      o.host = value;
    else if (flag == "--port")
      o.port = static_cast<int>(number(flag, value));
    else if (flag == "--clients")
      o.clients = static_cast<int>(number(flag, value));
    else if (flag == "--seconds")
      o.seconds = number(flag, value);
    else if (flag == "--idle")
      o.idle = static_cast<int>(number(flag, value));
    else if (flag == "--site")
      o.site = value;
    else if (flag == "--origin")
      o.origin = value;
    else if (flag == "--text")
      o.text = value;
    else if (flag == "--threads")
      o.threads = static_cast<int>(number(flag, value));
    else if (flag == "--connect-concurrency")
      o.connect_concurrency = static_cast<int>(number(flag, value));
    else
      usage(("unknown flag " + std::string(flag)).c_str());
  }
  if (o.port <= 0 || o.port > 65535) usage("--port is required (1 to 65535)");
  if (o.clients < 1 || o.threads < 1 || o.connect_concurrency < 1) usage("counts must be >= 1");
  if (o.origin.empty()) o.origin = "http://" + o.host + ":" + std::to_string(o.port);
  return o;
}

std::chrono::nanoseconds seconds_of(double seconds) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
      std::chrono::duration<double>(seconds));
}

double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// ---- the run ------------------------------------------------------------------------------

class client;

// What all clients share: the options, the counters, and who is ready or finished. The
// counters count only inside the measured window (`measuring`).
class run {
 public:
  run(asio::io_context& io, options opts)
      : io_(io),
        opts_(std::move(opts)),
        endpoint_(asio::ip::make_address(opts_.host), static_cast<unsigned short>(opts_.port)),
        strand_(asio::make_strand(io)),
        timer_(strand_),
        signals_(strand_, SIGINT, SIGTERM) {}

  void start();
  bool idle_mode() const { return opts_.idle > 0; }
  const options& opts() const { return opts_; }
  const tcp::endpoint& endpoint() const { return endpoint_; }
  std::string run_id() const { return run_id_; }

  // Called by clients (any thread).
  void on_ready(std::size_t index);
  void on_closed(std::size_t index);
  void fail(const std::string& why);

  bool measuring() const { return measuring_.load(std::memory_order_relaxed); }
  bool stopping() const { return stopping_.load(std::memory_order_relaxed); }
  bool failed() const { return failed_.load(); }

  std::atomic<std::uint64_t> frames{0}, bytes{0}, deltas{0}, replies{0}, rate_limited{0};
  std::atomic<std::uint64_t> checked_replies{0};  // all replies, window or not
  void record_latency(double microseconds) {
    std::lock_guard lock(mutex_);
    latencies_us_.push_back(microseconds);
  }

  void print_result() const;
  void print_latency(boost::json::object& out) const;

 private:
  void launch_more();  // mutex held
  void begin_window();
  void end_window();
  void close_all();

  asio::io_context& io_;
  options opts_;
  tcp::endpoint endpoint_;
  std::string run_id_;
  asio::strand<asio::io_context::executor_type> strand_;  // for timer_ and signals_
  asio::steady_timer timer_;  // setup deadline, then the window, then the drain deadline
  asio::signal_set signals_;  // SIGINT/SIGTERM end the window early (idle mode: the hold)
  std::vector<std::shared_ptr<client>> clients_;

  std::mutex mutex_;  // guards the members below
  std::size_t launched_ = 0, ready_ = 0, closed_ = 0;
  std::vector<double> latencies_us_;  // --latency: each delta's, in the window

  std::atomic<bool> measuring_{false}, stopping_{false}, failed_{false};
  clock_type::time_point window_start_, window_end_;
  double cpu_start_ = 0, cpu_end_ = 0;
  double setup_seconds_ = 0;
};

// ---- a client -----------------------------------------------------------------------------

// One WebSocket: connect, handshake (with Origin), auth, then in load mode the message loop.
// Touched only on its strand: every handler runs there.
class client : public std::enable_shared_from_this<client> {
 public:
  client(asio::io_context& io, run& owner, std::size_t index)
      : ws_(asio::make_strand(io)), run_(owner), index_(index) {}

  void start() { do_connect(); }

  // From the run, any thread: begin sending (load mode), or close (both modes).
  void go() {
    asio::post(ws_.get_executor(), [self = shared_from_this()] { self->send_message(); });
  }
  void shut() {
    asio::post(ws_.get_executor(), [self = shared_from_this()] {
      // A client in the message loop closes itself after its reply's `done`.
      if (self->state_ == state::ready && !self->looping_) self->do_close();
    });
  }

 private:
  enum class state { connecting, authenticating, ready, closing, closed };

  void do_connect() {
    beast::get_lowest_layer(ws_).expires_after(std::chrono::seconds(30));
    beast::get_lowest_layer(ws_).async_connect(
        run_.endpoint(), beast::bind_front_handler(&client::on_connect, shared_from_this()));
  }

  void on_connect(beast::error_code ec) {
    if (ec) return fail("connect", ec);
    beast::get_lowest_layer(ws_).socket().set_option(tcp::no_delay(true));
    beast::get_lowest_layer(ws_).expires_never();
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
    ws_.set_option(websocket::stream_base::decorator(
        [origin = run_.opts().origin](websocket::request_type& req) {
          req.set(beast::http::field::origin, origin);
          req.set(beast::http::field::user_agent, "palaver-ws_load");
        }));
    ws_.read_message_max(palaver::limits::max_server_frame_bytes);
    ws_.text(true);
    const std::string host = run_.opts().host + ":" + std::to_string(run_.opts().port);
    ws_.async_handshake(host, "/ws",
                        beast::bind_front_handler(&client::on_handshake, shared_from_this()));
  }

  void on_handshake(beast::error_code ec) {
    if (ec) return fail("handshake", ec);
    state_ = state::authenticating;
    palaver::auth_frame auth;
    auth.site = run_.opts().site;
    write(palaver::encode(palaver::client_frame{std::move(auth)}));
    do_read();
  }

  void send_message() {
    looping_ = true;
    if (run_.stopping()) return do_close();
    ++sent_;
    msg_id_ = "m" + run_.run_id() + "-" + std::to_string(index_) + "-" + std::to_string(sent_);
    reply_id_.clear();
    reply_text_.clear();
    last_seq_ = 0;
    palaver::message_frame m;
    m.conversation_id = conversation_id_;
    m.client_msg_id = msg_id_;
    m.text = run_.opts().text;
    write(palaver::encode(palaver::client_frame{std::move(m)}));
  }

  // At most one write at a time: a client writes auth, then one message per reply.
  void write(std::string text) {
    out_ = std::move(text);
    writing_ = true;
    ws_.async_write(asio::buffer(out_),
                    beast::bind_front_handler(&client::on_write, shared_from_this()));
  }

  void on_write(beast::error_code ec, std::size_t) {
    writing_ = false;
    if (ec) return fail("write", ec);
    if (close_after_write_) do_close();
  }

  void do_read() {
    ws_.async_read(in_, beast::bind_front_handler(&client::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec) {
      if (state_ == state::closing || state_ == state::closed) return;
      if (ec == websocket::error::closed) {
        return fail("the server closed the socket: " + std::to_string(ws_.reason().code) + " " +
                    std::string(ws_.reason().reason.c_str()));
      }
      return fail("read", ec);
    }
    const std::string_view text(static_cast<const char*>(in_.data().data()), in_.size());
    if (!ws_.got_text()) return fail("a binary frame: " + std::string(text.substr(0, 200)));
    if (run_.measuring()) {
      run_.frames.fetch_add(1, std::memory_order_relaxed);
      run_.bytes.fetch_add(text.size(), std::memory_order_relaxed);
    }
    auto frame = palaver::decode_server_frame(text);
    if (!frame) {
      return fail("an invalid frame (" + std::string(palaver::to_string(frame.error().code)) + " " +
                  frame.error().field + ": " + frame.error().detail +
                  "): " + std::string(text.substr(0, 200)));
    }
    in_.consume(in_.size());
    std::string problem = std::visit([this](auto& f) { return on_frame(f); }, *frame);
    if (!problem.empty()) return fail(problem);
    if (state_ != state::closing && state_ != state::closed) do_read();
  }

  // Each returns an error text, or "" when the frame is as expected.
  std::string on_frame(palaver::ready_frame&) {
    if (state_ != state::authenticating) return "a second ready";
    state_ = state::ready;
    run_.on_ready(index_);
    return {};
  }
  std::string on_frame(palaver::conversation_frame& f) {
    if (!conversation_id_) conversation_id_ = f.conversation.id;
    return {};
  }
  std::string on_frame(palaver::ack_frame& f) {
    if (f.client_msg_id != msg_id_) return "an ack for " + f.client_msg_id + ", sent " + msg_id_;
    return {};
  }
  std::string on_frame(palaver::message_event_frame& f) {
    if (f.message.author_role == palaver::role::assistant &&
        f.message.status == palaver::message_status::streaming && reply_id_.empty()) {
      reply_id_ = f.message.id;
      reply_text_ = f.message.text;
      last_seq_ = f.message.seq;
    }
    return {};
  }
  std::string on_frame(palaver::delta_frame& f) {
    if (f.message_id != reply_id_) return "a delta of " + f.message_id + " before its message";
    if (f.seq <= last_seq_) return "a delta's seq did not grow: " + std::to_string(f.seq);
    last_seq_ = f.seq;
    reply_text_ += f.text;
    if (!run_.measuring()) return {};
    run_.deltas.fetch_add(1, std::memory_order_relaxed);
    if (run_.opts().latency) {
      const auto now = clock_type::now().time_since_epoch();  // CLOCK_MONOTONIC, as Python's
      std::int64_t sent_ns = 0;
      const auto [end, ec] = std::from_chars(f.text.data(), f.text.data() + f.text.size(), sent_ns);
      if (ec != std::errc()) return "a delta without a send time: " + f.text.substr(0, 40);
      run_.record_latency(static_cast<double>(std::chrono::nanoseconds(now).count() - sent_ns) /
                          1000.0);
    }
    return {};
  }
  std::string on_frame(palaver::done_frame& f) {
    if (f.message_id != reply_id_) return "a done of " + f.message_id + " before its message";
    if (f.finish_reason != palaver::finish_reason::stop) {
      return "a reply ended with " + std::string(palaver::to_string(f.finish_reason));
    }
    if (f.text != reply_text_) {
      return "the deltas (" + std::to_string(reply_text_.size()) +
             " bytes) differ from done.text (" + std::to_string(f.text.size()) + " bytes)";
    }
    if (reply_text_.empty()) return "an empty reply";
    run_.checked_replies.fetch_add(1, std::memory_order_relaxed);
    if (run_.measuring()) run_.replies.fetch_add(1, std::memory_order_relaxed);
    reply_id_.clear();
    send_message();
    return {};
  }
  std::string on_frame(palaver::error_frame& f) {
    if (f.code == palaver::error_code::rate_limited && f.ref == msg_id_) {
      // The message was not stored: resend it with the same id a little later.
      run_.rate_limited.fetch_add(1, std::memory_order_relaxed);
      auto timer =
          std::make_shared<asio::steady_timer>(ws_.get_executor(), std::chrono::milliseconds(100));
      timer->async_wait([self = shared_from_this(), timer](beast::error_code) {
        if (self->state_ != state::ready) return;
        if (self->run_.stopping()) return self->do_close();
        palaver::message_frame m;
        m.conversation_id = self->conversation_id_;
        m.client_msg_id = self->msg_id_;
        m.text = self->run_.opts().text;
        self->write(palaver::encode(palaver::client_frame{std::move(m)}));
      });
      return {};
    }
    return "an error frame: " + std::string(palaver::to_string(f.code)) + " " + f.message;
  }
  template <class Frame>
  std::string on_frame(Frame&) {  // typing, progress, and frames this load never causes
    return {};
  }

  void do_close() {
    if (state_ == state::closing || state_ == state::closed) return;
    if (writing_) {
      close_after_write_ = true;
      return;
    }
    state_ = state::closing;
    ws_.async_close(websocket::close_code::normal,
                    beast::bind_front_handler(&client::on_close, shared_from_this()));
  }

  void on_close(beast::error_code) {
    // Errors closing are not the server's fault here (the server may close first at stop).
    state_ = state::closed;
    run_.on_closed(index_);
  }

  void fail(std::string_view what, beast::error_code ec) {
    fail(std::string(what) + ": " + ec.message());
  }
  void fail(const std::string& why) {
    if (state_ == state::closed) return;
    state_ = state::closed;
    run_.fail("client " + std::to_string(index_) + ": " + why);
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
  }

  websocket::stream<beast::tcp_stream> ws_;
  run& run_;
  std::size_t index_;
  state state_ = state::connecting;
  beast::flat_buffer in_;
  std::string out_;
  bool writing_ = false;
  bool close_after_write_ = false;
  bool looping_ = false;                        // load mode: sending messages one after another
  std::optional<std::string> conversation_id_;  // after the first message's `conversation`
  std::uint64_t sent_ = 0;
  std::string msg_id_;      // the client_msg_id of the message in flight
  std::string reply_id_;    // the assistant message streaming now, empty between replies
  std::string reply_text_;  // its deltas so far
  palaver::seq_t last_seq_ = 0;
};

// ---- the run's steps ----------------------------------------------------------------------

void run::start() {
  signals_.async_wait([this](beast::error_code ec, int) {
    if (ec) return;
    if (!measuring_ && !stopping_) return fail("stopped by a signal before the window");
    end_window();
  });
  run_id_ =
      std::to_string(std::chrono::system_clock::now().time_since_epoch().count() % 1000000007);
  const int count = idle_mode() ? opts_.idle : opts_.clients;
  for (int i = 0; i < count; ++i)
    clients_.push_back(std::make_shared<client>(io_, *this, i));
  timer_.expires_after(seconds_of(opts_.setup_seconds));
  timer_.async_wait([this](beast::error_code ec) {
    if (ec) return;
    std::lock_guard lock(mutex_);
    fail("only " + std::to_string(ready_) + " of " + std::to_string(clients_.size()) +
         " clients were ready after " + std::to_string(opts_.setup_seconds) + " s");
  });
  std::lock_guard lock(mutex_);
  setup_seconds_ = std::chrono::duration<double>(clock_type::now().time_since_epoch()).count();
  launch_more();
}

void run::launch_more() {
  while (launched_ < clients_.size() &&
         launched_ - ready_ < static_cast<std::size_t>(opts_.connect_concurrency)) {
    clients_[launched_++]->start();
  }
}

void run::on_ready(std::size_t) {
  std::lock_guard lock(mutex_);
  ++ready_;
  launch_more();
  if (ready_ < clients_.size()) return;
  setup_seconds_ =
      std::chrono::duration<double>(clock_type::now().time_since_epoch()).count() - setup_seconds_;
  asio::post(strand_, [this] { begin_window(); });
}

void run::begin_window() {
  timer_.cancel();
  if (failed()) return;
  if (idle_mode()) {
    std::printf("idle: %zu open (%.2f s to connect)\n", clients_.size(), setup_seconds_);
    std::fflush(stdout);
  }
  cpu_start_ = cpu_seconds();
  window_start_ = clock_type::now();
  measuring_ = true;
  if (!idle_mode()) {
    for (auto& c : clients_)
      c->go();
  }
  timer_.expires_after(seconds_of(opts_.seconds));
  timer_.async_wait([this](beast::error_code ec) {
    if (!ec) end_window();
  });
}

void run::end_window() {
  if (stopping_.exchange(true)) return;
  if (measuring_.exchange(false)) {
    window_end_ = clock_type::now();
    cpu_end_ = cpu_seconds();
  }
  close_all();
  timer_.expires_after(seconds_of(opts_.drain_seconds));
  timer_.async_wait([this](beast::error_code ec) {
    if (ec) return;
    std::lock_guard lock(mutex_);
    fail(std::to_string(clients_.size() - closed_) + " clients still open " +
         std::to_string(opts_.drain_seconds) + " s after the window");
  });
}

void run::close_all() {
  // Clients between replies close now; the rest close when their reply's `done` arrives.
  for (auto& c : clients_)
    c->shut();
}

void run::on_closed(std::size_t) {
  std::lock_guard lock(mutex_);
  if (++closed_ < clients_.size()) return;
  asio::post(strand_, [this] {  // nothing is left to wait for: let io.run() return
    timer_.cancel();
    signals_.cancel();
  });
}

void run::fail(const std::string& why) {
  if (failed_.exchange(true)) return;
  std::fprintf(stderr, "ws_load: ERROR: %s\n", why.c_str());
  io_.stop();
}

// The percentiles of the recorded delays, into `out` and printed. Called once the clients are
// done: nothing records any more.
void run::print_latency(boost::json::object& out) const {
  std::vector<double> sorted = latencies_us_;
  std::sort(sorted.begin(), sorted.end());
  const auto at = [&](double q) {
    return sorted.empty() ? 0.0 : sorted[static_cast<std::size_t>(q * (sorted.size() - 1))];
  };
  out["latency_samples"] = sorted.size();
  out["latency_p50_us"] = at(0.5);
  out["latency_p99_us"] = at(0.99);
  out["latency_p999_us"] = at(0.999);
  out["latency_max_us"] = at(1.0);
  std::printf("latency over %zu deltas: p50 %.0f us, p99 %.0f us, p99.9 %.0f us, max %.0f us\n",
              sorted.size(), at(0.5), at(0.99), at(0.999), at(1.0));
}

void run::print_result() const {
  const double seconds = std::chrono::duration<double>(window_end_ - window_start_).count();
  const double cpu = cpu_end_ - cpu_start_;
  boost::json::object out;
  out["mode"] = idle_mode() ? "idle" : "load";
  out["clients"] = clients_.size();
  out["seconds"] = seconds;
  out["setup_seconds"] = setup_seconds_;
  out["client_cpu_seconds"] = cpu;
  if (!idle_mode()) {
    const auto per_second = [&](std::uint64_t n) { return seconds > 0 ? n / seconds : 0.0; };
    out["deltas"] = deltas.load();
    out["frames"] = frames.load();
    out["bytes"] = bytes.load();
    out["replies"] = replies.load();
    out["checked_replies"] = checked_replies.load();
    out["rate_limited"] = rate_limited.load();
    out["deltas_per_second"] = per_second(deltas);
    out["frames_per_second"] = per_second(frames);
    out["megabytes_per_second"] = per_second(bytes) / 1e6;
    if (opts_.latency) print_latency(out);
    std::printf(
        "clients %zu, %.2f s: %.0f deltas/s, %.0f frames/s, %.2f MB/s payload, %llu replies "
        "completed (%llu checked in all), %llu rate-limited, client CPU %.0f%%\n",
        clients_.size(), seconds, per_second(deltas), per_second(frames), per_second(bytes) / 1e6,
        static_cast<unsigned long long>(replies.load()),
        static_cast<unsigned long long>(checked_replies.load()),
        static_cast<unsigned long long>(rate_limited.load()),
        seconds > 0 ? 100 * cpu / seconds : 0);
  } else {
    std::printf("idle: %zu held for %.2f s\n", clients_.size(), seconds);
  }
  std::printf("RESULT %s\n", boost::json::serialize(out).c_str());
  std::fflush(stdout);
}

}  // namespace

// ---- main ---------------------------------------------------------------------------------

int main(int argc, char** argv) {
  options opts = parse_options(argc, argv);
  asio::io_context io(opts.threads);
  run load(io, opts);
  load.start();
  std::vector<std::thread> threads;
  for (int i = 1; i < opts.threads; ++i)
    threads.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& t : threads)
    t.join();
  if (load.failed()) return 1;
  load.print_result();
  if (!opts.idle && load.checked_replies.load() == 0) {
    std::fprintf(stderr, "ws_load: ERROR: no reply completed\n");
    return 1;
  }
  return 0;
}
