// One conversation as its subscribers see it: its messages in creation order, rebuilt from
// the server's events, each applied at most once (by seq). The widget keeps one per open
// conversation; tests use it to check that a resumed stream shows every event exactly once.
// A plain value with one owner: not for concurrent use.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "palaver/frames.hpp"

namespace palaver {

class transcript {
 public:
  enum class outcome {
    applied,             // the event changed the transcript
    duplicate,           // its seq is at or below last_seq(): already seen (replay overlap)
    unknown_message,     // a delta/done/edit for a message not held: reload with `history`
    other_conversation,  // an event of another conversation
    ignored,             // not a conversation event (ready, typing, progress, pong, ...)
  };

  explicit transcript(std::string conversation_id) : conversation_id_(std::move(conversation_id)) {}

  // A `message` event (or a page) for a held message replaces it, except that a finished copy
  // whose text is a strict prefix of the held text keeps the held text: a resume after a
  // server crash never shrinks a reply the visitor was reading.
  outcome apply(const server_frame& frame);

  const std::string& conversation_id() const { return conversation_id_; }
  // The resume point: subscribe with last_seq = this after a reconnect.
  seq_t last_seq() const { return last_seq_; }
  // Whether older messages exist than the first one held (from the last `history` page).
  bool has_older() const { return has_older_; }
  const std::vector<message>& messages() const { return messages_; }
  const message* find(std::string_view message_id) const;
  // Questions asked and not yet answered, oldest first.
  const std::vector<ask_frame>& open_asks() const { return open_asks_; }
  // The visitor answered (sent `reply`): the question is no longer open.
  void close_ask(std::string_view request_id);

 private:
  outcome apply_event(const message_event_frame& event);
  outcome apply_event(const delta_frame& delta);
  outcome apply_event(const done_frame& done);
  outcome apply_event(const edit_frame& edit);
  outcome apply_event(const ask_frame& ask);
  outcome apply_event(const history_frame& page);
  message* find_mutable(std::string_view message_id);

  // Shared gate of every seq-carrying event: right conversation and not seen before.
  template <class Event>
  outcome admit(const Event& event) const;
  // Admits an event that changes a held message, applies `change` to it and advances seq.
  template <class Event, class Change>
  outcome change_message(const Event& event, Change&& change);

  std::string conversation_id_;
  seq_t last_seq_ = 0;
  bool has_older_ = false;
  std::vector<message> messages_;
  std::vector<ask_frame> open_asks_;
  std::vector<std::string> answered_;  // request_ids of closed asks, so a replay stays closed
};

}  // namespace palaver
