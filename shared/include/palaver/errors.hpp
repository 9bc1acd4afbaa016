// Palaver's protocol error codes and the by-value result type of the codec.
// The codes are part of the wire protocol (docs/protocol.md): their strings never change.
// Pure values with no shared state: safe on any thread, native and Wasm alike.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <boost/system/result.hpp>

namespace palaver {

// Every rejection the protocol can report. Append only: the order is not part of the
// protocol, but the strings returned by to_string() are.
enum class error_code {
  bad_frame,            // not a JSON object, invalid JSON or invalid UTF-8
  unknown_type,         // "type" names no frame of this direction
  missing_field,        // a required field is absent (or null)
  bad_field,            // a field has the wrong type, format or value
  too_large,            // the frame or a field exceeds its named limit
  unsupported_version,  // auth.protocol is not a version this build speaks
  auth_required,        // a frame other than auth arrived before auth succeeded
  auth_failed,          // the token is invalid, expired or for another site
  forbidden,            // the identity may not do this
  not_found,            // no such conversation/message for this identity
  rate_limited,         // too many messages; the socket stays usable
  conflict,             // the request contradicts the current state
  resume_gap,           // last_seq is older than what can be replayed
  upstream_error,       // the agent backend failed
  upstream_timeout,     // the agent backend stalled
  internal,             // a bug or an unexpected failure on the server
};

inline constexpr int error_code_count = static_cast<int>(error_code::internal) + 1;

// The stable wire name, e.g. "MISSING_FIELD".
std::string_view to_string(error_code code);

// The code for a wire name; nullopt for a name this build does not know.
std::optional<error_code> error_code_from_string(std::string_view name);

// Why a frame was rejected: the code, the field it concerns (dotted path such as
// "message.text", empty for the frame as a whole) and a sentence for humans. For the error
// frame that answers it, the decoder also keeps what ids the rejected frame named, if valid.
struct decode_error {
  decode_error() = default;
  decode_error(error_code c, std::string f, std::string d,
               std::optional<std::string> r = std::nullopt,
               std::optional<std::string> conversation = std::nullopt)
      : code(c),
        field(std::move(f)),
        detail(std::move(d)),
        ref(std::move(r)),
        conversation_id(std::move(conversation)) {}

  error_code code = error_code::bad_frame;
  std::string field;
  std::string detail;
  std::optional<std::string> ref;  // its client_msg_id, request_id or message_id
  std::optional<std::string> conversation_id;

  friend bool operator==(const decode_error&, const decode_error&) = default;
};

// "text: longer than 32768 bytes" — the human message an `error` frame carries.
std::string describe(const decode_error& error);

// A decoded value or the reason there is none. Decoding throws nothing but std::bad_alloc.
template <class T>
using result = boost::system::result<T, decode_error>;

// Lets result<T>::value() report a decode_error where exceptions exist (native builds);
// with exceptions off (Wasm) it aborts, so shared code checks has_value() instead.
[[noreturn]] void throw_exception_from_error(const decode_error& error,
                                             const boost::source_location& location);

}  // namespace palaver
