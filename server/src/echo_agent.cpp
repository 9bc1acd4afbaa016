// The echo agent's scripts and the timed reply that plays one. See echo_agent.hpp.
#include "echo_agent.hpp"

#include <chrono>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "io_strand.hpp"

namespace palaver::server {
namespace {

namespace asio = boost::asio;

constexpr std::string_view help_text =
    "I repeat what you write, word by word. Commands:\n\n"
    "- `/progress` shows progress steps before the answer\n"
    "- `/ask` asks you a question with choices\n"
    "- `/buttons` answers with buttons\n"
    "- `/error` fails part-way, as a broken backend would\n"
    "- `/markdown` writes a long reply with every kind of markdown\n"
    "- `/long` writes a very long reply, to try the stop button";

constexpr std::string_view markdown_text =
    "# Shipping options\n\n"
    "We ship to **42 countries**, usually within *two working days*.\n\n"
    "## How to change an address\n\n"
    "1. Open **Orders** and pick the order.\n"
    "2. Choose *Edit address* — possible until the parcel leaves.\n"
    "3. Confirm; you get an e-mail with the new `tracking_id`.\n\n"
    "> Parcels already handed to the carrier cannot be redirected.\n\n"
    "| Option | Time | Price |\n"
    "|---|---|---|\n"
    "| Standard | 3–5 days | free |\n"
    "| Express | 1–2 days | 9.90 € |\n\n"
    "Track a parcel from code:\n\n"
    "```python\n"
    "import requests\n\n"
    "def track(tracking_id: str) -> dict:\n"
    "    reply = requests.get(f\"https://api.example.com/track/{tracking_id}\")\n"
    "    reply.raise_for_status()\n"
    "    return reply.json()\n"
    "```\n\n"
    "More in the [shipping guide](https://example.com/shipping).";

std::string long_text() {
  std::string text;
  for (int paragraph = 1; paragraph <= 40; ++paragraph) {
    text += "Paragraph " + std::to_string(paragraph) +
            ": a long reply keeps streaming so that you can try the stop button, scroll "
            "while it grows, and see that nothing is lost when the connection drops.\n\n";
  }
  return text;
}

// Splits text into tokens of leading whitespace plus a word: their concatenation is the text.
std::vector<std::string> tokens_of(const std::string& text) {
  std::vector<std::string> tokens;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t word = text.find_first_not_of(" \n\t", start);
    if (word == std::string::npos) word = text.size();
    std::size_t end = text.find_first_of(" \n\t", word);
    if (end == std::string::npos) end = text.size();
    tokens.push_back(text.substr(start, end - start));
    start = end;
  }
  return tokens;
}

// Plays one script: one progress step or word per tick, then buttons, ask and the finish.
class echo_reply final : public reply_handle, public std::enable_shared_from_this<echo_reply> {
 public:
  echo_reply(asio::io_context& io, echo_agent::script script, std::shared_ptr<reply_sink> sink,
             std::chrono::nanoseconds tick)
      : strand_(asio::make_strand(io)),
        timer_(strand_),
        script_(std::move(script)),
        tokens_(tokens_of(script_.text)),
        sink_(std::move(sink)),
        tick_(tick) {}

  void begin() {
    asio::post(strand_, [self = shared_from_this()] { self->schedule(); });
  }

  void cancel() override {
    asio::post(strand_, [self = shared_from_this()] {
      self->timer_.cancel();
      self->finish(finish_reason::cancelled);
    });
  }

 private:
  void schedule() {
    if (finished_) return;
    timer_.expires_after(tick_);
    timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (!ec) self->step();
    });
  }

  void step() {
    if (finished_) return;
    if (next_progress_ < script_.progress.size()) {
      auto& [step, label] = script_.progress[next_progress_++];
      sink_->progress(step, label);
      return schedule();
    }
    if (next_token_ < tokens_.size()) {
      sink_->delta(tokens_[next_token_++]);
      return schedule();
    }
    if (!script_.buttons.empty()) sink_->buttons(std::move(script_.buttons));
    if (script_.ask) sink_->ask(script_.ask->first, script_.ask->second);
    if (script_.fail)
      return finish(finish_reason::error, error_code::upstream_error,
                    "the echo agent failed on purpose (/error)");
    finish(finish_reason::stop);
  }

  void finish(finish_reason reason, std::optional<error_code> code = std::nullopt,
              std::string message = {}) {
    if (finished_) return;
    finished_ = true;
    const auto words = static_cast<std::int64_t>(next_token_);
    sink_->finish(reason, usage{0, words, words}, code, std::move(message));
  }

  io_strand strand_;
  asio::steady_timer timer_;
  echo_agent::script script_;
  std::vector<std::string> tokens_;
  std::shared_ptr<reply_sink> sink_;
  std::chrono::nanoseconds tick_;
  std::size_t next_progress_ = 0;
  std::size_t next_token_ = 0;
  bool finished_ = false;
};

}  // namespace

echo_agent::echo_agent(asio::io_context& io, options opts) : io_(io), options_(std::move(opts)) {}

echo_agent::script echo_agent::script_for(std::string_view text) {
  script s;
  const auto command = [&](std::string_view name) {
    return text == name || text.starts_with(std::string(name) + " ");
  };
  if (command("/help")) {
    s.text = help_text;
  } else if (command("/progress")) {
    s.progress = {{"search", "Searching the knowledge base…"},
                  {"read", "Reading 3 documents…"},
                  {"write", "Writing the answer…"}};
    s.text = "Here is what I found: the steps above ran before this answer.";
  } else if (command("/ask")) {
    s.text = "Let me check one thing first.";
    s.ask = {{"Which plan are you on?", {"Free", "Pro", "Enterprise"}}};
  } else if (command("/buttons")) {
    s.text = "Was this answer helpful?";
    s.buttons = {{"yes", "Yes, thanks"}, {"no", "Not really"}};
  } else if (command("/error")) {
    s.text = "Something is about to go wrong…";
    s.fail = true;
  } else if (command("/markdown")) {
    s.text = markdown_text;
  } else if (command("/long")) {
    s.text = long_text();
  } else {
    s.text = "You said: " + std::string(text);
  }
  return s;
}

std::shared_ptr<reply_handle> echo_agent::start(reply_request request,
                                                std::shared_ptr<reply_sink> sink) {
  std::string_view said;
  for (auto it = request.history.rbegin(); it != request.history.rend(); ++it)
    if (it->author_role == role::user) {
      said = it->text;
      break;
    }
  const auto tick = options_.words_per_second > 0
                        ? std::chrono::duration_cast<std::chrono::nanoseconds>(
                              std::chrono::duration<double>(1.0 / options_.words_per_second))
                        : std::chrono::nanoseconds(0);
  auto reply = std::make_shared<echo_reply>(io_, script_for(said), std::move(sink), tick);
  reply->begin();
  return reply;
}

}  // namespace palaver::server
