// The one JSON codec of protocol version 1: frames and model values to and from their wire text.
// Decoding throws nothing but std::bad_alloc: it returns the value or a decode_error with a
// stable code.
// Encoding is canonical: fixed key order, no whitespace, absent optionals omitted, so
// encode(decode(x)) is the same bytes in every build. Stateless: safe on any thread.
#pragma once

#include <string>
#include <string_view>

#include "palaver/errors.hpp"
#include "palaver/frames.hpp"
#include "palaver/model.hpp"

namespace palaver {

// A frame a client sent: at most limits::max_frame_bytes.
result<client_frame> decode_client_frame(std::string_view text);
// A REST request body: the fields of the client frame named `type` ("message", ...), with
// the same rules; a "type" member in the body is ignored.
result<client_frame> decode_client_body(std::string_view type, std::string_view text);
// The same for a body with a server frame's fields (a pushed `notification`).
result<server_frame> decode_server_body(std::string_view type, std::string_view text);
// A frame a server sent: at most limits::max_server_frame_bytes.
result<server_frame> decode_server_frame(std::string_view text);

// Canonical text of a frame. The _to forms append to `out` (reusing its capacity).
std::string encode(const client_frame& frame);
std::string encode(const server_frame& frame);
void encode_to(std::string& out, const client_frame& frame);
void encode_to(std::string& out, const server_frame& frame);

// Canonical text of model values, as the REST API and the store use them.
std::string encode(const conversation& value);
std::string encode(const message& value);
std::string encode(const conversation_list& value);
result<conversation> decode_conversation(std::string_view text);
result<conversation_list> decode_conversation_list(std::string_view text);
result<message> decode_message(std::string_view text);

// Canonical form of a JSON object given as text (metadata); {} gives the empty (absent)
// value. Error if it is not an object or exceeds limits::max_metadata_bytes.
result<json_object_text> canonical_json_object(std::string_view text);

}  // namespace palaver
