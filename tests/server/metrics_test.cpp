// The metrics registry, as a Prometheus scraper sees it: the rendered text is parsed back and
// checked line by line (names, labels, values, HELP/TYPE for every family), counters equal
// what was recorded, histograms are cumulative with +Inf == _count and an exact _sum, totals
// stay exact under 8 recording threads, and recording allocates nothing.
#include "metrics.hpp"

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <map>
#include <new>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "counting_new.hpp"

namespace palaver::server {
namespace {

using namespace std::chrono_literals;
using label_map = std::map<std::string, std::string>;

struct sample {
  std::string name;
  label_map labels;
  std::string value;
};

// The text parsed back, with every way it breaks the format in `problems`.
struct exposition {
  std::map<std::string, std::string> help;
  std::map<std::string, std::string> type;
  std::vector<sample> samples;
  std::vector<std::string> problems;

  // The value of one series; nullopt when it is absent.
  std::optional<std::string> find(const std::string& name, const label_map& l = {}) const {
    for (const sample& s : samples)
      if (s.name == name && s.labels == l) return s.value;
    return std::nullopt;
  }
  // A series that must exist and hold an integer.
  std::uint64_t count(const std::string& name, const label_map& l = {}) const {
    const std::optional<std::string> v = find(name, l);
    if (!v) {
      ADD_FAILURE() << "no series " << name << testing::PrintToString(l);
      return ~std::uint64_t{0};
    }
    return std::stoull(*v);
  }
};

bool valid_value(const std::string& text) {
  if (text == "+Inf" || text == "-Inf" || text == "NaN") return true;
  char* end = nullptr;
  std::strtod(text.c_str(), &end);
  return !text.empty() && end == text.c_str() + text.size();
}

// `a="x",b="y\"z"` into a map; false when it is not that shape.
bool parse_labels(const std::string& text, label_map& out) {
  static const std::regex name(R"([a-zA-Z_][a-zA-Z0-9_]*)");
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t eq = text.find('=', i);
    if (eq == std::string::npos || eq + 1 >= text.size() || text[eq + 1] != '"') return false;
    const std::string key = text.substr(i, eq - i);
    if (!std::regex_match(key, name) || key.starts_with("__")) return false;
    std::string value;
    std::size_t j = eq + 2;
    for (;; ++j) {
      if (j >= text.size()) return false;
      const char c = text[j];
      if (c == '"') break;
      if (c == '\n') return false;
      if (c == '\\') {
        if (++j >= text.size()) return false;
        if (text[j] == 'n') {
          value += '\n';
        } else if (text[j] == '\\' || text[j] == '"') {
          value += text[j];
        } else {
          return false;
        }
        continue;
      }
      value += c;
    }
    if (!out.emplace(key, value).second) return false;  // a label twice
    i = j + 1;
    if (i == text.size()) break;
    if (text[i] != ',') return false;
    ++i;
  }
  return true;
}

// The text format 0.0.4, as strictly as a scraper reads it: every line is a HELP, a TYPE or
// `name{labels} value`; a family's TYPE comes before its samples, its samples are together,
// and a histogram's are its _bucket, _sum and _count.
exposition parse(const std::string& text) {
  static const std::regex comment(R"(# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*))");
  static const std::regex line(R"(([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? ([^ ]+))");
  static const std::set<std::string> types = {"counter", "gauge", "histogram", "summary",
                                              "untyped"};
  exposition e;
  if (text.empty() || text.back() != '\n') e.problems.push_back("does not end with a newline");
  std::set<std::string> series, finished_families;
  std::string family;  // the one whose samples come now
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string l = text.substr(start, end - start);
    start = end + 1;
    std::smatch m;
    if (std::regex_match(l, m, comment)) {
      auto& seen = m[1] == "HELP" ? e.help : e.type;
      if (!seen.emplace(m[2], m[3]).second) e.problems.push_back("repeated: " + l);
      if (m[1] == "TYPE" && !types.contains(m[3])) e.problems.push_back("bad type: " + l);
      if (m[1] == "TYPE" && finished_families.contains(m[2]))
        e.problems.push_back("TYPE after its samples: " + l);
      continue;
    }
    if (!l.empty() && l[0] == '#') {
      e.problems.push_back("unknown comment: " + l);
      continue;
    }
    sample s;
    if (!std::regex_match(l, m, line) || !parse_labels(m[2], s.labels) || !valid_value(m[3])) {
      e.problems.push_back("malformed: " + l);
      continue;
    }
    s.name = m[1];
    s.value = m[3];
    std::string owner = s.name;
    for (const std::string suffix : {"_bucket", "_sum", "_count"}) {
      const std::string base =
          s.name.substr(0, s.name.size() - std::min(s.name.size(), suffix.size()));
      if (s.name.ends_with(suffix) && e.type.contains(base) && e.type[base] == "histogram")
        owner = base;
    }
    if (!e.type.contains(owner)) e.problems.push_back("no TYPE before: " + l);
    if (!e.help.contains(owner)) e.problems.push_back("no HELP before: " + l);
    if (owner != family) {
      if (finished_families.contains(owner)) e.problems.push_back("family split: " + l);
      finished_families.insert(family);
      family = owner;
    }
    if (e.type.contains(owner) && e.type[owner] == "counter" && !owner.ends_with("_total"))
      e.problems.push_back("counter without _total: " + l);
    if (!series.insert(l.substr(0, l.rfind(' '))).second) e.problems.push_back("repeated: " + l);
    e.samples.push_back(std::move(s));
  }
  return e;
}

// A histogram as Prometheus requires it; returns its cumulative bucket counts by `le`.
std::vector<std::pair<std::string, std::uint64_t>> check_histogram(const exposition& e,
                                                                   const std::string& family) {
  std::vector<std::pair<std::string, std::uint64_t>> buckets;
  for (const sample& s : e.samples) {
    if (s.name != family + "_bucket") continue;
    EXPECT_EQ(s.labels.size(), 1u) << family;
    buckets.emplace_back(s.labels.at("le"), std::stoull(s.value));
  }
  EXPECT_EQ(e.type.count(family) ? e.type.at(family) : "", "histogram");
  if (buckets.empty()) {
    ADD_FAILURE() << family << " has no buckets";
    return buckets;
  }
  EXPECT_EQ(buckets.back().first, "+Inf") << family;
  for (std::size_t i = 1; i < buckets.size(); ++i) {
    EXPECT_LT(std::stod(buckets[i - 1].first), std::stod(buckets[i].first)) << family;
    EXPECT_LE(buckets[i - 1].second, buckets[i].second) << family << " le=" << buckets[i].first;
  }
  EXPECT_EQ(buckets.back().second, e.count(family + "_count")) << family;
  EXPECT_TRUE(e.find(family + "_sum")) << family;
  return buckets;
}

std::uint64_t bucket(const std::vector<std::pair<std::string, std::uint64_t>>& buckets,
                     const std::string& le) {
  for (const auto& [bound, n] : buckets)
    if (bound == le) return n;
  ADD_FAILURE() << "no bucket le=" << le;
  return ~std::uint64_t{0};
}

// What the store reports, shaped like store_stats (µs bounds, per-bucket counts).
struct fake_store {
  std::array<std::int64_t, 4> bounds_us = {100, 250, 1'000, 1'000'000};
  std::array<std::uint64_t, 5> latency = {3, 0, 5, 1, 2};
  store_numbers numbers() const {
    return {.commits = 11,
            .failed_commits = 1,
            .queue_depth = 4,
            .commit_bounds_us = bounds_us,
            .commit_latency = latency,
            .commit_latency_sum_us = 1'234'567};
  }
};

exposition render(const metrics& m) {
  const fake_store store;
  const exposition e = parse(m.render(store.numbers()));
  EXPECT_TRUE(e.problems.empty()) << testing::PrintToString(e.problems);
  return e;
}

TEST(Metrics, FreshRegistryRendersEveryFamilyWithHelpTypeAndZeros) {
  const metrics m("0.1.0");
  const exposition e = render(m);
  const std::map<std::string, std::string> families = {
      {"palaver_build_info", "gauge"},
      {"palaver_process_start_time_seconds", "gauge"},
      {"palaver_websocket_connections", "gauge"},
      {"palaver_websocket_connections_opened_total", "counter"},
      {"palaver_frames_received_total", "counter"},
      {"palaver_frames_sent_total", "counter"},
      {"palaver_websocket_writes_total", "counter"},
      {"palaver_messages_total", "counter"},
      {"palaver_tokens_streamed_total", "counter"},
      {"palaver_streamed_bytes_total", "counter"},
      {"palaver_replies_in_progress", "gauge"},
      {"palaver_replies_total", "counter"},
      {"palaver_reply_first_delta_seconds", "histogram"},
      {"palaver_reply_seconds", "histogram"},
      {"palaver_errors_total", "counter"},
      {"palaver_http_requests_total", "counter"},
      {"palaver_store_commits_total", "counter"},
      {"palaver_store_failed_commits_total", "counter"},
      {"palaver_store_queue_depth", "gauge"},
      {"palaver_store_commit_seconds", "histogram"},
  };
  EXPECT_EQ(e.type, families);  // no more, no fewer
  for (const auto& [name, type] : families)
    EXPECT_FALSE(e.help.at(name).empty()) << name;

  EXPECT_EQ(e.find("palaver_build_info", {{"version", "0.1.0"}}), "1");
  EXPECT_EQ(e.count("palaver_websocket_connections"), 0u);
  EXPECT_EQ(e.count("palaver_frames_received_total"), 0u);
  EXPECT_EQ(e.count("palaver_tokens_streamed_total"), 0u);
  EXPECT_EQ(e.count("palaver_reply_seconds_count"), 0u);
  EXPECT_EQ(e.find("palaver_reply_seconds_sum"), "0");
  check_histogram(e, "palaver_reply_seconds");
  check_histogram(e, "palaver_reply_first_delta_seconds");
}

TEST(Metrics, CountersEqualWhatWasRecorded) {
  metrics m("0.1.0");
  for (int i = 0; i < 7; ++i)
    m.frame_received();
  for (int i = 0; i < 9; ++i)
    m.frame_sent();
  for (int i = 0; i < 2; ++i)
    m.socket_write();
  for (int i = 0; i < 3; ++i)
    m.message_stored();
  m.delta_sent(5);
  m.delta_sent(0);
  m.delta_sent(1'000);

  const exposition e = render(m);
  EXPECT_EQ(e.count("palaver_frames_received_total"), 7u);
  EXPECT_EQ(e.count("palaver_frames_sent_total"), 9u);
  EXPECT_EQ(e.count("palaver_websocket_writes_total"), 2u);
  EXPECT_EQ(e.count("palaver_messages_total"), 3u);
  EXPECT_EQ(e.count("palaver_tokens_streamed_total"), 3u);
  EXPECT_EQ(e.count("palaver_streamed_bytes_total"), 1'005u);
}

TEST(Metrics, GaugesFollowOpensClosesStartsAndFinishes) {
  metrics m("0.1.0");
  for (int i = 0; i < 3; ++i)
    m.connection_opened();
  m.connection_closed();
  m.reply_started();
  m.reply_started();
  m.reply_finished(finish_reason::stop, 10ms, 20ms);

  const exposition e = render(m);
  EXPECT_EQ(e.count("palaver_websocket_connections"), 2u);
  EXPECT_EQ(e.count("palaver_websocket_connections_opened_total"), 3u);
  EXPECT_EQ(e.count("palaver_replies_in_progress"), 1u);
}

TEST(Metrics, ReplyHistogramsAreCumulativeWithExactSums) {
  metrics m("0.1.0");
  const auto finish = [&](finish_reason r, std::optional<metrics::duration> first,
                          metrics::duration whole) {
    m.reply_started();
    m.reply_finished(r, first, whole);
  };
  finish(finish_reason::stop, 1ms, 5ms);             // 5 ms is inside le="0.005": bounds include
  finish(finish_reason::stop, 7ms, 3s);              // between bounds
  finish(finish_reason::length, 250ms, 120s);        // the last bound
  finish(finish_reason::error, std::nullopt, 200s);  // above every bound; no first delta
  finish(finish_reason::cancelled, 5001us, -1ms);    // a clock hiccup counts as 0

  const exposition e = render(m);
  EXPECT_EQ(e.count("palaver_replies_total", {{"finish_reason", "stop"}}), 2u);
  EXPECT_EQ(e.count("palaver_replies_total", {{"finish_reason", "length"}}), 1u);
  EXPECT_EQ(e.count("palaver_replies_total", {{"finish_reason", "error"}}), 1u);
  EXPECT_EQ(e.count("palaver_replies_total", {{"finish_reason", "cancelled"}}), 1u);
  EXPECT_EQ(e.count("palaver_replies_total", {{"finish_reason", "interrupted"}}), 0u);
  EXPECT_EQ(e.count("palaver_replies_in_progress"), 0u);

  const auto whole = check_histogram(e, "palaver_reply_seconds");
  ASSERT_EQ(whole.size(), metrics::reply_bounds_us.size() + 1);
  EXPECT_EQ(whole.front().first, "0.005");
  EXPECT_EQ(whole[whole.size() - 2].first, "120");
  EXPECT_EQ(bucket(whole, "0.005"), 2u);  // -1 ms and 5 ms
  EXPECT_EQ(bucket(whole, "2.5"), 2u);
  EXPECT_EQ(bucket(whole, "5"), 3u);
  EXPECT_EQ(bucket(whole, "60"), 3u);
  EXPECT_EQ(bucket(whole, "120"), 4u);
  EXPECT_EQ(bucket(whole, "+Inf"), 5u);
  EXPECT_EQ(e.find("palaver_reply_seconds_sum"), "323.005");

  const auto first = check_histogram(e, "palaver_reply_first_delta_seconds");
  EXPECT_EQ(bucket(first, "0.005"), 1u);
  EXPECT_EQ(bucket(first, "0.01"), 3u);  // 7 ms and 5.001 ms
  EXPECT_EQ(bucket(first, "0.25"), 4u);
  EXPECT_EQ(bucket(first, "+Inf"), 4u);  // the reply without a first delta is not in it
  EXPECT_EQ(e.find("palaver_reply_first_delta_seconds_sum"), "0.263001");
}

TEST(Metrics, StorePerBucketCountsRenderCumulativeInSeconds) {
  const metrics m("0.1.0");
  const exposition e = render(m);  // fake_store: {3, 0, 5, 1, 2} over 100 µs .. 1 s
  EXPECT_EQ(e.count("palaver_store_commits_total"), 11u);
  EXPECT_EQ(e.count("palaver_store_failed_commits_total"), 1u);
  EXPECT_EQ(e.count("palaver_store_queue_depth"), 4u);
  const auto buckets = check_histogram(e, "palaver_store_commit_seconds");
  const std::vector<std::pair<std::string, std::uint64_t>> expected = {
      {"0.0001", 3}, {"0.00025", 3}, {"0.001", 8}, {"1", 9}, {"+Inf", 11}};
  EXPECT_EQ(buckets, expected);
  EXPECT_EQ(e.count("palaver_store_commit_seconds_count"), 11u);
  EXPECT_EQ(e.find("palaver_store_commit_seconds_sum"), "1.234567");
}

TEST(Metrics, StoreWithoutCommitsRendersAnEmptyHistogram) {
  const metrics m("0.1.0");
  const exposition e = parse(m.render(store_numbers{}));
  EXPECT_TRUE(e.problems.empty()) << testing::PrintToString(e.problems);
  EXPECT_EQ(e.find("palaver_store_commit_seconds_bucket", {{"le", "+Inf"}}), "0");
  EXPECT_EQ(e.find("palaver_store_commit_seconds_count"), "0");
  EXPECT_EQ(e.find("palaver_store_commit_seconds_sum"), "0");
}

TEST(Metrics, EveryErrorCodeHasASeriesZeroOrNot) {
  metrics m("0.1.0");
  m.error_sent(error_code::bad_frame);
  m.error_sent(error_code::rate_limited);
  m.error_sent(error_code::rate_limited);

  const exposition e = render(m);
  std::size_t series = 0;
  for (const sample& s : e.samples)
    series += s.name == "palaver_errors_total";
  EXPECT_EQ(series, static_cast<std::size_t>(error_code_count));
  for (int i = 0; i < error_code_count; ++i) {
    const auto code = static_cast<error_code>(i);
    const std::uint64_t expected = code == error_code::bad_frame      ? 1
                                   : code == error_code::rate_limited ? 2
                                                                      : 0;
    EXPECT_EQ(e.count("palaver_errors_total", {{"code", std::string(to_string(code))}}), expected)
        << to_string(code);
  }
  EXPECT_TRUE(e.find("palaver_errors_total", {{"code", "BAD_FRAME"}}));
}

TEST(Metrics, EveryFinishReasonHasASeriesNamedOnTheWire) {
  const metrics m("0.1.0");
  const exposition e = render(m);
  std::set<finish_reason> seen;
  for (const sample& s : e.samples) {
    if (s.name != "palaver_replies_total") continue;
    const std::optional<finish_reason> r = finish_reason_from_string(s.labels.at("finish_reason"));
    ASSERT_TRUE(r) << s.labels.at("finish_reason");
    seen.insert(*r);
  }
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(finish_reason_count));
}

TEST(Metrics, HttpResponsesCountByStatusClass) {
  metrics m("0.1.0");
  for (const int status : {101, 200, 204, 304, 404, 429, 500, 503, 0, 700})
    m.http_request(status);
  const exposition e = render(m);
  const auto n = [&](const char* c) {
    return e.count("palaver_http_requests_total", {{"status_class", c}});
  };
  EXPECT_EQ(n("1xx"), 1u);
  EXPECT_EQ(n("2xx"), 2u);
  EXPECT_EQ(n("3xx"), 1u);
  EXPECT_EQ(n("4xx"), 2u);
  EXPECT_EQ(n("5xx"), 4u);  // 500, 503 and the two impossible statuses
}

TEST(Metrics, BuildInfoEscapesTheVersion) {
  const std::string version = "1.0 \"beta\"\\x\nnext";
  const metrics m(version);
  const exposition e = render(m);  // a raw quote or newline would break the line format
  EXPECT_EQ(e.find("palaver_build_info", {{"version", version}}), "1");
}

TEST(Metrics, ProcessStartTimeIsWhenTheRegistryWasMade) {
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  const metrics m("0.1.0");
  const exposition e = render(m);
  const double start = std::stod(*e.find("palaver_process_start_time_seconds"));
  EXPECT_NEAR(start, now, 60.0);
}

TEST(Metrics, RecordingAllocatesNothing) {
  metrics m("0.1.0");
  const std::size_t before = test::allocations_on_this_thread();
  for (int i = 0; i < 1'000; ++i) {
    m.connection_opened();
    m.frame_received();
    m.frame_sent();
    m.message_stored();
    m.delta_sent(42);
    m.reply_started();
    m.reply_finished(finish_reason::stop, 3ms, 4s);
    m.error_sent(error_code::internal);
    m.http_request(200);
    m.connection_closed();
  }
  EXPECT_EQ(test::allocations_on_this_thread(), before);
  ::operator delete(::operator new(16));  // proves the counter counts
  EXPECT_EQ(test::allocations_on_this_thread(), before + 1);
}

TEST(Metrics, ConcurrentRecordingGivesExactTotals) {
  constexpr int threads = 8;
  constexpr int events = 100'000;
  metrics m("0.1.0");
  std::atomic<bool> done{false};
  // A scraper rendering all along: every render must parse, whatever it catches mid-way.
  std::thread scraper([&] {
    const fake_store store;
    while (!done.load()) {
      const exposition e = parse(m.render(store.numbers()));
      ASSERT_TRUE(e.problems.empty()) << testing::PrintToString(e.problems);
    }
  });
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      for (int i = 0; i < events; ++i) {
        m.connection_opened();
        m.frame_received();
        m.frame_sent();
        m.delta_sent(3);
        m.reply_started();
        m.reply_finished(static_cast<finish_reason>(i % finish_reason_count), 1ms, 10ms);
        m.error_sent(static_cast<error_code>(i % error_code_count));
        m.http_request(200);
        m.connection_closed();
      }
    });
  }
  for (std::thread& w : workers)
    w.join();
  done = true;
  scraper.join();

  constexpr std::uint64_t total = std::uint64_t{threads} * events;
  const exposition e = render(m);
  EXPECT_EQ(e.count("palaver_websocket_connections"), 0u);
  EXPECT_EQ(e.count("palaver_websocket_connections_opened_total"), total);
  EXPECT_EQ(e.count("palaver_frames_received_total"), total);
  EXPECT_EQ(e.count("palaver_frames_sent_total"), total);
  EXPECT_EQ(e.count("palaver_tokens_streamed_total"), total);
  EXPECT_EQ(e.count("palaver_streamed_bytes_total"), 3 * total);
  EXPECT_EQ(e.count("palaver_replies_in_progress"), 0u);
  for (int i = 0; i < finish_reason_count; ++i) {
    const std::string reason(to_string(static_cast<finish_reason>(i)));
    const std::uint64_t per_thread =
        events / finish_reason_count + (i < events % finish_reason_count);
    EXPECT_EQ(e.count("palaver_replies_total", {{"finish_reason", reason}}), threads * per_thread)
        << reason;
  }
  for (int i = 0; i < error_code_count; ++i) {
    const std::string code(to_string(static_cast<error_code>(i)));
    const std::uint64_t per_thread = events / error_code_count + (i < events % error_code_count);
    EXPECT_EQ(e.count("palaver_errors_total", {{"code", code}}), threads * per_thread) << code;
  }
  EXPECT_EQ(e.count("palaver_http_requests_total", {{"status_class", "2xx"}}), total);

  const auto whole = check_histogram(e, "palaver_reply_seconds");
  EXPECT_EQ(bucket(whole, "0.005"), 0u);
  EXPECT_EQ(bucket(whole, "0.01"), total);
  EXPECT_EQ(e.find("palaver_reply_seconds_sum"), "8000");  // 800'000 × 10 ms
  const auto first = check_histogram(e, "palaver_reply_first_delta_seconds");
  EXPECT_EQ(bucket(first, "0.005"), total);
  EXPECT_EQ(e.find("palaver_reply_first_delta_seconds_sum"), "800");
}

}  // namespace
}  // namespace palaver::server
