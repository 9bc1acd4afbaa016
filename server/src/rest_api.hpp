// The REST API under /api/v1/ (docs/api.md): conversations and their messages for a visitor
// or user (their own only) or for a site's backend (all of the site's, with its API key),
// a message posted and answered synchronously, visitor tokens, and notifications pushed
// into a conversation. Beast-free: http_session hands requests over and writes the answer.
// Thread-safe: handle() may be called from any thread; `done` runs on an arbitrary thread.
#pragma once

#include <functional>
#include <memory>
#include <string>

namespace palaver::server {

struct server_context;

struct rest_request {
  std::string method;         // "GET", "POST", "DELETE"
  std::string target;         // path and query, e.g. "/api/v1/conversations?limit=20"
  std::string authorization;  // the Authorization header, "Bearer ..."
  std::string site;           // the X-Palaver-Site header; empty: the first site
  std::string body;
  std::string peer;  // the client's IP address, for the limits per address
};

struct rest_response {
  int status = 200;
  std::string body;  // JSON (empty for 204)
};

// Whether the target is the REST API's.
bool is_rest_target(std::string_view target);

void handle_rest(std::shared_ptr<server_context> context, rest_request request,
                 std::function<void(rest_response)> done);

}  // namespace palaver::server
