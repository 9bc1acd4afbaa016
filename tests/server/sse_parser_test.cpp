// The SSE parser: a stream gives the same events however its bytes are split (every split
// point, every pair of split points), with any line ending, comments, multi-line data, a BOM.
#include "sse_parser.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "counting_new.hpp"

namespace palaver::server {
namespace {

struct event {
  std::string type;
  std::string data;
  std::string id;
  friend bool operator==(const event&, const event&) = default;
  friend std::ostream& operator<<(std::ostream& os, const event& e) {
    return os << "{type=" << e.type << " data=" << testing::PrintToString(e.data) << " id=" << e.id
              << "}";
  }
};

std::vector<event> parse_pieces(const std::vector<std::string_view>& pieces) {
  sse_parser parser;
  std::vector<event> events;
  for (const std::string_view piece : pieces) {
    const bool ok = parser.feed(piece, [&](const sse_event& e) {
      events.push_back({std::string(e.type), std::string(e.data), std::string(e.id)});
      return true;
    });
    EXPECT_TRUE(ok);
  }
  return events;
}

std::vector<event> parse(std::string_view stream) {
  return parse_pieces({stream});
}

// `text` with every "\n" turned into `eol`.
std::string with_line_endings(std::string_view text, std::string_view eol) {
  std::string out;
  for (const char c : text) {
    if (c == '\n') {
      out.append(eol);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// What OpenAI, OpenRouter and llama.cpp send, with the grammar's corners mixed in.
constexpr std::string_view realistic_stream =
    "\xEF\xBB\xBF"
    ": OPENROUTER PROCESSING\n"
    "\n"
    "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\","
    "\"content\":\"\"},\"finish_reason\":null}]}\n"
    "\n"
    "data: {\"id\":\"c1\",\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}\n"
    "\n"
    "id: 7\n"
    "data:{\"id\":\"c1\",\"choices\":[{\"delta\":{\"content\":\"lo, w\\u00f6rld\"}}]}\n"
    "\n"
    "event: ping\n"
    "data: first line\n"
    "data:  second line keeps one space\n"
    "data\n"
    ": a comment between data lines\n"
    "data: after an empty data line\n"
    "\n"
    "unknown: field is ignored\n"
    "retry: 1500\n"
    "event: dropped\n"
    "\n"
    "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":3}}\n"
    "\n"
    "data: [DONE]\n"
    "\n";

std::vector<event> realistic_events() {
  return {
      {"message",
       "{\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\","
       "\"content\":\"\"},\"finish_reason\":null}]}",
       ""},
      {"message", "{\"id\":\"c1\",\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}", ""},
      {"message", "{\"id\":\"c1\",\"choices\":[{\"delta\":{\"content\":\"lo, w\\u00f6rld\"}}]}",
       "7"},
      {"ping", "first line\n second line keeps one space\n\nafter an empty data line", "7"},
      {"message", "{\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":3}}", "7"},
      {"message", "[DONE]", "7"},
  };
}

TEST(SseParser, RealisticStreamGivesTheExpectedEvents) {
  EXPECT_EQ(parse(realistic_stream), realistic_events());
}

TEST(SseParser, EveryLineEndingGivesTheSameEvents) {
  for (const std::string_view eol : {"\n", "\r\n", "\r"}) {
    SCOPED_TRACE(testing::PrintToString(std::string(eol)));
    EXPECT_EQ(parse(with_line_endings(realistic_stream, eol)), realistic_events());
  }
}

TEST(SseParser, MixedLineEndingsInOneStream) {
  EXPECT_EQ(
      parse("data: a\r\ndata: b\rdata: c\n\r\n"
            "data: d\r\r"
            "data: e\n\n"),
      (std::vector<event>{{"message", "a\nb\nc", ""}, {"message", "d", ""}, {"message", "e", ""}}));
}

TEST(SseParser, EverySplitPointGivesIdenticalEvents) {
  for (const std::string_view eol : {"\n", "\r\n", "\r"}) {
    const std::string stream = with_line_endings(realistic_stream, eol);
    const std::string_view s = stream;
    for (std::size_t i = 0; i <= s.size(); ++i) {
      ASSERT_EQ(parse_pieces({s.substr(0, i), s.substr(i)}), realistic_events())
          << "eol " << testing::PrintToString(std::string(eol)) << ", split at " << i;
    }
  }
}

TEST(SseParser, EveryPairOfSplitPointsGivesIdenticalEvents) {
  // Short, but it has every corner: BOM, CR LF, a lone CR, a comment, no space after the
  // colon, multi-line data, an id, an event type, [DONE].
  const std::string_view s =
      "\xEF\xBB\xBF: hi\r\nid: 1\r\ndata:a\rdata: b\n\nevent: e\r\ndata: [DONE]\r\n\r\n";
  const std::vector<event> expected{{"message", "a\nb", "1"}, {"e", "[DONE]", "1"}};
  ASSERT_EQ(parse(s), expected);
  for (std::size_t i = 0; i <= s.size(); ++i) {
    for (std::size_t j = i; j <= s.size(); ++j) {
      ASSERT_EQ(parse_pieces({s.substr(0, i), s.substr(i, j - i), s.substr(j)}), expected)
          << "split at " << i << " and " << j;
    }
  }
}

TEST(SseParser, OneByteAtATime) {
  const std::string stream = with_line_endings(realistic_stream, "\r\n");
  std::vector<std::string_view> bytes;
  for (std::size_t i = 0; i < stream.size(); ++i)
    bytes.push_back(std::string_view(stream).substr(i, 1));
  EXPECT_EQ(parse_pieces(bytes), realistic_events());
}

TEST(SseParser, BomOnlyAtTheStartAndOnlyOnce) {
  EXPECT_EQ(parse("\xEF\xBB\xBF\xEF\xBB\xBF"
                  "data: x\n\n"),
            std::vector<event>{});  // field "\uFEFFdata"
  EXPECT_EQ(parse("data: \xEF\xBB\xBFx\n\n"),
            (std::vector<event>{{"message", "\xEF\xBB\xBFx", ""}}));
  // Bytes that begin like a BOM but are not one stay in the first line.
  EXPECT_EQ(parse_pieces({"\xEF", "\xBB", "X\ndata: y\n\n"}),
            (std::vector<event>{{"message", "y", ""}}));
  EXPECT_EQ(parse_pieces({"\xEF\xBB", "\xBF", "data: y\n\n"}),
            (std::vector<event>{{"message", "y", ""}}));
}

TEST(SseParser, CommentsAndKeepAlivesDispatchNothing) {
  EXPECT_EQ(parse(": keep-alive\n\n:\n\n: x\r\n\r\n"), std::vector<event>{});
}

TEST(SseParser, DataWithAndWithoutTheSpace) {
  EXPECT_EQ(parse("data:x\n\ndata: x\n\ndata:  x\n\ndata:\n\ndata\n\n"),
            (std::vector<event>{{"message", "x", ""},
                                {"message", "x", ""},
                                {"message", " x", ""},
                                {"message", "", ""},
                                {"message", "", ""}}));
}

TEST(SseParser, MultiLineDataIsJoinedWithNewlines) {
  EXPECT_EQ(parse("data: {\"a\":\ndata: 1}\n\n"),
            (std::vector<event>{{"message", "{\"a\":\n1}", ""}}));
}

TEST(SseParser, EventTypeAndIdAreExposed) {
  EXPECT_EQ(parse("event: error\nid: 42\ndata: {}\n\ndata: next\n\nid\ndata: x\n\n"),
            (std::vector<event>{{"error", "{}", "42"},
                                {"message", "next", "42"},  // the id carries over, the type not
                                {"message", "x", ""}}));
  // An id holding NUL is ignored.
  EXPECT_EQ(parse(std::string_view("id: a\0b\ndata: x\n\n", 18)),
            (std::vector<event>{{"message", "x", ""}}));
}

TEST(SseParser, RetryIsExposedWhenValid) {
  sse_parser parser;
  auto ignore = [](const sse_event&) { return true; };
  parser.feed("retry: 2500\n", ignore);
  EXPECT_EQ(parser.retry(), 2500u);
  parser.feed("retry: 25x\nretry:\n", ignore);
  EXPECT_EQ(parser.retry(), 2500u);
}

TEST(SseParser, DoneSentinel) {
  const auto events = parse("data: [DONE]\n\ndata:[DONE]\n\ndata: [DONE] \n\n");
  ASSERT_EQ(events.size(), 3u);
  EXPECT_TRUE((sse_event{"message", events[0].data, ""}.done()));
  EXPECT_TRUE((sse_event{"message", events[1].data, ""}.done()));
  EXPECT_FALSE((sse_event{"message", events[2].data, ""}.done()));
}

TEST(SseParser, AnUnfinishedEventIsHeldNotDispatched) {
  sse_parser parser;
  std::vector<event> events;
  auto record = [&](const sse_event& e) {
    events.push_back({std::string(e.type), std::string(e.data), std::string(e.id)});
    return true;
  };
  EXPECT_FALSE(parser.mid_event());
  parser.feed("data: partial", record);
  EXPECT_TRUE(parser.mid_event());
  parser.feed("\n", record);
  EXPECT_TRUE(parser.mid_event());
  EXPECT_TRUE(events.empty());
  parser.feed("\n", record);
  EXPECT_EQ(events, (std::vector<event>{{"message", "partial", ""}}));
  EXPECT_FALSE(parser.mid_event());
}

TEST(SseParser, StoppingDropsTheRestOfTheInput) {
  sse_parser parser;
  int seen = 0;
  EXPECT_FALSE(parser.feed("data: 1\n\ndata: 2\n\n", [&](const sse_event&) {
    ++seen;
    return false;
  }));
  EXPECT_EQ(seen, 1);
}

TEST(SseParser, AnEventOverTheLimitFailsTheStream) {
  sse_parser parser(64);
  auto ignore = [](const sse_event&) { return true; };
  EXPECT_TRUE(parser.feed("data: " + std::string(40, 'x') + "\n\n", ignore));
  // A line that never ends, in pieces.
  EXPECT_TRUE(parser.feed(std::string(40, 'y'), ignore));
  EXPECT_FALSE(parser.feed(std::string(40, 'y'), ignore));
  EXPECT_TRUE(parser.failed());
  EXPECT_FALSE(parser.feed("\n\n", ignore));

  // Data lines that each fit but together do not.
  sse_parser lines(64);
  EXPECT_FALSE(lines.feed("data: " + std::string(30, 'a') + "\ndata: " + std::string(30, 'b') +
                              "\ndata: " + std::string(30, 'c') + "\n\n",
                          ignore));
  EXPECT_TRUE(lines.failed());
  lines.reset();
  EXPECT_FALSE(lines.failed());
  EXPECT_TRUE(lines.feed("data: ok\n\n", ignore));
}

TEST(SseParser, ADataLineSplitAcrossReadsCountsOnceAgainstTheLimit) {
  // 40 bytes of data under a 64-byte limit: it fits, in one read or byte by byte (the line
  // waiting for its end was counted again with its value, so the split one was refused).
  const std::string stream = "data: " + std::string(40, 'x') + "\n\n";
  for (const bool byte_by_byte : {false, true}) {
    sse_parser parser(64);
    int events = 0;
    auto count = [&](const sse_event&) { return ++events, true; };
    if (byte_by_byte)
      for (const char c : stream)
        EXPECT_TRUE(parser.feed(std::string_view(&c, 1), count));
    else
      EXPECT_TRUE(parser.feed(stream, count));
    EXPECT_EQ(events, 1) << "byte by byte: " << byte_by_byte;
  }
}

TEST(SseParser, SteadyStreamAllocatesNothing) {
  sse_parser parser;
  const std::string chunk =
      "data: {\"choices\":[{\"delta\":{\"content\":\"token\"}}]}\r\n\r\n: ping\r\n\r\n";
  std::size_t events = 0;
  auto count = [&](const sse_event&) {
    ++events;
    return true;
  };
  // Warm up the buffers, including the path where a line straddles two calls.
  for (std::size_t split = 0; split <= chunk.size(); ++split) {
    parser.feed(std::string_view(chunk).substr(0, split), count);
    parser.feed(std::string_view(chunk).substr(split), count);
  }
  const std::size_t before = test::allocations_on_this_thread();
  for (int round = 0; round < 100; ++round) {
    for (std::size_t split = 0; split <= chunk.size(); split += 7) {
      parser.feed(std::string_view(chunk).substr(0, split), count);
      parser.feed(std::string_view(chunk).substr(split), count);
    }
  }
  EXPECT_EQ(test::allocations_on_this_thread(), before);
  EXPECT_GT(events, 1000u);
}

}  // namespace
}  // namespace palaver::server
