// See log.hpp.
#include "log.hpp"

#include <atomic>
#include <cstdio>
#include <string>

namespace palaver::server {
namespace {

std::atomic<log_level> threshold{log_level::info};

}  // namespace

void set_log_level(log_level level) {
  threshold.store(level, std::memory_order_relaxed);
}

bool logs(log_level level) {
  return level >= threshold.load(std::memory_order_relaxed) && level != log_level::off;
}

void log_line(log_level level, std::string_view text) {
  if (!logs(level)) return;
  std::string line = "palaver: ";
  line += to_string(level);
  line += ": ";
  line += text;
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), stderr);  // one write: lines never interleave
}

}  // namespace palaver::server
