// Lookup, MIME types and conditional/gzip choice for embedded files. See static_files.hpp.
#include "static_files.hpp"

#include <array>
#include <cstdlib>
#include <string>
#include <utility>

namespace palaver::server {
namespace {

// Whether a comma-separated header value lists `token` (case-insensitive, q-values ignored
// except an explicit q=0, which refuses it).
bool lists_token(std::string_view header, std::string_view token) {
  const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
  while (!header.empty()) {
    const auto comma = header.find(',');
    std::string_view item = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    while (!item.empty() && item.front() == ' ')
      item.remove_prefix(1);
    const auto semicolon = item.find(';');
    std::string_view name = item.substr(0, semicolon);
    while (!name.empty() && name.back() == ' ')
      name.remove_suffix(1);
    if (name.size() != token.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < name.size() && same; ++i)
      same = lower(name[i]) == token[i];
    if (!same) continue;
    if (semicolon == std::string_view::npos) return true;
    const std::string_view params = item.substr(semicolon);
    const auto q = params.find("q=");
    return q == std::string_view::npos ||
           std::strtod(std::string(params.substr(q + 2)).c_str(), nullptr) > 0;
  }
  return false;
}

}  // namespace

std::string_view mime_type_for(std::string_view url) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 10> types = {{
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".wasm", "application/wasm"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".ttf", "font/ttf"},
      {".otf", "font/otf"},
  }};
  if (url.ends_with('/')) return types[0].second;
  for (const auto& [extension, type] : types)
    if (url.ends_with(extension)) return type;
  return "application/octet-stream";
}

static_reply choose_reply(const embedded_file& file, std::string_view accept_encoding,
                          std::string_view if_none_match) {
  static_reply reply;
  reply.content_type = mime_type_for(file.url);
  reply.etag = file.etag;
  if (!if_none_match.empty() &&
      (if_none_match == "*" || if_none_match.find(file.etag) != std::string_view::npos)) {
    reply.status = 304;
    return reply;
  }
  const bool gzip = file.gzip.size() < file.body.size() && lists_token(accept_encoding, "gzip");
  reply.body = gzip ? file.gzip : file.body;
  reply.gzipped = gzip;
  return reply;
}

const embedded_file* find_file(std::string_view target) {
  const std::string_view path = target.substr(0, target.find_first_of("?#"));
  for (const embedded_file& file : embedded_files())
    if (file.url == path) return &file;
  return nullptr;
}

}  // namespace palaver::server
