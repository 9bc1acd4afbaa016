// The named limits of protocol version 1: every length, count and range the codec enforces.
// docs/protocol.md lists the same names; the server reports some of them in `ready.limits`.
// Compile-time constants: safe everywhere.
#pragma once

#include <cstddef>
#include <cstdint>

namespace palaver::limits {

// Protocol versions this build speaks.
inline constexpr int min_protocol = 1;
inline constexpr int max_protocol = 1;

// Whole frames. A client frame above max_frame_bytes is refused (the server closes with
// 1009); server frames may be larger (a history page) but never above max_server_frame_bytes.
inline constexpr std::size_t max_frame_bytes = 64 * 1024;
inline constexpr std::size_t max_server_frame_bytes = 8 * 1024 * 1024;
inline constexpr std::size_t max_json_depth = 16;

// Identifiers: 1 to 64 of [A-Za-z0-9_-] (a UUID fits).
inline constexpr std::size_t max_id_bytes = 64;
// Agent names: 1 to 32 of [a-z0-9_-].
inline constexpr std::size_t max_agent_bytes = 32;

// Text, in bytes of UTF-8.
inline constexpr std::size_t max_token_bytes = 4096;          // auth.token, ready.token
inline constexpr std::size_t max_text_bytes = 32 * 1024;      // what a visitor writes
inline constexpr std::size_t max_reply_bytes = 1024 * 1024;   // a whole assistant reply
inline constexpr std::size_t max_comment_bytes = 2000;        // feedback.comment
inline constexpr std::size_t max_title_bytes = 200;           // conversation.title
inline constexpr std::size_t max_name_bytes = 100;            // user.name, message.author
inline constexpr std::size_t max_label_bytes = 200;           // button, choice, progress labels
inline constexpr std::size_t max_error_message_bytes = 1000;  // error.message
inline constexpr std::size_t max_url_bytes = 2048;            // attachment.url
inline constexpr std::size_t max_mime_type_bytes = 127;       // attachment.mime_type
inline constexpr std::size_t max_file_name_bytes = 255;       // attachment.name
inline constexpr std::size_t max_metadata_bytes = 8 * 1024;   // metadata, as canonical JSON
inline constexpr std::size_t max_cursor_bytes = 128;          // a list's `next` cursor

// Counts.
inline constexpr std::size_t max_attachments = 10;
inline constexpr std::size_t max_buttons = 10;
inline constexpr std::size_t max_choices = 10;
inline constexpr std::size_t max_history_messages = 200;
inline constexpr std::size_t max_listed_conversations = 200;  // one page of a conversation list

// Numbers. JSON integers are kept within what JavaScript represents exactly.
inline constexpr std::int64_t max_safe_integer = 9007199254740991;  // 2^53 - 1
inline constexpr std::int64_t max_attachment_bytes = 1LL << 40;

}  // namespace palaver::limits
