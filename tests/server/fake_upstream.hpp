// Test helpers for the agent backends. fake_upstream: a real HTTP(S) server written with Beast
// on 127.0.0.1 and an ephemeral port, on its own thread, answering every request with one
// scripted (SSE) response and recording what it received; its public methods are thread-safe.
// Also: a self-signed TLS identity, and a per-thread count of operator new calls.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace palaver::test {

// The response the fake sends to every request.
struct fake_response {
  enum class framing {
    chunked,         // Transfer-Encoding: chunked, one chunk per piece
    content_length,  // Content-Length: the sum of the pieces
    until_close,     // neither: the body ends when the server closes (Connection: close)
  };
  enum class ending {
    complete,  // end the body properly, then keep the connection until the client leaves
    close,     // after the pieces, close the socket at once (mid-body for chunked)
    stall,     // after the pieces, send nothing more and keep the connection open
  };

  unsigned status = 200;
  std::string content_type = "text/event-stream";
  std::vector<std::string> pieces;   // the body, written piece by piece
  std::chrono::milliseconds gap{0};  // pause before each piece but the first
  framing body_framing = framing::chunked;
  std::size_t missing_bytes = 0;  // content_length: bytes counted in the header, never sent
  ending end = ending::complete;
  // false: read the request, then send nothing at all (with ending::close: close at once)
  bool send_headers = true;
};

// What the fake received. Header names are lower-cased.
struct recorded_request {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;
  std::string body;
};

// A certificate and its private key, PEM.
struct tls_identity {
  std::string certificate_pem;
  std::string private_key_pem;
};

// A self-signed certificate (usable as its own CA) for the DNS name `dns_name` only.
tls_identity make_self_signed_identity(std::string_view dns_name);

class fake_upstream {
 public:
  // With `tls`, the fake speaks HTTPS with that identity.
  explicit fake_upstream(fake_response response, std::optional<tls_identity> tls = {});
  ~fake_upstream();
  fake_upstream(const fake_upstream&) = delete;
  fake_upstream& operator=(const fake_upstream&) = delete;

  std::uint16_t port() const;
  // "http://127.0.0.1:<port>/v1" (https with TLS; `host` replaces 127.0.0.1).
  std::string base_url(std::string_view host = "127.0.0.1") const;

  std::vector<recorded_request> requests() const;
  // Connections accepted so far.
  std::size_t connections() const;
  // Waits until the client has closed a connection the fake held open; false on timeout.
  bool wait_for_client_close(std::chrono::milliseconds timeout) const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

// A port on 127.0.0.1 that refuses connections for as long as the object lives (bound, never
// listening).
class refused_port {
 public:
  refused_port();
  ~refused_port();
  refused_port(const refused_port&) = delete;
  refused_port& operator=(const refused_port&) = delete;
  std::uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

}  // namespace palaver::test
