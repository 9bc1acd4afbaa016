// Every frame of protocol version 1: one struct per frame and a variant per direction.
// Field names match the wire names in docs/protocol.md; codec.hpp turns them into JSON.
// Plain values: safe on any thread, native and Wasm.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "palaver/errors.hpp"
#include "palaver/limits.hpp"
#include "palaver/model.hpp"

namespace palaver {

// ---- client -> server -------------------------------------------------------------------

struct auth_frame {
  int protocol = limits::max_protocol;
  std::optional<std::string> token;  // absent: an anonymous visitor, where the site allows it
  std::optional<std::string> site;   // the site id of the embed, when a server hosts several
  friend bool operator==(const auth_frame&, const auth_frame&) = default;
};

struct subscribe_frame {
  std::string conversation_id;
  std::optional<seq_t> last_seq;  // present: replay every event after it
  friend bool operator==(const subscribe_frame&, const subscribe_frame&) = default;
};

struct unsubscribe_frame {
  std::string conversation_id;
  friend bool operator==(const unsubscribe_frame&, const unsubscribe_frame&) = default;
};

// A page of older messages: those created before `before_id` (absent: the newest page).
struct history_request_frame {
  std::string conversation_id;
  std::optional<std::string> before_id;
  std::optional<int> limit;  // at most limits::max_history_messages; absent: the server's page
  friend bool operator==(const history_request_frame&, const history_request_frame&) = default;
};

struct message_frame {
  std::optional<std::string> conversation_id;  // absent: start a new conversation
  std::string client_msg_id;
  std::string text;
  std::optional<std::string> agent;
  std::vector<attachment> attachments;
  std::string author;  // a human operator's name: honoured only from a site's backend (REST)
  friend bool operator==(const message_frame&, const message_frame&) = default;
};

struct cancel_frame {
  std::string conversation_id;
  friend bool operator==(const cancel_frame&, const cancel_frame&) = default;
};

struct reply_frame {
  std::string request_id;
  std::string text;
  friend bool operator==(const reply_frame&, const reply_frame&) = default;
};

struct action_frame {
  std::string message_id;
  std::string action_id;
  friend bool operator==(const action_frame&, const action_frame&) = default;
};

struct feedback_frame {
  std::string message_id;
  int rating = 1;  // +1 or -1
  std::optional<std::string> comment;
  friend bool operator==(const feedback_frame&, const feedback_frame&) = default;
};

struct regenerate_frame {
  std::string message_id;
  friend bool operator==(const regenerate_frame&, const regenerate_frame&) = default;
};

struct ping_frame {
  std::optional<std::string> id;
  friend bool operator==(const ping_frame&, const ping_frame&) = default;
};

using client_frame = std::variant<auth_frame, subscribe_frame, unsubscribe_frame,
                                  history_request_frame, message_frame, cancel_frame, reply_frame,
                                  action_frame, feedback_frame, regenerate_frame, ping_frame>;

// ---- server -> client -------------------------------------------------------------------

struct session_limits {
  std::int64_t max_frame_bytes = 0;
  std::int64_t messages_per_minute = 0;
  friend bool operator==(const session_limits&, const session_limits&) = default;
};

struct ready_frame {
  int protocol = limits::max_protocol;
  std::string session_id;
  user_info user;
  std::optional<std::string> token;  // a new anonymous visitor's token, to present next time
  session_limits limits;
  friend bool operator==(const ready_frame&, const ready_frame&) = default;
};

struct conversation_frame {
  palaver::conversation conversation;
  friend bool operator==(const conversation_frame&, const conversation_frame&) = default;
};

struct history_frame {
  std::string conversation_id;
  std::vector<palaver::message> messages;  // oldest first
  seq_t last_seq = 0;
  bool has_more = false;                 // older messages exist before messages.front()
  std::optional<std::string> before_id;  // the request's before_id: absent for the newest page
  friend bool operator==(const history_frame&, const history_frame&) = default;
};

struct ack_frame {
  std::string client_msg_id;
  std::string conversation_id;
  std::string message_id;
  seq_t seq = 0;
  friend bool operator==(const ack_frame&, const ack_frame&) = default;
};

struct message_event_frame {
  palaver::message message;
  friend bool operator==(const message_event_frame&, const message_event_frame&) = default;
};

struct typing_frame {
  std::string conversation_id;
  bool active = false;
  friend bool operator==(const typing_frame&, const typing_frame&) = default;
};

struct progress_frame {
  std::string conversation_id;
  std::string message_id;
  std::string step;
  std::string label;
  friend bool operator==(const progress_frame&, const progress_frame&) = default;
};

struct delta_frame {
  std::string conversation_id;
  std::string message_id;
  seq_t seq = 0;
  std::string text;
  friend bool operator==(const delta_frame&, const delta_frame&) = default;
};

struct done_frame {
  std::string conversation_id;
  std::string message_id;
  seq_t seq = 0;
  std::string text;  // the whole reply: the concatenation of its deltas
  palaver::finish_reason finish_reason = finish_reason::stop;
  std::optional<palaver::usage> usage;
  json_object_text metadata;
  friend bool operator==(const done_frame&, const done_frame&) = default;
};

struct ask_frame {
  std::string conversation_id;
  seq_t seq = 0;  // an ask is a conversation event: replayed on resume until answered
  std::string request_id;
  std::string question;
  std::vector<std::string> choices;  // empty: a free-text answer
  friend bool operator==(const ask_frame&, const ask_frame&) = default;
};

struct edit_frame {
  std::string conversation_id;
  std::string message_id;
  seq_t seq = 0;
  std::string text;
  friend bool operator==(const edit_frame&, const edit_frame&) = default;
};

struct notification_frame {
  std::optional<std::string> conversation_id;
  notification_level level = notification_level::info;
  std::string text;
  friend bool operator==(const notification_frame&, const notification_frame&) = default;
};

struct error_frame {
  error_code code = error_code::internal;
  std::string message;
  // The id named by the frame it answers: client_msg_id (message), request_id (reply),
  // message_id (action, feedback, regenerate), ping id (ping).
  std::optional<std::string> ref;
  // The conversation it concerns (subscribe, unsubscribe, history, cancel, message).
  std::optional<std::string> conversation_id;
  friend bool operator==(const error_frame&, const error_frame&) = default;
};

struct pong_frame {
  std::optional<std::string> id;
  friend bool operator==(const pong_frame&, const pong_frame&) = default;
};

using server_frame =
    std::variant<ready_frame, conversation_frame, history_frame, ack_frame, message_event_frame,
                 typing_frame, progress_frame, delta_frame, done_frame, ask_frame, edit_frame,
                 notification_frame, error_frame, pong_frame>;

// The wire "type" of a frame, e.g. "subscribe".
std::string_view type_name(const client_frame& frame);
std::string_view type_name(const server_frame& frame);

// The `error` frame that reports `error`: its code, describe(error) cut to
// limits::max_error_message_bytes, and its ref and conversation_id when they are valid.
error_frame make_error_frame(const decode_error& error);

}  // namespace palaver
