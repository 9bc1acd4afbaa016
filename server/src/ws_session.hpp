// One WebSocket connection at /ws: the handshake, `auth` within its deadline, then frames
// to and from the chat hub; pings a quiet peer and closes a silent one. Outgoing frames go
// through a coalescing_stream: the frames that arrive while a write is in flight leave
// together in the next one, and a reader whose backlog passes the limit is dropped. All its
// state lives on its connection's strand; deliver() may be called from any thread.
#pragma once

#include <memory>

#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

namespace palaver::server {

class connection_slot;
struct server_context;

// Takes over a connection whose upgrade request was read and permitted, with its place within
// the connection limits.
void start_ws_session(boost::beast::tcp_stream stream,
                      boost::beast::http::request<boost::beast::http::string_body> upgrade,
                      std::shared_ptr<server_context> context,
                      std::unique_ptr<connection_slot> slot);

}  // namespace palaver::server
