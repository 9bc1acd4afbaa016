// A token bucket, the one rule behind every rate the server enforces (frames per socket,
// new visitors per address, log lines): tokens accrue at a rate up to a capacity, and each
// admitted event spends one. Plain value; its owner guards it.
#pragma once

#include <algorithm>
#include <chrono>

namespace palaver::server {

struct token_bucket {
  using clock = std::chrono::steady_clock;

  explicit token_bucket(double full, clock::time_point now = clock::now())
      : tokens(full), refilled(now) {}

  // Adds what accrued since the last refill at `per_second`, up to `capacity`.
  void refill(double per_second, double capacity, clock::time_point now) {
    tokens = std::min(capacity,
                      tokens + per_second * std::chrono::duration<double>(now - refilled).count());
    refilled = now;
  }

  // Refills, then spends one token if there is one.
  bool take(double per_second, double capacity, clock::time_point now) {
    refill(per_second, capacity, now);
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  }

  double tokens;  // may go below 0 where an owner counts what is owed
  clock::time_point refilled;
};

}  // namespace palaver::server
