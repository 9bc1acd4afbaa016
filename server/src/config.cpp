// Palaver's configuration: reads the TOML file, the environment and the command line into one
// validated `config`; see config.hpp for the contract. Runs once, on the main thread.
// Sections:
//   1. Text rules: names, numbers, durations, origins and URLs
//   2. The scalar settings of [server] and [limits]: one table drives file, env, flags and help
//   3. The TOML file: [server], [limits], [[agent]], [[site]]
//   4. Environment and flags over the file, secrets, checks across settings
//   5. The command line (CLI11) and its help text
// toml++ and CLI11 report errors by throwing; both are caught in this file and turned into a
// config_error, so nothing but std::bad_alloc leaves it.
#include "config.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <new>
#include <span>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <toml++/toml.h>

#include <boost/asio/ip/address.hpp>
#include <boost/throw_exception.hpp>

#include "catalogues.hpp"

#ifndef PALAVER_VERSION
#define PALAVER_VERSION "0.1.0"
#endif

// Debian's libtomlplusplus is built with exceptions: its ABI (toml::v3::ex) is the one we call.
static_assert(TOML_EXCEPTIONS, "config.cpp expects toml++ to report parse errors by throwing");

namespace palaver::server {
namespace {

// ---- 1. Text rules ------------------------------------------------------------------------

// min_secret_bytes, max_token_ttl and the token lifetime bounds come from auth.hpp: the
// verifier's rules are the ones the settings are checked against.
constexpr std::int64_t max_ttl_seconds = 365 * 24 * 3600;

bool is_id(std::string_view s) {
  return !s.empty() && s.size() <= palaver::limits::max_id_bytes &&
         std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-';
         });
}

bool is_agent_name(std::string_view s) {
  return !s.empty() && s.size() <= palaver::limits::max_agent_bytes &&
         std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
         });
}

bool is_env_name(std::string_view s) {
  if (s.empty() || s.size() > 255 || (s[0] >= '0' && s[0] <= '9')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

bool has_control_characters(std::string_view s) {
  return std::any_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string uppercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

// 'value', with control characters shown as '?' so a message stays on one line.
std::string in_quotes(std::string_view s) {
  std::string out = "'";
  for (char c : s)
    out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
  return out + "'";
}

std::string join(const std::vector<std::string>& items, std::string_view separator = ", ") {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

// A whole decimal integer (sign allowed), as env and flags give it; nullopt otherwise.
std::optional<std::int64_t> parse_integer(std::string_view s) {
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (s.empty() || ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return value;
}

std::optional<bool> parse_boolean(std::string_view s) {
  const std::string word = lowercase(s);
  if (word == "true" || word == "1" || word == "yes" || word == "on") return true;
  if (word == "false" || word == "0" || word == "no" || word == "off") return false;
  return std::nullopt;
}

// "90", "90s", "15m", "12h", "7d": a duration in whole seconds. Anything longer than
// max_ttl_seconds comes back as max_ttl_seconds + 1, so callers report it as out of range.
std::optional<std::int64_t> parse_duration(std::string_view s) {
  constexpr std::pair<char, std::int64_t> units[] = {
      {'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}};
  std::int64_t unit = 1;
  if (!s.empty() && (s.back() < '0' || s.back() > '9')) {
    const auto* found = std::find_if(std::begin(units), std::end(units),
                                     [&](const auto& u) { return u.first == s.back(); });
    if (found == std::end(units)) return std::nullopt;
    unit = found->second;
    s.remove_suffix(1);
  }
  if (s.empty() || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  const auto n = parse_integer(s);
  if (!n || *n > max_ttl_seconds) return max_ttl_seconds + 1;
  return *n * unit;
}

// Levenshtein distance, for "did you mean" on unknown keys.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j)
    row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// An http(s) URL split into what origins and base URLs are made of; hosts lowercased and
// default ports dropped, because that is how browsers write an Origin header.
struct url_parts {
  std::string scheme;
  std::string host;  // an IPv6 literal keeps its brackets
  std::string port;  // empty for the scheme's default
  std::string rest;  // path, query and fragment, as written
  std::string origin() const { return scheme + "://" + host + (port.empty() ? "" : ":" + port); }
};

// nullopt on success; otherwise why `text` is not an http(s) URL.
std::optional<std::string> split_url(std::string_view text, url_parts& out) {
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x80) {
      return "has a non-ASCII character; write an international host name in its punycode "
             "form (xn--...)";
    }
    if (u <= 0x20 || u == 0x7f) return "has a space or a control character";
  }
  const std::size_t colon = text.find("://");
  out.scheme = lowercase(text.substr(0, colon == std::string_view::npos ? 0 : colon));
  if (colon == std::string_view::npos || (out.scheme != "http" && out.scheme != "https")) {
    return "must start with https:// or http://";
  }
  std::string_view rest = text.substr(colon + 3);
  const std::size_t authority_end = std::min(rest.find_first_of("/?#"), rest.size());
  std::string_view authority = rest.substr(0, authority_end);
  out.rest = std::string(rest.substr(authority_end));
  if (authority.find('@') != std::string_view::npos) return "must not contain a user name";
  std::string_view port;
  if (!authority.empty() && authority[0] == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return "has an unclosed [ in its host";
    boost::system::error_code ec;
    boost::asio::ip::make_address_v6(std::string(authority.substr(1, close - 1)), ec);
    if (ec) return "has an invalid IPv6 address";
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return "has text after its IPv6 address";
      port = after.substr(1);
      if (port.empty()) return "has an empty port";
    }
    out.host = lowercase(authority.substr(0, close + 1));
  } else {
    const std::size_t port_colon = authority.rfind(':');
    if (port_colon != std::string_view::npos) {
      port = authority.substr(port_colon + 1);
      if (port.empty()) return "has an empty port";
      authority = authority.substr(0, port_colon);
    }
    if (authority.empty()) return "has no host";
    const bool host_ok = std::all_of(authority.begin(), authority.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             c == '-' || c == '.';
    });
    if (!host_ok || authority.front() == '.' || authority.front() == '-') {
      return "has an invalid host " + in_quotes(authority);
    }
    out.host = lowercase(authority);
  }
  out.port.clear();
  if (!port.empty()) {
    const auto n =
        std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })
            ? parse_integer(port)
            : std::nullopt;
    if (!n || *n < 1 || *n > 65535) return "has an invalid port " + in_quotes(port);
    const bool is_default =
        (out.scheme == "http" && *n == 80) || (out.scheme == "https" && *n == 443);
    if (!is_default) out.port = std::to_string(*n);
  }
  return std::nullopt;
}

// "https://www.example.com" from "HTTPS://WWW.Example.com:443/"; nullopt and `why` otherwise.
std::optional<std::string> normalize_origin(std::string_view text, std::string& why) {
  url_parts parts;
  if (auto error = split_url(text, parts)) {
    why = in_quotes(text) + " is not an origin: it " + *error;
    return std::nullopt;
  }
  if (!parts.rest.empty() && parts.rest != "/") {
    why = in_quotes(text) + " is not an origin: write scheme://host[:port], with no path";
    return std::nullopt;
  }
  return parts.origin();
}

// An OpenAI-compatible base URL: origin plus path, no query or fragment, no trailing slash.
std::optional<std::string> normalize_base_url(std::string_view text, std::string& why) {
  url_parts parts;
  if (auto error = split_url(text, parts)) {
    why = in_quotes(text) + " is not a URL: it " + *error;
    return std::nullopt;
  }
  if (parts.rest.find_first_of("?#") != std::string::npos) {
    why = in_quotes(text) + " must not have a query or fragment (/chat/completions is appended)";
    return std::nullopt;
  }
  while (!parts.rest.empty() && parts.rest.back() == '/')
    parts.rest.pop_back();
  return parts.origin() + parts.rest;
}

std::optional<std::string> get_env(const env_lookup& env, std::string_view name) {
  if (!env) return std::nullopt;
  auto value = env(name);
  if (value && value->empty()) return std::nullopt;
  return value;
}

// ---- 2. The scalar settings of [server] and [limits] --------------------------------------
// Each has a TOML key in its section, a flag (--key-with-dashes) and a variable
// (PALAVER_KEY_IN_CAPITALS). One table drives all four readers and the help text, so they
// cannot drift apart.

using raw_value = std::variant<std::int64_t, double, bool, std::string>;

enum class value_type { integer, boolean, text };

std::string type_name(const raw_value& v) {
  switch (v.index()) {
    case 0:
      return "an integer";
    case 1:
      return "a float";
    case 2:
      return "a boolean";
    default:
      return "a string";
  }
}

std::string wrong_type(std::string_view wanted, const raw_value& v) {
  return "expected " + std::string(wanted) + ", found " + type_name(v);
}

using assign_fn = std::optional<std::string> (*)(config&, const raw_value&);
using show_fn = std::string (*)(const config&);

struct setting {
  std::string_view section;  // "server" or "limits"
  std::string_view key;
  value_type type;
  std::string_view value_name;  // in --help: --port PORT
  std::string_view help;
  assign_fn assign;      // checks and stores; returns why the value is refused
  show_fn show;          // the value as --help shows it
  bool has_flag = true;  // secrets: file and environment only (argv is visible in ps)
};

std::string flag_of(const setting& s) {
  std::string flag = "--" + std::string(s.key);
  std::replace(flag.begin(), flag.end(), '_', '-');
  return flag;
}

std::string env_of(const setting& s) {
  return "PALAVER_" + uppercase(s.key);
}

template <class T>
void store(T& field, std::int64_t v) {
  field = static_cast<T>(v);
}
void store(std::chrono::seconds& field, std::int64_t v) {
  field = std::chrono::seconds(v);
}
template <class T>
std::int64_t load(const T& field) {
  return static_cast<std::int64_t>(field);
}
std::int64_t load(const std::chrono::seconds& field) {
  return field.count();
}

template <auto section, auto member, std::int64_t min, std::int64_t max>
std::optional<std::string> assign_integer(config& c, const raw_value& v) {
  const auto* n = std::get_if<std::int64_t>(&v);
  if (n == nullptr) return wrong_type("an integer", v);
  if (*n < min || *n > max) {
    return std::to_string(*n) + " is out of range (" + std::to_string(min) + " to " +
           std::to_string(max) + ")";
  }
  store((c.*section).*member, *n);
  return std::nullopt;
}

template <auto section, auto member>
std::string show_integer(const config& c) {
  return std::to_string(load((c.*section).*member));
}

template <auto section, auto member>
std::optional<std::string> assign_boolean(config& c, const raw_value& v) {
  const auto* b = std::get_if<bool>(&v);
  if (b == nullptr) return wrong_type("true or false", v);
  (c.*section).*member = *b;
  return std::nullopt;
}

template <auto section, auto member>
std::string show_boolean(const config& c) {
  return (c.*section).*member ? "true" : "false";
}

std::optional<std::string> assign_listen(config& c, const raw_value& v) {
  const auto* s = std::get_if<std::string>(&v);
  if (s == nullptr) return wrong_type("a string", v);
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(*s, ec);
  if (ec)
    return in_quotes(*s) + " is not an IP address (for example 127.0.0.1, ::1, 0.0.0.0 or ::)";
  c.server.listen = address.to_string();
  return std::nullopt;
}

std::optional<std::string> assign_database(config& c, const raw_value& v) {
  const auto* s = std::get_if<std::string>(&v);
  if (s == nullptr) return wrong_type("a string", v);
  if (s->empty()) return "must not be empty";
  c.server.database = *s;
  return std::nullopt;
}

std::optional<std::string> assign_threads(config& c, const raw_value& v) {
  if (auto error = assign_integer<&config::server, &server_config::threads, 0, 1024>(c, v)) {
    return error;
  }
  if (c.server.threads == 0) c.server.threads = default_thread_count();
  return std::nullopt;
}

std::string show_threads(const config&) {
  return "0";
}

std::optional<std::string> assign_public_url(config& c, const raw_value& v) {
  const auto* s = std::get_if<std::string>(&v);
  if (s == nullptr) return wrong_type("a string", v);
  std::string why;
  auto origin = normalize_origin(*s, why);
  if (!origin) return why;
  c.server.public_url = std::move(*origin);
  return std::nullopt;
}

std::string show_public_url(const config&) {
  return "none (http://LISTEN:PORT)";
}

std::optional<std::string> assign_visitor_secret(config& c, const raw_value& v) {
  const auto* s = std::get_if<std::string>(&v);
  if (s == nullptr) return wrong_type("a string", v);
  if (s->size() < min_secret_bytes) {
    return "is " + std::to_string(s->size()) + " bytes; it must be at least " +
           std::to_string(min_secret_bytes);
  }
  c.server.visitor_secret = *s;
  return std::nullopt;
}

std::string show_visitor_secret(const config&) {
  return "generated once, kept with the database";
}

constexpr std::string_view log_level_names[] = {"trace", "debug", "info", "warn", "error", "off"};

std::optional<std::string> assign_log_level(config& c, const raw_value& v) {
  const auto* s = std::get_if<std::string>(&v);
  if (s == nullptr) return wrong_type("a string", v);
  for (std::size_t i = 0; i < std::size(log_level_names); ++i) {
    if (lowercase(*s) == log_level_names[i]) {
      c.server.log_level = static_cast<log_level>(i);
      return std::nullopt;
    }
  }
  return in_quotes(*s) + " is not one of trace, debug, info, warn, error, off";
}

std::string show_log_level(const config& c) {
  return std::string(to_string(c.server.log_level));
}

std::string show_listen(const config& c) {
  return c.server.listen;
}

std::string show_database(const config& c) {
  return c.server.database;
}

constexpr auto srv = &config::server;
constexpr auto lim = &config::limits;
constexpr std::int64_t kib = 1024;
constexpr std::int64_t mib = 1024 * 1024;

const setting settings[] = {
    {"server", "listen", value_type::text, "ADDRESS",
     "IP address to listen on; 0.0.0.0 or :: listens on every interface.", assign_listen,
     show_listen},
    {"server", "port", value_type::integer, "PORT", "TCP port, 0 to 65535; 0 picks a free one.",
     assign_integer<srv, &server_config::port, 0, 65535>, show_integer<srv, &server_config::port>},
    {"server", "database", value_type::text, "PATH",
     "SQLite database file, created if missing; a relative path starts at the working "
     "directory.",
     assign_database, show_database},
    {"server", "threads", value_type::integer, "N",
     "I/O threads, 0 to 1024; 0 is one per CPU core.", assign_threads, show_threads},
    {"server", "public_url", value_type::text, "URL",
     "The origin browsers reach the server at, e.g. https://chat.example.com: the server's "
     "own origin, always allowed. Set it behind a proxy or on a public address.",
     assign_public_url, show_public_url},
    {"server", "log_level", value_type::text, "LEVEL",
     "Log level: trace, debug, info, warn, error or off.", assign_log_level, show_log_level},
    {"server", "demo_page", value_type::boolean, "BOOL",
     "Serve the demo page at / (true or false).", assign_boolean<srv, &server_config::demo_page>,
     show_boolean<srv, &server_config::demo_page>},
    {"server", "visitor_secret", value_type::text, "SECRET",
     "Secret (32 bytes or more) that signs anonymous visitors' tokens; no flag, so it never "
     "shows in ps.",
     assign_visitor_secret, show_visitor_secret, false},

    {"limits", "max_frame_bytes", value_type::integer, "BYTES",
     "Largest frame a client may send, 8192 to 65536; a bigger one closes the socket (1009).",
     assign_integer<lim, &limits_config::max_frame_bytes, 8 * kib,
                    static_cast<std::int64_t>(palaver::limits::max_frame_bytes)>,
     show_integer<lim, &limits_config::max_frame_bytes>},
    {"limits", "messages_per_minute_per_socket", value_type::integer, "N",
     "Chat messages one socket may send per minute before RATE_LIMITED, 1 to 10000.",
     assign_integer<lim, &limits_config::messages_per_minute_per_socket, 1, 10000>,
     show_integer<lim, &limits_config::messages_per_minute_per_socket>},
    {"limits", "messages_per_minute_per_identity", value_type::integer, "N",
     "Chat messages one visitor may send per minute over all their sockets, 1 to 100000.",
     assign_integer<lim, &limits_config::messages_per_minute_per_identity, 1, 100000>,
     show_integer<lim, &limits_config::messages_per_minute_per_identity>},
    {"limits", "frames_per_second_per_socket", value_type::integer, "N",
     "Frames of any type one socket may send per second, 1 to 10000.",
     assign_integer<lim, &limits_config::frames_per_second_per_socket, 1, 10000>,
     show_integer<lim, &limits_config::frames_per_second_per_socket>},
    {"limits", "sockets_per_identity", value_type::integer, "N",
     "WebSockets one visitor may have open at once (tabs), 1 to 1000.",
     assign_integer<lim, &limits_config::sockets_per_identity, 1, 1000>,
     show_integer<lim, &limits_config::sockets_per_identity>},
    {"limits", "outgoing_queue_bytes", value_type::integer, "BYTES",
     "Bytes queued for one slow socket before it is closed, 65536 to 1073741824 (1 GiB).",
     assign_integer<lim, &limits_config::outgoing_queue_bytes, 64 * kib, 1024 * mib>,
     show_integer<lim, &limits_config::outgoing_queue_bytes>},
    {"limits", "http_header_bytes", value_type::integer, "BYTES",
     "Largest HTTP request header, 1024 to 1048576 (1 MiB).",
     assign_integer<lim, &limits_config::http_header_bytes, kib, mib>,
     show_integer<lim, &limits_config::http_header_bytes>},
    {"limits", "http_body_bytes", value_type::integer, "BYTES",
     "Largest HTTP request body, 1024 to 1073741824 (1 GiB).",
     assign_integer<lim, &limits_config::http_body_bytes, kib, 1024 * mib>,
     show_integer<lim, &limits_config::http_body_bytes>},
    {"limits", "idle_timeout_seconds", value_type::integer, "SECONDS",
     "Close a WebSocket (1001) after this long without a frame or a pong from the client, 5 "
     "to 86400.",
     assign_integer<lim, &limits_config::idle_timeout, 5, 86400>,
     show_integer<lim, &limits_config::idle_timeout>},
    {"limits", "auth_timeout_seconds", value_type::integer, "SECONDS",
     "Close a WebSocket that has not authenticated by then (1008), 1 to 300.",
     assign_integer<lim, &limits_config::auth_timeout, 1, 300>,
     show_integer<lim, &limits_config::auth_timeout>},
    {"limits", "ping_interval_seconds", value_type::integer, "SECONDS",
     "Ping a WebSocket after this long without a frame from the client, 1 to 3600; below "
     "idle_timeout_seconds.",
     assign_integer<lim, &limits_config::ping_interval, 1, 3600>,
     show_integer<lim, &limits_config::ping_interval>},
    {"limits", "max_connections", value_type::integer, "N",
     "TCP connections (HTTP and WebSocket) open at once over the whole server, 1 to 1000000; "
     "more are closed as they arrive.",
     assign_integer<lim, &limits_config::max_connections, 1, 1000000>,
     show_integer<lim, &limits_config::max_connections>},
    {"limits", "max_connections_per_address", value_type::integer, "N",
     "TCP connections open at once from one client IP address, 1 to 1000000. Behind a "
     "reverse proxy every client has the proxy's address: raise it, or limit in the proxy.",
     assign_integer<lim, &limits_config::max_connections_per_address, 1, 1000000>,
     show_integer<lim, &limits_config::max_connections_per_address>},
    {"limits", "new_visitors_per_minute_per_address", value_type::integer, "N",
     "Anonymous visitors one client IP address may create per minute (POST /api/v1/visitors), "
     "1 to 100000.",
     assign_integer<lim, &limits_config::new_visitors_per_minute_per_address, 1, 100000>,
     show_integer<lim, &limits_config::new_visitors_per_minute_per_address>},
};

const setting* find_setting(std::string_view section, std::string_view key) {
  for (const auto& s : settings) {
    if (s.section == section && s.key == key) return &s;
  }
  return nullptr;
}

// Converts an environment or flag value to what the setting takes, then assigns it.
std::optional<std::string> assign_text(config& c, const setting& s, const std::string& text,
                                       std::string_view where) {
  raw_value value = text;
  if (s.type == value_type::integer) {
    const auto n = parse_integer(text);
    if (!n) return std::string(where) + ": " + in_quotes(text) + " is not an integer";
    value = *n;
  } else if (s.type == value_type::boolean) {
    const auto b = parse_boolean(text);
    if (!b) return std::string(where) + ": " + in_quotes(text) + " is not true or false";
    value = *b;
  }
  if (auto error = s.assign(c, value)) return std::string(where) + ": " + *error;
  return std::nullopt;
}

// ---- 3. The TOML file ---------------------------------------------------------------------

// What loading gathers besides the config: secrets named but not set. `serve` refuses to start
// with any of them missing; `token` only needs its own site's.
struct loader {
  std::string source;  // the file name, in messages
  const env_lookup& env;
  std::vector<std::string> missing_secrets;
  std::map<std::string, std::string, std::less<>> missing_jwt_secrets;  // by site id

  std::string at(const toml::source_region& region) const {
    return source + ":" + std::to_string(region.begin.line);
  }
  std::string at(const toml::node& node) const { return at(node.source()); }
};

std::string node_type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    default:
      return "nothing";
  }
}

std::optional<raw_value> to_raw(const toml::node& node) {
  if (const auto* v = node.as_integer()) return raw_value{v->get()};
  if (const auto* v = node.as_floating_point()) return raw_value{v->get()};
  if (const auto* v = node.as_boolean()) return raw_value{v->get()};
  if (const auto* v = node.as_string()) return raw_value{v->get()};
  return std::nullopt;
}

std::string field_error(const loader& ld, const toml::node& node, std::string_view path,
                        std::string_view detail) {
  return ld.at(node) + ": " + std::string(path) + ": " + std::string(detail);
}

// Every key of `table` must be in `known`. Names the first stranger and its line, with a
// suggestion when it looks like a typo, a misplaced setting or a secret.
std::optional<std::string> check_keys(const loader& ld, const toml::table& table,
                                      std::string_view path,
                                      std::span<const std::string_view> known) {
  for (const auto& [key, node] : table) {
    const std::string_view name = key.str();
    if (std::find(known.begin(), known.end(), name) != known.end()) continue;
    std::string message = ld.at(key.source()) + ": unknown key '" +
                          (path.empty() ? std::string() : std::string(path) + ".") +
                          std::string(name) + "'";
    if (name == "jwt_secret" || name == "api_key" || name == "secret") {
      message +=
          ": secrets are not read from the file; put it in an environment variable "
          "and name the variable in " +
          std::string(name == "api_key" ? "api_key_env" : "jwt_secret_env");
      return message;
    }
    for (const auto& s : settings) {
      if (s.key == name && s.section != path) {
        return message + ": it belongs in [" + std::string(s.section) + "]";
      }
    }
    std::string_view best;
    std::size_t best_distance = 3;
    for (const auto candidate : known) {
      const std::size_t d = edit_distance(name, candidate);
      if (d < best_distance) best = candidate, best_distance = d;
    }
    if (!best.empty()) message += ": did you mean '" + std::string(best) + "'?";
    return message;
  }
  return std::nullopt;
}

// Typed reads of one key: absent leaves `out` alone; the wrong type is an error at its line.
bool extract(const toml::node& node, std::string& out) {
  if (const auto* v = node.as_string()) return out = v->get(), true;
  return false;
}
bool extract(const toml::node& node, std::int64_t& out) {
  if (const auto* v = node.as_integer()) return out = v->get(), true;
  return false;
}
bool extract(const toml::node& node, bool& out) {
  if (const auto* v = node.as_boolean()) return out = v->get(), true;
  return false;
}
bool extract(const toml::node& node, double& out) {
  if (const auto* v = node.as_floating_point()) return out = v->get(), true;
  if (const auto* v = node.as_integer()) return out = static_cast<double>(v->get()), true;
  return false;
}
bool extract(const toml::node& node, std::vector<std::string>& out) {
  const auto* array = node.as_array();
  if (array == nullptr) return false;
  out.clear();
  for (const auto& item : *array) {
    const auto* v = item.as_string();
    if (v == nullptr) return false;
    out.push_back(v->get());
  }
  return true;
}

template <class T>
constexpr std::string_view wanted_name() {
  if constexpr (std::is_same_v<T, std::string>) return "a string";
  if constexpr (std::is_same_v<T, std::int64_t>) return "an integer";
  if constexpr (std::is_same_v<T, bool>) return "true or false";
  if constexpr (std::is_same_v<T, double>) return "a number";
  if constexpr (std::is_same_v<T, std::vector<std::string>>) return "an array of strings";
}

template <class T>
std::optional<std::string> read(const loader& ld, const toml::table& table, std::string_view path,
                                std::string_view key, std::optional<T>& out) {
  const toml::node* node = table.get(key);
  if (node == nullptr) return std::nullopt;
  T value{};
  if (!extract(*node, value)) {
    return field_error(
        ld, *node, std::string(path) + "." + std::string(key),
        "expected " + std::string(wanted_name<T>()) + ", found " + node_type_name(*node));
  }
  out = std::move(value);
  return std::nullopt;
}

std::optional<std::string> read_integer(const loader& ld, const toml::table& table,
                                        std::string_view path, std::string_view key,
                                        std::int64_t min, std::int64_t max,
                                        std::optional<std::int64_t>& out) {
  if (auto error = read(ld, table, path, key, out)) return error;
  if (out && (*out < min || *out > max)) {
    return field_error(ld, *table.get(key), std::string(path) + "." + std::string(key),
                       std::to_string(*out) + " is out of range (" + std::to_string(min) + " to " +
                           std::to_string(max) + ")");
  }
  return std::nullopt;
}

// A `*_env` key: the variable's name is checked, then its value looked up. A named variable that
// is unset is recorded in `missing` (serve refuses to start) rather than failing here, so that
// `palaver token` works without every agent's key.
std::optional<std::string> read_secret(loader& ld, const toml::table& table, std::string_view path,
                                       std::string_view key, std::string_view owner,
                                       std::optional<std::string>& env_name,
                                       std::optional<std::string>& secret,
                                       std::optional<std::string>& missing) {
  if (auto error = read(ld, table, path, key, env_name)) return error;
  if (!env_name) return std::nullopt;
  const std::string where = std::string(path) + "." + std::string(key);
  if (!is_env_name(*env_name)) {
    return field_error(ld, *table.get(key), where,
                       in_quotes(*env_name) +
                           " is not an environment variable name (letters, digits and _; "
                           "the secret itself never goes in the file)");
  }
  secret = get_env(ld.env, *env_name);
  if (!secret) {
    missing = field_error(
        ld, *table.get(key), where,
        std::string(owner) + " needs the environment variable " + *env_name + ", which is not set");
    ld.missing_secrets.push_back(*missing);
  }
  return std::nullopt;
}

std::optional<std::string> read_scalars(const loader& ld, const toml::table& table,
                                        std::string_view section, config& out) {
  std::vector<std::string_view> known;
  for (const auto& s : settings) {
    if (s.section == section) known.push_back(s.key);
  }
  if (auto error = check_keys(ld, table, section, known)) return error;
  for (const auto& [key, node] : table) {
    const setting& s = *find_setting(section, key.str());
    const std::string path = std::string(section) + "." + std::string(key.str());
    const auto value = to_raw(node);
    if (!value) {
      return field_error(ld, node, path, "expected a single value, found " + node_type_name(node));
    }
    if (auto error = s.assign(out, *value)) return field_error(ld, node, path, *error);
  }
  return std::nullopt;
}

// The keys of each kind, and of every agent; check_keys() takes the last list.
constexpr std::string_view echo_keys[] = {"words_per_second"};
constexpr std::string_view openai_keys[] = {"base_url",        "model",
                                            "api_key_env",     "system_prompt",
                                            "temperature",     "max_history_messages",
                                            "timeout_seconds", "max_tokens"};
constexpr std::string_view agent_keys[] = {"name",
                                           "kind",
                                           "words_per_second",
                                           "base_url",
                                           "model",
                                           "api_key_env",
                                           "system_prompt",
                                           "temperature",
                                           "max_history_messages",
                                           "timeout_seconds",
                                           "max_tokens"};

std::optional<std::string> read_echo_agent(const loader& ld, const toml::table& table,
                                           echo_agent_config& out) {
  std::optional<std::int64_t> words;
  if (auto error = read_integer(ld, table, "agent", "words_per_second", 0, 100000, words)) {
    return error;
  }
  if (words) out.words_per_second = static_cast<int>(*words);
  return std::nullopt;
}

std::optional<std::string> read_openai_agent(loader& ld, const toml::table& table,
                                             const std::string& name, openai_agent_config& out) {
  const std::string owner = "agent '" + name + "'";
  std::optional<std::string> base_url, model, system_prompt, missing;
  if (auto error = read(ld, table, "agent", "base_url", base_url)) return error;
  if (!base_url) {
    return ld.at(table) + ": " + owner +
           ": missing base_url (e.g. https://api.openai.com/v1 or http://127.0.0.1:11434/v1)";
  }
  std::string why;
  auto url = normalize_base_url(*base_url, why);
  if (!url) return field_error(ld, *table.get("base_url"), "agent.base_url", why);
  out.base_url = std::move(*url);

  if (auto error = read(ld, table, "agent", "model", model)) return error;
  if (!model || model->empty() || has_control_characters(*model) || model->size() > 200) {
    return model
               ? field_error(ld, *table.get("model"), "agent.model", "must be 1 to 200 characters")
               : ld.at(table) + ": " + owner + ": missing model (e.g. gpt-4o-mini, llama3.1)";
  }
  out.model = std::move(*model);

  if (auto error = read_secret(ld, table, "agent", "api_key_env", owner, out.api_key_env,
                               out.api_key, missing)) {
    return error;
  }
  if (auto error = read(ld, table, "agent", "system_prompt", system_prompt)) return error;
  if (system_prompt) {
    if (system_prompt->size() > palaver::limits::max_text_bytes) {
      return field_error(
          ld, *table.get("system_prompt"), "agent.system_prompt",
          "longer than " + std::to_string(palaver::limits::max_text_bytes) + " bytes");
    }
    out.system_prompt = std::move(*system_prompt);
  }

  std::optional<double> temperature;
  if (auto error = read(ld, table, "agent", "temperature", temperature)) return error;
  if (temperature && !(*temperature >= 0.0 && *temperature <= 2.0)) {
    return field_error(ld, *table.get("temperature"), "agent.temperature", "out of range (0 to 2)");
  }
  out.temperature = temperature;

  std::optional<std::int64_t> history, timeout, max_tokens;
  if (auto error = read_integer(ld, table, "agent", "max_history_messages", 1,
                                palaver::limits::max_history_messages, history)) {
    return error;
  }
  if (history) out.max_history_messages = static_cast<int>(*history);
  if (auto error = read_integer(ld, table, "agent", "timeout_seconds", 1, 3600, timeout)) {
    return error;
  }
  if (timeout) out.timeout = std::chrono::seconds(*timeout);
  if (auto error = read_integer(ld, table, "agent", "max_tokens", 1, 1000000, max_tokens)) {
    return error;
  }
  if (max_tokens) out.max_tokens = static_cast<int>(*max_tokens);
  return std::nullopt;
}

std::optional<std::string> read_agent(loader& ld, const toml::table& table, agent_config& out) {
  if (auto error = check_keys(ld, table, "agent", agent_keys)) return error;

  std::optional<std::string> name, kind;
  if (auto error = read(ld, table, "agent", "name", name)) return error;
  if (!name) return ld.at(table) + ": agent: missing name";
  if (!is_agent_name(*name)) {
    return field_error(ld, *table.get("name"), "agent.name",
                       in_quotes(*name) + " is not an agent name (1 to 32 of a-z 0-9 _ -)");
  }
  out.name = *name;
  if (auto error = read(ld, table, "agent", "kind", kind)) return error;
  if (!kind) return ld.at(table) + ": agent '" + *name + "': missing kind (echo or openai)";
  if (*kind != "echo" && *kind != "openai") {
    return field_error(ld, *table.get("kind"), "agent.kind",
                       in_quotes(*kind) + " is not a kind of agent (echo or openai)");
  }
  // A key of the other kind is almost certainly a mistake (a kind = "echo" left in a copied
  // block), so it is refused rather than ignored.
  const auto& foreign = *kind == "echo" ? std::span<const std::string_view>(openai_keys)
                                        : std::span<const std::string_view>(echo_keys);
  for (const auto key : foreign) {
    if (const toml::node* node = table.get(key)) {
      return field_error(ld, *node, "agent." + std::string(key),
                         "not a setting of an agent of kind " + *kind);
    }
  }
  if (*kind == "echo") {
    echo_agent_config echo;
    if (auto error = read_echo_agent(ld, table, echo)) return error;
    out.backend = echo;
  } else {
    openai_agent_config openai;
    if (auto error = read_openai_agent(ld, table, *name, openai)) return error;
    out.backend = std::move(openai);
  }
  return std::nullopt;
}

std::vector<std::string> agent_names(const config& c) {
  std::vector<std::string> names;
  for (const auto& a : c.agents)
    names.push_back(a.name);
  return names;
}

constexpr std::string_view site_keys[] = {"id",
                                          "origins",
                                          "allow_anonymous",
                                          "jwt_secret_env",
                                          "audience",
                                          "issuer",
                                          "max_token_lifetime_seconds",
                                          "api_key_env",
                                          "default_agent",
                                          "agents",
                                          "texts"};

// One text of [site.texts] or [site.texts.<tag>] (`path`): the key must be a key of en.json
// (the catalogues the binary embeds, not a list of our own), the value a text the widget can
// show in its place (check_site_text).
std::optional<std::string> read_site_text(const loader& ld, const catalogue_index& index,
                                          std::string_view path, const toml::key& key,
                                          const toml::node& node, site_text_map& out) {
  const std::string name(key.str());
  const std::string where = std::string(path) + "." + name;
  if (index.english_text(name) == nullptr) {
    std::string message = ld.at(key.source()) + ": unknown key '" + where + "'";
    if (path == "site.texts" && index.has_tag(name)) {
      return message + ": one language's texts go in a table, [" + where + "]";
    }
    std::string_view best;
    std::size_t best_distance = 3;
    for (const auto& [candidate, english] : index.english) {
      const std::size_t d = edit_distance(name, candidate);
      if (d < best_distance) best = candidate, best_distance = d;
    }
    if (!best.empty()) return message + ": did you mean '" + std::string(best) + "'?";
    return message + ": not one of the widget's texts (the keys of web/i18n/en.json)";
  }
  const auto* text = node.as_string();
  if (text == nullptr) {
    return field_error(ld, node, where, "expected a string, found " + node_type_name(node));
  }
  if (auto problem = check_site_text(index, name, text->get())) {
    return field_error(ld, node, where, *problem);
  }
  out[name] = text->get();
  return std::nullopt;
}

// [site.texts]: a string applies to every language; a table named by a shipped catalogue's
// tag, [site.texts.fr], to that language only, and wins there.
std::optional<std::string> read_site_texts(const loader& ld, const toml::table& site,
                                           site_texts& out) {
  const toml::node* node = site.get("texts");
  if (node == nullptr) return std::nullopt;
  const auto* table = node->as_table();
  if (table == nullptr) {
    return field_error(ld, *node, "site.texts",
                       "expected a table ([site.texts]), found " + node_type_name(*node));
  }
  const catalogue_index& index = shipped_catalogues();
  for (const auto& [key, value] : *table) {
    const auto* language = value.as_table();
    if (language == nullptr) {
      if (auto error = read_site_text(ld, index, "site.texts", key, value, out.every_language)) {
        return error;
      }
      continue;
    }
    const std::string tag(key.str());
    const std::string where = "site.texts." + tag;
    if (!index.has_tag(tag)) {
      if (index.english_text(tag) != nullptr) {
        return field_error(ld, value, where, "expected a string, found a table");
      }
      return field_error(ld, value, where,
                         in_quotes(tag) + " is not a language of the widget's catalogues (" +
                             join(index.tags) + ")");
    }
    site_text_map texts;
    for (const auto& [text_key, text] : *language) {
      if (auto error = read_site_text(ld, index, where, text_key, text, texts)) return error;
    }
    if (!texts.empty()) out.by_language[tag] = std::move(texts);
  }
  return std::nullopt;
}

std::optional<std::string> read_site(loader& ld, const toml::table& table, const config& cfg,
                                     site_config& out) {
  if (auto error = check_keys(ld, table, "site", site_keys)) return error;

  std::optional<std::string> id;
  if (auto error = read(ld, table, "site", "id", id)) return error;
  if (id && !is_id(*id)) {
    return field_error(ld, *table.get("id"), "site.id",
                       in_quotes(*id) + " is not a site id (1 to 64 of A-Z a-z 0-9 _ -)");
  }
  if (id) out.id = *id;
  const std::string owner = "site '" + out.id + "'";

  std::optional<std::vector<std::string>> origins;
  if (auto error = read(ld, table, "site", "origins", origins)) return error;
  out.origins.clear();
  for (const auto& text : origins.value_or(std::vector<std::string>{})) {
    std::string why;
    auto origin = normalize_origin(text, why);
    if (!origin) return field_error(ld, *table.get("origins"), "site.origins", why);
    if (std::find(out.origins.begin(), out.origins.end(), *origin) == out.origins.end()) {
      out.origins.push_back(std::move(*origin));
    }
  }

  std::optional<bool> anonymous;
  if (auto error = read(ld, table, "site", "allow_anonymous", anonymous)) return error;
  out.allow_anonymous = anonymous.value_or(true);

  std::optional<std::string> missing_jwt, missing_api_key;
  if (auto error = read_secret(ld, table, "site", "jwt_secret_env", owner, out.jwt_secret_env,
                               out.jwt_secret, missing_jwt)) {
    return error;
  }
  if (missing_jwt) ld.missing_jwt_secrets[out.id] = *missing_jwt;
  if (auto error = read_secret(ld, table, "site", "api_key_env", owner, out.api_key_env,
                               out.api_key, missing_api_key)) {
    return error;
  }

  std::optional<std::string> audience;
  if (auto error = read(ld, table, "site", "audience", audience)) return error;
  if (audience &&
      (audience->empty() || audience->size() > 255 || has_control_characters(*audience))) {
    return field_error(ld, *table.get("audience"), "site.audience", "must be 1 to 255 characters");
  }
  out.audience = audience.value_or(out.id);

  std::optional<std::string> issuer;
  if (auto error = read(ld, table, "site", "issuer", issuer)) return error;
  if (issuer &&
      (issuer->empty() || issuer->size() > max_issuer_bytes || has_control_characters(*issuer))) {
    return field_error(ld, *table.get("issuer"), "site.issuer",
                       "must be 1 to " + std::to_string(max_issuer_bytes) + " characters");
  }
  out.issuer = issuer.value_or("");

  std::optional<std::int64_t> lifetime;
  if (auto error = read_integer(ld, table, "site", "max_token_lifetime_seconds",
                                min_max_token_lifetime.count(), max_token_ttl.count(), lifetime)) {
    return error;
  }
  if (lifetime) out.max_token_lifetime = std::chrono::seconds(*lifetime);

  std::optional<std::vector<std::string>> agents;
  if (auto error = read(ld, table, "site", "agents", agents)) return error;
  if (agents) {
    if (agents->empty()) {
      return field_error(ld, *table.get("agents"), "site.agents", "must name at least one agent");
    }
    out.agents.clear();
    for (const auto& name : *agents) {
      if (cfg.find_agent(name) == nullptr) {
        return field_error(
            ld, *table.get("agents"), "site.agents",
            "no agent is named " + in_quotes(name) + " (agents: " + join(agent_names(cfg)) + ")");
      }
      if (std::find(out.agents.begin(), out.agents.end(), name) != out.agents.end()) {
        return field_error(ld, *table.get("agents"), "site.agents",
                           in_quotes(name) + " is listed twice");
      }
      out.agents.push_back(name);
    }
  } else {
    out.agents = agent_names(cfg);
  }

  std::optional<std::string> default_agent;
  if (auto error = read(ld, table, "site", "default_agent", default_agent)) return error;
  if (default_agent) {
    if (std::find(out.agents.begin(), out.agents.end(), *default_agent) == out.agents.end()) {
      return field_error(ld, *table.get("default_agent"), "site.default_agent",
                         in_quotes(*default_agent) + " is not one of the site's agents (" +
                             join(out.agents) + ")");
    }
    out.default_agent = *default_agent;
  } else {
    const bool echo_allowed =
        std::find(out.agents.begin(), out.agents.end(), "echo") != out.agents.end();
    out.default_agent = echo_allowed ? "echo" : out.agents.front();
  }

  if (auto error = read_site_texts(ld, table, out.texts)) return error;

  if (!out.allow_anonymous && !out.jwt_secret_env) {
    return ld.at(table) + ": " + owner +
           " lets nobody in: it refuses anonymous visitors and has no jwt_secret_env for "
           "identified users";
  }
  return std::nullopt;
}

// [[name]]: each element a table; `[name]` (one table) is the usual mistake.
std::optional<std::string> array_of_tables(const loader& ld, const toml::node& node,
                                           std::string_view name,
                                           std::vector<const toml::table*>& out) {
  const auto* array = node.as_array();
  if (array == nullptr) {
    return field_error(ld, node, name,
                       "write [[" + std::string(name) + "]] (one block per " + std::string(name) +
                           "), found " + node_type_name(node));
  }
  for (const auto& item : *array) {
    const auto* table = item.as_table();
    if (table == nullptr) {
      return field_error(ld, item, name, "expected a table, found " + node_type_name(item));
    }
    out.push_back(table);
  }
  return std::nullopt;
}

std::optional<std::string> read_document(loader& ld, const toml::table& root, config& out) {
  static constexpr std::string_view sections[] = {"server", "limits", "agent", "site"};
  if (auto error = check_keys(ld, root, "", sections)) return error;

  for (const std::string_view section : {"server", "limits"}) {
    const toml::node* node = root.get(section);
    if (node == nullptr) continue;
    const auto* table = node->as_table();
    if (table == nullptr) {
      return field_error(ld, *node, section, "expected a table [" + std::string(section) + "]");
    }
    if (auto error = read_scalars(ld, *table, section, out)) return error;
  }

  // Agents first: sites name them.
  if (const toml::node* node = root.get("agent")) {
    std::vector<const toml::table*> tables;
    if (auto error = array_of_tables(ld, *node, "agent", tables)) return error;
    std::vector<agent_config> agents;
    for (const auto* table : tables) {
      agent_config agent;
      if (auto error = read_agent(ld, *table, agent)) return error;
      for (const auto& other : agents) {
        if (other.name == agent.name) {
          return field_error(ld, *table->get("name"), "agent.name",
                             "an agent named " + in_quotes(agent.name) + " is already defined");
        }
      }
      agents.push_back(std::move(agent));
    }
    const bool has_echo = std::any_of(agents.begin(), agents.end(),
                                      [](const agent_config& a) { return a.name == "echo"; });
    if (!has_echo) agents.insert(agents.begin(), agent_config{});
    out.agents = std::move(agents);
  }

  if (const toml::node* node = root.get("site")) {
    std::vector<const toml::table*> tables;
    if (auto error = array_of_tables(ld, *node, "site", tables)) return error;
    if (tables.empty()) return field_error(ld, *node, "site", "define at least one [[site]]");
    std::vector<site_config> sites;
    for (const auto* table : tables) {
      site_config site;
      if (auto error = read_site(ld, *table, out, site)) return error;
      for (const auto& other : sites) {
        if (other.id == site.id) {
          const toml::node* id = table->get("id");
          return (id ? ld.at(*id) : ld.at(*table)) + ": site.id: a site with id " +
                 in_quotes(site.id) + " is already defined";
        }
      }
      sites.push_back(std::move(site));
    }
    out.sites = std::move(sites);
  } else {
    out.sites = {site_config{}};
    out.sites.front().agents = agent_names(out);
  }
  return std::nullopt;
}

std::optional<std::string> read_text_file(const std::string& path, std::string& out) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    return "config file " + in_quotes(path) + " is a directory";
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return "cannot open config file " + in_quotes(path) + ": " + std::strerror(errno);
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return "cannot read config file " + in_quotes(path) + ": " + std::strerror(errno);
  out = std::move(text).str();
  return std::nullopt;
}

std::optional<std::string> load_toml(loader& ld, std::string_view text, config& out) {
  toml::table root;
  try {
    root = toml::parse(text, ld.source);
  } catch (const toml::parse_error& e) {
    return ld.source + ":" + std::to_string(e.source().begin.line) + ":" +
           std::to_string(e.source().begin.column) + ": " + std::string(e.description());
  }
  return read_document(ld, root, out);
}

// ---- 4. Environment and flags over the file, secrets, checks across settings ------------

std::optional<std::string> apply_environment(const env_lookup& env, config& out) {
  for (const auto& s : settings) {
    const std::string name = env_of(s);
    if (const auto value = get_env(env, name)) {
      if (auto error = assign_text(out, s, *value, name)) return error;
    }
  }
  return std::nullopt;
}

// The built-in "default" site (no [[site]] in the file) takes its secrets from fixed,
// optional variables, so development needs no file at all.
void resolve_default_site_secrets(const loader& ld, config& out) {
  if (out.sites.size() != 1 || out.sites.front().jwt_secret_env || out.sites.front().api_key_env ||
      out.sites.front().id != "default") {
    return;
  }
  site_config& site = out.sites.front();
  if (auto secret = get_env(ld.env, "PALAVER_JWT_SECRET")) {
    site.jwt_secret_env = "PALAVER_JWT_SECRET";
    site.jwt_secret = std::move(secret);
  }
  if (auto key = get_env(ld.env, "PALAVER_API_KEY")) {
    site.api_key_env = "PALAVER_API_KEY";
    site.api_key = std::move(key);
  }
}

std::optional<std::string> check_and_warn(config& out) {
  if (out.limits.ping_interval >= out.limits.idle_timeout) {
    return "limits: ping_interval_seconds (" + std::to_string(out.limits.ping_interval.count()) +
           ") must be below idle_timeout_seconds (" +
           std::to_string(out.limits.idle_timeout.count()) +
           "), or live but quiet connections are closed";
  }
  // Browsers name the server in their Origin header; without public_url the server can only
  // guess that name from its listen address, which is right for local development alone.
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(out.server.listen, ec);
  if (!ec && !address.is_loopback() && !out.server.public_url) {
    out.warnings.push_back("listening on " + out.server.listen + " without public_url: only " +
                           join(own_origins(out, out.server.port)) +
                           " count as the server's own origin (its demo page and widget); set "
                           "public_url to the address browsers use");
  }
  for (const auto& site : out.sites) {
    if (site.jwt_secret && site.jwt_secret->size() < min_secret_bytes) {
      out.warnings.push_back("site '" + site.id + "': the secret in " +
                             site.jwt_secret_env.value_or("?") + " is shorter than " +
                             std::to_string(min_secret_bytes) +
                             " bytes, which HS256 does not consider safe");
    }
  }
  return std::nullopt;
}

struct flag_value {
  const setting* what;
  std::string text;
  CLI::Option* option = nullptr;
};

// The whole chain for serve and token: defaults < file < environment < flags.
config_result<config> load_config(loader& ld, const std::optional<std::string>& path,
                                  std::vector<flag_value>* flags) {
  config out;
  if (path) {
    std::string text;
    if (auto error = read_text_file(*path, text)) return config_error{*error};
    if (auto error = load_toml(ld, text, out)) return config_error{*error};
    out.file = *path;
  }
  if (auto error = apply_environment(ld.env, out)) return config_error{*error};
  if (flags != nullptr) {
    for (const auto& flag : *flags) {
      if (flag.option == nullptr || flag.option->count() == 0) continue;
      if (auto error = assign_text(out, *flag.what, flag.text, flag_of(*flag.what))) {
        return config_error{*error};
      }
    }
  }
  resolve_default_site_secrets(ld, out);
  if (auto error = check_and_warn(out)) return config_error{*error};
  return out;
}

// ---- 5. The command line and its help text ------------------------------------------------
// CLI11 parses; the help text is rendered here from the settings table, wrapped to 80 columns,
// because CLI11 2.1's formatter neither wraps nor names the parent command.

// `text` as lines of at most `width` columns, each indented by `indent` spaces.
std::string wrap(std::string_view text, std::size_t indent, std::size_t width = 80) {
  std::string out, line;
  std::size_t pos = 0;
  while (pos < text.size()) {
    if (text[pos] == ' ') {
      ++pos;
      continue;
    }
    const std::size_t end = std::min(text.find(' ', pos), text.size());
    const std::string_view word = text.substr(pos, end - pos);
    if (!line.empty() && indent + line.size() + 1 + word.size() > width) {
      out += std::string(indent, ' ') + line + "\n";
      line.clear();
    }
    if (!line.empty()) line += ' ';
    line += word;
    pos = end;
  }
  if (!line.empty()) out += std::string(indent, ' ') + line + "\n";
  return out;
}

struct option_doc {
  std::string names;  // "--port PORT"
  std::string text;
};

std::string render(const std::vector<option_doc>& options) {
  std::string out;
  for (const auto& option : options)
    out += "  " + option.names + "\n" + wrap(option.text, 6);
  return out;
}

std::string setting_text(const setting& s) {
  const std::string also = s.has_flag ? env_of(s) + ", or " : std::string();
  return std::string(s.help) + " Default: " + s.show(config{}) + ". Also " + also +
         std::string(s.key) + " in [" + std::string(s.section) + "].";
}

const option_doc help_option{"-h, --help", "Print this help and exit."};
const option_doc config_option{
    "-c, --config FILE",
    "TOML configuration file (see \"Configuration file\" in palaver --help). Also "
    "PALAVER_CONFIG."};

std::string serve_help() {
  std::vector<option_doc> options = {help_option, config_option};
  for (const auto& s : settings) {
    if (s.has_flag)
      options.push_back({flag_of(s) + " " + std::string(s.value_name), setting_text(s)});
  }
  return "Usage: palaver serve [OPTIONS]\n\n" +
         wrap(
             "Run the server. With no options it listens on 127.0.0.1:8080, keeps its data in "
             "./palaver.db, answers with the built-in echo agent, lets anonymous visitors in "
             "from its own origin and serves the demo page. Precedence: defaults < "
             "configuration file < environment < flags.",
             0) +
         "\nOptions:\n" + render(options);
}

std::string token_help() {
  const std::vector<option_doc> options = {
      help_option,
      config_option,
      {"--site ID",
       "The site whose secret (jwt_secret_env) signs the token. Default: the only "
       "site; required when there are several."},
      {"--sub ID", "The user's id, the JWT \"sub\": 1 to 255 characters. Required."},
      {"--name TEXT",
       "The user's display name, the JWT \"name\", at most 100 bytes. Default: "
       "none."},
      {"--ttl DURATION",
       "Lifetime: seconds, or a number ending in s, m, h or d, from 1s to "
       "365d, and at most the site's max_token_lifetime_seconds. Default: 1h, or "
       "that maximum if it is shorter."},
  };
  return "Usage: palaver token --sub ID [OPTIONS]\n\n" +
         wrap(
             "Print a signed test identity: an HS256 JWT (sub, name, aud = the site's "
             "audience, iat, exp) for one of a site's identified users, to present as "
             "auth.token.",
             0) +
         "\nOptions:\n" + render(options);
}

std::string reference_text() {
  std::vector<option_doc> variables = {{"PALAVER_CONFIG", "The configuration file, as --config."}};
  for (const auto& s : settings) {
    if (!s.has_flag) variables.push_back({env_of(s), setting_text(s)});
  }
  variables.push_back({"PALAVER_JWT_SECRET",
                       "HS256 secret for identified users of the built-in \"default\" site (the "
                       "one that exists when the file defines no [[site]])."});
  variables.push_back(
      {"PALAVER_API_KEY", "REST API key of the built-in \"default\" site (same condition)."});
  return "Environment:\n" +
         wrap(
             "Every serve option is also a variable, named as shown in its description. An "
             "empty variable counts as unset.",
             2) +
         render(variables) + R"(
Configuration file (TOML, given by --config or PALAVER_CONFIG):
  [server] and [limits] take the serve options above, spelled with underscores
  (max_frame_bytes = 65536). Unknown keys are errors.

  [[site]]  one block per embedding site; without any, one site "default" exists
    id                site id, 1 to 64 of A-Z a-z 0-9 _ - (default: "default")
    origins           exact origins allowed to embed the widget and connect,
                      e.g. ["https://www.example.com"]; the server's own
                      origin is always allowed
    allow_anonymous   let visitors in without a token (default: true)
    jwt_secret_env    NAME of the variable with the HS256 secret for identified
                      users (secrets are never in the file)
    audience          the JWT "aud" of identified users' tokens (default: id)
    issuer            the JWT "iss" their tokens must carry (default: none, not
                      checked)
    max_token_lifetime_seconds
                      refuse a user token whose exp is further ahead than this,
                      60 to 315360000 (default: 86400, one day)
    api_key_env       NAME of the variable with the site backend's REST API key
    agents            agents visitors may pick (default: every agent)
    default_agent     agent of a new conversation (default: echo if allowed,
                      else the first of agents)
    [site.texts]      the site's own words for the widget: key = "text", keys of
                      web/i18n/en.json, for every language; [site.texts.fr]
                      for one language, winning over those (default: none)

  [[agent]]  one block per agent; "echo" is built in unless a block defines it
    name              1 to 32 of a-z 0-9 _ -
    kind              "echo" (repeats the visitor's words) or "openai" (any
                      OpenAI-compatible Chat Completions endpoint)
    words_per_second  echo: streaming speed, 0 for all at once (default: 20)
    base_url          openai: e.g. https://api.openai.com/v1 or, for Ollama,
                      http://127.0.0.1:11434/v1
    model             openai: the model, e.g. gpt-4o-mini
    api_key_env       openai: NAME of the variable holding the API key (default:
                      none, no Authorization header)
    system_prompt     openai: instructions sent first (default: none)
    temperature       openai: 0 to 2 (default: the endpoint's)
    max_history_messages
                      openai: newest messages sent as context, 1 to 200
                      (default: 20)
    timeout_seconds   openai: give up after this long without data, 1 to 3600
                      (default: 60)
    max_tokens        openai: longest reply in tokens (default: the endpoint's)

Full reference with examples: docs/configuration.md
)";
}

std::string full_help() {
  return "palaver " + std::string(palaver::server::version()) +
         ": a self-hosted AI chat widget server.\n\n"
         "Commands:\n"
         "  palaver serve [OPTIONS]   run the server\n"
         "  palaver token [OPTIONS]   print a signed test identity for a site\n"
         "  palaver version           print the version (also: palaver --version)\n"
         "  palaver COMMAND --help    the options of one command\n\n" +
         serve_help() + "\n" + token_help() + "\n" + reference_text();
}

// CLI11 apps can be neither copied nor moved: built in place, parsed once.
struct cli {
  CLI::App app{"Palaver: a self-hosted AI chat widget server.", "palaver"};
  CLI::App* serve = nullptr;
  CLI::App* token = nullptr;
  CLI::App* version = nullptr;
  bool version_flag = false;
  std::string serve_config, token_config, site, subject, name, ttl;
  CLI::Option* serve_config_option = nullptr;
  CLI::Option* token_config_option = nullptr;
  CLI::Option* site_option = nullptr;
  CLI::Option* name_option = nullptr;
  CLI::Option* ttl_option = nullptr;
  std::vector<flag_value> flags;

  cli() {
    app.require_subcommand(0, 1);
    app.add_flag("--version", version_flag);

    serve = app.add_subcommand("serve");
    serve_config_option = serve->add_option("-c,--config", serve_config);
    flags.reserve(std::size(settings));  // the options hold references into it
    for (const auto& s : settings) {
      if (!s.has_flag) continue;
      flags.push_back({&s, {}, nullptr});
      flags.back().option = serve->add_option(flag_of(s), flags.back().text);
    }

    token = app.add_subcommand("token");
    token_config_option = token->add_option("-c,--config", token_config);
    site_option = token->add_option("--site", site);
    token->add_option("--sub", subject)->required();
    name_option = token->add_option("--name", name);
    ttl_option = token->add_option("--ttl", ttl);

    version = app.add_subcommand("version");
  }
};

std::optional<std::string> choose_config_path(const CLI::Option* option, const std::string& value,
                                              const env_lookup& env) {
  if (option != nullptr && option->count() > 0) return value;
  return get_env(env, "PALAVER_CONFIG");
}

config_result<command> make_token_command(cli& c, const env_lookup& env) {
  loader ld{{}, env, {}, {}};
  const auto path = choose_config_path(c.token_config_option, c.token_config, env);
  ld.source = path.value_or("");
  auto cfg = load_config(ld, path, nullptr);
  if (!cfg) return cfg.error();

  token_command out;
  if (c.site_option->count() > 0) {
    if (cfg->find_site(c.site) == nullptr) {
      std::vector<std::string> ids;
      for (const auto& s : cfg->sites)
        ids.push_back(s.id);
      return config_error{"--site: no site has the id " + in_quotes(c.site) +
                          " (sites: " + join(ids) + ")"};
    }
    out.site = c.site;
  } else if (cfg->sites.size() == 1) {
    out.site = cfg->sites.front().id;
  } else {
    std::vector<std::string> ids;
    for (const auto& s : cfg->sites)
      ids.push_back(s.id);
    return config_error{"--site is required: the configuration has several sites (" + join(ids) +
                        ")"};
  }
  const site_config& site = *cfg->find_site(out.site);
  if (!site.jwt_secret) {
    if (const auto it = ld.missing_jwt_secrets.find(out.site); it != ld.missing_jwt_secrets.end()) {
      return config_error{it->second};
    }
    return config_error{"site '" + out.site +
                        "' has no secret for identified users: set jwt_secret_env in its "
                        "[[site]] (or PALAVER_JWT_SECRET for the built-in default site)"};
  }

  if (c.subject.empty() || c.subject.size() > 255 || has_control_characters(c.subject)) {
    return config_error{"--sub: must be 1 to 255 characters, without control characters"};
  }
  out.subject = c.subject;
  if (c.name_option->count() > 0) {
    if (c.name.size() > palaver::limits::max_name_bytes || has_control_characters(c.name)) {
      return config_error{"--name: must be at most " +
                          std::to_string(palaver::limits::max_name_bytes) +
                          " bytes, without control characters"};
    }
    out.name = c.name;
  }
  if (c.ttl_option->count() > 0) {
    const auto seconds = parse_duration(c.ttl);
    if (!seconds) {
      return config_error{"--ttl: " + in_quotes(c.ttl) +
                          " is not a duration (seconds, or a number ending in s, m, h or d)"};
    }
    if (*seconds < 1 || *seconds > max_ttl_seconds) {
      return config_error{"--ttl: " + in_quotes(c.ttl) + " is out of range (1s to 365d)"};
    }
    out.ttl = std::chrono::seconds(*seconds);
  }
  if (c.ttl_option->count() == 0) {
    // The default hour, unless the site accepts less: a token without --ttl always works.
    out.ttl = std::min(out.ttl, site.max_token_lifetime);
  } else if (out.ttl > site.max_token_lifetime) {
    // The server would refuse such a token at once: say so now rather than print it.
    return config_error{"--ttl: " + in_quotes(c.ttl) + " is longer than site '" + out.site +
                        "' accepts (max_token_lifetime_seconds = " +
                        std::to_string(site.max_token_lifetime.count()) + ")"};
  }
  out.config = std::move(*cfg);
  return command{std::move(out)};
}

config_result<command> make_serve_command(cli& c, const env_lookup& env) {
  loader ld{{}, env, {}, {}};
  const auto path = choose_config_path(c.serve_config_option, c.serve_config, env);
  ld.source = path.value_or("");
  auto cfg = load_config(ld, path, &c.flags);
  if (!cfg) return cfg.error();
  if (!ld.missing_secrets.empty()) return config_error{ld.missing_secrets.front()};
  return command{serve_command{std::move(*cfg)}};
}

// CLI11 reports a misspelt option as an unexpected argument; name it and the nearest option.
std::optional<std::string> unknown_option(const cli& c, int argc, const char* const* argv) {
  const CLI::App* chosen = c.serve->parsed() ? c.serve : c.token->parsed() ? c.token : &c.app;
  std::vector<std::string> known;
  for (const CLI::Option* option : chosen->get_options()) {
    for (const auto& name : option->get_lnames())
      known.push_back("--" + name);
  }
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg.size() < 3 || arg.substr(0, 2) != "--") continue;
    const std::string name(arg.substr(0, arg.find('=')));
    if (std::find(known.begin(), known.end(), name) != known.end()) continue;
    std::string message = "unknown option " + name;
    std::string best;
    std::size_t best_distance = 3;
    for (const auto& candidate : known) {
      const std::size_t d = edit_distance(name, candidate);
      if (d < best_distance) best = candidate, best_distance = d;
    }
    if (!best.empty()) message += ": did you mean " + best + "?";
    return message + " (palaver " + (chosen == &c.app ? "" : chosen->get_name() + " ") +
           "--help lists every option)";
  }
  return std::nullopt;
}

config_result<command> parse(int argc, const char* const* argv, const env_lookup& env) {
  cli c;
  try {
    c.app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    if (c.serve->parsed()) return command{help_command{serve_help() + "\n" + reference_text()}};
    if (c.token->parsed()) return command{help_command{token_help()}};
    return command{help_command{full_help()}};
  } catch (const CLI::CallForAllHelp&) {
    return command{help_command{full_help()}};
  } catch (const CLI::ExtrasError& e) {
    if (auto typo = unknown_option(c, argc, argv)) return config_error{*typo};
    return config_error{std::string(e.what()) + " (palaver --help lists every option)"};
  } catch (const CLI::Error& e) {
    return config_error{std::string(e.what()) + " (palaver --help lists every option)"};
  }
  if (c.version_flag || c.version->parsed()) {
    return command{version_command{"palaver " + std::string(version()) + "\n"}};
  }
  if (c.serve->parsed()) return make_serve_command(c, env);
  if (c.token->parsed()) return make_token_command(c, env);
  return config_error{
      "no command given: use serve, token or version (palaver --help lists every "
      "option)"};
}

}  // namespace

// ---- Public functions ---------------------------------------------------------------------

std::string_view to_string(log_level level) {
  const auto i = static_cast<std::size_t>(level);
  return i < std::size(log_level_names) ? log_level_names[i] : "info";
}

unsigned default_thread_count() {
  return std::max(1u, std::thread::hardware_concurrency());
}

const site_config* config::find_site(std::string_view id) const {
  for (const auto& s : sites) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

const agent_config* config::find_agent(std::string_view name) const {
  for (const auto& a : agents) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

std::vector<std::string> own_origins(const config& cfg, std::uint16_t bound_port) {
  if (cfg.server.public_url) return {*cfg.server.public_url};
  const std::string port = bound_port == 80 ? "" : ":" + std::to_string(bound_port);
  std::vector<std::string> out;
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(cfg.server.listen, ec);
  if (!ec && !address.is_unspecified()) {
    out.push_back("http://" +
                  (address.is_v6() ? "[" + address.to_string() + "]" : address.to_string()) + port);
  }
  if (ec || address.is_loopback() || address.is_unspecified()) {
    for (const char* host : {"localhost", "127.0.0.1", "[::1]"}) {
      std::string origin = "http://" + std::string(host) + port;
      if (std::find(out.begin(), out.end(), origin) == out.end()) out.push_back(std::move(origin));
    }
  }
  return out;
}

void throw_exception_from_error(const config_error& error, const boost::source_location& location) {
  boost::throw_exception(std::runtime_error(error.message), location);
}

env_lookup process_environment() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* value = std::getenv(std::string(name).c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

env_lookup env_from_map(std::map<std::string, std::string, std::less<>> variables) {
  return [variables = std::move(variables)](std::string_view name) -> std::optional<std::string> {
    const auto it = variables.find(name);
    if (it == variables.end()) return std::nullopt;
    return it->second;
  };
}

config_result<command> parse_command_line(int argc, const char* const* argv,
                                          const env_lookup& env) {
  try {
    return parse(argc, argv, env);
  } catch (const std::bad_alloc&) {
    throw;
  } catch (const std::exception& e) {
    // CLI11 and toml++ throw only from the calls above, which catch their own errors: this is
    // the net for anything they document less well.
    return config_error{std::string("unexpected error: ") + e.what()};
  }
}

config_result<config> config_from_toml(std::string_view toml, std::string_view source,
                                       const env_lookup& env) {
  try {
    loader ld{std::string(source), env, {}, {}};
    config out;
    if (auto error = load_toml(ld, toml, out)) return config_error{*error};
    if (auto error = apply_environment(env, out)) return config_error{*error};
    resolve_default_site_secrets(ld, out);
    if (auto error = check_and_warn(out)) return config_error{*error};
    if (!ld.missing_secrets.empty()) return config_error{ld.missing_secrets.front()};
    return out;
  } catch (const std::bad_alloc&) {
    throw;
  } catch (const std::exception& e) {
    return config_error{std::string("unexpected error: ") + e.what()};
  }
}

std::string_view version() {
  return PALAVER_VERSION;
}

}  // namespace palaver::server
