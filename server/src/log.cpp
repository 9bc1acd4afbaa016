// See log.hpp.
#include "log.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>

#include "token_bucket.hpp"

namespace palaver::server {
namespace {

std::atomic<log_level> threshold{log_level::info};

// However many events a hostile peer causes, the log grows by at most this many lines a
// second (after a burst): a full disk from a log flood is a denial of service too. Lines over
// the budget are counted, and the next line that goes out says how many were left out.
constexpr double lines_per_second = 100;
constexpr double burst_lines = 1000;

class line_budget {
 public:
  // Whether a line may go out now; `suppressed` gets the count left out before it.
  bool take(std::uint64_t& suppressed) {
    std::lock_guard lock(mutex_);
    if (!bucket_.take(lines_per_second, burst_lines, token_bucket::clock::now())) {
      ++suppressed_;
      return false;
    }
    suppressed = std::exchange(suppressed_, 0);
    return true;
  }

 private:
  std::mutex mutex_;
  token_bucket bucket_{burst_lines};
  std::uint64_t suppressed_ = 0;
};

line_budget budget;

}  // namespace

void set_log_level(log_level level) {
  threshold.store(level, std::memory_order_relaxed);
}

bool logs(log_level level) {
  return level >= threshold.load(std::memory_order_relaxed) && level != log_level::off;
}

void log_line(log_level level, std::string_view text) {
  if (!logs(level)) return;
  std::uint64_t suppressed = 0;
  if (!budget.take(suppressed)) return;
  std::string line;
  if (suppressed > 0)
    line = "palaver: warn: " + std::to_string(suppressed) + " log lines left out (over " +
           std::to_string(static_cast<int>(lines_per_second)) + " a second)\n";
  line += "palaver: ";
  line += to_string(level);
  line += ": ";
  line += text;
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), stderr);  // one write: lines never interleave
}

}  // namespace palaver::server
