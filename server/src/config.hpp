// Palaver's configuration: every setting with its default, and the command line (`serve`,
// `token`, `version`) that combines a TOML file, PALAVER_* environment variables and flags
// into one `config` (precedence: defaults < file < environment < flags). The only code that
// reads the environment, secrets included. Parsing runs once at start-up on the main thread;
// the resulting config is an immutable value, then read from any thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "palaver/limits.hpp"

#include <boost/system/result.hpp>

#include "auth.hpp"
#include "session_limits.hpp"

namespace palaver::server {

enum class log_level { trace, debug, info, warn, error, off };
std::string_view to_string(log_level level);

// std::thread::hardware_concurrency(), at least 1: the default I/O thread count.
unsigned default_thread_count();

// [server]: the listener, storage and process-wide settings.
struct server_config {
  std::string listen = "127.0.0.1";       // an IP literal: 0.0.0.0 or :: for every interface
  std::uint16_t port = 8080;              // 0: any free port (tests); the listener reports it
  std::string database = "./palaver.db";  // relative to the working directory
  unsigned threads = default_thread_count();
  // The origin the server is reached at, normalized ("https://chat.example.com": lowercase,
  // no default port, no path). Absent: own_origins() derives it from listen and port.
  std::optional<std::string> public_url;
  // Signs anonymous visitors' tokens; at least 32 bytes. Absent: the server generates one and
  // keeps it with the database, so tokens survive restarts.
  std::optional<std::string> visitor_secret;
  palaver::server::log_level log_level = log_level::info;
  bool demo_page = true;  // serve the demo page at /
  friend bool operator==(const server_config&, const server_config&) = default;
};

// [limits]: every input boundary's named limit (see docs/configuration.md for why each exists).
struct limits_config {
  std::size_t max_frame_bytes = palaver::limits::max_frame_bytes;  // 8 KiB .. 64 KiB
  int messages_per_minute_per_socket = 20;
  int messages_per_minute_per_identity = 60;  // across all of an identity's sockets
  int frames_per_second_per_socket = 50;      // every frame type, pings included
  int sockets_per_identity = 10;
  std::size_t outgoing_queue_bytes = 1024 * 1024;  // per socket, then the slow reader is closed
  std::size_t http_header_bytes = 8192;
  std::size_t http_body_bytes = 1024 * 1024;
  std::chrono::seconds idle_timeout{60};   // no frame from the client for this long: close
  std::chrono::seconds auth_timeout{10};   // no successful auth by then: close with 1008
  std::chrono::seconds ping_interval{25};  // always below idle_timeout
  // Per client IP address, where no identity exists yet (defaults in session_limits.hpp).
  std::size_t max_connections = default_max_connections;  // over the whole server
  std::size_t max_connections_per_address = default_max_connections_per_address;
  int new_visitors_per_minute_per_address = default_new_visitors_per_minute_per_address;
  friend bool operator==(const limits_config&, const limits_config&) = default;
};

// A site's own words for the widget: catalogue key (a key of web/i18n/en.json) → text.
using site_text_map = std::map<std::string, std::string, std::less<>>;

// [site.texts]: a site's words over the widget's catalogues, checked at load against the
// catalogues the server embeds (catalogues.hpp): keys of en.json, languages that ship, texts
// that keep English's placeholders.
struct site_texts {
  site_text_map every_language;                                   // [site.texts] key = "…"
  std::map<std::string, site_text_map, std::less<>> by_language;  // [site.texts.<tag>]: wins
  bool empty() const { return every_language.empty() && by_language.empty(); }
  friend bool operator==(const site_texts&, const site_texts&) = default;
};

// [[site]]: one embedding site. Secrets are never in the file: the file names the environment
// variable, and loading resolves it here.
struct site_config {
  std::string id = "default";        // a protocol id: 1-64 of A-Z a-z 0-9 _ -
  std::vector<std::string> origins;  // exact, normalized; the server's own origin is implicit
  bool allow_anonymous = true;
  std::optional<std::string> jwt_secret_env;  // where jwt_secret came from (for the log)
  std::optional<std::string> jwt_secret;      // HS256 key for identified users; absent: none
  std::string audience = "default";           // the JWT `aud` to require; default: the id
  std::string issuer;                         // the JWT `iss` to require; empty: not checked
  // A user token whose `exp` is further ahead than this is refused; `palaver token --ttl`
  // may not exceed it either. 60 s .. max_token_ttl.
  std::chrono::seconds max_token_lifetime = default_max_token_lifetime;
  std::optional<std::string> api_key_env;
  std::optional<std::string> api_key;  // the site backend's REST API key; absent: no REST access
  std::string default_agent = "echo";  // always one of `agents`
  std::vector<std::string> agents = {"echo"};  // what visitors may pick; default: every agent
  site_texts texts;                            // empty: the catalogues' words
  friend bool operator==(const site_config&, const site_config&) = default;
};

struct echo_agent_config {
  int words_per_second = 20;  // 0: the whole reply at once
  friend bool operator==(const echo_agent_config&, const echo_agent_config&) = default;
};

// Any OpenAI-compatible Chat Completions endpoint (OpenAI, Ollama, vLLM, llama.cpp, ...).
struct openai_agent_config {
  std::string base_url;  // e.g. https://api.openai.com/v1, no trailing slash; + /chat/completions
  std::string model;
  std::optional<std::string> api_key_env;
  std::optional<std::string> api_key;  // sent as a Bearer token; absent: no Authorization header
  std::string system_prompt;           // empty: none
  std::optional<double> temperature;   // absent: the endpoint's default
  int max_history_messages = 20;       // the newest messages sent as context
  std::chrono::seconds timeout{60};    // no bytes from upstream for this long: UPSTREAM_TIMEOUT
  std::optional<int> max_tokens;       // absent: the endpoint's default
  friend bool operator==(const openai_agent_config&, const openai_agent_config&) = default;
};

// [[agent]]: a named backend. There is always an agent named "echo" (built in unless the file
// defines one of that name).
struct agent_config {
  std::string name = "echo";  // an agent name: 1-32 of a-z 0-9 _ -
  std::variant<echo_agent_config, openai_agent_config> backend;
  friend bool operator==(const agent_config&, const agent_config&) = default;
};

// Everything the server runs with. A default-constructed config is what `palaver serve` uses
// with no file, no PALAVER_* variables and no flags.
struct config {
  server_config server;
  limits_config limits;
  std::vector<site_config> sites = {site_config{}};     // never empty; ids unique
  std::vector<agent_config> agents = {agent_config{}};  // never empty; names unique
  std::optional<std::string> file;    // the TOML file it was read from, for the start-up log
  std::vector<std::string> warnings;  // legal but probably unintended; log them at start-up

  const site_config* find_site(std::string_view id) const;
  const agent_config* find_agent(std::string_view name) const;
  friend bool operator==(const config&, const config&) = default;
};

// The origins that count as the server's own (always allowed, on every site): public_url if
// set; otherwise http://LISTEN:PORT and, for a loopback or any-address listener, the
// localhost, 127.0.0.1 and [::1] forms. `bound_port` is the port actually bound (port 0).
std::vector<std::string> own_origins(const config& cfg, std::uint16_t bound_port);

// Why the command line or the configuration was refused: one sentence naming the option,
// file line or variable, ready to print after "palaver: ".
struct config_error {
  std::string message;
  friend bool operator==(const config_error&, const config_error&) = default;
};

template <class T>
using config_result = boost::system::result<T, config_error>;

// Lets config_result<T>::value() throw std::runtime_error(message).
[[noreturn]] void throw_exception_from_error(const config_error& error,
                                             const boost::source_location& location);

// Reads a variable of the environment; nullopt when unset. Injectable so tests never touch the
// real environment. An empty value counts as unset everywhere.
using env_lookup = std::function<std::optional<std::string>(std::string_view name)>;
env_lookup process_environment();  // std::getenv: call before starting threads
env_lookup env_from_map(std::map<std::string, std::string, std::less<>> variables);

// `palaver serve`: run the server.
struct serve_command {
  palaver::server::config config;
};

// `palaver token`: print a signed (HS256) JWT for a site's identified users, for testing.
struct token_command {
  palaver::server::config config;
  std::string site;                 // exists in config and has a jwt_secret
  std::string subject;              // `sub`: 1-255 bytes, no control characters
  std::optional<std::string> name;  // `name`: at most 100 bytes
  // `exp` = now + ttl; 1 s .. 365 days and at most the site's max_token_lifetime (the
  // default hour is cut to that maximum when it is shorter).
  std::chrono::seconds ttl{3600};
};

// `palaver version` or `palaver --version`: print `text` ("palaver 0.1.0\n") to stdout.
struct version_command {
  std::string text;
};

// `--help` anywhere: print `text` to stdout and exit 0.
struct help_command {
  std::string text;
};

using command = std::variant<serve_command, token_command, version_command, help_command>;

// The whole command line, argv[0] included. Never throws (but std::bad_alloc).
config_result<command> parse_command_line(int argc, const char* const* argv, const env_lookup& env);

// A configuration from TOML text, as if it were the file, then the environment; no flags.
// For tests and tools; `source` names the text in error messages.
config_result<config> config_from_toml(std::string_view toml, std::string_view source,
                                       const env_lookup& env);

// "0.1.0": PALAVER_VERSION when the build defines it.
std::string_view version();

}  // namespace palaver::server
