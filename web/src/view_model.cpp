// The widget's view model. See view_model.hpp.
//
// Sections: helpers · construction · the connection · frames from the server · visitor
// intents · getters.
#include "view_model.hpp"

#include <algorithm>
#include <type_traits>
#include <utility>

#include "palaver/codec.hpp"
#include "palaver/limits.hpp"

namespace palaver::web {

// ---- helpers ------------------------------------------------------------------------------

namespace {

bool is_blank(std::string_view text) {
  return text.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

// What the visitor reads for an error the server sent about something they did.
msg describe(const error_frame& error) {
  switch (error.code) {
    case error_code::rate_limited:
      return msg::error_rate_limited;
    case error_code::not_found:
      return msg::error_not_found;
    case error_code::upstream_error:
      return msg::error_agent_failed;
    case error_code::upstream_timeout:
      return msg::error_agent_timeout;
    case error_code::too_large:
      return msg::error_too_long;
    case error_code::auth_failed:
      return msg::error_auth;
    case error_code::conflict:
      return msg::error_duplicate;
    case error_code::internal:
      return msg::error_internal;
    default:
      return msg::error_other;
  }
}

}  // namespace

// ---- construction -------------------------------------------------------------------------

view_model::view_model(options opts, timestamp_ms now) : options_(std::move(opts)) {
  if (!options_.random)
    options_.random = [n = std::uint64_t{0x9e3779b97f4a7c15}]() mutable {
      return n = n * 6364136223846793005ULL + 1442695040888963407ULL;
    };
  token_ = options_.stored_token;
  current_id_ = options_.last_conversation_id;
  if (!current_id_.empty()) open_view(current_id_);
  reconnect_at_ = now;  // connect on the first tick
}

std::vector<effect> view_model::take_effects() {
  return std::exchange(effects_, {});
}

// ---- the connection -----------------------------------------------------------------------

void view_model::tick(timestamp_ms now) {
  if (!reconnect_at_ || now < *reconnect_at_ || socket_open_) return;
  reconnect_at_.reset();
  effects_.push_back(open_socket_effect{});
}

std::optional<timestamp_ms> view_model::next_wakeup() const {
  return reconnect_at_;
}

void view_model::socket_opened(timestamp_ms) {
  socket_open_ = true;
  authenticate();
}

void view_model::authenticate() {
  auth_frame auth;
  if (!token_.empty()) auth.token = token_;
  if (!options_.site.empty()) auth.site = options_.site;
  send(auth);
}

void view_model::socket_closed(timestamp_ms now) {
  socket_open_ = false;
  authenticated_ = false;
  for (auto& [id, view] : views_) {
    view.subscribed = false;
    view.typing = false;  // a reply still streaming shows again after the resume
  }
  for (pending_message& p : pending_)
    p.sent = false;
  loading_older_ = false;
  if (auth_refused_) {
    connection_ = connection_state::offline;
  } else if (retry_now_) {
    retry_now_ = false;
    reconnect_at_ = now;
  } else {
    ++failed_attempts_;
    schedule_reconnect(now);
    if (browser_offline_ || failed_attempts_ >= attempts_before_offline)
      connection_ = connection_state::offline;
    else if (been_online_)
      connection_ = connection_state::reconnecting;
  }
  changed();
}

void view_model::schedule_reconnect(timestamp_ms now) {
  if (browser_offline_) return;  // browser_online(true) reconnects
  const int doublings = std::min(failed_attempts_ - 1, 16);
  const timestamp_ms delay = std::min(backoff_cap_ms, backoff_base_ms << std::max(doublings, 0));
  const auto jitter = static_cast<timestamp_ms>(options_.random() % (delay / 4 + 1));
  reconnect_at_ = now + delay + jitter;
}

void view_model::browser_online(bool online, timestamp_ms now) {
  if (browser_offline_ == !online) return;
  browser_offline_ = !online;
  if (!online) {
    connection_ = connection_state::offline;
    reconnect_at_.reset();
  } else if (!socket_open_ && !auth_refused_) {
    connection_ = been_online_ ? connection_state::reconnecting : connection_state::connecting;
    failed_attempts_ = 0;
    reconnect_at_ = now;
  } else if (socket_open_) {
    // The socket outlived the outage (a browser can report offline and keep it open).
    connection_ = authenticated_ ? connection_state::online
                  : been_online_ ? connection_state::reconnecting
                                 : connection_state::connecting;
    flush_pending();  // what the visitor wrote meanwhile
  }
  changed();
}

void view_model::identify(std::string token, timestamp_ms now) {
  if (token.empty() || (token == token_ && token_from_host_)) return;
  token_ = std::move(token);
  token_from_host_ = true;
  auth_refused_ = false;
  // Another identity: the visitor's conversations are not the user's.
  views_.clear();
  conversations_.clear();
  conversations_loaded_ = false;
  current_id_.clear();
  for (pending_message& p : pending_)
    p.conversation_id.clear();
  if (socket_open_) effects_.push_back(close_socket_effect{});
  socket_open_ = false;
  authenticated_ = false;
  connection_ = connection_state::connecting;
  been_online_ = false;
  failed_attempts_ = 0;
  reconnect_at_ = now;
  changed();
}

void view_model::set_visible(bool visible) {
  visible_ = visible;
  if (visible && unread_ > 0) {
    unread_ = 0;
    effects_.push_back(host_effect{host_unread_event{0}});
  }
  changed();
}

void view_model::send(const client_frame& frame) {
  if (socket_open_) effects_.push_back(send_effect{encode(frame)});
}

// ---- frames from the server ---------------------------------------------------------------

void view_model::frame_received(std::string_view text, timestamp_ms now) {
  auto frame = decode_server_frame(text);
  if (!frame) return;  // a frame this build cannot read: nothing to show for it
  on_frame(*frame, now);
  changed();
}

void view_model::on_frame(const server_frame& frame, timestamp_ms now) {
  if (const auto* ready = std::get_if<ready_frame>(&frame)) return on_ready(*ready);
  if (const auto* conv = std::get_if<conversation_frame>(&frame))
    return on_conversation(conv->conversation);
  if (const auto* ack = std::get_if<ack_frame>(&frame)) {
    std::erase_if(pending_,
                  [&](const pending_message& p) { return p.client_msg_id == ack->client_msg_id; });
    touch_conversation(ack->conversation_id, now);
    return;
  }
  if (const auto* error = std::get_if<error_frame>(&frame)) return on_error(*error);
  if (const auto* note = std::get_if<notification_frame>(&frame)) {
    if (!note->conversation_id || *note->conversation_id == current_id_)
      add_banner(note->level, note->text);
    return;
  }
  if (const auto* typing = std::get_if<typing_frame>(&frame)) {
    if (conversation_view* view = view_of(typing->conversation_id)) {
      view->typing = typing->active;
      if (!typing->active) view->progress.clear();
    }
    return;
  }
  if (const auto* progress = std::get_if<progress_frame>(&frame)) {
    if (conversation_view* view = view_of(progress->conversation_id))
      view->progress = progress->label;
    return;
  }
  // The conversation events: history, message, delta, done, ask, edit.
  const std::string* id = std::visit(
      [](const auto& f) -> const std::string* {
        using frame_type = std::decay_t<decltype(f)>;
        if constexpr (std::is_same_v<frame_type, message_event_frame>)
          return &f.message.conversation_id;
        else if constexpr (std::is_same_v<frame_type, history_frame> ||
                           std::is_same_v<frame_type, delta_frame> ||
                           std::is_same_v<frame_type, done_frame> ||
                           std::is_same_v<frame_type, ask_frame> ||
                           std::is_same_v<frame_type, edit_frame>)
          return &f.conversation_id;
        else
          return nullptr;
      },
      frame);
  if (id)
    if (conversation_view* view = view_of(*id)) on_event(*view, frame);
}

void view_model::on_ready(const ready_frame& ready) {
  connection_ = connection_state::online;
  authenticated_ = true;
  been_online_ = true;
  failed_attempts_ = 0;
  user_ = ready.user;
  if (ready.token) {
    token_ = *ready.token;
    token_from_host_ = false;
    effects_.push_back(store_token_effect{token_});
  }
  effects_.push_back(list_conversations_effect{token_});
  if (!current_id_.empty()) subscribe(current_id_);
  flush_pending();
}

void view_model::subscribe(const std::string& conversation_id) {
  conversation_view& view = open_view(conversation_id);
  subscribe_frame frame{conversation_id, std::nullopt};
  if (view.events.last_seq() > 0) frame.last_seq = view.events.last_seq();
  send(frame);
  view.subscribed = true;
}

void view_model::on_conversation(const conversation& conv) {
  std::erase_if(conversations_, [&](const conversation& c) { return c.id == conv.id; });
  conversations_.insert(conversations_.begin(), conv);
  // The conversation our first message started: it and the messages queued after it.
  if (current_id_.empty()) current_id_ = conv.id;
  open_view(conv.id).subscribed = true;
  for (pending_message& p : pending_)
    if (p.conversation_id.empty()) p.conversation_id = conv.id;
  flush_pending();
}

void view_model::on_event(conversation_view& view, const server_frame& frame) {
  const auto result = view.events.apply(frame);
  if (result == transcript::outcome::unknown_message) {
    // An event for a message we never saw (e.g. replayed from the middle): reload the page.
    send(history_request_frame{view.events.conversation_id(), std::nullopt, std::nullopt});
    return;
  }
  if (const auto* page = std::get_if<history_frame>(&frame); page && page->before_id)
    loading_older_ = false;
  if (result != transcript::outcome::applied) return;
  if (const auto* done = std::get_if<done_frame>(&frame)) {
    view.progress.clear();
    if (done->finish_reason == finish_reason::error) failed_reply_id_ = done->message_id;
    if (const message* reply = view.events.find(done->message_id)) announce(*reply);
  } else if (const auto* event = std::get_if<message_event_frame>(&frame)) {
    // Replies are announced when done; everyone else's messages as they arrive.
    if (event->message.author_role != role::assistant &&
        event->message.status == message_status::complete)
      announce(event->message);
  }
}

void view_model::announce(const message& m) {
  effects_.push_back(host_effect{host_message_event{m}});
  if (!visible_ && m.author_role != role::user) {
    ++unread_;
    effects_.push_back(host_effect{host_unread_event{unread_}});
  }
}

void view_model::on_error(const error_frame& error) {
  // Whatever the code (RATE_LIMITED, INTERNAL when the server could not store it, ...), an
  // error whose ref names a message waiting for its ack means that message was not stored:
  // it shows as failed with a retry, instead of "sending" for ever.
  if (error.ref) {
    bool failed = false;
    for (pending_message& p : pending_)
      if (p.client_msg_id == *error.ref) {
        p.failed = true;
        p.sent = false;  // no longer in flight: a first message does not hold back the next
        p.error = say(describe(error));
        failed = true;
      }
    if (failed) return;
  }
  switch (error.code) {
    case error_code::auth_failed:
      if (token_from_host_) {
        auth_refused_ = true;  // the host's token is wrong: retrying will not help
        add_banner(notification_level::error, say(describe(error)));
      } else {
        // A visitor token this server no longer accepts: start over as a new visitor.
        token_.clear();
        effects_.push_back(store_token_effect{""});
        retry_now_ = true;
      }
      return;
    case error_code::resume_gap:
      if (error.conversation_id) {
        if (conversation_view* view = view_of(*error.conversation_id)) {
          view->events = transcript(*error.conversation_id);
          subscribe(*error.conversation_id);  // without last_seq now: the newest page
        }
      }
      return;
    case error_code::not_found:
      if (error.conversation_id && !error.ref) {
        views_.erase(*error.conversation_id);
        std::erase_if(conversations_,
                      [&](const conversation& c) { return c.id == *error.conversation_id; });
        if (current_id_ == *error.conversation_id) {
          current_id_.clear();
          add_banner(notification_level::warning, say(describe(error)));
        }
        return;
      }
      break;
    case error_code::upstream_error:
    case error_code::upstream_timeout:
      add_banner(notification_level::error, say(describe(error)), failed_reply_id_.has_value());
      return;
    default:
      break;
  }
  add_banner(notification_level::warning, say(describe(error)));
}

// ---- visitor intents ----------------------------------------------------------------------

bool view_model::send_text(std::string_view text, timestamp_ms now) {
  if (is_blank(text) || text.size() > limits::max_text_bytes) return false;
  pending_message p;
  p.client_msg_id = new_client_msg_id();
  p.text = std::string(text);
  p.conversation_id = current_id_;
  p.created_at = now;
  pending_.push_back(std::move(p));
  flush_pending();
  changed();
  return true;
}

void view_model::flush_pending() {
  if (connection_ != connection_state::online) return;
  // Messages for a conversation not created yet wait for the first one's `conversation`.
  const bool creating = std::any_of(pending_.begin(), pending_.end(), [](const auto& p) {
    return p.conversation_id.empty() && p.sent;
  });
  bool sent_new = creating;
  for (pending_message& p : pending_) {
    if (p.sent || p.failed) continue;
    if (p.conversation_id.empty()) {
      if (sent_new) continue;
      sent_new = true;
    } else {
      open_view(p.conversation_id).subscribed = true;  // a message subscribes the socket
    }
    message_frame frame;
    if (!p.conversation_id.empty()) frame.conversation_id = p.conversation_id;
    frame.client_msg_id = p.client_msg_id;
    frame.text = p.text;
    send(frame);
    p.sent = true;
  }
}

void view_model::stop_reply() {
  if (streaming_reply()) send(cancel_frame{current_id_});
}

void view_model::regenerate(const std::string& message_id) {
  send(regenerate_frame{message_id});
  if (failed_reply_id_ == message_id) failed_reply_id_.reset();
}

void view_model::rate(const std::string& message_id, int rating) {
  my_ratings_[message_id] = rating;
  send(feedback_frame{message_id, rating, std::nullopt});
  changed();
}

void view_model::press_button(const std::string& message_id, const std::string& button_id) {
  send(action_frame{message_id, button_id});
}

void view_model::answer(const std::string& request_id, std::string_view text) {
  if (is_blank(text) || text.size() > limits::max_text_bytes) return;
  send(reply_frame{request_id, std::string(text)});
  if (conversation_view* view = view_of(current_id_)) view->events.close_ask(request_id);
  changed();
}

void view_model::retry_pending(const std::string& client_msg_id) {
  for (pending_message& p : pending_)
    if (p.client_msg_id == client_msg_id) {
      p.failed = false;
      p.sent = false;
      p.error.clear();
    }
  flush_pending();
  changed();
}

void view_model::new_conversation() {
  open_conversation("");
}

void view_model::open_conversation(const std::string& conversation_id) {
  if (conversation_id == current_id_) return;
  // Only the open conversation stays subscribed: the others reload when opened again.
  if (conversation_view* old = view_of(current_id_)) {
    const std::string old_id = current_id_;
    const bool has_pending = std::any_of(pending_.begin(), pending_.end(), [&](const auto& p) {
      return p.conversation_id == old_id;
    });
    if (!has_pending) {
      if (old->subscribed) send(unsubscribe_frame{old_id});
      views_.erase(old_id);
    }
  }
  current_id_ = conversation_id;
  loading_older_ = false;
  if (!current_id_.empty() && connection_ == connection_state::online)
    subscribe(current_id_);
  else if (!current_id_.empty())
    open_view(current_id_);
  changed();
}

void view_model::load_older() {
  conversation_view* view = view_of(current_id_);
  if (!view || loading_older_ || !view->events.has_older() || view->events.messages().empty() ||
      connection_ != connection_state::online)
    return;
  send(history_request_frame{current_id_, view->events.messages().front().id, std::nullopt});
  loading_older_ = true;
  changed();
}

void view_model::dismiss_banner(std::uint64_t id) {
  std::erase_if(banners_, [&](const banner& b) { return b.id == id; });
  changed();
}

void view_model::retry_banner(std::uint64_t id) {
  const auto it =
      std::find_if(banners_.begin(), banners_.end(), [&](const banner& b) { return b.id == id; });
  if (it == banners_.end()) return;
  if (it->retry && failed_reply_id_) regenerate(*failed_reply_id_);
  dismiss_banner(id);
}

void view_model::conversations_listed(std::optional<std::string_view> body) {
  if (!body) return;
  auto list = decode_conversation_list(*body);
  if (!list) return;
  // Conversations this widget knows of that the list does not have yet stay in front.
  std::vector<conversation> merged;
  for (const conversation& c : conversations_)
    if (std::none_of(list->conversations.begin(), list->conversations.end(),
                     [&](const conversation& l) { return l.id == c.id; }))
      merged.push_back(c);
  merged.insert(merged.end(), list->conversations.begin(), list->conversations.end());
  conversations_ = std::move(merged);
  conversations_loaded_ = true;
  changed();
}

// ---- internals ----------------------------------------------------------------------------

std::string view_model::say(msg id) const {
  static const catalogue english;
  return std::string((options_.words ? *options_.words : english).text(id));
}

void view_model::add_banner(notification_level level, std::string text, bool retry) {
  // The same text twice in a row is shown once.
  if (!banners_.empty() && banners_.back().text == text) return;
  banners_.push_back(banner{next_banner_id_++, level, std::move(text), retry});
  constexpr std::size_t max_banners = 3;
  if (banners_.size() > max_banners) banners_.erase(banners_.begin());
}

std::string view_model::new_client_msg_id() {
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string id = "w-";
  for (int half = 0; half < 2; ++half) {
    std::uint64_t bits = options_.random();
    for (int i = 0; i < 10; ++i, bits >>= 6)
      id += alphabet[bits & 63];
  }
  return id;
}

view_model::conversation_view* view_model::view_of(const std::string& conversation_id) {
  if (conversation_id.empty()) return nullptr;
  const auto it = views_.find(conversation_id);
  return it == views_.end() ? nullptr : &it->second;
}

view_model::conversation_view& view_model::open_view(const std::string& conversation_id) {
  return views_.try_emplace(conversation_id, conversation_id).first->second;
}

void view_model::touch_conversation(const std::string& conversation_id, timestamp_ms when) {
  const auto it = std::find_if(conversations_.begin(), conversations_.end(),
                               [&](const conversation& c) { return c.id == conversation_id; });
  if (it == conversations_.end()) return;
  conversation c = *it;
  c.updated_at = std::max(c.updated_at, when);
  conversations_.erase(it);
  conversations_.insert(conversations_.begin(), std::move(c));
}

// ---- getters ------------------------------------------------------------------------------

const transcript* view_model::current() const {
  const auto it = views_.find(current_id_);
  return it == views_.end() ? nullptr : &it->second.events;
}

std::vector<const pending_message*> view_model::pending() const {
  std::vector<const pending_message*> mine;
  for (const pending_message& p : pending_)
    if (p.conversation_id == current_id_) mine.push_back(&p);
  return mine;
}

const message* view_model::streaming_reply() const {
  const transcript* t = current();
  if (!t) return nullptr;
  const auto& messages = t->messages();
  for (auto it = messages.rbegin(); it != messages.rend(); ++it)
    if (it->author_role == role::assistant && it->status == message_status::streaming) return &*it;
  return nullptr;
}

bool view_model::typing() const {
  const auto it = views_.find(current_id_);
  return it != views_.end() && it->second.typing;
}

const std::string& view_model::progress_label() const {
  static const std::string none;
  const auto it = views_.find(current_id_);
  return it == views_.end() ? none : it->second.progress;
}

std::optional<int> view_model::rating_of(const message& m) const {
  if (const auto it = my_ratings_.find(m.id); it != my_ratings_.end()) return it->second;
  return m.rating;
}

}  // namespace palaver::web
