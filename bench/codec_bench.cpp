// Speed of the protocol codec on the frames that dominate a chat: the server encodes a
// `delta` per token (into a reused buffer: no allocation) and decodes a visitor's `message`;
// the widget decodes `delta`s and `history` pages. Prints figures; asserts nothing.
#include <benchmark/benchmark.h>

#include "palaver/codec.hpp"

namespace {

using namespace palaver;

const server_frame delta{delta_frame{"conv_7QkZ2p", "msg_42", 1234, " token"}};

void encode_delta_into_reused_buffer(benchmark::State& state) {
  std::string buffer;
  for (auto _ : state) {
    buffer.clear();
    encode_to(buffer, delta);
    benchmark::DoNotOptimize(buffer.data());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(buffer.size()));
}
BENCHMARK(encode_delta_into_reused_buffer);

void decode_delta(benchmark::State& state) {
  const std::string text = encode(delta);
  for (auto _ : state)
    benchmark::DoNotOptimize(decode_server_frame(text));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(text.size()));
}
BENCHMARK(decode_delta);

void decode_visitor_message(benchmark::State& state) {
  const std::string text =
      R"({"type":"message","conversation_id":"conv_7QkZ2p","client_msg_id":"0b6f5c1e-2d4f-4d8e-9a51-3f6c2b7d9e10",)"
      R"("text":"Hello! Could you tell me how to change the shipping address on my order?"})";
  for (auto _ : state)
    benchmark::DoNotOptimize(decode_client_frame(text));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(text.size()));
}
BENCHMARK(decode_visitor_message);

void decode_history_page(benchmark::State& state) {
  history_frame page{"conv_7QkZ2p", {}, 400, true};
  for (int i = 0; i < 50; ++i) {
    message m;
    m.id = "msg_" + std::to_string(i);
    m.conversation_id = page.conversation_id;
    m.author_role = i % 2 ? role::assistant : role::user;
    m.text = std::string(400, 'x');
    m.seq = 100 + i;
    m.created_at = 1795312317123 + i;
    page.messages.push_back(m);
  }
  const std::string text = encode(server_frame{page});
  for (auto _ : state)
    benchmark::DoNotOptimize(decode_server_frame(text));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(text.size()));
}
BENCHMARK(decode_history_page);

}  // namespace

BENCHMARK_MAIN();
