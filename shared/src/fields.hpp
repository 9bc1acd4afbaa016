// The protocol, defined once: each frame and model value lists its wire fields, in canonical
// order, with the rule each one obeys. The decoder (decode.cpp) walks these lists with a
// visitor that reads and validates; the encoder (encode.cpp) walks the same lists with a
// visitor that writes. Internal to shared/; stateless.
//
// Visitor operations (key, value, then the rule):
//   id / agent / token         identifier-like strings with fixed formats
//   text(max, blank)           UTF-8 text up to max bytes; blank::refused wants a non-blank one
//   url / mime_type            attachment fields
//   integer(min, max)          a JSON integer in [min, max]
//   rating                     +1 or -1
//   boolean, enumeration       true/false; a string naming an enumerator
//   object / array             nested values, each described by its own fields()
//   choices                    an array of non-blank labels (ask)
//   json_object(emit)          an opaque JSON object (metadata)
//   version                    a protocol version this build speaks
//   require_content            a check across fields: a message needs text or attachments
// std::optional members and strings marked presence::optional may be absent; the encoder
// omits them when absent or empty.
#pragma once

#include <concepts>
#include <type_traits>

#include "palaver/frames.hpp"
#include "palaver/limits.hpp"
#include "palaver/model.hpp"

namespace palaver::detail {

enum class presence { required, optional };
enum class blank { allowed, refused };
// Whether an empty array / object is written (always) or left out (omit_empty).
enum class emit { always, omit_empty };

// Matches T and const T, so one fields() serves the decoder (T&) and the encoder (const T&).
template <class F, class T>
concept of = std::same_as<std::remove_const_t<F>, T>;

inline constexpr std::int64_t max_seq = limits::max_safe_integer;
inline constexpr std::int64_t max_time = limits::max_safe_integer;

// ---- model values ----------------------------------------------------------------------

template <class V, of<user_info> T>
void fields(V& v, T& f) {
  v.id("id", f.id);
  v.text("name", f.name, limits::max_name_bytes, blank::allowed);
  v.boolean("anonymous", f.anonymous);
}

template <class V, of<attachment> T>
void fields(V& v, T& f) {
  v.id("id", f.id);
  v.text("name", f.name, limits::max_file_name_bytes, blank::refused);
  v.mime_type("mime_type", f.mime_type);
  v.integer("size", f.size, 0, limits::max_attachment_bytes);
  v.url("url", f.url, presence::optional);
}

template <class V, of<button> T>
void fields(V& v, T& f) {
  v.id("id", f.id);
  v.text("label", f.label, limits::max_label_bytes, blank::refused);
}

template <class V, of<usage> T>
void fields(V& v, T& f) {
  v.integer("prompt_tokens", f.prompt_tokens, 0, limits::max_safe_integer);
  v.integer("completion_tokens", f.completion_tokens, 0, limits::max_safe_integer);
  v.integer("total_tokens", f.total_tokens, 0, limits::max_safe_integer);
}

template <class V, of<conversation> T>
void fields(V& v, T& f) {
  v.id("id", f.id);
  v.text("title", f.title, limits::max_title_bytes, blank::allowed);
  v.agent("agent", f.agent);
  v.integer("created_at", f.created_at, 0, max_time);
  v.integer("updated_at", f.updated_at, 0, max_time);
  v.integer("last_seq", f.last_seq, 0, max_seq);
}

template <class V, of<conversation_list> T>
void fields(V& v, T& f) {
  v.array("conversations", f.conversations, limits::max_listed_conversations, emit::always);
  v.text("next", f.next, limits::max_cursor_bytes, blank::allowed, presence::optional);
}

template <class V, of<message> T>
void fields(V& v, T& f) {
  v.id("id", f.id);
  v.id("conversation_id", f.conversation_id);
  v.enumeration("role", f.author_role);
  v.text("text", f.text, limits::max_reply_bytes, blank::allowed);
  v.enumeration("status", f.status);
  v.integer("seq", f.seq, 1, max_seq);
  v.integer("created_at", f.created_at, 0, max_time);
  v.array("buttons", f.buttons, limits::max_buttons, emit::always);
  v.array("attachments", f.attachments, limits::max_attachments, emit::always);
  v.json_object("metadata", f.metadata, emit::always);
  v.id("client_msg_id", f.client_msg_id, presence::optional);
  v.text("author", f.author, limits::max_name_bytes, blank::allowed, presence::optional);
  v.rating("rating", f.rating);
}

// ---- client frames ---------------------------------------------------------------------

template <class V, of<auth_frame> T>
void fields(V& v, T& f) {
  v.version("protocol", f.protocol);
  v.token("token", f.token);
  v.id("site", f.site);
}

template <class V, of<subscribe_frame> T>
void fields(V& v, T& f) {
  v.id("conversation_id", f.conversation_id);
  v.integer("last_seq", f.last_seq, 0, max_seq);
}

template <class V, of<unsubscribe_frame> T>
void fields(V& v, T& f) {
  v.id("conversation_id", f.conversation_id);
}

template <class V, of<history_request_frame> T>
void fields(V& v, T& f) {
  v.id("conversation_id", f.conversation_id);
  v.id("before_id", f.before_id);
  v.integer("limit", f.limit, 1, limits::max_history_messages);
}

template <class V, of<message_frame> T>
void fields(V& v, T& f) {
  v.id("conversation_id", f.conversation_id);
  v.id("client_msg_id", f.client_msg_id);
  // Blank text is refused below unless attachments carry the message.
  v.text("text", f.text, limits::max_text_bytes, blank::allowed);
  v.agent("agent", f.agent);
  v.array("attachments", f.attachments, limits::max_attachments, emit::omit_empty);
  v.text("author", f.author, limits::max_name_bytes, blank::allowed, presence::optional);
  v.require_content("text", f.text, f.attachments.empty());
}

template <class V, of<cancel_frame> T>
void fields(V& v, T& f) {
  v.id("conversation_id", f.conversation_id);
}

template <class V, of<reply_frame> T>
void fields(V& v, T& f) {
  v.id("request_id", f.request_id);
  v.text("text", f.text, limits::max_text_bytes, blank::refused);
}

template <class V, of<action_frame> T>
void fields(V& v, T& f) {
  v.id("message_id", f.message_id);
  v.id("action_id", f.action_id);
}

template <class V, of<feedback_frame> T>
void fields(V& v, T& f) {
  v.id("message_id", f.message_id);
  v.rating("rating", f.rating);
  v.text("comment", f.comment, limits::max_comment_bytes, blank::allowed);
}

template <class V, of<regenerate_frame> T>
void fields(V& v, T& f) {
  v.id("message_id", f.message_id);
}

template <class V, of<ping_frame> T>
void fields(V& v, T& f) {
  v.text("id", f.id, limits::max_id_bytes, blank::allowed);
}

// ---- server frames ---------------------------------------------------------------------

template <class V, of<session_limits> T>
void fields(V& v, T& f) {
  v.integer("max_frame_bytes", f.max_frame_bytes, 1, limits::max_safe_integer);
  v.integer("messages_per_minute", f.messages_per_minute, 0, limits::max_safe_integer);
}

template <class V, of<ready_frame> T>
void fields(V& v, T& f) {
  v.version("protocol", f.protocol);
  v.id("session_id", f.session_id);
  v.object("user", f.user);
  v.token("token", f.token);
  v.object("limits", f.limits);
}

template <class V, of<conversation_frame> T>
void fields(V& v, T& f) {
  v.object("conversation", f.conversation);
}

template <class V, of<history_frame> T>
void fields(V& v, T& f) {
  v.id("conversation_id", f.conversation_id);
  v.array("messages", f.messages, limits::max_history_messages, emit::always);
  v.integer("last_seq", f.last_seq, 0, max_seq);
  v.boolean("has_more", f.has_more);
  v.id("before_id", f.before_id);
}

template <class V, of<ack_frame> T>
void fields(V& v, T& f) {
  v.id("client_msg_id", f.client_msg_id);
  v.id("conversation_id", f.conversation_id);
  v.id("message_id", f.message_id);
  v.integer("seq", f.seq, 1, max_seq);
}

template <class V, of<message_event_frame> T>
void fields(V& v, T& f) {
  v.object("message", f.message);
}

template <class V, of<typing_frame> T>
void fields(V& v, T& f) {
  v.id("conversation_id", f.conversation_id);
  v.boolean("active", f.active);
}

template <class V, of<progress_frame> T>
void fields(V& v, T& f) {
  v.id("conversation_id", f.conversation_id);
  v.id("message_id", f.message_id);
  v.id("step", f.step);
  v.text("label", f.label, limits::max_label_bytes, blank::allowed);
}

// The head shared by the events that carry a reply's text: delta, done, edit.
template <class V, class T>
void reply_text_fields(V& v, T& f) {
  v.id("conversation_id", f.conversation_id);
  v.id("message_id", f.message_id);
  v.integer("seq", f.seq, 1, max_seq);
  v.text("text", f.text, limits::max_reply_bytes, blank::allowed);
}

template <class V, of<delta_frame> T>
void fields(V& v, T& f) {
  reply_text_fields(v, f);
}

template <class V, of<done_frame> T>
void fields(V& v, T& f) {
  reply_text_fields(v, f);
  v.enumeration("finish_reason", f.finish_reason);
  v.object("usage", f.usage);
  v.json_object("metadata", f.metadata, emit::omit_empty);
}

template <class V, of<ask_frame> T>
void fields(V& v, T& f) {
  v.id("conversation_id", f.conversation_id);
  v.integer("seq", f.seq, 1, max_seq);
  v.id("request_id", f.request_id);
  v.text("question", f.question, limits::max_text_bytes, blank::refused);
  v.choices("choices", f.choices);
}

template <class V, of<edit_frame> T>
void fields(V& v, T& f) {
  reply_text_fields(v, f);
}

template <class V, of<notification_frame> T>
void fields(V& v, T& f) {
  v.id("conversation_id", f.conversation_id);
  v.enumeration("level", f.level);
  v.text("text", f.text, limits::max_text_bytes, blank::refused);
}

template <class V, of<error_frame> T>
void fields(V& v, T& f) {
  v.enumeration("code", f.code);
  v.text("message", f.message, limits::max_error_message_bytes, blank::allowed);
  v.text("ref", f.ref, limits::max_id_bytes, blank::allowed);
  v.id("conversation_id", f.conversation_id);
}

template <class V, of<pong_frame> T>
void fields(V& v, T& f) {
  v.text("id", f.id, limits::max_id_bytes, blank::allowed);
}

}  // namespace palaver::detail
