// openai_agent: each reply is an openai_reply, a chain of Beast do_x()/on_x(ec) steps on the
// reply's own strand: resolve, connect, TLS handshake, write the request, read the header,
// read the body through the SSE parser and Boost.JSON. A watchdog timer on the same strand
// ends a silent upstream. Every path ends in finish(), which runs once (finished_) and closes
// the socket first; cancel() posts to the strand, so it may come from any thread.
//
// Sections: base_url -> the agent's shared state -> the request -> upstream text for visitors
//           -> openai_reply -> openai_agent
#include "openai_agent.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <string>
#include <utility>
#include <variant>

#include "palaver/text.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/json.hpp>

#include "io_strand.hpp"
#include "sse_parser.hpp"

namespace palaver::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {

// Bytes read from the socket per step; the SSE parser copies only a line cut by its edge.
constexpr std::size_t read_chunk_bytes = 16 * 1024;
// Boost.JSON's memory for one chunk's value and its parse stack: an OpenAI chunk of a few
// hundred bytes fits, so a delta allocates nothing.
constexpr std::size_t json_arena_bytes = 16 * 1024;
constexpr std::size_t json_stack_bytes = 4 * 1024;
// The whole response body, SSE framing included (it costs 30-100 times the text).
constexpr std::uint64_t max_stream_bytes = std::uint64_t{256} << 20;
// Upstream text passed on in an error message.
constexpr std::size_t max_upstream_text_bytes = 300;

bool iequals_prefix(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    const char a =
        text[i] >= 'A' && text[i] <= 'Z' ? static_cast<char>(text[i] - 'A' + 'a') : text[i];
    if (a != prefix[i]) return false;
  }
  return true;
}

bool is_ip_literal(const std::string& host) {
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

// ---- base_url ---------------------------------------------------------------------------

struct upstream_endpoint {
  bool tls = false;
  std::string host;  // no brackets: for the resolver, SNI and the certificate check
  std::string port;
  std::string host_header;
  std::string target;  // {path}/chat/completions
};

// The endpoint `url` names, or nullopt with `why` set.
std::optional<upstream_endpoint> parse_base_url(std::string_view url, std::string& why) {
  for (const char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
      why = "base_url: spaces, control and non-ASCII characters must be percent-encoded";
      return std::nullopt;
    }
  }
  upstream_endpoint e;
  std::string_view rest;
  if (iequals_prefix(url, "http://")) {
    rest = url.substr(7);
  } else if (iequals_prefix(url, "https://")) {
    e.tls = true;
    rest = url.substr(8);
  } else {
    why = "base_url: must start with http:// or https://";
    return std::nullopt;
  }
  const std::size_t authority_end = rest.find_first_of("/?#");
  const std::string_view authority = rest.substr(0, authority_end);
  std::string_view path =
      authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);
  if (path.find_first_of("?#") != std::string_view::npos) {
    why = "base_url: a query or fragment is not supported";
    return std::nullopt;
  }
  if (authority.find('@') != std::string_view::npos) {
    why = "base_url: credentials in the URL are not supported (use api_key)";
    return std::nullopt;
  }

  std::string_view host;
  std::string_view port;
  bool has_port = false;
  bool ipv6 = false;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      why = "base_url: unclosed [ in the host";
      return std::nullopt;
    }
    host = authority.substr(1, close - 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty() && after.front() != ':') {
      why = "base_url: unexpected characters after the host";
      return std::nullopt;
    }
    has_port = !after.empty();
    if (has_port) port = after.substr(1);
    boost::system::error_code ec;
    asio::ip::make_address_v6(std::string(host), ec);
    if (ec) {
      why = "base_url: invalid IPv6 address";
      return std::nullopt;
    }
    ipv6 = true;
  } else {
    const std::size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    has_port = colon != std::string_view::npos;
    if (has_port) port = authority.substr(colon + 1);
    for (const char c : host) {
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_')) {
        why = "base_url: invalid host name";
        return std::nullopt;
      }
    }
  }
  if (host.empty()) {
    why = "base_url: no host";
    return std::nullopt;
  }
  if (has_port) {
    unsigned long number = 0;
    const bool digits =
        !port.empty() && port.size() <= 5 &&
        std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (digits) number = std::stoul(std::string(port));
    if (!digits || number == 0 || number > 65535) {
      why = "base_url: invalid port";
      return std::nullopt;
    }
  }
  const std::string_view default_port = e.tls ? "443" : "80";
  e.host = std::string(host);
  e.port = has_port ? std::string(port) : std::string(default_port);
  e.host_header = ipv6 ? "[" + e.host + "]" : e.host;
  if (e.port != default_port) e.host_header += ":" + e.port;
  while (!path.empty() && path.back() == '/')
    path.remove_suffix(1);
  e.target = std::string(path) + "/chat/completions";
  return e;
}

}  // namespace

// ---- the agent's shared state -----------------------------------------------------------

// What every reply of one agent shares; immutable once built, so any thread may read it.
struct detail::openai_agent_state {
  openai_agent::options config;
  std::optional<asio::io_context::executor_type> executor;  // replies' strands wrap it
  std::optional<upstream_endpoint> endpoint;
  std::string config_error;           // non-empty: every reply fails with it
  std::shared_ptr<ssl::context> tls;  // for https: system CAs (+ ca_file), peer verification
};

namespace {

using detail::openai_agent_state;

std::shared_ptr<openai_agent_state> make_state(
    std::optional<asio::io_context::executor_type> executor, openai_agent::options config) {
  auto state = std::make_shared<openai_agent_state>();
  state->executor = std::move(executor);
  state->config = std::move(config);
  const openai_agent::options& c = state->config;
  std::string& why = state->config_error;

  state->endpoint = parse_base_url(c.base_url, why);
  if (!why.empty()) return state;
  if (std::any_of(c.api_key.begin(), c.api_key.end(),
                  [](char ch) { return static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f; })) {
    why = "api_key: contains control characters";
  } else if (c.timeout.count() <= 0) {
    why = "timeout: must be positive";
  } else if (c.max_tokens && *c.max_tokens <= 0) {
    why = "max_tokens: must be positive";
  } else if (c.max_history_messages == 0) {
    why = "max_history_messages: must be at least 1";
  } else if (c.max_reply_bytes == 0 || c.max_event_bytes == 0 || c.max_response_header_bytes == 0 ||
             c.max_response_header_bytes > UINT32_MAX) {
    why = "limits: must be positive";
  }
  if (!why.empty()) return state;

  if (state->endpoint->tls || !c.ca_file.empty()) {
    auto context = std::make_shared<ssl::context>(ssl::context::tls_client);
    SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION);
    boost::system::error_code ec;
    context->set_default_verify_paths(ec);  // a system without CAs fails each handshake
    if (!c.ca_file.empty()) {
      context->load_verify_file(c.ca_file, ec);
      if (ec) {
        why = "ca_file: cannot load it as PEM certificates";
        return state;
      }
    }
    context->set_verify_mode(ssl::verify_peer);
    state->tls = std::move(context);
  }
  return state;
}

// ---- the request ------------------------------------------------------------------------

std::string_view openai_role(role r) {
  switch (r) {
    case role::user:
      return "user";
    case role::system:
      return "system";
    case role::assistant:
    case role::operator_:  // a human operator spoke for the assistant
      return "assistant";
  }
  return "user";
}

std::string request_body(const openai_agent::options& config, const reply_request& request) {
  // The newest max_history_messages messages that say something, the reply's own placeholder
  // left out.
  std::vector<const message*> window;
  for (auto it = request.history.rbegin();
       it != request.history.rend() && window.size() < config.max_history_messages; ++it) {
    if (it->text.empty() || it->id == request.reply_message_id) continue;
    window.push_back(&*it);
  }
  std::reverse(window.begin(), window.end());

  json::array messages;
  messages.reserve(window.size() + 1);
  if (!config.system_prompt.empty()) {
    messages.push_back(json::object{{"role", "system"}, {"content", config.system_prompt}});
  }
  for (const message* m : window) {
    messages.push_back(json::object{{"role", openai_role(m->author_role)}, {"content", m->text}});
  }
  json::object body;
  body["model"] = config.model;
  body["messages"] = std::move(messages);
  body["stream"] = true;
  body["stream_options"] = json::object{{"include_usage", true}};
  if (config.temperature) body["temperature"] = *config.temperature;
  if (config.max_tokens) body["max_tokens"] = *config.max_tokens;
  return json::serialize(body);
}

// ---- upstream text for visitors ---------------------------------------------------------

bool looks_like_a_key(std::string_view word) {
  while (!word.empty() &&
         std::string_view("\"'`([{<").find(word.front()) != std::string_view::npos) {
    word.remove_prefix(1);
  }
  // OpenAI-style keys (sk-..., sk-proj-...), and keys echoed half-masked ("sk-ab***wxyz").
  return word.substr(0, 3) == "sk-" || word.find("***") != std::string_view::npos;
}

// Upstream text fit for a visitor: no API key (neither the configured one nor anything that
// looks like one), no control characters, valid UTF-8, one line, at most
// max_upstream_text_bytes.
std::string visitor_text(std::string_view raw, std::string_view api_key) {
  std::string text(raw);  // at most max_error_body_bytes or one event
  if (api_key.size() >= 4) {
    for (std::size_t at = text.find(api_key); at != std::string::npos;
         at = text.find(api_key, at)) {
      text.replace(at, api_key.size(), "sk-***");  // redacted below with its punctuation
    }
  }
  std::string clean;  // valid UTF-8, each run of spaces and controls one space
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t n = utf8_sequence_length(text, i);
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (n == 1 && (c <= 0x20 || c == 0x7f)) {
      if (!clean.empty() && clean.back() != ' ') clean.push_back(' ');
      i += 1;
    } else if (n == 0) {
      i += 1;  // a byte that is not UTF-8 is dropped
    } else {
      clean.append(text, i, n);
      i += n;
    }
  }
  std::string out;
  std::size_t start = 0;
  while (start < clean.size()) {
    std::size_t end = clean.find(' ', start);
    if (end == std::string::npos) end = clean.size();
    const std::string_view word = std::string_view(clean).substr(start, end - start);
    if (!word.empty()) {
      if (!out.empty()) out.push_back(' ');
      if (looks_like_a_key(word)) {
        if (out.size() < 11 || out.compare(out.size() - 11, 10, "[redacted]") != 0) {
          out += "[redacted]";
        } else {
          out.pop_back();  // " [redacted] [redacted]" says nothing more than once
        }
      } else {
        out += word;
      }
    }
    start = end + 1;
  }
  if (out.size() > max_upstream_text_bytes) {
    out.resize(utf8_prefix_length(out, max_upstream_text_bytes - 3));
    out += "...";
  }
  return out;
}

// The human part of an upstream error document: OpenAI {"error":{"message":...}}, Ollama and
// llama.cpp {"error":"..."}, others {"message":...} or {"detail":...}.
std::string_view error_text_of(const json::value& document) {
  const json::object* object = document.if_object();
  if (!object) return {};
  for (const std::string_view key : {"error", "message", "detail"}) {
    const json::value* v = object->if_contains(key);
    if (!v) continue;
    if (const json::string* s = v->if_string()) return *s;
    if (const json::object* inner = v->if_object()) {
      if (const json::value* message = inner->if_contains("message")) {
        if (const json::string* s = message->if_string()) return *s;
      }
    }
  }
  return {};
}

// The message of a failed response's body: its JSON error text, else its text unless it is
// markup (a proxy's error page).
std::string error_text_of_body(std::string_view body) {
  boost::system::error_code ec;
  const json::value document = json::parse(body, ec);
  if (!ec) return std::string(error_text_of(document));
  const std::size_t start = body.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos || body[start] == '<') return {};
  return std::string(body.substr(start));
}

std::int64_t token_count(const json::object& usage, std::string_view key) {
  const json::value* v = usage.if_contains(key);
  if (!v) return 0;
  std::int64_t n = 0;
  if (v->is_int64()) {
    n = v->get_int64();
  } else if (v->is_uint64()) {
    n = v->get_uint64() > static_cast<std::uint64_t>(limits::max_safe_integer)
            ? limits::max_safe_integer
            : static_cast<std::int64_t>(v->get_uint64());
  } else if (v->is_double() && v->get_double() >= 0 &&
             v->get_double() <= static_cast<double>(limits::max_safe_integer)) {
    n = static_cast<std::int64_t>(v->get_double());
  }
  return std::clamp<std::int64_t>(n, 0, limits::max_safe_integer);
}

// ---- openai_reply -----------------------------------------------------------------------

using strand_type = io_strand;
using socket_type = asio::basic_stream_socket<tcp, strand_type>;
using upstream_stream = std::variant<socket_type, beast::ssl_stream<socket_type>>;
using resolver_type = asio::ip::basic_resolver<tcp, strand_type>;
using timer_type =
    asio::basic_waitable_timer<std::chrono::steady_clock,
                               asio::wait_traits<std::chrono::steady_clock>, strand_type>;

class openai_reply final : public reply_handle, public std::enable_shared_from_this<openai_reply> {
 public:
  openai_reply(std::shared_ptr<const openai_agent_state> agent, std::shared_ptr<reply_sink> sink)
      : agent_(std::move(agent)),
        sink_(std::move(sink)),
        strand_(asio::make_strand(*agent_->executor)),
        resolver_(strand_),
        watchdog_(strand_),
        stream_(make_stream(strand_, agent_->tls.get())),
        sse_(agent_->config.max_event_bytes),
        json_(json::storage_ptr(), json::parse_options(), json_stack_.data(), json_stack_.size()) {
    parser_.header_limit(static_cast<std::uint32_t>(agent_->config.max_response_header_bytes));
    parser_.body_limit(max_stream_bytes);
    buffer_.reserve(read_chunk_bytes);
  }

  ~openai_reply() override {
    // Only when the io_context went away with the reply unfinished: its handlers, which
    // held the reply, were destroyed without running.
    if (!finished_) {
      finished_ = true;
      sink_->finish(finish_reason::interrupted, usage_);
    }
  }

  void run(reply_request request) {
    asio::post(strand_, [self = shared_from_this(), request = std::move(request)] {
      self->do_start(request);
    });
  }

  void cancel() override {
    asio::post(strand_, [self = shared_from_this()] {
      self->finish(finish_reason::cancelled, self->usage_);
    });
  }

 private:
  static upstream_stream make_stream(const strand_type& strand, ssl::context* tls) {
    if (tls) return upstream_stream(std::in_place_index<1>, strand, *tls);
    return upstream_stream(std::in_place_index<0>, strand);
  }

  socket_type& socket() {
    return std::visit([](auto& s) -> socket_type& { return beast::get_lowest_layer(s); }, stream_);
  }

  const openai_agent::options& config() const { return agent_->config; }

  // ---- steps, in order ----

  void do_start(const reply_request& request) {
    if (finished_) return;  // cancelled before it began
    if (!agent_->config_error.empty()) {
      return fail(error_code::upstream_error,
                  "the agent is misconfigured (" + agent_->config_error + ")");
    }
    const upstream_endpoint& endpoint = *agent_->endpoint;
    request_.method(http::verb::post);
    request_.target(endpoint.target);
    request_.version(11);
    request_.set(http::field::host, endpoint.host_header);
    request_.set(http::field::user_agent, "palaver");
    request_.set(http::field::content_type, "application/json");
    request_.set(http::field::accept, "text/event-stream");
    if (!config().api_key.empty()) {
      request_.set(http::field::authorization, "Bearer " + config().api_key);
    }
    request_.keep_alive(false);  // one request per connection: the reply closes it
    request_.body() = request_body(config(), request);
    request_.prepare_payload();

    touch();
    arm_watchdog();
    resolver_.async_resolve(
        endpoint.host, endpoint.port,
        beast::bind_front_handler(&openai_reply::on_resolve, shared_from_this()));
  }

  void on_resolve(beast::error_code ec, const resolver_type::results_type& results) {
    if (finished_) return;
    if (ec) {
      return fail(error_code::upstream_error,
                  "cannot resolve the upstream host (" + ec.message() + ")");
    }
    touch();
    asio::async_connect(socket(), results,
                        beast::bind_front_handler(&openai_reply::on_connect, shared_from_this()));
  }

  void on_connect(beast::error_code ec, const tcp::endpoint&) {
    if (finished_) return;
    if (ec) {
      return fail(error_code::upstream_error,
                  "cannot connect to the upstream (" + ec.message() + ")");
    }
    touch();
    socket().set_option(tcp::no_delay(true), ec);  // deltas are small and should not wait
    auto* tls = std::get_if<1>(&stream_);
    if (!tls) return do_write();

    const std::string& host = agent_->endpoint->host;
    // SNI names a host, never an address (RFC 6066).
    if (!is_ip_literal(host) && !SSL_set_tlsext_host_name(tls->native_handle(), host.c_str())) {
      return fail(error_code::upstream_error, "cannot set the TLS server name");
    }
    tls->set_verify_mode(ssl::verify_peer);
    tls->set_verify_callback(ssl::host_name_verification(host));
    tls->async_handshake(
        ssl::stream_base::client,
        beast::bind_front_handler(&openai_reply::on_handshake, shared_from_this()));
  }

  void on_handshake(beast::error_code ec) {
    if (finished_) return;
    if (ec) {
      return fail(error_code::upstream_error,
                  "the TLS handshake with the upstream failed (" + ec.message() + ")");
    }
    touch();
    do_write();
  }

  void do_write() {
    std::visit(
        [&](auto& stream) {
          http::async_write(stream, request_,
                            beast::bind_front_handler(&openai_reply::on_write, shared_from_this()));
        },
        stream_);
  }

  void on_write(beast::error_code ec, std::size_t) {
    if (finished_) return;
    if (ec) {
      return fail(error_code::upstream_error, "sending the request failed (" + ec.message() + ")");
    }
    touch();
    request_ = {};  // the key and the history need not stay in memory
    std::visit(
        [&](auto& stream) {
          http::async_read_header(
              stream, buffer_, parser_,
              beast::bind_front_handler(&openai_reply::on_read_header, shared_from_this()));
        },
        stream_);
  }

  void on_read_header(beast::error_code ec, std::size_t) {
    if (finished_) return;
    if (ec) return fail(error_code::upstream_error, describe_read_error(ec, true));
    touch();
    const auto& header = parser_.get();
    const unsigned status = header.result_int();
    // A failed response, or one that does not stream: its body is read for a message.
    reading_error_body_ = status < 200 || status > 299 ||
                          iequals_prefix(header[http::field::content_type], "application/json");
    // From here on the parser takes all the bytes there are at once, many HTTP chunks and
    // SSE events per socket read: one asynchronous step per read, none per event.
    parser_.eager(true);
    parse_body();
  }

  void do_read() {
    const std::size_t room = std::max(buffer_.capacity() - buffer_.size(), std::size_t{512});
    std::visit(
        [&](auto& stream) {
          stream.async_read_some(
              buffer_.prepare(room),
              beast::bind_front_handler(&openai_reply::on_read, shared_from_this()));
        },
        stream_);
  }

  void on_read(beast::error_code ec, std::size_t bytes) {
    if (finished_) return;
    touch();
    buffer_.commit(bytes);
    if (!ec) return parse_body();
    if (ec == asio::error::eof || ec == ssl::error::stream_truncated) {
      // A body that lasts until the connection closes is complete now; any other is cut.
      parser_.put_eof(ec);
      if (!ec && parser_.is_done()) return on_body_end();
      if (!ec) ec = http::error::partial_message;
    }
    if (reading_error_body_) return fail_response();
    fail(error_code::upstream_error, describe_read_error(ec, false));
  }

  // Passes the buffered bytes through the HTTP parser (chunked or not) into read_buffer_ and
  // on to the SSE parser (or the error body); then reads more, or finishes.
  void parse_body() {
    auto& body = parser_.get().body();
    while (!parser_.is_done() && buffer_.size() > 0) {
      body.data = read_buffer_.data();
      body.size = read_buffer_.size();
      beast::error_code ec;
      const std::size_t used = parser_.put(buffer_.data(), ec);
      buffer_.consume(used);
      const std::size_t got = read_buffer_.size() - body.size;
      if (got > 0 && !on_body_bytes(std::string_view(read_buffer_.data(), got))) return;
      if (ec == http::error::need_more) break;
      if (ec && ec != http::error::need_buffer) {
        if (reading_error_body_) return fail_response();
        return fail(error_code::upstream_error, describe_read_error(ec, false));
      }
      if (used == 0 && got == 0) break;
    }
    if (parser_.is_done()) return on_body_end();
    do_read();
  }

  // Returns false once the reply is finished.
  bool on_body_bytes(std::string_view bytes) {
    if (reading_error_body_) {
      const std::size_t room = config().max_error_body_bytes - error_body_.size();
      error_body_.append(bytes.substr(0, room));
      if (error_body_.size() < config().max_error_body_bytes) return true;
      fail_response();
      return false;
    }
    if (sse_.feed(bytes, [this](const sse_event& event) { return on_event(event); })) return true;
    if (!finished_) {
      fail(error_code::upstream_error, "the upstream sent an event over the size limit");
    }
    return false;
  }

  // The body ended without [DONE]. Servers that omit it are still done once a finish_reason
  // came; anything else is a cut stream.
  void on_body_end() {
    if (reading_error_body_) return fail_response();
    if (upstream_finish_) return finish(*upstream_finish_, usage_);
    fail(error_code::upstream_error, "the upstream ended the stream before [DONE]");
  }

  // ---- the stream's events ----

  // Returns false once the reply is finished.
  bool on_event(const sse_event& event) {
    if (event.done()) {
      finish(upstream_finish_.value_or(finish_reason::stop), usage_);
      return false;
    }
    if (event.data.empty()) return true;
    // The chunk's value lives in json_arena_; the arena and the value go with this scope, and
    // reset() drops anything of the parser's that points into the arena before it does.
    json::monotonic_resource arena(json_arena_.data(), json_arena_.size());
    json_.reset(&arena);
    boost::system::error_code ec;
    json_.write(event.data.data(), event.data.size(), ec);
    bool go_on = false;
    if (ec) {
      fail(error_code::upstream_error, "the upstream sent malformed JSON");
    } else {
      const json::value chunk = json_.release();
      go_on = on_chunk(chunk, event.type == "error");
    }
    json_.reset();
    return go_on;
  }

  // Returns false once the reply is finished.
  bool on_chunk(const json::value& chunk, bool error_event) {
    const json::object* object = chunk.if_object();
    if (!object) {
      fail(error_code::upstream_error, "the upstream sent a chunk that is not a JSON object");
      return false;
    }
    const json::value* error = object->if_contains("error");
    if (error_event || (error && !error->is_null())) {
      fail_with_text("the upstream reported an error", error_text_of(chunk));
      return false;
    }
    if (const json::value* usage_value = object->if_contains("usage")) {
      if (const json::object* u = usage_value->if_object()) {
        usage tokens;
        tokens.prompt_tokens = token_count(*u, "prompt_tokens");
        tokens.completion_tokens = token_count(*u, "completion_tokens");
        tokens.total_tokens = token_count(*u, "total_tokens");
        if (tokens.total_tokens == 0) {
          tokens.total_tokens = tokens.prompt_tokens + tokens.completion_tokens;
        }
        usage_ = tokens;
      }
    }
    const json::value* choices = object->if_contains("choices");
    const json::array* list = choices ? choices->if_array() : nullptr;
    if (!list || list->empty()) return true;
    const json::object* choice = list->front().if_object();
    if (!choice) return true;
    if (const json::value* delta = choice->if_contains("delta"); delta && delta->is_object()) {
      if (const json::value* content = delta->get_object().if_contains("content")) {
        if (const json::string* text = content->if_string()) {
          if (!deliver(*text)) return false;
        }
      }
    }
    if (const json::value* reason = choice->if_contains("finish_reason")) {
      if (const json::string* name = reason->if_string()) {
        if (*name == "error") {
          fail_with_text("the upstream reported an error", error_text_of(chunk));
          return false;
        }
        // stop, tool_calls, content_filter...: the reply is what it is.
        upstream_finish_ = *name == "length" ? finish_reason::length : finish_reason::stop;
      }
    }
    return true;
  }

  // Passes `text` on, up to max_reply_bytes; returns false once the reply is finished.
  bool deliver(std::string_view text) {
    if (text.empty()) return true;
    const std::size_t room = config().max_reply_bytes - reply_bytes_;
    if (text.size() <= room) {
      reply_bytes_ += text.size();
      sink_->delta(text);
      return true;
    }
    text = text.substr(0, utf8_prefix_length(text, room));
    if (!text.empty()) sink_->delta(text);
    finish(finish_reason::length, usage_);
    return false;
  }

  // ---- the watchdog ----

  void touch() { last_activity_ = std::chrono::steady_clock::now(); }

  void arm_watchdog() {
    watchdog_.expires_at(last_activity_ + config().timeout);
    watchdog_.async_wait(beast::bind_front_handler(&openai_reply::on_watchdog, shared_from_this()));
  }

  // Wakes once per timeout, not per read: reads only move last_activity_.
  void on_watchdog(beast::error_code ec) {
    if (finished_ || ec == asio::error::operation_aborted) return;
    if (std::chrono::steady_clock::now() < last_activity_ + config().timeout) return arm_watchdog();
    fail(error_code::upstream_timeout,
         "the upstream sent nothing for " + std::to_string(config().timeout.count()) + " ms");
  }

  // ---- endings ----

  std::string describe_read_error(beast::error_code ec, bool in_header) const {
    if (ec == http::error::end_of_stream || ec == http::error::partial_message ||
        ec == asio::error::eof || ec == ssl::error::stream_truncated ||
        ec == asio::error::connection_reset) {
      return in_header ? "the upstream closed the connection without answering"
                       : "the upstream closed the connection before the end of the reply";
    }
    if (ec == http::error::header_limit) return "the upstream's response header is too large";
    if (ec == http::error::body_limit) return "the upstream's response is too large";
    return "reading from the upstream failed (" + ec.message() + ")";
  }

  // A failed (or not streamed) response, its body read.
  void fail_response() {
    const unsigned status = parser_.get().result_int();
    std::string what;
    if (status >= 200 && status <= 299) {
      what = "the upstream answered without streaming";
    } else {
      what = "the upstream answered HTTP " + std::to_string(status);
      if (const auto reason = http::obsolete_reason(static_cast<http::status>(status));
          reason != "<unknown-status>") {
        what.append(" ").append(reason);
      }
    }
    // A gateway that gave up waiting is a stall, too.
    const error_code code =
        status == 504 ? error_code::upstream_timeout : error_code::upstream_error;
    fail_with_text(std::move(what), error_text_of_body(error_body_), code);
  }

  void fail_with_text(std::string what, std::string_view upstream_text,
                      error_code code = error_code::upstream_error) {
    const std::string text = visitor_text(upstream_text, config().api_key);
    if (!text.empty()) what += ": " + text;
    fail(code, std::move(what));
  }

  void fail(error_code code, std::string message) {
    finish(finish_reason::error, usage_, code, std::move(message));
  }

  // The one way out: closes the upstream first, then tells the sink, once.
  void finish(finish_reason reason, std::optional<usage> tokens,
              std::optional<error_code> code = std::nullopt, std::string message = {}) {
    if (finished_) return;
    finished_ = true;
    beast::error_code ignored;
    resolver_.cancel();
    watchdog_.cancel();
    socket().shutdown(tcp::socket::shutdown_both, ignored);
    socket().close(ignored);
    sink_->finish(reason, tokens, code, std::move(message));
  }

  // Large buffers first: the reply is allocated once, with everything it will use.
  std::array<char, read_chunk_bytes> read_buffer_;
  alignas(std::max_align_t) std::array<unsigned char, json_arena_bytes> json_arena_;
  std::array<unsigned char, json_stack_bytes> json_stack_;

  std::shared_ptr<const openai_agent_state> agent_;
  std::shared_ptr<reply_sink> sink_;
  strand_type strand_;
  resolver_type resolver_;
  timer_type watchdog_;
  upstream_stream stream_;
  http::request<http::string_body> request_;
  beast::flat_buffer buffer_;
  http::response_parser<http::buffer_body> parser_;
  sse_parser sse_;
  json::parser json_;
  std::string error_body_;
  std::optional<usage> usage_;
  std::optional<finish_reason> upstream_finish_;  // the last finish_reason the stream named
  std::chrono::steady_clock::time_point last_activity_;
  std::size_t reply_bytes_ = 0;
  bool reading_error_body_ = false;
  bool finished_ = false;
};

}  // namespace

// ---- openai_agent -----------------------------------------------------------------------

openai_agent::openai_agent(boost::asio::io_context& ioc, options opts)
    : state_(make_state(ioc.get_executor(), std::move(opts))) {}

openai_agent::~openai_agent() = default;

std::string openai_agent::check(const options& opts) {
  return make_state(std::nullopt, opts)->config_error;
}

std::string_view openai_agent::name() const {
  return state_->config.name;
}

std::shared_ptr<reply_handle> openai_agent::start(reply_request request,
                                                  std::shared_ptr<reply_sink> sink) {
  auto reply = std::make_shared<openai_reply>(state_, std::move(sink));
  reply->run(std::move(request));
  return reply;
}

}  // namespace palaver::server
