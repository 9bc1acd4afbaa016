// The widget's view model: everything the visitor sees, as a state machine fed by the socket,
// the clock, the host page and the visitor, with no ImGui and no browser in it. The platform
// layer feeds it events and carries out the effects it asks for (send a frame, open or close
// the socket, store the token, tell the host page); the view draws from its getters and turns
// clicks into its intents. One owner, one thread (the browser's main thread).
//
// Sections: types · construction · platform events · visitor intents · what the view reads.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "palaver/frames.hpp"
#include "palaver/model.hpp"
#include "palaver/transcript.hpp"

#include "catalogue.hpp"

namespace palaver::web {

// ---- types --------------------------------------------------------------------------------

enum class connection_state {
  connecting,    // the first connection since the page loaded, or since identify()
  online,        // authenticated (`ready` received)
  reconnecting,  // dropped; trying again after a backoff
  offline,       // the browser says it is offline, or several attempts failed in a row
};

// A message the visitor wrote that the server has not acknowledged yet.
struct pending_message {
  std::string client_msg_id;
  std::string text;
  std::string conversation_id;  // empty: it starts a new conversation
  timestamp_ms created_at = 0;
  bool sent = false;    // sent on the current connection (resent after every reconnect)
  bool failed = false;  // an error named it (rate limited, not stored): a retry button, not resent
  std::string error;    // why it failed
};

// A dismissible line above the input: a server error, a notification, a warning.
struct banner {
  std::uint64_t id = 0;
  notification_level level = notification_level::info;
  std::string text;
  bool retry = false;  // offers "retry" (the last reply ended in an error)
};

// What the host page hears (the loader's postMessage API).
struct host_message_event {
  message msg;
};
struct host_unread_event {
  int count = 0;
};
using host_event = std::variant<host_message_event, host_unread_event>;

// Effects the platform carries out, in order.
struct send_effect {
  std::string frame;  // canonical JSON text
};
struct open_socket_effect {};
struct close_socket_effect {};
struct store_token_effect {
  std::string token;  // empty: forget the stored token
};
struct list_conversations_effect {
  std::string token;  // the Bearer token for GET /api/v1/conversations
};
struct host_effect {
  host_event event;
};
using effect = std::variant<send_effect, open_socket_effect, close_socket_effect,
                            store_token_effect, list_conversations_effect, host_effect>;

// ---- the view model -----------------------------------------------------------------------

class view_model {
 public:
  struct options {
    std::string site;          // the site id the widget was embedded for; empty: the default
    std::string stored_token;  // the visitor token kept from an earlier visit, if any
    std::string last_conversation_id;  // the conversation open at the last visit, if any
    // Random 64 bits, for client_msg_ids and backoff jitter (tests pass a fixed sequence).
    std::function<std::uint64_t()> random;
    // The words errors are told in (banners, a failed message's reason); it outlives the
    // model and may change language later. Null: English.
    const catalogue* words = nullptr;
  };

  // Reconnect backoff: base · 2^(attempt-1), capped, each with up to 25 % jitter.
  static constexpr timestamp_ms backoff_base_ms = 500;
  static constexpr timestamp_ms backoff_cap_ms = 30'000;
  // Failed attempts in a row after which the state shows `offline` (still retrying).
  static constexpr int attempts_before_offline = 4;

  view_model(options opts, timestamp_ms now);

  // ---- platform events ----

  void socket_opened(timestamp_ms now);
  void socket_closed(timestamp_ms now);
  void frame_received(std::string_view text, timestamp_ms now);
  // The body of GET /api/v1/conversations, or nullopt when the request failed.
  void conversations_listed(std::optional<std::string_view> body);
  void browser_online(bool online, timestamp_ms now);
  // The host page showed or hid the widget.
  void set_visible(bool visible);
  // The host page identified the visitor with a JWT signed by the site's backend.
  void identify(std::string token, timestamp_ms now);
  // Time passed: reconnects when the backoff is over.
  void tick(timestamp_ms now);
  // When tick() next has something to do; nullopt: nothing scheduled.
  std::optional<timestamp_ms> next_wakeup() const;

  // Effects to carry out, oldest first; taking them empties the list.
  std::vector<effect> take_effects();

  // ---- visitor intents ----

  // Sends (or queues while offline) a message into the open conversation, or a new one.
  // False if the text is blank or longer than limits::max_text_bytes (nothing happens).
  bool send_text(std::string_view text, timestamp_ms now);
  void stop_reply();
  void regenerate(const std::string& message_id);
  void rate(const std::string& message_id, int rating);
  void press_button(const std::string& message_id, const std::string& button_id);
  void answer(const std::string& request_id, std::string_view text);
  void retry_pending(const std::string& client_msg_id);
  void new_conversation();
  void open_conversation(const std::string& conversation_id);
  void load_older();
  void dismiss_banner(std::uint64_t id);
  // A banner's retry: regenerates the reply that ended in an error.
  void retry_banner(std::uint64_t id);

  // ---- what the view reads ----

  connection_state connection() const { return connection_; }
  // Bumped whenever anything visible changed: the platform redraws only then.
  std::uint64_t revision() const { return revision_; }
  const std::string& current_conversation_id() const { return current_id_; }
  // The open conversation's messages in order, or nullptr for a new, empty one.
  const transcript* current() const;
  // Sent but unacknowledged messages of the open conversation (a new one: those without one).
  std::vector<const pending_message*> pending() const;
  const std::vector<conversation>& conversations() const { return conversations_; }
  bool conversations_loaded() const { return conversations_loaded_; }
  // The reply streaming in the open conversation, if any.
  const message* streaming_reply() const;
  bool typing() const;
  // The latest progress label of the streaming reply ("Searching the docs…"), or "".
  const std::string& progress_label() const;
  const std::vector<banner>& banners() const { return banners_; }
  bool loading_older() const { return loading_older_; }
  int unread() const { return unread_; }
  const user_info& user() const { return user_; }
  // The visitor's rating of a message: what they chose here, else what the server said.
  std::optional<int> rating_of(const message& m) const;

 private:
  struct conversation_view {
    transcript events;
    bool typing = false;
    std::string progress;  // label of the latest progress step of the streaming reply
    bool subscribed = false;
    explicit conversation_view(std::string id) : events(std::move(id)) {}
  };

  void changed() { ++revision_; }
  void send(const client_frame& frame);
  void authenticate();
  void on_ready(const ready_frame& ready);
  void on_frame(const server_frame& frame, timestamp_ms now);
  void on_error(const error_frame& error);
  std::string say(msg id) const;  // in options_.words
  void on_event(conversation_view& view, const server_frame& frame);
  void on_conversation(const conversation& conv);
  void announce(const message& m);
  void subscribe(const std::string& conversation_id);
  void flush_pending();
  void schedule_reconnect(timestamp_ms now);
  void add_banner(notification_level level, std::string text, bool retry = false);
  std::string new_client_msg_id();
  conversation_view* view_of(const std::string& conversation_id);
  conversation_view& open_view(const std::string& conversation_id);
  void touch_conversation(const std::string& conversation_id, timestamp_ms when);

  options options_;
  connection_state connection_ = connection_state::connecting;
  std::uint64_t revision_ = 1;
  std::vector<effect> effects_;

  std::string token_;             // presented in `auth`: the visitor token or the host's JWT
  bool token_from_host_ = false;  // identify(): a refused one is not replaced by a visitor
  user_info user_;
  bool socket_open_ = false;
  bool authenticated_ = false;  // `ready` arrived on the open socket
  bool been_online_ =
      false;  // since the page loaded or identify(): "reconnecting", not "connecting"
  bool auth_refused_ = false;  // the host's token was refused: no reconnecting until identify()
  bool retry_now_ = false;     // reconnect at once when the socket closes (a fresh visitor)
  int failed_attempts_ = 0;
  std::optional<timestamp_ms> reconnect_at_;
  bool browser_offline_ = false;

  std::string current_id_;
  std::map<std::string, conversation_view, std::less<>> views_;
  std::vector<conversation> conversations_;
  bool conversations_loaded_ = false;
  std::vector<pending_message> pending_;
  std::map<std::string, int, std::less<>> my_ratings_;
  std::vector<banner> banners_;
  std::uint64_t next_banner_id_ = 1;
  std::optional<std::string> failed_reply_id_;  // the reply a retry banner regenerates
  bool loading_older_ = false;
  bool visible_ = false;
  int unread_ = 0;
};

}  // namespace palaver::web
