// The openai agent against a real HTTP(S) server on 127.0.0.1 (fake_upstream): a streamed
// reply arrives whole with its usage; every failure (HTTP errors, cut or malformed streams,
// stalls, refused connections, TLS) ends the reply with one finish() and an error code;
// cancel() stops it within 100 ms and closes the upstream connection.
#include "openai_agent.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <thread>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "counting_new.hpp"
#include "fake_upstream.hpp"

namespace palaver::server {
namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;
using test::fake_response;
using test::fake_upstream;

// ---- the observer -----------------------------------------------------------------------

// Records what the agent reports, as the chat hub would receive it.
class recording_sink final : public reply_sink {
  template <class F>
  auto locked(F f) const {
    std::lock_guard lock(mutex_);
    return f();
  }

 public:
  void progress(std::string, std::string) override {}
  void ask(std::string, std::vector<std::string>) override {}
  void buttons(std::vector<button>) override {}

  void delta(std::string_view text) override {
    std::lock_guard lock(mutex_);
    if (finishes_ > 0) ++calls_after_finish_;
    text_.append(text);
    ++deltas_;
    changed_.notify_all();
  }

  void finish(finish_reason reason, std::optional<usage> tokens, std::optional<error_code> error,
              std::string error_message) override {
    std::lock_guard lock(mutex_);
    ++finishes_;
    reason_ = reason;
    usage_ = tokens;
    error_ = error;
    error_message_ = std::move(error_message);
    finished_at_ = clock_type::now();
    changed_.notify_all();
  }

  // Waits for the first finish(); false on timeout.
  bool wait_finished(std::chrono::milliseconds timeout = 5s) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return finishes_ > 0; });
  }
  bool wait_text(std::size_t bytes, std::chrono::milliseconds timeout = 5s) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return text_.size() >= bytes || finishes_; });
  }

  std::string text() const {
    return locked([&] { return text_; });
  }
  int deltas() const {
    return locked([&] { return deltas_; });
  }
  int finishes() const {
    return locked([&] { return finishes_; });
  }
  int calls_after_finish() const {
    return locked([&] { return calls_after_finish_; });
  }
  finish_reason reason() const {
    return locked([&] { return reason_; });
  }
  std::optional<usage> tokens() const {
    return locked([&] { return usage_; });
  }
  std::optional<error_code> error() const {
    return locked([&] { return error_; });
  }
  std::string error_message() const {
    return locked([&] { return error_message_; });
  }
  clock_type::time_point finished_at() const {
    return locked([&] { return finished_at_; });
  }

  void reserve(std::size_t bytes) { text_.reserve(bytes); }

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::string text_;
  int deltas_ = 0;
  int finishes_ = 0;
  int calls_after_finish_ = 0;
  finish_reason reason_ = finish_reason::stop;
  std::optional<usage> usage_;
  std::optional<error_code> error_;
  std::string error_message_;
  clock_type::time_point finished_at_;
};

// ---- fixture ----------------------------------------------------------------------------

// A conversation whose reply is about to be written.
reply_request sample_request() {
  reply_request r;
  r.conversation_id = "c1";
  r.reply_message_id = "a2";
  auto add = [&](std::string id, role who, std::string text) {
    message m;
    m.id = std::move(id);
    m.conversation_id = "c1";
    m.author_role = who;
    m.text = std::move(text);
    r.history.push_back(std::move(m));
  };
  add("u0", role::user, "Oldest, outside the window");
  add("u1", role::user, "Hi");
  add("a1", role::assistant, "Hello! How can I help?");
  add("o1", role::operator_, "An operator here.");
  add("s1", role::system, "The visitor is on the pricing page.");
  add("u2", role::user, "What does it cost?");
  add("a2", role::assistant, "");  // the reply's own placeholder
  return r;
}

// ---- the io threads -------------------------------------------------------------------

// Counts operator new on the io threads while `counting` is set.
std::atomic<bool> counting{false};
std::atomic<std::size_t> io_thread_allocations{0};

class OpenaiAgent : public testing::Test {
 protected:
  OpenaiAgent() {
    for (int i = 0; i < 2; ++i) {
      threads_.emplace_back([this] {
        // Each io thread adds what it allocated while counting was on.
        std::size_t start = 0;
        bool was_counting = false;
        auto sample = [&] {
          const bool now = counting.load();
          if (now && !was_counting) start = test::allocations_on_this_thread();
          if (!now && was_counting)
            io_thread_allocations += test::allocations_on_this_thread() - start;
          was_counting = now;
        };
        while (!ioc_.stopped()) {
          sample();
          ioc_.run_one_for(5ms);
        }
      });
    }
  }

  ~OpenaiAgent() override {
    work_.reset();
    ioc_.stop();
    for (auto& t : threads_)
      t.join();
  }

  static openai_agent::options options_for(const fake_upstream& upstream) {
    openai_agent::options o;
    o.base_url = upstream.base_url();
    o.model = "test-model";
    o.api_key = "sk-test-SECRET-0123456789";
    o.timeout = 2s;
    return o;
  }

  static reply_request request() { return sample_request(); }

  // Starts a reply and waits for it to finish.
  std::shared_ptr<recording_sink> run(const openai_agent::options& options,
                                      std::chrono::milliseconds timeout = 5s) {
    openai_agent agent(ioc_, options);
    auto sink = std::make_shared<recording_sink>();
    auto handle = agent.start(request(), sink);
    EXPECT_TRUE(sink->wait_finished(timeout));
    settle();
    return sink;
  }

  // Gives a wrongly repeated finish() or late delta the time to show up.
  static void settle() { std::this_thread::sleep_for(50ms); }

  boost::asio::io_context ioc_{2};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{
      ioc_.get_executor()};
  std::vector<std::thread> threads_;
};

std::string chunk_with_content(std::string_view text) {
  return "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,"
         "\"delta\":{\"content\":" +
         boost::json::serialize(boost::json::string(text)) + "},\"finish_reason\":null}]}\n\n";
}

// A reply as OpenAI streams it, cut into pieces at awkward places (mid-JSON, mid-line end).
std::vector<std::string> openai_stream() {
  const std::string all =
      "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\","
      "\"content\":\"\"},\"finish_reason\":null}],\"usage\":null}\n\n" +
      chunk_with_content("It costs ") + chunk_with_content("9 \u20ac") + ": keep-alive\n\n" +
      chunk_with_content(" a month.") +
      "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}"
      "\r\n\r\n"
      "data: {\"id\":\"c\",\"choices\":[],\"usage\":{\"prompt_tokens\":31,"
      "\"completion_tokens\":7,\"total_tokens\":38}}\n\n"
      "data: [DONE]\n\n";
  std::vector<std::string> pieces;
  for (std::size_t at = 0; at < all.size(); at += 37)
    pieces.push_back(all.substr(at, 37));
  return pieces;
}

fake_response streamed(std::vector<std::string> pieces) {
  fake_response r;
  r.pieces = std::move(pieces);
  return r;
}

// ---- a normal reply ---------------------------------------------------------------------

TEST_F(OpenaiAgent, StreamsTheReplyWithItsUsage) {
  fake_upstream upstream(streamed(openai_stream()));
  auto options = options_for(upstream);
  options.system_prompt = "You are the pricing assistant.";
  options.temperature = 0.25;
  options.max_tokens = 300;
  options.max_history_messages = 5;
  auto sink = run(options);

  EXPECT_EQ(sink->text(), "It costs 9 \u20ac a month.");
  EXPECT_EQ(sink->deltas(), 3);
  EXPECT_EQ(sink->finishes(), 1);
  EXPECT_EQ(sink->calls_after_finish(), 0);
  EXPECT_EQ(sink->reason(), finish_reason::stop);
  EXPECT_EQ(sink->error(), std::nullopt);
  EXPECT_EQ(sink->tokens(), (usage{31, 7, 38}));

  const auto requests = upstream.requests();
  ASSERT_EQ(requests.size(), 1u);
  const auto& r = requests[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, "/v1/chat/completions");
  EXPECT_EQ(r.headers.at("authorization"), "Bearer sk-test-SECRET-0123456789");
  EXPECT_EQ(r.headers.at("content-type"), "application/json");
  EXPECT_EQ(r.headers.at("accept"), "text/event-stream");
  EXPECT_EQ(r.headers.at("host"), "127.0.0.1:" + std::to_string(upstream.port()));

  const boost::json::value body = boost::json::parse(r.body);
  EXPECT_EQ(body.at("model"), "test-model");
  EXPECT_EQ(body.at("stream"), true);
  EXPECT_EQ(body.at("stream_options").at("include_usage"), true);
  EXPECT_EQ(body.at("temperature"), 0.25);
  EXPECT_EQ(body.at("max_tokens"), 300);
  // The system prompt, then the newest five messages that say something; the operator speaks
  // as the assistant.
  EXPECT_EQ(body.at("messages"), boost::json::parse(R"([
    {"role":"system","content":"You are the pricing assistant."},
    {"role":"user","content":"Hi"},
    {"role":"assistant","content":"Hello! How can I help?"},
    {"role":"assistant","content":"An operator here."},
    {"role":"system","content":"The visitor is on the pricing page."},
    {"role":"user","content":"What does it cost?"}
  ])"));
}

TEST_F(OpenaiAgent, OptionalSettingsAreLeftOut) {
  fake_upstream upstream(streamed({chunk_with_content("ok"), "data: [DONE]\n\n"}));
  auto options = options_for(upstream);
  options.api_key.clear();
  options.base_url = upstream.base_url() + "/";  // a trailing slash is fine
  auto sink = run(options);
  EXPECT_EQ(sink->text(), "ok");
  EXPECT_EQ(sink->reason(), finish_reason::stop);
  EXPECT_EQ(sink->tokens(), std::nullopt);

  const auto requests = upstream.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].target, "/v1/chat/completions");
  EXPECT_EQ(requests[0].headers.count("authorization"), 0u);
  const boost::json::object body = boost::json::parse(requests[0].body).as_object();
  EXPECT_FALSE(body.contains("temperature"));
  EXPECT_FALSE(body.contains("max_tokens"));
  EXPECT_EQ(body.at("messages").as_array().size(), 6u);  // no system prompt, no placeholder
}

TEST_F(OpenaiAgent, LengthFinishReason) {
  fake_upstream upstream(streamed(
      {chunk_with_content("cut"),
       "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"length\"}]}\n\ndata: [DONE]\n\n"}));
  auto sink = run(options_for(upstream));
  EXPECT_EQ(sink->text(), "cut");
  EXPECT_EQ(sink->reason(), finish_reason::length);
  EXPECT_EQ(sink->finishes(), 1);
}

TEST_F(OpenaiAgent, UpstreamFramingsAndLineEndings) {
  // Content-Length instead of chunks, CRLF line ends, no space after "data:", a BOM.
  fake_response response;
  response.body_framing = fake_response::framing::content_length;
  response.pieces = {
      "\xEF\xBB\xBF"
      "data:{\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\r\n\r\n",
      "event: message\r\nid: 1\r\ndata:{\"choices\":[{\"delta\":{\"content\":\"b\"}}"
      "]}\r\n\r",
      "\ndata: [DONE]\r\n\r\n"};
  fake_upstream upstream(response);
  auto sink = run(options_for(upstream));
  EXPECT_EQ(sink->text(), "ab");
  EXPECT_EQ(sink->reason(), finish_reason::stop);
}

TEST_F(OpenaiAgent, ACleanEndAfterAFinishReasonIsEnoughWithoutDone) {
  fake_response response =
      streamed({chunk_with_content("fine"),
                "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"});
  response.body_framing = fake_response::framing::until_close;
  fake_upstream upstream(response);
  auto sink = run(options_for(upstream));
  EXPECT_EQ(sink->text(), "fine");
  EXPECT_EQ(sink->reason(), finish_reason::stop);
  EXPECT_EQ(sink->error(), std::nullopt);
}

TEST_F(OpenaiAgent, ATooLongReplyIsCutAtACharacterBoundary) {
  fake_upstream upstream(streamed({chunk_with_content("abc"), chunk_with_content("d\u00e9f"),
                                   chunk_with_content("never"), "data: [DONE]\n\n"}));
  auto options = options_for(upstream);
  options.max_reply_bytes = 5;  // "abc" + "d" and half of the é
  auto sink = run(options);
  EXPECT_EQ(sink->text(), "abcd");
  EXPECT_EQ(sink->reason(), finish_reason::length);
  EXPECT_EQ(sink->finishes(), 1);
}

// ---- upstream failures ------------------------------------------------------------------

fake_response json_error(unsigned status, std::string body) {
  fake_response r;
  r.status = status;
  r.content_type = "application/json";
  r.body_framing = fake_response::framing::content_length;
  r.pieces = {std::move(body)};
  return r;
}

void expect_error(const recording_sink& sink, error_code code) {
  EXPECT_EQ(sink.finishes(), 1);
  EXPECT_EQ(sink.calls_after_finish(), 0);
  EXPECT_EQ(sink.reason(), finish_reason::error);
  EXPECT_EQ(sink.error(), code);
  EXPECT_FALSE(sink.error_message().empty());
  EXPECT_EQ(sink.error_message().find("SECRET"), std::string::npos) << sink.error_message();
}

TEST_F(OpenaiAgent, Http500IsAnUpstreamError) {
  fake_upstream upstream(json_error(
      500, R"({"error":{"message":"The server had an error while processing your request.",
               "type":"server_error"}})"));
  auto sink = run(options_for(upstream));
  expect_error(*sink, error_code::upstream_error);
  EXPECT_EQ(sink->error_message(),
            "the upstream answered HTTP 500 Internal Server Error: The server had an error while "
            "processing your request.");
  EXPECT_EQ(sink->text(), "");
}

TEST_F(OpenaiAgent, Http401NeverEchoesTheKey) {
  fake_upstream upstream(json_error(
      401,
      R"({"error":{"message":"Incorrect API key provided: sk-test-SECRET-0123456789. You can find your API key at https://platform.openai.com/account/api-keys.","type":"invalid_request_error","code":"invalid_api_key"}})"));
  auto sink = run(options_for(upstream));
  expect_error(*sink, error_code::upstream_error);
  EXPECT_EQ(sink->error_message(),
            "the upstream answered HTTP 401 Unauthorized: Incorrect API key provided: [redacted] "
            "You can find your API key at https://platform.openai.com/account/api-keys.");
}

TEST_F(OpenaiAgent, Http401WithAMaskedKeyAndPlainTextBodies) {
  {
    fake_upstream upstream(json_error(
        401, R"({"error":{"message":"Incorrect API key provided: sk-test-****6789."}})"));
    auto sink = run(options_for(upstream));
    expect_error(*sink, error_code::upstream_error);
    EXPECT_EQ(sink->error_message(),
              "the upstream answered HTTP 401 Unauthorized: Incorrect API key provided: "
              "[redacted]");
  }
  {
    // Ollama's shape, and an HTML proxy page that says nothing worth passing on.
    fake_upstream upstream(json_error(404, R"({"error":"model \"test-model\" not found"})"));
    auto sink = run(options_for(upstream));
    EXPECT_EQ(sink->error_message(),
              "the upstream answered HTTP 404 Not Found: model \"test-model\" not found");
  }
  {
    fake_response page = json_error(502, "<html><body>\n<h1>502 Bad Gateway</h1></body></html>");
    page.content_type = "text/html";
    fake_upstream upstream(page);
    auto sink = run(options_for(upstream));
    expect_error(*sink, error_code::upstream_error);
    EXPECT_EQ(sink->error_message(), "the upstream answered HTTP 502 Bad Gateway");
  }
  {
    fake_upstream upstream(json_error(504, "upstream timed out\n"));
    auto sink = run(options_for(upstream));
    expect_error(*sink, error_code::upstream_timeout);
    EXPECT_EQ(sink->error_message(),
              "the upstream answered HTTP 504 Gateway Timeout: upstream timed out");
  }
}

TEST_F(OpenaiAgent, AJsonAnswerInsteadOfAStreamIsAnError) {
  fake_upstream upstream(json_error(200, R"({"error":{"message":"stream not supported"}})"));
  auto sink = run(options_for(upstream));
  expect_error(*sink, error_code::upstream_error);
  EXPECT_EQ(sink->error_message(), "the upstream answered without streaming: stream not supported");
}

TEST_F(OpenaiAgent, UpstreamClosesMidStream) {
  for (const auto framing : {fake_response::framing::chunked, fake_response::framing::until_close,
                             fake_response::framing::content_length}) {
    SCOPED_TRACE(static_cast<int>(framing));
    fake_response response = streamed({chunk_with_content("partial"), "data: {\"cho"});
    response.body_framing = framing;
    response.end = fake_response::ending::close;
    response.missing_bytes = 100;  // with Content-Length: announced, never sent
    fake_upstream upstream(response);
    auto sink = run(options_for(upstream));
    expect_error(*sink, error_code::upstream_error);
    EXPECT_EQ(sink->text(), "partial");
  }
}

TEST_F(OpenaiAgent, UpstreamClosesWithoutAnswering) {
  fake_response response;
  response.send_headers = false;
  response.end = fake_response::ending::close;
  fake_upstream upstream(response);
  auto sink = run(options_for(upstream));
  expect_error(*sink, error_code::upstream_error);
  EXPECT_EQ(sink->error_message(), "the upstream closed the connection without answering");
}

TEST_F(OpenaiAgent, UpstreamClosesAfterTheHeader) {
  fake_response response;
  response.end = fake_response::ending::close;
  fake_upstream upstream(response);
  auto sink = run(options_for(upstream));
  expect_error(*sink, error_code::upstream_error);
  EXPECT_EQ(sink->error_message(),
            "the upstream closed the connection before the end of the reply");
}

TEST_F(OpenaiAgent, AStreamThatEndsBeforeDoneIsAnError) {
  fake_upstream upstream(streamed({chunk_with_content("no end")}));
  auto sink = run(options_for(upstream));
  expect_error(*sink, error_code::upstream_error);
  EXPECT_EQ(sink->error_message(), "the upstream ended the stream before [DONE]");
}

TEST_F(OpenaiAgent, MalformedJsonChunk) {
  fake_upstream upstream(streamed(
      {chunk_with_content("so far"), "data: {\"choices\":[{\"delta\":\n\n", "data: [DONE]\n\n"}));
  auto sink = run(options_for(upstream));
  expect_error(*sink, error_code::upstream_error);
  EXPECT_EQ(sink->error_message(), "the upstream sent malformed JSON");
  EXPECT_EQ(sink->text(), "so far");
}

TEST_F(OpenaiAgent, ANonObjectChunkIsMalformed) {
  fake_upstream upstream(streamed({"data: [1,2]\n\n", "data: [DONE]\n\n"}));
  auto sink = run(options_for(upstream));
  expect_error(*sink, error_code::upstream_error);
}

TEST_F(OpenaiAgent, AnErrorInTheStream) {
  fake_upstream upstream(
      streamed({chunk_with_content("Let me"),
                "data: {\"error\":{\"message\":\"Provider overloaded\",\"code\":502}}\n\n",
                "data: [DONE]\n\n"}));
  auto sink = run(options_for(upstream));
  expect_error(*sink, error_code::upstream_error);
  EXPECT_EQ(sink->error_message(), "the upstream reported an error: Provider overloaded");
  EXPECT_EQ(sink->text(), "Let me");
}

TEST_F(OpenaiAgent, AnErrorEventAndAnErrorFinishReason) {
  {
    fake_upstream upstream(
        streamed({"event: error\ndata: {\"message\":\"quota exceeded\"}\n\n", "data: [DONE]\n\n"}));
    auto sink = run(options_for(upstream));
    expect_error(*sink, error_code::upstream_error);
    EXPECT_EQ(sink->error_message(), "the upstream reported an error: quota exceeded");
  }
  {
    fake_upstream upstream(streamed(
        {"data: {\"choices\":[{\"delta\":{\"content\":\"x\"},\"finish_reason\":\"error\"}]}\n\n",
         "data: [DONE]\n\n"}));
    auto sink = run(options_for(upstream));
    expect_error(*sink, error_code::upstream_error);
  }
}

TEST_F(OpenaiAgent, AnOversizedEventIsAnError) {
  fake_upstream upstream(streamed({"data: " + std::string(3000, 'x')}));
  auto options = options_for(upstream);
  options.max_event_bytes = 1024;
  auto sink = run(options);
  expect_error(*sink, error_code::upstream_error);
}

TEST_F(OpenaiAgent, StallAfterSomeTokensTimesOut) {
  fake_response response = streamed({chunk_with_content("thinking")});
  response.end = fake_response::ending::stall;
  fake_upstream upstream(response);
  auto options = options_for(upstream);
  options.timeout = 300ms;
  const auto started = clock_type::now();
  auto sink = run(options);
  const auto took = sink->finished_at() - started;
  expect_error(*sink, error_code::upstream_timeout);
  EXPECT_EQ(sink->error_message(), "the upstream sent nothing for 300 ms");
  EXPECT_EQ(sink->text(), "thinking");
  EXPECT_GE(took, 300ms);
  EXPECT_LT(took, 800ms);
  EXPECT_TRUE(upstream.wait_for_client_close(1s));
}

TEST_F(OpenaiAgent, StallBeforeTheHeaderTimesOut) {
  fake_response response;
  response.send_headers = false;
  fake_upstream upstream(response);
  auto options = options_for(upstream);
  options.timeout = 300ms;
  const auto started = clock_type::now();
  auto sink = run(options);
  expect_error(*sink, error_code::upstream_timeout);
  EXPECT_GE(sink->finished_at() - started, 300ms);
  EXPECT_LT(sink->finished_at() - started, 800ms);
}

TEST_F(OpenaiAgent, SlowButSteadyIsNotAStall) {
  // Each gap is under the timeout, the whole reply is well over it.
  std::vector<std::string> pieces;
  for (int i = 0; i < 8; ++i)
    pieces.push_back(chunk_with_content("."));
  pieces.push_back("data: [DONE]\n\n");
  fake_response response = streamed(pieces);
  response.gap = 100ms;
  fake_upstream upstream(response);
  auto options = options_for(upstream);
  options.timeout = 300ms;
  auto sink = run(options);
  EXPECT_EQ(sink->text(), "........");
  EXPECT_EQ(sink->reason(), finish_reason::stop);
}

TEST_F(OpenaiAgent, ConnectionRefused) {
  test::refused_port port;
  openai_agent::options options;
  options.base_url = "http://127.0.0.1:" + std::to_string(port.port()) + "/v1";
  auto sink = run(options);
  expect_error(*sink, error_code::upstream_error);
  EXPECT_EQ(sink->error_message().rfind("cannot connect to the upstream", 0), 0u)
      << sink->error_message();
}

TEST_F(OpenaiAgent, UnknownHost) {
  openai_agent::options options;
  options.base_url = "http://no-such-host.invalid/v1";
  options.timeout = 2s;  // where DNS itself stalls, the watchdog ends the reply
  auto sink = run(options);
  EXPECT_EQ(sink->finishes(), 1);
  EXPECT_EQ(sink->reason(), finish_reason::error);
  EXPECT_TRUE(sink->error() == error_code::upstream_error ||
              sink->error() == error_code::upstream_timeout);
}

// ---- cancel -----------------------------------------------------------------------------

TEST_F(OpenaiAgent, CancelMidStreamStopsWithin100msAndClosesTheUpstream) {
  fake_response response = streamed({chunk_with_content("first "), chunk_with_content("second")});
  response.end = fake_response::ending::stall;
  fake_upstream upstream(response);
  openai_agent agent(ioc_, options_for(upstream));
  auto sink = std::make_shared<recording_sink>();
  auto handle = agent.start(request(), sink);
  ASSERT_TRUE(sink->wait_text(12));
  ASSERT_EQ(sink->finishes(), 0);

  const auto cancelled_at = clock_type::now();
  handle->cancel();
  ASSERT_TRUE(sink->wait_finished(1s));
  EXPECT_LT(sink->finished_at() - cancelled_at, 100ms);
  EXPECT_EQ(sink->reason(), finish_reason::cancelled);
  EXPECT_EQ(sink->error(), std::nullopt);
  EXPECT_EQ(sink->text(), "first second");
  EXPECT_TRUE(upstream.wait_for_client_close(1s));

  handle->cancel();  // again: nothing more happens
  settle();
  EXPECT_EQ(sink->finishes(), 1);
  EXPECT_EQ(sink->calls_after_finish(), 0);
}

TEST_F(OpenaiAgent, CancelWhileWaitingForTheFirstByte) {
  fake_response response;
  response.send_headers = false;
  fake_upstream upstream(response);
  openai_agent agent(ioc_, options_for(upstream));
  auto sink = std::make_shared<recording_sink>();
  auto handle = agent.start(request(), sink);
  for (int i = 0; i < 200 && upstream.requests().empty(); ++i)
    std::this_thread::sleep_for(5ms);
  ASSERT_EQ(upstream.requests().size(), 1u);
  const auto cancelled_at = clock_type::now();
  handle->cancel();
  ASSERT_TRUE(sink->wait_finished(1s));
  EXPECT_LT(sink->finished_at() - cancelled_at, 100ms);
  EXPECT_EQ(sink->reason(), finish_reason::cancelled);
  EXPECT_TRUE(upstream.wait_for_client_close(1s));
}

TEST_F(OpenaiAgent, CancelRightAfterStartFinishesOnce) {
  fake_upstream upstream(streamed(openai_stream()));
  openai_agent agent(ioc_, options_for(upstream));
  for (int i = 0; i < 20; ++i) {
    auto sink = std::make_shared<recording_sink>();
    auto handle = agent.start(request(), sink);
    if (i % 2 == 1) std::this_thread::sleep_for(std::chrono::milliseconds(i / 2));
    handle->cancel();
    handle->cancel();
    ASSERT_TRUE(sink->wait_finished(1s));
    settle();
    EXPECT_EQ(sink->finishes(), 1);
    EXPECT_EQ(sink->calls_after_finish(), 0);
    // Either the cancel won or the reply had already ended: both are one whole ending.
    if (sink->reason() != finish_reason::cancelled) {
      EXPECT_EQ(sink->reason(), finish_reason::stop);
      EXPECT_EQ(sink->text(), "It costs 9 \u20ac a month.");
    }
  }
}

TEST_F(OpenaiAgent, CancelAfterTheEndChangesNothing) {
  fake_upstream upstream(streamed(openai_stream()));
  openai_agent agent(ioc_, options_for(upstream));
  auto sink = std::make_shared<recording_sink>();
  auto handle = agent.start(request(), sink);
  ASSERT_TRUE(sink->wait_finished());
  handle->cancel();
  settle();
  EXPECT_EQ(sink->finishes(), 1);
  EXPECT_EQ(sink->reason(), finish_reason::stop);
}

TEST_F(OpenaiAgent, CancelFromManyThreadsAtOnce) {
  fake_response response = streamed({chunk_with_content("x")});
  response.end = fake_response::ending::stall;
  fake_upstream upstream(response);
  openai_agent agent(ioc_, options_for(upstream));
  auto sink = std::make_shared<recording_sink>();
  auto handle = agent.start(request(), sink);
  ASSERT_TRUE(sink->wait_text(1));
  std::vector<std::thread> cancellers;
  for (int i = 0; i < 4; ++i)
    cancellers.emplace_back([&] { handle->cancel(); });
  for (auto& t : cancellers)
    t.join();
  ASSERT_TRUE(sink->wait_finished(1s));
  settle();
  EXPECT_EQ(sink->finishes(), 1);
  EXPECT_EQ(sink->reason(), finish_reason::cancelled);
}

TEST_F(OpenaiAgent, ManyRepliesAtOnce) {
  fake_upstream upstream(streamed(openai_stream()));
  openai_agent agent(ioc_, options_for(upstream));
  std::vector<std::shared_ptr<recording_sink>> sinks;
  std::vector<std::shared_ptr<reply_handle>> handles;
  for (int i = 0; i < 16; ++i) {
    sinks.push_back(std::make_shared<recording_sink>());
    handles.push_back(agent.start(request(), sinks.back()));
  }
  for (auto& sink : sinks) {
    ASSERT_TRUE(sink->wait_finished());
    EXPECT_EQ(sink->text(), "It costs 9 \u20ac a month.");
    EXPECT_EQ(sink->finishes(), 1);
  }
  EXPECT_EQ(upstream.connections(), 16u);
}

// ---- lifetime ---------------------------------------------------------------------------

TEST(OpenaiAgentLifetime, AReplyLeftInADestroyedIoContextFinishesInterrupted) {
  fake_upstream upstream(streamed(openai_stream()));
  auto sink = std::make_shared<recording_sink>();
  {
    boost::asio::io_context ioc;
    openai_agent::options options;
    options.base_url = upstream.base_url();
    openai_agent agent(ioc, options);
    agent.start(sample_request(), sink);  // the handle is dropped at once
    EXPECT_EQ(sink->finishes(), 0);       // never from inside start()
  }
  EXPECT_EQ(sink->finishes(), 1);
  EXPECT_EQ(sink->reason(), finish_reason::interrupted);
}

TEST(OpenaiAgentLifetime, TheAgentMayGoBeforeItsReplies) {
  fake_upstream upstream(streamed(openai_stream()));
  auto sink = std::make_shared<recording_sink>();
  boost::asio::io_context ioc;
  {
    openai_agent::options options;
    options.base_url = upstream.base_url();
    openai_agent agent(ioc, options);
    agent.start(sample_request(), sink);
  }
  ioc.run_for(5s);
  EXPECT_EQ(sink->finishes(), 1);
  EXPECT_EQ(sink->text(), "It costs 9 \u20ac a month.");
}

// ---- the hot path -----------------------------------------------------------------------

TEST_F(OpenaiAgent, ADeltaAllocatesNothingOnTheIoThreads) {
  // Two replies read in the same number of pieces, one with 10 times the deltas: the
  // difference in operator new calls on the io threads is what the extra deltas cost.
  auto allocations_for = [&](int deltas_per_piece) {
    constexpr int pieces = 20;
    std::vector<std::string> body;
    for (int p = 0; p < pieces; ++p) {
      body.emplace_back();
      for (int i = 0; i < deltas_per_piece; ++i)
        body.back() += chunk_with_content("token ");
    }
    body.push_back("data: [DONE]\n\n");
    fake_response response = streamed(body);
    response.gap = 2ms;
    fake_upstream upstream(response);
    openai_agent agent(ioc_, options_for(upstream));
    auto sink = std::make_shared<recording_sink>();
    sink->reserve(static_cast<std::size_t>(pieces * deltas_per_piece) * 6);
    io_thread_allocations = 0;
    counting = true;
    auto handle = agent.start(request(), sink);
    EXPECT_TRUE(sink->wait_finished());
    counting = false;
    std::this_thread::sleep_for(20ms);  // each io thread adds up its count
    EXPECT_EQ(sink->text().size(), static_cast<std::size_t>(pieces * deltas_per_piece) * 6);
    EXPECT_EQ(sink->reason(), finish_reason::stop);
    return io_thread_allocations.load();
  };
  const std::size_t few = allocations_for(10);
  const std::size_t many = allocations_for(100);
  // 1800 more deltas, yet (nearly) the same: at most the odd allocation of a read that came
  // in two parts.
  EXPECT_LT(many, few + 50) << "200 deltas: " << few << " allocations, 2000 deltas: " << many;
  RecordProperty("allocations_200_deltas", static_cast<int>(few));
  RecordProperty("allocations_2000_deltas", static_cast<int>(many));
}

// ---- configuration and TLS --------------------------------------------------------------

TEST(OpenaiAgentOptions, CheckNamesTheBadSetting) {
  openai_agent::options o;
  EXPECT_EQ(openai_agent::check(o), "");
  for (const auto& [url, fine] : std::vector<std::pair<std::string, bool>>{
           {"http://127.0.0.1:11434/v1", true},
           {"https://api.openai.com/v1", true},
           {"HTTPS://openrouter.ai/api/v1/", true},
           {"http://[::1]:8000", true},
           {"http://localhost:8080", true},
           {"ftp://example.com/v1", false},
           {"http://", false},
           {"http://example.com:0/v1", false},
           {"http://example.com:70000/v1", false},
           {"http://example.com:/v1", false},
           {"http://user:pw@example.com/v1", false},
           {"http://example.com/v1?x=1", false},
           {"http://exa mple.com/v1", false},
           {"http://[::1/v1", false},
           {"http://exa\r\nmple.com/v1", false},
       }) {
    o.base_url = url;
    EXPECT_EQ(openai_agent::check(o).empty(), fine) << url << ": " << openai_agent::check(o);
  }
  o.base_url = "http://127.0.0.1/v1";
  o.api_key = "sk-abc\r\nX-Injected: 1";
  EXPECT_EQ(openai_agent::check(o), "api_key: contains control characters");
  o.api_key = "sk-abc";
  o.ca_file = "/nonexistent/ca.pem";
  EXPECT_EQ(openai_agent::check(o), "ca_file: cannot load it as PEM certificates");
}

TEST_F(OpenaiAgent, BadOptionsFailEachReply) {
  openai_agent::options o;
  o.base_url = "gopher://example.com";
  auto sink = run(o);
  expect_error(*sink, error_code::upstream_error);
  EXPECT_EQ(sink->error_message(),
            "the agent is misconfigured (base_url: must start with http:// or https://)");
}

TEST_F(OpenaiAgent, HttpsConnectionRefused) {
  test::refused_port port;
  openai_agent::options o;
  o.base_url = "https://127.0.0.1:" + std::to_string(port.port()) + "/v1";
  auto sink = run(o);
  expect_error(*sink, error_code::upstream_error);
  EXPECT_EQ(sink->error_message().rfind("cannot connect to the upstream", 0), 0u);
}

TEST_F(OpenaiAgent, HttpsToAPlainHttpServerFailsTheHandshake) {
  fake_upstream upstream(streamed(openai_stream()));
  auto o = options_for(upstream);
  o.base_url = upstream.base_url("localhost");
  o.base_url.replace(0, 4, "https");
  auto sink = run(o);
  expect_error(*sink, error_code::upstream_error);
  EXPECT_EQ(sink->error_message().rfind("the TLS handshake with the upstream failed", 0), 0u)
      << sink->error_message();
}

class OpenaiAgentTls : public OpenaiAgent {
 protected:
  OpenaiAgentTls() : identity_(test::make_self_signed_identity("localhost")) {
    // Per process: ctest runs each case in its own process, several at once.
    ca_file_ =
        testing::TempDir() + "palaver_openai_agent_test_ca_" + std::to_string(::getpid()) + ".pem";
    std::ofstream(ca_file_) << identity_.certificate_pem;
  }
  ~OpenaiAgentTls() override { std::remove(ca_file_.c_str()); }

  test::tls_identity identity_;
  std::string ca_file_;
};

TEST_F(OpenaiAgentTls, AnUntrustedCertificateIsRefused) {
  fake_upstream upstream(streamed(openai_stream()), identity_);
  auto o = options_for(upstream);
  o.base_url = upstream.base_url("localhost");
  auto sink = run(o);
  expect_error(*sink, error_code::upstream_error);
  EXPECT_NE(sink->error_message().find("certificate verify failed"), std::string::npos)
      << sink->error_message();
  EXPECT_TRUE(upstream.requests().empty());  // the key never left
}

TEST_F(OpenaiAgentTls, ATrustedCertificateForTheHostStreams) {
  fake_upstream upstream(streamed(openai_stream()), identity_);
  auto o = options_for(upstream);
  o.base_url = upstream.base_url("localhost");
  o.ca_file = ca_file_;
  auto sink = run(o);
  EXPECT_EQ(sink->error_message(), "");
  EXPECT_EQ(sink->text(), "It costs 9 \u20ac a month.");
  EXPECT_EQ(sink->tokens(), (usage{31, 7, 38}));
  ASSERT_EQ(upstream.requests().size(), 1u);
  EXPECT_EQ(upstream.requests()[0].headers.at("host"),
            "localhost:" + std::to_string(upstream.port()));
}

TEST_F(OpenaiAgentTls, ATrustedCertificateForAnotherHostIsRefused) {
  fake_upstream upstream(streamed(openai_stream()), identity_);
  auto o = options_for(upstream);
  o.base_url = upstream.base_url("127.0.0.1");  // the certificate names localhost only
  o.ca_file = ca_file_;
  auto sink = run(o);
  expect_error(*sink, error_code::upstream_error);
  EXPECT_NE(sink->error_message().find("certificate verify failed"), std::string::npos)
      << sink->error_message();
  EXPECT_TRUE(upstream.requests().empty());
}

TEST_F(OpenaiAgentTls, CancelDuringTheStreamOverTls) {
  fake_response response = streamed({chunk_with_content("secure")});
  response.end = fake_response::ending::stall;
  fake_upstream upstream(response, identity_);
  auto o = options_for(upstream);
  o.base_url = upstream.base_url("localhost");
  o.ca_file = ca_file_;
  openai_agent agent(ioc_, o);
  auto sink = std::make_shared<recording_sink>();
  auto handle = agent.start(request(), sink);
  ASSERT_TRUE(sink->wait_text(6));
  const auto cancelled_at = clock_type::now();
  handle->cancel();
  ASSERT_TRUE(sink->wait_finished(1s));
  EXPECT_LT(sink->finished_at() - cancelled_at, 100ms);
  EXPECT_EQ(sink->reason(), finish_reason::cancelled);
  EXPECT_TRUE(upstream.wait_for_client_close(1s));
}

}  // namespace
}  // namespace palaver::server
