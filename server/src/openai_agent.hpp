// The `openai` backend: any OpenAI-compatible Chat Completions endpoint (OpenAI, OpenRouter,
// Ollama, llama.cpp server, vLLM) over HTTP or HTTPS, streamed with `stream: true` as SSE.
// start() and cancel() may be called from any thread. Each reply runs on a strand of its own
// over the executor given at construction and calls its sink from that strand; the agent is
// immutable after construction. Beast and OpenSSL stay in the .cpp.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "palaver/limits.hpp"

#include "agent.hpp"

namespace boost::asio {
class io_context;
}

namespace palaver::server {

namespace detail {
struct openai_agent_state;
}

class openai_agent final : public agent {
 public:
  // Settings. config.hpp's openai_agent_config, with the agent's name, maps onto the first
  // ones; the rest have safe defaults.
  struct options {
    std::string name = "openai";  // the agent name visitors select
    // http[s]://host[:port][/path]; replies POST to {base_url}/chat/completions.
    std::string base_url = "http://127.0.0.1:11434/v1";
    std::string model;
    // Sent as "Authorization: Bearer <api_key>"; empty: no header. Never logged, and cut out
    // of any upstream error text passed on.
    std::string api_key;
    std::string system_prompt;          // empty: none
    std::optional<double> temperature;  // nullopt: the endpoint's default
    std::optional<int> max_tokens;      // nullopt: the endpoint's default
    // The newest messages of the conversation sent with each request.
    std::size_t max_history_messages = 20;
    // The longest the upstream may stay silent: while connecting, in the TLS handshake, before
    // the first token and between any two reads. Longer ends the reply with upstream_timeout.
    std::chrono::milliseconds timeout{60'000};
    // PEM file of extra trusted CA certificates, added to the system's; empty: none.
    std::string ca_file;

    // Limits on what the upstream may send.
    std::size_t max_response_header_bytes = 16 * 1024;
    std::size_t max_error_body_bytes = 16 * 1024;  // of a failed response, read for its message
    std::size_t max_event_bytes = 1024 * 1024;     // one SSE event
    // The reply's text: past it the reply is cut and finishes with `length`.
    std::size_t max_reply_bytes = limits::max_reply_bytes;
  };

  // Bad options do not throw: the replies then finish with upstream_error (see check()).
  // Each reply runs on its own strand of `ioc`.
  openai_agent(boost::asio::io_context& ioc, options opts);
  ~openai_agent() override;

  // Why `opts` cannot work (a sentence naming the setting), or "" when they can. For start-up
  // validation; never mentions the API key's value.
  static std::string check(const options& opts);

  std::string_view name() const override;

  // The reply calls `sink` from its strand, never from inside start(). Dropping the handle
  // does not cancel the reply. If the io_context is destroyed with the reply unfinished, the
  // sink gets finish(interrupted).
  std::shared_ptr<reply_handle> start(reply_request request,
                                      std::shared_ptr<reply_sink> sink) override;

 private:
  std::shared_ptr<const detail::openai_agent_state> state_;
};

}  // namespace palaver::server
