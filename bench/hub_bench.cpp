// The chat hub's hot path: one agent delta through the hub's strand, added to the live reply,
// serialized once and handed to every subscribed client. Prints the time per delta and the
// heap allocations per delta on the hub's thread (operator new counted in this binary) for 1,
// 10 and 100 subscribers. A real SQLite file in a temporary directory backs the store; the
// clients are in-process (no sockets: the socket's write path is not part of this figure).
//   cmake --build build --target hub_bench && build/bench/hub_bench
#include <atomic>
#include <benchmark/benchmark.h>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "palaver/codec.hpp"

#include <boost/asio/io_context.hpp>

#include "../tests/server/counting_new.hpp"
#include "agent.hpp"
#include "chat_hub.hpp"
#include "hub_client.hpp"
#include "metrics.hpp"
#include "store.hpp"

namespace palaver::server {
namespace {

// Keeps the sink of the reply it starts, so the benchmark can feed it deltas.
class bench_agent final : public agent {
 public:
  std::string_view name() const override { return "bench"; }
  std::shared_ptr<reply_handle> start(reply_request, std::shared_ptr<reply_sink> sink) override {
    sink_ = std::move(sink);
    ++started;
    return std::make_shared<idle_handle>();
  }
  reply_sink& sink() const { return *sink_; }
  std::atomic<std::size_t> started{0};

 private:
  struct idle_handle final : reply_handle {
    void cancel() override {}
  };
  std::shared_ptr<reply_sink> sink_;
};

// A subscriber that counts what it is given; during set-up it also keeps the frames.
class bench_client final : public hub_client {
 public:
  explicit bench_client(identity who) : who_(std::move(who)), owner_(owner_id(who_)) {}
  void deliver(shared_frame frame) override {
    ++frames;
    if (keep) kept.emplace_back(frame.text());
  }
  void close_going_away() override {}
  const identity& who() const override { return who_; }
  const std::string& owner() const override { return owner_; }
  std::uint64_t id() const override { return id_; }

  std::size_t frames = 0;
  bool keep = true;
  std::vector<std::string> kept;

 private:
  identity who_;
  std::string owner_;
  std::uint64_t id_ = next_client_id();
};

// Runs the io_context until `done()` holds (the store answers from its own thread).
template <class Done>
bool run_until(boost::asio::io_context& io, Done done) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!done()) {
    if (std::chrono::steady_clock::now() > give_up) return false;
    io.poll();
    io.restart();
  }
  return true;
}

std::string conversation_started(const bench_client& client) {
  for (const std::string& text : client.kept)
    if (auto frame = decode_server_frame(text))
      if (auto* c = std::get_if<conversation_frame>(&*frame)) return c->conversation.id;
  return {};
}

void delta_fan_out(benchmark::State& state) {
  const auto subscribers = static_cast<std::size_t>(state.range(0));
  const auto dir = std::filesystem::temp_directory_path() / "palaver-hub-bench";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  boost::asio::io_context io;  // first: it outlives the store, whose last callbacks post to it
  store::options store_options;
  store_options.path = (dir / "bench.db").string();
  store_options.log = [](std::string_view) {};
  auto db = store::open(store_options);
  if (!db) return state.SkipWithError(db.error().c_str());

  auto agent = std::make_shared<bench_agent>();
  chat_hub::options opts;
  opts.site_agents["bench"] = {"bench"};
  opts.messages_per_minute_per_socket = opts.messages_per_minute_per_identity = 1'000'000;
  auto hub =
      chat_hub::create(io, **db, {{"bench", agent}}, opts, std::make_shared<metrics>("bench"));

  const identity who{"bench", "v_bench", "", true};
  std::vector<std::shared_ptr<bench_client>> clients;
  for (std::size_t i = 0; i < subscribers; ++i) {
    clients.push_back(std::make_shared<bench_client>(who));
    hub->connect(clients.back());
  }
  hub->handle(clients[0], message_frame{std::nullopt, "first", "hello", std::nullopt, {}, {}});
  if (!run_until(io, [&] { return agent->started == 1; }))
    return state.SkipWithError("the reply did not start");
  const std::string id = conversation_started(*clients[0]);
  for (std::size_t i = 1; i < subscribers; ++i)
    hub->handle(clients[i], subscribe_frame{id, std::nullopt});
  if (!run_until(io, [&] { return clients.back()->frames > 0; }))
    return state.SkipWithError("the subscribers got nothing");
  for (auto& client : clients) {
    client->keep = false;
    client->kept.clear();
  }

  // Replies of reply_deltas deltas each (~2.4 KB), as a chat has them: the next one starts,
  // outside the measured time and count, when one ends.
  constexpr std::int64_t reply_deltas = 400;
  std::size_t asked = 0;
  const auto start_next_reply = [&] {
    agent->sink().finish(finish_reason::stop, std::nullopt);
    const std::size_t started = agent->started;
    hub->handle(clients[0],
                message_frame{id, "m" + std::to_string(++asked), "again", std::nullopt, {}, {}});
    return run_until(io, [&] { return agent->started != started; });
  };
  const auto one_delta = [&] {
    agent->sink().delta("token ");
    io.poll();
    io.restart();
  };
  // Warm-up: the conversation's replay memory fills up and the frame pool reaches the size
  // a long-running server has; before that, every delta's frame is a new buffer.
  std::int64_t sent = 0;
  while (sent < static_cast<std::int64_t>(opts.replay_memory_frames)) {
    one_delta();
    if (++sent % reply_deltas == 0 && !start_next_reply())
      return state.SkipWithError("the next reply did not start");
  }

  std::size_t allocations = 0;
  const std::size_t frames_before = clients.back()->frames;
  for (auto _ : state) {
    const std::size_t start = test::allocations_on_this_thread();
    one_delta();
    allocations += test::allocations_on_this_thread() - start;
    if (++sent % reply_deltas == 0) {
      state.PauseTiming();
      const bool next = start_next_reply();
      state.ResumeTiming();
      if (!next) return state.SkipWithError("the next reply did not start");
    }
  }
  const auto deltas = static_cast<double>(state.iterations());
  state.counters["allocs/delta"] = static_cast<double>(allocations) / deltas;
  state.counters["frames/subscriber/delta"] =
      static_cast<double>(clients.back()->frames - frames_before) / deltas;
  agent->sink().finish(finish_reason::stop, std::nullopt);
  std::atomic<bool> stored{false};
  (*db)->flush([&] { stored = true; });  // the end of the reply, before the store closes
  run_until(io, [&] { return stored.load(); });
}
// A fixed count: every 400 deltas a new reply waits for the store's fsync, which the timer
// leaves out but the wall clock does not.
BENCHMARK(delta_fan_out)->Arg(1)->Arg(10)->Arg(100)->Iterations(40'000);

}  // namespace
}  // namespace palaver::server

BENCHMARK_MAIN();
