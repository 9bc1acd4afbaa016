// The agent interface: what produces an assistant reply. Backends: echo_agent (built in) and
// openai_agent (any OpenAI-compatible Chat Completions endpoint, streamed over SSE).
// A backend's start() may be called from any thread; it reports through the sink, from any
// thread, in order, and ends every reply with exactly one finish() call.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "palaver/frames.hpp"

namespace palaver::server {

// What a backend needs to answer: the conversation so far (oldest first, ending with the
// visitor's newest message) and where the answer goes.
struct reply_request {
  std::string conversation_id;
  std::string reply_message_id;  // the id the reply will be stored under
  std::vector<message> history;  // a window of recent messages, oldest first
};

// Receives a reply as it is produced. Implemented by the chat hub; thread-safe.
class reply_sink {
 public:
  virtual ~reply_sink() = default;
  virtual void progress(std::string step, std::string label) = 0;
  virtual void delta(std::string_view text) = 0;
  // A question for the visitor; the answer arrives as a new user message.
  virtual void ask(std::string question, std::vector<std::string> choices) = 0;
  // Buttons shown under the reply; a press comes back as an `action`.
  virtual void buttons(std::vector<button> buttons) = 0;
  // The last call: why the reply ended; `error` names an error code for finish_reason::error.
  virtual void finish(finish_reason reason, std::optional<usage> tokens,
                      std::optional<error_code> error = std::nullopt,
                      std::string error_message = {}) = 0;
};

// A reply in progress. cancel() may be called from any thread, any number of times; the
// backend stops promptly (closing its upstream request) and finishes with `cancelled`.
class reply_handle {
 public:
  virtual ~reply_handle() = default;
  virtual void cancel() = 0;
};

class agent {
 public:
  virtual ~agent() = default;
  virtual std::string_view name() const = 0;
  virtual std::shared_ptr<reply_handle> start(reply_request request,
                                              std::shared_ptr<reply_sink> sink) = 0;
};

}  // namespace palaver::server
