// The echo agent: what a visitor sees for plain text and for each command, streamed in
// order, cancellable mid-stream, always finished exactly once. Real io_context and timers.
#include "echo_agent.hpp"

#include <algorithm>
#include <chrono>
#include <future>
#include <mutex>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

namespace palaver::server {
namespace {

using namespace std::chrono_literals;

// Records what a reply produced, in order, as the hub would receive it.
class recording_sink final : public reply_sink {
 public:
  void progress(std::string step, std::string) override { add("progress:" + step); }
  void delta(std::string_view text) override {
    std::lock_guard lock(mutex_);
    text_ += text;
    events_.push_back("delta");
  }
  void ask(std::string question, std::vector<std::string> choices) override {
    add("ask:" + question + ":" + std::to_string(choices.size()));
  }
  void buttons(std::vector<button> buttons) override {
    add("buttons:" + std::to_string(buttons.size()));
  }
  void finish(finish_reason reason, std::optional<usage>, std::optional<error_code> code,
              std::string) override {
    add(std::string("finish:") + std::string(to_string(reason)) +
        (code ? ":" + std::string(to_string(*code)) : ""));
    finished_.set_value();
  }

  // Waits for the finish; false if it did not come in time.
  bool wait(std::chrono::milliseconds limit = 5s) {
    return done_.wait_for(limit) == std::future_status::ready;
  }
  std::string text() {
    std::lock_guard lock(mutex_);
    return text_;
  }
  std::vector<std::string> events() {
    std::lock_guard lock(mutex_);
    return events_;
  }

 private:
  void add(std::string event) {
    std::lock_guard lock(mutex_);
    events_.push_back(std::move(event));
  }

  std::mutex mutex_;
  std::string text_;
  std::vector<std::string> events_;
  std::promise<void> finished_;  // set twice would throw: exactly one finish per reply
  std::future<void> done_ = finished_.get_future();
};

class EchoAgent : public ::testing::Test {
 protected:
  EchoAgent() : thread_([this] { io_.run(); }) {}
  ~EchoAgent() override {
    work_.reset();
    thread_.join();
  }

  std::shared_ptr<recording_sink> say(std::string text, double words_per_second = 0) {
    echo_agent agent(io_, {"echo", words_per_second});
    message said;
    said.author_role = role::user;
    said.text = std::move(text);
    auto sink = std::make_shared<recording_sink>();
    handle_ = agent.start({"c1", "m2", {said}}, sink);
    return sink;
  }

  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_ =
      boost::asio::make_work_guard(io_);
  std::thread thread_;
  std::shared_ptr<reply_handle> handle_;
};

TEST_F(EchoAgent, RepeatsWhatWasSaidWordByWord) {
  auto sink = say("hello  brave\nworld");
  ASSERT_TRUE(sink->wait());
  EXPECT_EQ(sink->text(), "You said: hello  brave\nworld");
  const auto events = sink->events();
  EXPECT_EQ(std::count(events.begin(), events.end(), "delta"), 5);
  EXPECT_EQ(events.back(), "finish:stop");
}

TEST_F(EchoAgent, ProgressStepsComeBeforeTheAnswer) {
  auto sink = say("/progress");
  ASSERT_TRUE(sink->wait());
  const auto events = sink->events();
  ASSERT_GE(events.size(), 4u);
  EXPECT_EQ(events[0], "progress:search");
  EXPECT_EQ(events[2], "progress:write");
  EXPECT_EQ(events[3], "delta");
}

TEST_F(EchoAgent, AsksButtonsAndErrorsOnCommand) {
  auto ask = say("/ask");
  ASSERT_TRUE(ask->wait());
  EXPECT_EQ(ask->events().end()[-2], "ask:Which plan are you on?:3");

  auto buttons = say("/buttons");
  ASSERT_TRUE(buttons->wait());
  EXPECT_EQ(buttons->events().end()[-2], "buttons:2");

  auto error = say("/error");
  ASSERT_TRUE(error->wait());
  EXPECT_EQ(error->events().back(), "finish:error:UPSTREAM_ERROR");
  EXPECT_EQ(error->text(), "Something is about to go wrong…");
}

TEST_F(EchoAgent, MarkdownReplyIsStreamedWhole) {
  auto sink = say("/markdown");
  ASSERT_TRUE(sink->wait());
  EXPECT_EQ(sink->text(), echo_agent::script_for("/markdown").text);
  EXPECT_NE(sink->text().find("```python"), std::string::npos);
}

TEST_F(EchoAgent, CancelStopsAStreamingReplyPromptlyAndKeepsItsText) {
  auto sink = say("/long", 100);  // ~2000 words at 100 a second: 20 s if not stopped
  std::this_thread::sleep_for(150ms);
  const auto asked = std::chrono::steady_clock::now();
  handle_->cancel();
  handle_->cancel();  // twice is harmless
  ASSERT_TRUE(sink->wait(1s));
  EXPECT_LT(std::chrono::steady_clock::now() - asked, 100ms);
  EXPECT_EQ(sink->events().back(), "finish:cancelled");
  const std::string partial = sink->text();
  EXPECT_FALSE(partial.empty());
  EXPECT_TRUE(echo_agent::script_for("/long").text.starts_with(partial));
}

}  // namespace
}  // namespace palaver::server
