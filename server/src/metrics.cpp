// The metrics registry: relaxed atomic counters, and their rendering in the Prometheus text
// format 0.0.4. Durations are kept as integer µs or ns and printed as exact decimals, never
// through floating point: a bound or a sum reads the same on every platform and never drifts
// as a sum of many small values would in a double.
#include "metrics.hpp"

#include <algorithm>
#include <charconv>
#include <tuple>

namespace palaver::server {
namespace {

constexpr auto relaxed = std::memory_order_relaxed;

// A number formatted into a fixed buffer, so that callers append views.
class number {
 public:
  explicit number(std::uint64_t value) {
    size_ = std::to_chars(buf_, std::end(buf_), value).ptr - buf_;
  }
  explicit number(std::int64_t value) {
    size_ = std::to_chars(buf_, std::end(buf_), value).ptr - buf_;
  }

  // value / 10^scale (scale <= 19), the shortest exact decimal: (1500, 6) is "0.0015",
  // (2'000'000, 6) is "2".
  static number decimal(std::uint64_t value, int scale) {
    std::uint64_t one = 1;
    for (int i = 0; i < scale; ++i)
      one *= 10;
    number n(value / one);
    std::uint64_t fraction = value % one;
    if (fraction == 0) return n;
    n.buf_[n.size_++] = '.';
    int digits = scale;
    while (fraction % 10 == 0) {  // trailing zeros say nothing
      fraction /= 10;
      --digits;
    }
    // Leading zeros of the fraction, which to_chars would drop.
    char* const end = n.buf_ + n.size_ + digits;
    for (char* p = end; p != n.buf_ + n.size_;) {
      *--p = static_cast<char>('0' + fraction % 10);
      fraction /= 10;
    }
    n.size_ += digits;
    return n;
  }

  operator std::string_view() const { return {buf_, size_}; }

 private:
  // 20 digits of a uint64, a point, and up to 20 fraction digits.
  char buf_[48];
  std::size_t size_ = 0;
};

std::uint64_t to_unsigned(std::int64_t value) {
  return value < 0 ? 0 : static_cast<std::uint64_t>(value);
}

void append_family(std::string& out, std::string_view name, std::string_view type,
                   std::string_view help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

// `labels` is empty or already formatted: `code="BAD_FRAME"`.
void append_sample(std::string& out, std::string_view name, std::string_view labels,
                   std::string_view value) {
  out.append(name);
  if (!labels.empty()) out.append("{").append(labels).append("}");
  out.append(" ").append(value).append("\n");
}

void append_scalar(std::string& out, std::string_view name, std::string_view type,
                   std::string_view help, std::string_view value) {
  append_family(out, name, type, help);
  append_sample(out, name, {}, value);
}

void append_labeled_sample(std::string& out, std::string_view name, std::string_view label,
                           std::string_view label_value, std::uint64_t value) {
  std::string labels;
  labels.append(label).append("=\"").append(label_value).append("\"");
  append_sample(out, name, labels, number(value));
}

// A histogram from per-bucket counts (the entry after the last bound, and any beyond it,
// count as above every bound); Prometheus wants them cumulative, with +Inf equal to _count.
void append_histogram(std::string& out, std::string_view name, std::string_view help,
                      std::span<const std::int64_t> bounds_us,
                      std::span<const std::uint64_t> per_bucket, std::string_view sum) {
  append_family(out, name, "histogram", help);
  const std::string bucket = std::string(name) + "_bucket";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < bounds_us.size(); ++i) {
    if (i < per_bucket.size()) cumulative += per_bucket[i];
    append_labeled_sample(out, bucket, "le", number::decimal(to_unsigned(bounds_us[i]), 6),
                          cumulative);
  }
  for (std::size_t i = bounds_us.size(); i < per_bucket.size(); ++i)
    cumulative += per_bucket[i];
  append_labeled_sample(out, bucket, "le", "+Inf", cumulative);
  append_sample(out, std::string(name) + "_sum", {}, sum);
  append_sample(out, std::string(name) + "_count", {}, number(cumulative));
}

// A label value may not hold a raw quote, backslash or newline (the format's three escapes).
std::string escape_label_value(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

constexpr std::array<std::string_view, 5> status_class_names = {"1xx", "2xx", "3xx", "4xx", "5xx"};

}  // namespace

metrics::metrics(std::string_view version)
    : version_label_(escape_label_value(version)),
      start_time_us_(std::chrono::duration_cast<std::chrono::microseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count()) {}

void metrics::histogram::record(duration value) noexcept {
  const std::int64_t ns = std::max<std::int64_t>(
      0, std::chrono::duration_cast<std::chrono::nanoseconds>(value).count());
  std::size_t i = 0;
  // 14 bounds: a scan is as quick as a binary search and obviously right. The bound is
  // inclusive (Prometheus' `le`).
  while (i < reply_bounds_us.size() && ns > reply_bounds_us[i] * 1'000)
    ++i;
  buckets[i].fetch_add(1, relaxed);
  sum_ns.fetch_add(static_cast<std::uint64_t>(ns), relaxed);
}

void metrics::connection_opened() noexcept {
  connections_.fetch_add(1, relaxed);
  connections_opened_.fetch_add(1, relaxed);
}
void metrics::connection_closed() noexcept {
  connections_.fetch_sub(1, relaxed);
}
void metrics::frame_received() noexcept {
  frames_received_.fetch_add(1, relaxed);
}
void metrics::frame_sent() noexcept {
  frames_sent_.fetch_add(1, relaxed);
}
void metrics::socket_write() noexcept {
  socket_writes_.fetch_add(1, relaxed);
}
void metrics::message_stored() noexcept {
  messages_.fetch_add(1, relaxed);
}

void metrics::delta_sent(std::size_t bytes) noexcept {
  deltas_.fetch_add(1, relaxed);
  delta_bytes_.fetch_add(bytes, relaxed);
}

void metrics::reply_started() noexcept {
  replies_in_progress_.fetch_add(1, relaxed);
}

void metrics::reply_finished(finish_reason reason, std::optional<duration> first_delta,
                             duration whole) noexcept {
  replies_in_progress_.fetch_sub(1, relaxed);
  const auto index = static_cast<std::size_t>(reason);
  if (index < replies_.size()) replies_[index].fetch_add(1, relaxed);
  if (first_delta) first_delta_.record(*first_delta);
  reply_.record(whole);
}

void metrics::error_sent(error_code code) noexcept {
  const auto index = static_cast<std::size_t>(code);
  if (index < errors_.size()) errors_[index].fetch_add(1, relaxed);
}

void metrics::http_request(int status) noexcept {
  // A status outside 100..599 is the server's own fault: counted with the 5xx.
  const int index = status >= 100 && status < 600 ? status / 100 - 1 : status_class_count - 1;
  http_[static_cast<std::size_t>(index)].fetch_add(1, relaxed);
}

std::string metrics::render(const store_numbers& store) const {
  std::string out;
  out.reserve(8 * 1024);  // what the output takes today: one allocation per scrape

  append_family(out, "palaver_build_info", "gauge", "The running build; always 1.");
  append_sample(out, "palaver_build_info", "version=\"" + version_label_ + "\"", "1");
  append_scalar(out, "palaver_process_start_time_seconds", "gauge",
                "When the server started, in seconds since the Unix epoch.",
                number::decimal(to_unsigned(start_time_us_), 6));

  append_scalar(out, "palaver_websocket_connections", "gauge", "WebSockets open now.",
                number(connections_.load(relaxed)));
  append_scalar(out, "palaver_websocket_connections_opened_total", "counter",
                "WebSockets opened since start.", number(connections_opened_.load(relaxed)));
  append_scalar(out, "palaver_frames_received_total", "counter",
                "WebSocket frames received from clients.", number(frames_received_.load(relaxed)));
  append_scalar(out, "palaver_frames_sent_total", "counter", "WebSocket frames sent to clients.",
                number(frames_sent_.load(relaxed)));
  append_scalar(out, "palaver_websocket_writes_total", "counter",
                "Writes to WebSocket connections, each carrying one or more frames.",
                number(socket_writes_.load(relaxed)));
  append_scalar(out, "palaver_messages_total", "counter",
                "Visitor messages stored (resends not counted).", number(messages_.load(relaxed)));
  append_scalar(out, "palaver_tokens_streamed_total", "counter",
                "Reply deltas streamed by agents (one per delta, whatever its token count).",
                number(deltas_.load(relaxed)));
  append_scalar(out, "palaver_streamed_bytes_total", "counter",
                "Bytes of reply text streamed by agents.", number(delta_bytes_.load(relaxed)));

  append_scalar(out, "palaver_replies_in_progress", "gauge", "Agent replies streaming now.",
                number(replies_in_progress_.load(relaxed)));
  append_family(out, "palaver_replies_total", "counter", "Agent replies finished, by reason.");
  for (int i = 0; i < finish_reason_count; ++i) {
    append_labeled_sample(out, "palaver_replies_total", "finish_reason",
                          to_string(static_cast<finish_reason>(i)), replies_[i].load(relaxed));
  }
  const auto render_histogram = [&](std::string_view name, std::string_view help,
                                    const histogram& h) {
    std::array<std::uint64_t, std::tuple_size_v<decltype(h.buckets)>> per_bucket{};
    for (std::size_t i = 0; i < per_bucket.size(); ++i)
      per_bucket[i] = h.buckets[i].load(relaxed);
    append_histogram(out, name, help, reply_bounds_us, per_bucket,
                     number::decimal(h.sum_ns.load(relaxed), 9));
  };
  render_histogram("palaver_reply_first_delta_seconds",
                   "Time from a reply's start to its first delta (replies that had one).",
                   first_delta_);
  render_histogram("palaver_reply_seconds", "Time from a reply's start to its end.", reply_);

  append_family(out, "palaver_errors_total", "counter", "Error frames sent, by protocol code.");
  for (int i = 0; i < error_code_count; ++i) {
    append_labeled_sample(out, "palaver_errors_total", "code",
                          to_string(static_cast<error_code>(i)), errors_[i].load(relaxed));
  }
  append_family(out, "palaver_http_requests_total", "counter", "HTTP responses, by status class.");
  for (int i = 0; i < status_class_count; ++i) {
    append_labeled_sample(out, "palaver_http_requests_total", "status_class", status_class_names[i],
                          http_[i].load(relaxed));
  }

  append_scalar(out, "palaver_store_commits_total", "counter", "Store transactions committed.",
                number(store.commits));
  append_scalar(out, "palaver_store_failed_commits_total", "counter",
                "Store transactions that could not commit (their writes were lost).",
                number(store.failed_commits));
  append_scalar(out, "palaver_store_queue_depth", "gauge", "Store requests waiting now.",
                number(store.queue_depth));
  append_histogram(out, "palaver_store_commit_seconds", "Time the store's COMMIT took.",
                   store.commit_bounds_us, store.commit_latency,
                   number::decimal(store.commit_latency_sum_us, 6));
  return out;
}

}  // namespace palaver::server
