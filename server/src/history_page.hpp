// Fits a history page into one server frame (limits::max_server_frame_bytes): the oldest
// messages give way, and has_more tells the client to page back for them. Pure function.
#pragma once

#include "palaver/frames.hpp"

namespace palaver::server {

history_frame within_frame_limit(history_frame page);

}  // namespace palaver::server
