// Bounds a page of messages in bytes, not only in count: a `history` frame or a REST page of
// 200 messages of 32 KiB each would be 6 MB, held for a client that asks and never reads.
// The oldest messages give way; the client pages back for them. Pure functions.
#pragma once

#include <cstddef>
#include <vector>

#include "palaver/frames.hpp"

namespace palaver::server {

// The most bytes of encoded messages one page carries. A page keeps at least its newest
// message, which alone may be larger (a reply of up to limits::max_reply_bytes).
inline constexpr std::size_t max_page_bytes = 256 * 1024;

// Drops the oldest of `messages` (oldest first) until they encode within `budget` bytes,
// keeping at least the newest. True if any were dropped.
bool fit_page(std::vector<message>& messages, std::size_t budget = max_page_bytes);

// The page, fitted; has_more is set when messages were dropped.
history_frame within_page_limit(history_frame page);

}  // namespace palaver::server
