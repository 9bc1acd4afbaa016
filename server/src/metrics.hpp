// The process's operational counters, rendered for `GET /metrics` in the Prometheus text
// exposition format 0.0.4. One instance per process, shared by pointer (no global: tests make
// their own). Recording is lock-free and allocation-free (relaxed atomics: each counter is
// exact, but a render taken while others record may see one series a step ahead of another);
// every member function is safe from any thread.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "palaver/errors.hpp"
#include "palaver/model.hpp"

namespace palaver::server {

// model.hpp has no count of its own; keep in step with finish_reason (append only).
inline constexpr int finish_reason_count = static_cast<int>(finish_reason::interrupted) + 1;

// What /metrics shows of the store: the caller copies it from store::stats(), so this unit
// needs no store. The spans must outlive the render() call they are passed to.
struct store_numbers {
  std::uint64_t commits = 0;
  std::uint64_t failed_commits = 0;
  std::uint64_t queue_depth = 0;
  std::span<const std::int64_t> commit_bounds_us;  // ascending upper bounds, µs
  // Commits per bucket, NOT cumulative; one more entry than commit_bounds_us: the last
  // counts the commits slower than every bound.
  std::span<const std::uint64_t> commit_latency;
  std::uint64_t commit_latency_sum_us = 0;
};

class metrics {
 public:
  using duration = std::chrono::steady_clock::duration;

  // The Content-Type of render()'s text.
  static constexpr std::string_view content_type = "text/plain; version=0.0.4; charset=utf-8";

  // Upper bounds (µs) of the reply-latency buckets: from a snappy first token to the longest
  // reply an agent is allowed (5 ms .. 120 s); slower ones land only in +Inf.
  static constexpr std::array<std::int64_t, 14> reply_bounds_us = {
      5'000,     10'000,    25'000,    50'000,     100'000,    250'000,    500'000,
      1'000'000, 2'500'000, 5'000'000, 10'000'000, 30'000'000, 60'000'000, 120'000'000};

  // `version` goes into palaver_build_info; the start time is taken now.
  explicit metrics(std::string_view version);
  metrics(const metrics&) = delete;
  metrics& operator=(const metrics&) = delete;

  // A WebSocket completed its upgrade / closed (each socket calls both, once).
  void connection_opened() noexcept;
  void connection_closed() noexcept;
  // One WebSocket frame in or out, whatever its type (pings and errors included).
  void frame_received() noexcept;
  void frame_sent() noexcept;
  // One write to a WebSocket's connection, carrying one or more frames: frames sent per write
  // shows how well a socket's frames coalesce.
  void socket_write() noexcept;
  // A visitor's message was committed (not a deduplicated resend).
  void message_stored() noexcept;
  // One delta an agent produced, `bytes` of text: once per delta, not per socket it fans
  // out to (frame_sent() counts those).
  void delta_sent(std::size_t bytes) noexcept;
  // A reply began / ended; every started reply finishes exactly once. `first_delta` is the
  // time from start to its first delta, absent when none came (e.g. an early error).
  void reply_started() noexcept;
  void reply_finished(finish_reason reason, std::optional<duration> first_delta,
                      duration whole) noexcept;
  // An `error` frame went to a socket.
  void error_sent(error_code code) noexcept;
  // An HTTP response (the 101 of a WebSocket upgrade included).
  void http_request(int status) noexcept;

  // Everything, in the text format, ending with a newline. Allocates; meant for a scrape
  // every few seconds, not for the hot path.
  std::string render(const store_numbers& store) const;

 private:
  using counter = std::atomic<std::uint64_t>;
  // Gauges are signed: a close racing ahead of its open must not wrap to 2^64.
  using gauge = std::atomic<std::int64_t>;

  // Per-bucket (not cumulative) counts, so a record touches one bucket; render() sums.
  struct histogram {
    std::array<counter, reply_bounds_us.size() + 1> buckets{};  // last: above every bound
    counter sum_ns{0};  // ns, not µs: sums of many short replies stay exact
    void record(duration value) noexcept;
  };

  static constexpr int status_class_count = 5;  // 1xx .. 5xx

  std::string version_label_;   // already escaped for a label value
  std::int64_t start_time_us_;  // system clock, µs since the Unix epoch

  gauge connections_{0};
  counter connections_opened_{0};
  counter frames_received_{0};
  counter frames_sent_{0};
  counter socket_writes_{0};
  counter messages_{0};
  counter deltas_{0};
  counter delta_bytes_{0};
  gauge replies_in_progress_{0};
  std::array<counter, finish_reason_count> replies_{};
  histogram first_delta_;
  histogram reply_;
  std::array<counter, error_code_count> errors_{};
  std::array<counter, status_class_count> http_{};
};

}  // namespace palaver::server
