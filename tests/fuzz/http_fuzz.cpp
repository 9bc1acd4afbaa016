// libFuzzer target for the HTTP request path: bytes from a client, cut into reads as the input
// says (fuzz_support.hpp), go through Beast's request_parser with the server's header and body
// limits, one request after another as http_session reads them; each request then meets what
// the server decides without a socket: the upgrade's origin check, the embedded file lookup,
// its frame-ancestors policy, the conditional/gzip choice. Beyond "no crash": a file found
// answers its own path, a policy is one well-formed directive naming only the site's plain
// origins, and a reply agrees with the request's headers.
// Option (the control byte's high bits): 0 the server's default limits, n small limits
// (64n header bytes, 16n body bytes) that the parser reaches within a short input.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include "frame_policy.hpp"
#include "fuzz_support.hpp"
#include "server_context.hpp"
#include "session_limits.hpp"
#include "static_files.hpp"

namespace http = boost::beast::http;
using palaver::fuzz::check;
namespace server = palaver::server;

namespace palaver::server {

// The server's table is generated from public/ and the Wasm build (cmake/embed_assets.cmake);
// the fuzzer brings its own, with the paths and kinds of file that matter to the policy.
const std::vector<embedded_file>& embedded_files() {
  static const unsigned char text[] = "<!doctype html><title>palaver</title>";
  static const unsigned char small[] = "gz";
  static const std::vector<embedded_file> files = {
      {"/", "\"e-index\"", text, small},
      {"/widget.html", "\"e-widget\"", text, small},
      {"/palaver.js", "\"e-loader\"", text, small},
      {"/widget.wasm", "\"e-wasm\"", small, text},  // its gzip variant is larger: never sent
  };
  return files;
}

}  // namespace palaver::server

namespace {

const std::vector<std::string> portal_origins = {
    "https://www.example.com", "http://localhost:3000",
    // Config refuses these; frame_policy must still keep them out of the header.
    "https://evil.example; script-src *", "http://[::1]:8080", "javascript:alert(1)"};

// Two sites, the first with origins config would refuse. Built once: it holds a mutex, so it
// is filled in place rather than returned.
const server::server_context& context() {
  static server::server_context instance;
  static const bool filled = [] {
    server::site_entry portal;
    portal.auth.site_id = "portal";
    portal.origins = server::origin_policy(portal_origins);
    server::site_entry shop;
    shop.auth.site_id = "shop";
    shop.origins = server::origin_policy({"https://shop.example.org"});
    instance.sites = {portal, shop};
    std::vector<std::string> all = portal_origins;
    all.push_back("https://shop.example.org");
    instance.origins = server::origin_policy(all);
    return true;
  }();
  (void)filled;
  return instance;
}

bool printable_ascii(std::string_view text) {
  for (const char c : text)
    if (c < 0x20 || c >= 0x7F) return false;
  return true;
}

void check_policy(std::string_view target, const std::optional<std::string>& policy) {
  const std::string_view path = target.substr(0, target.find_first_of("?#"));
  if (path != "/widget.html") {
    check(policy.has_value(), "only the widget's page may go without a policy");
    check(policy->empty() || *policy == "frame-ancestors 'self'", "a page's policy is not 'self'");
    return;
  }
  if (!policy) return;  // an unknown site: 404
  constexpr std::string_view self = "frame-ancestors 'self'";
  check(policy->starts_with(self) && printable_ascii(*policy), "a malformed widget policy");
  // Every source after 'self' is a plain origin of one site.
  std::string_view sources = std::string_view(*policy).substr(self.size());
  while (!sources.empty()) {
    check(sources.front() == ' ', "widget policy sources not separated by one space");
    sources.remove_prefix(1);
    const std::string_view source = sources.substr(0, sources.find(' '));
    sources.remove_prefix(source.size());
    const auto& sites = context().sites;
    bool listed = false;
    for (const auto& site : sites)
      for (const std::string& origin : site.origins.allowed())
        listed = listed || origin == source;
    check(listed && source.find_first_of(";,'") == std::string_view::npos,
          "the widget policy names a source that is not a site's plain origin");
  }
}

// What http_session does with a whole request, short of writing to a socket.
void handle(const http::request<http::string_body>& req) {
  const std::string_view target = req.target();
  if (boost::beast::websocket::is_upgrade(req)) {
    if (target == "/ws") (void)context().origins.allows(req[http::field::origin]);
    return;
  }
  // REST targets (/api/v1/...) go to rest_api.cpp, which cannot run without the hub and the
  // store: the fuzzer treats them as any other path, which the functions below must take too.
  check_policy(target, server::frame_policy(context(), target));
  const server::embedded_file* file = server::find_file(target);
  if (file == nullptr) return;
  check(file->url == target.substr(0, target.find_first_of("?#")), "a file for another path");
  const std::string_view if_none_match = req[http::field::if_none_match];
  const server::static_reply reply =
      server::choose_reply(*file, req[http::field::accept_encoding], if_none_match);
  check(reply.content_type == server::mime_type_for(file->url) && reply.etag == file->etag,
        "a reply's type or ETag is not its file's");
  if (reply.status == 304) {
    check(!if_none_match.empty() && reply.body.empty(), "304 without a matching If-None-Match");
    return;
  }
  check(reply.status == 200, "a reply neither 200 nor 304");
  const auto& variant = reply.gzipped ? file->gzip : file->body;
  check(reply.body.data() == variant.data() && reply.body.size() == variant.size(),
        "a reply's body is not the variant it says");
  check(!reply.gzipped || file->gzip.size() < file->body.size(), "a gzip variant that is larger");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto input = palaver::fuzz::stream_input::from(data, size);
  server::session_limits limits;
  if (input.option != 0) {
    limits.http_header_bytes = 64 * std::size_t{input.option};
    limits.http_body_bytes = 16 * std::size_t{input.option};
  }

  // As http_session: one parser per request over one growing buffer; a limit or any other
  // error ends the connection (after a 431/413 answer, for the limits).
  std::string buffer;
  std::optional<http::request_parser<http::string_body>> parser;
  bool closed = false;
  const auto parse_buffered = [&] {
    while (!closed) {
      if (!parser) {
        parser.emplace();
        parser->header_limit(static_cast<std::uint32_t>(limits.http_header_bytes));
        parser->body_limit(limits.http_body_bytes);
        parser->eager(true);  // as http::async_read
      }
      if (buffer.empty()) return;
      boost::system::error_code ec;
      const std::size_t used = parser->put(boost::asio::buffer(buffer), ec);
      buffer.erase(0, used);
      if (ec == http::error::need_more) return;
      if (ec) {
        closed = true;
        return;
      }
      if (parser->is_done()) {
        handle(parser->get());
        parser.reset();
      } else if (used == 0) {
        return;
      }
    }
  };
  input.for_each_read([&](std::string_view read) {
    buffer.append(read);
    parse_buffered();
  });
  if (!closed && parser && parser->got_some()) {
    boost::system::error_code ec;
    parser->put_eof(ec);  // the client closed: a request cut short is an error, never handled
    check(ec || parser->is_done(), "put_eof() neither completed nor refused a request");
    if (!ec && parser->is_done()) handle(parser->get());
  }
  return 0;
}
