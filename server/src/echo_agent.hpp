// The built-in `echo` agent: deterministic replies streamed word by word at a set rate, with
// commands that exercise every frame a reply can produce (progress, ask, buttons, an error,
// a long markdown reply). The demo and the tests use it. Thread-safe: start() and cancel()
// may be called from any thread; each reply runs on its own strand of the given io_context.
#pragma once

#include "agent.hpp"

namespace boost::asio {
class io_context;
}

namespace palaver::server {

class echo_agent final : public agent {
 public:
  struct options {
    std::string name = "echo";
    double words_per_second = 20;
  };

  echo_agent(boost::asio::io_context& io, options opts);

  std::string_view name() const override { return options_.name; }
  std::shared_ptr<reply_handle> start(reply_request request,
                                      std::shared_ptr<reply_sink> sink) override;

  // What the agent answers to `text` (the visitor's message), command or not: the script a
  // reply follows. Public so tests can state what a user will see.
  struct script {
    std::vector<std::pair<std::string, std::string>> progress;  // step, label
    std::string text;                                           // streamed word by word
    std::vector<button> buttons;
    std::optional<std::pair<std::string, std::vector<std::string>>> ask;  // question, choices
    bool fail = false;  // end with UPSTREAM_ERROR after the text
  };
  static script script_for(std::string_view text);

 private:
  boost::asio::io_context& io_;
  options options_;
};

}  // namespace palaver::server
