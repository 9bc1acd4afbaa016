// One WebSocket connection at /ws: the handshake, `auth` within its deadline, then frames
// to and from the chat hub, with a bounded outgoing queue and at most one write in flight;
// pings a quiet peer and closes a silent one. All its state lives on its connection's
// strand; deliver() may be called from any thread.
#pragma once

#include <memory>

#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

namespace palaver::server {

struct server_context;

// Takes over a connection whose upgrade request was read and permitted.
void start_ws_session(boost::beast::tcp_stream stream,
                      boost::beast::http::request<boost::beast::http::string_body> upgrade,
                      std::shared_ptr<server_context> context);

}  // namespace palaver::server
