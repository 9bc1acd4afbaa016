// The server's log: one line per event on stderr, below a level set once at start-up.
// Lines never carry tokens, secrets or message text: callers pass codes, ids and sizes.
// At most 100 lines a second after a burst of 1000: a flood of events cannot flood the log (the
// next line says how many were left out).
// Thread-safe: each line is written with one call, and the level is read atomically.
#pragma once

#include <string_view>

#include "config.hpp"

namespace palaver::server {

void set_log_level(log_level level);
bool logs(log_level level);
// Writes "palaver: <level>: <text>" if `level` is at or above the set level.
void log_line(log_level level, std::string_view text);

}  // namespace palaver::server
