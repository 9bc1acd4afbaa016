// Applies server events to a conversation's transcript. See transcript.hpp.
#include "palaver/transcript.hpp"

#include <algorithm>
#include <type_traits>
#include <utility>

namespace palaver {

namespace {

template <class Frame>
constexpr bool is_conversation_event =
    std::is_same_v<Frame, message_event_frame> || std::is_same_v<Frame, delta_frame> ||
    std::is_same_v<Frame, done_frame> || std::is_same_v<Frame, edit_frame> ||
    std::is_same_v<Frame, ask_frame> || std::is_same_v<Frame, history_frame>;

const std::string& conversation_of(const message_event_frame& e) {
  return e.message.conversation_id;
}
template <class Event>
const std::string& conversation_of(const Event& e) {
  return e.conversation_id;
}

seq_t seq_of(const message_event_frame& e) {
  return e.message.seq;
}
template <class Event>
seq_t seq_of(const Event& e) {
  return e.seq;
}

// A newer copy of a held message replaces it, except that it never takes back text the
// visitor has read: a finished copy whose text is a strict prefix of the held one is the reply
// as the server stored it before a crash, with less than it had streamed, so the held text
// stays (status, seq and the rest are the copy's). A streaming copy is taken whole (its deltas
// continue from its own text), and so is any other text (an edit).
void replace_held(message& held, message newer) {
  const bool shorter = newer.status != message_status::streaming &&
                       newer.text.size() < held.text.size() && held.text.starts_with(newer.text);
  if (shorter) newer.text = std::move(held.text);
  held = std::move(newer);
}

}  // namespace

transcript::outcome transcript::apply(const server_frame& frame) {
  return std::visit(
      [this](const auto& f) {
        using frame_type = std::decay_t<decltype(f)>;
        if constexpr (is_conversation_event<frame_type>) {
          return apply_event(f);
        } else {
          return outcome::ignored;
        }
      },
      frame);
}

const message* transcript::find(std::string_view message_id) const {
  const auto it = std::find_if(messages_.begin(), messages_.end(),
                               [&](const message& m) { return m.id == message_id; });
  return it == messages_.end() ? nullptr : &*it;
}

message* transcript::find_mutable(std::string_view message_id) {
  return const_cast<message*>(std::as_const(*this).find(message_id));
}

void transcript::close_ask(std::string_view request_id) {
  std::erase_if(open_asks_, [&](const ask_frame& a) { return a.request_id == request_id; });
  answered_.emplace_back(request_id);
}

template <class Event>
transcript::outcome transcript::admit(const Event& event) const {
  if (conversation_of(event) != conversation_id_) return outcome::other_conversation;
  if (seq_of(event) <= last_seq_) return outcome::duplicate;
  return outcome::applied;
}

transcript::outcome transcript::apply_event(const message_event_frame& event) {
  if (const outcome gate = admit(event); gate != outcome::applied) return gate;
  if (message* held = find_mutable(event.message.id)) {
    replace_held(*held, event.message);  // newer than what was pieced together
  } else {
    messages_.push_back(event.message);
  }
  last_seq_ = event.message.seq;
  return outcome::applied;
}

template <class Event, class Change>
transcript::outcome transcript::change_message(const Event& event, Change&& change) {
  if (const outcome gate = admit(event); gate != outcome::applied) return gate;
  message* m = find_mutable(event.message_id);
  if (!m) return outcome::unknown_message;
  change(*m);
  m->seq = last_seq_ = event.seq;
  return outcome::applied;
}

transcript::outcome transcript::apply_event(const delta_frame& delta) {
  return change_message(delta, [&](message& m) {
    m.text += delta.text;
    m.status = message_status::streaming;
  });
}

transcript::outcome transcript::apply_event(const done_frame& done) {
  return change_message(done, [&](message& m) {
    m.text = done.text;  // authoritative: equal to the deltas' concatenation
    m.status = status_after(done.finish_reason);
    if (!done.metadata.empty()) m.metadata = done.metadata;
  });
}

transcript::outcome transcript::apply_event(const edit_frame& edit) {
  return change_message(edit, [&](message& m) { m.text = edit.text; });
}

// Asks are kept by request_id, not seq: after a `history` page the server sends the open
// ones again, with seqs the page already covers.
transcript::outcome transcript::apply_event(const ask_frame& ask) {
  if (ask.conversation_id != conversation_id_) return outcome::other_conversation;
  const auto same = [&](const ask_frame& a) { return a.request_id == ask.request_id; };
  if (std::any_of(open_asks_.begin(), open_asks_.end(), same) ||
      std::find(answered_.begin(), answered_.end(), ask.request_id) != answered_.end())
    return outcome::duplicate;
  open_asks_.push_back(ask);
  last_seq_ = std::max(last_seq_, ask.seq);
  return outcome::applied;
}

// A page of stored messages, oldest first. An older page (before_id) goes in front of what
// is held and leaves last_seq alone. The newest page resets the transcript unless it shares
// a message with it (nothing held yet, or a gap after RESUME_GAP), and moves last_seq up.
// Either way, unknown messages are merged in after the held message they follow in the
// page, and newer versions replace held ones. Pages are not seq events: never duplicates.
transcript::outcome transcript::apply_event(const history_frame& page) {
  if (page.conversation_id != conversation_id_) return outcome::other_conversation;
  const bool newest = !page.before_id.has_value();
  const bool overlaps = std::any_of(page.messages.begin(), page.messages.end(),
                                    [&](const message& m) { return find(m.id) != nullptr; });
  if (newest && !overlaps) {
    messages_.clear();
    open_asks_.clear();
  }

  std::size_t next = 0;  // where the next unknown message of the page goes
  for (const message& m : page.messages) {
    const auto held = std::find_if(messages_.begin(), messages_.end(),
                                   [&](const message& h) { return h.id == m.id; });
    if (held != messages_.end()) {
      if (m.seq > held->seq) replace_held(*held, m);
      next = static_cast<std::size_t>(held - messages_.begin()) + 1;
    } else {
      messages_.insert(messages_.begin() + static_cast<std::ptrdiff_t>(next++), m);
    }
  }
  if (!page.messages.empty() && messages_.front().id == page.messages.front().id)
    has_older_ = page.has_more;
  if (newest) last_seq_ = std::max(last_seq_, page.last_seq);
  return outcome::applied;
}

}  // namespace palaver
