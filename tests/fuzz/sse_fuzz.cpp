// libFuzzer target for the SSE parser (server/src/sse_parser.*), which reads whatever an
// upstream LLM endpoint sends. The input is a stream and the reads that split it (see
// fuzz_support.hpp); its option is the event size limit: 0 the default 1 MiB, n 8n bytes. Beyond
// "no crash": the stream gives the same events, limit outcome and retry in one read, byte by
// byte and in the input's reads, with a leading BOM or without, and after reset(); every event
// is well formed.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"
#include "sse_parser.hpp"

namespace {

using palaver::fuzz::check;
using palaver::server::sse_event;
using palaver::server::sse_parser;

struct event {
  std::string type;
  std::string data;
  std::string id;
  friend bool operator==(const event&, const event&) = default;
};

struct outcome {
  std::vector<event> events;
  bool failed = false;
  bool mid_event = false;  // only meaningful when not failed: a failed parser keeps no state
  std::optional<std::uint64_t> retry;
  friend bool operator==(const outcome&, const outcome&) = default;
};

void check_event(const sse_event& e, std::size_t limit) {
  check(!e.type.empty(), "an event has an empty type");
  check(e.type.find_first_of("\r\n") == std::string_view::npos, "an event type holds a line end");
  check(e.id.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos,
        "an event id holds a line end or NUL");
  check(e.data.find('\r') == std::string_view::npos, "event data holds a CR");
  check(e.data.size() <= limit, "event data is larger than the parser's limit");
  check(e.done() == (e.data == "[DONE]"), "done() disagrees with the data");
}

// Parses `reads` in order with `parser` (reset first), as openai_agent feeds it.
template <class Reads>
outcome parse(sse_parser& parser, std::size_t limit, const Reads& reads) {
  parser.reset();
  outcome out;
  reads([&](std::string_view bytes) {
    if (out.failed) return;
    const bool ok = parser.feed(bytes, [&](const sse_event& e) {
      check_event(e, limit);
      out.events.push_back({std::string(e.type), std::string(e.data), std::string(e.id)});
      return true;
    });
    check(ok == !parser.failed(), "feed() returned false without failing");
    out.failed = !ok;
  });
  out.mid_event = !out.failed && parser.mid_event();
  out.retry = parser.retry();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto input = palaver::fuzz::stream_input::from(data, size);
  // Small limits make the too-large path reachable within a short input.
  const std::size_t limit =
      input.option == 0 ? sse_parser::default_max_event_bytes : std::size_t{input.option} * 8;
  sse_parser parser(limit);
  const std::string_view stream = input.payload;

  const outcome whole = parse(parser, limit, [&](auto&& read) { read(stream); });
  const outcome in_reads = parse(parser, limit, [&](auto&& read) { input.for_each_read(read); });
  check(in_reads == whole, "the input's reads give other events than one read");
  const outcome bytewise = parse(parser, limit, [&](auto&& read) {
    for (std::size_t i = 0; i < stream.size(); ++i)
      read(stream.substr(i, 1));
  });
  check(bytewise == whole, "byte-by-byte reads give other events than one read");

  constexpr std::string_view bom = "\xEF\xBB\xBF";
  if (!stream.starts_with(bom)) {
    const std::string with_bom = std::string(bom) + std::string(stream);
    const outcome after_bom = parse(parser, limit, [&](auto&& read) { read(with_bom); });
    check(after_bom == whole, "a leading BOM changes the events");
  }
  return 0;
}
