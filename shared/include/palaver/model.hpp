// The message model: conversations, messages and what hangs off them, as plain values.
// Frames (frames.hpp) carry these; the server stores them; the widget draws them.
// Only the codec knows their JSON. Plain values: safe on any thread, native and Wasm.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace palaver {

// Milliseconds since the Unix epoch, UTC.
using timestamp_ms = std::int64_t;
// Per-conversation event sequence number: only grows, starts at 1 (0 means "nothing yet").
using seq_t = std::int64_t;

enum class role { user, assistant, operator_, system };
enum class message_status { streaming, complete, cancelled, error, interrupted };
enum class finish_reason { stop, length, cancelled, error, interrupted };
enum class notification_level { info, warning, error };

std::string_view to_string(role value);
std::string_view to_string(message_status value);
std::string_view to_string(finish_reason value);
std::string_view to_string(notification_level value);

std::optional<role> role_from_string(std::string_view name);
std::optional<message_status> message_status_from_string(std::string_view name);
std::optional<finish_reason> finish_reason_from_string(std::string_view name);
std::optional<notification_level> notification_level_from_string(std::string_view name);

// The status a message ends in when its reply finishes for this reason.
message_status status_after(finish_reason reason);

namespace detail {
struct json_object_access;
}

// An arbitrary JSON object attached to a message or reply (metadata), kept as its canonical
// text so that no code outside the codec depends on a JSON library. Only the codec makes a
// non-empty one (canonical_json_object() or decoding), so its text is always valid JSON.
class json_object_text {
 public:
  json_object_text() = default;

  const std::string& text() const { return text_; }  // "" when absent
  bool empty() const { return text_.empty(); }
  friend bool operator==(const json_object_text&, const json_object_text&) = default;

 private:
  friend struct detail::json_object_access;
  explicit json_object_text(std::string canonical) : text_(std::move(canonical)) {}

  std::string text_;
};

struct user_info {
  std::string id;
  std::string name;
  bool anonymous = false;
  friend bool operator==(const user_info&, const user_info&) = default;
};

struct attachment {
  std::string id;
  std::string name;
  std::string mime_type;
  std::int64_t size = 0;
  std::string url;  // empty: not downloadable by URL
  friend bool operator==(const attachment&, const attachment&) = default;
};

struct button {
  std::string id;  // sent back as action.action_id
  std::string label;
  friend bool operator==(const button&, const button&) = default;
};

struct usage {
  std::int64_t prompt_tokens = 0;
  std::int64_t completion_tokens = 0;
  std::int64_t total_tokens = 0;
  friend bool operator==(const usage&, const usage&) = default;
};

struct conversation {
  std::string id;
  std::string title;
  std::string agent;
  timestamp_ms created_at = 0;
  timestamp_ms updated_at = 0;
  seq_t last_seq = 0;
  friend bool operator==(const conversation&, const conversation&) = default;
};

// One page of a list of conversations (REST), most recently updated first.
struct conversation_list {
  std::vector<conversation> conversations;
  std::string next;  // pass back as `before` for the next (older) page; empty: no more
  friend bool operator==(const conversation_list&, const conversation_list&) = default;
};

struct message {
  std::string id;
  std::string conversation_id;
  role author_role = role::user;
  std::string text;
  message_status status = message_status::complete;
  seq_t seq = 0;  // the seq of the last event that changed this message
  timestamp_ms created_at = 0;
  std::vector<button> buttons;
  std::vector<attachment> attachments;
  json_object_text metadata;
  std::string client_msg_id;  // the sender's id, on user messages
  std::string author;         // display name, on operator messages
  std::optional<int> rating;  // the viewer's feedback, +1 or -1
  friend bool operator==(const message&, const message&) = default;
};

}  // namespace palaver
