// `palaver`: the command line (serve, token, version) and the server's start and graceful
// stop. Start-up runs on the main thread; serving runs on an io_context with one thread per
// configured core; SIGINT/SIGTERM stop accepting, interrupt replies, flush the store and close
// every socket with 1001.
#include <cstdio>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/signal_set.hpp>

#include "auth.hpp"
#include "chat_hub.hpp"
#include "config.hpp"
#include "echo_agent.hpp"
#include "listener.hpp"
#include "log.hpp"
#include "metrics.hpp"
#include "openai_agent.hpp"
#include "server_context.hpp"
#include "store.hpp"

namespace palaver::server {
namespace {

namespace asio = boost::asio;

// The visitor-token secret: configured, or made once and kept beside the database (mode
// 0600), so visitors stay themselves across restarts.
std::optional<std::string> visitor_secret(const config& cfg) {
  if (cfg.server.visitor_secret) return cfg.server.visitor_secret;
  const std::filesystem::path path = cfg.server.database + ".visitor-secret";
  if (std::ifstream in(path); in) {
    std::string secret;
    std::getline(in, secret);
    if (secret.size() >= min_secret_bytes) return secret;
  }
  auto secret = generate_secret();
  if (!secret) return std::nullopt;
  // Created owner-only from the start: never readable by others, not even for a moment.
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return std::nullopt;
  const std::string line = *secret + "\n";
  const bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  ::close(fd);
  if (!written) return std::nullopt;
  return *secret;
}

session_limits limits_from(const limits_config& l) {
  session_limits limits;
  limits.max_frame_bytes = l.max_frame_bytes;
  limits.outgoing_queue_bytes = l.outgoing_queue_bytes;
  limits.http_header_bytes = l.http_header_bytes;
  limits.http_body_bytes = l.http_body_bytes;
  limits.auth_timeout = l.auth_timeout;
  limits.idle_timeout = l.idle_timeout;
  limits.ping_interval = l.ping_interval;
  limits.frames_per_second = l.frames_per_second_per_socket;
  limits.max_connections = l.max_connections;
  limits.max_connections_per_address = l.max_connections_per_address;
  limits.new_visitors_per_minute_per_address = l.new_visitors_per_minute_per_address;
  return limits;
}

// What the verifier needs of a site; `serve` and `token` build it alike, so `palaver token`
// signs what the server accepts.
site_auth auth_of(const site_config& site) {
  site_auth auth;
  auth.site_id = site.id;
  auth.secret = site.jwt_secret.value_or("");
  auth.audience = site.audience;
  auth.allow_anonymous = site.allow_anonymous;
  auth.issuer = site.issuer;
  auth.max_token_lifetime = site.max_token_lifetime;
  return auth;
}

openai_agent::options openai_options(const std::string& name, const openai_agent_config& c) {
  openai_agent::options o;
  o.name = name;
  o.base_url = c.base_url;
  o.model = c.model;
  o.api_key = c.api_key.value_or("");
  o.system_prompt = c.system_prompt;
  o.temperature = c.temperature;
  o.max_tokens = c.max_tokens;
  o.max_history_messages = static_cast<std::size_t>(c.max_history_messages);
  o.timeout = c.timeout;
  return o;
}

// Every configured agent; nullopt (after saying why) if one's settings cannot work.
std::optional<chat_hub::agent_map> make_agents(const config& cfg, asio::io_context& io) {
  chat_hub::agent_map agents;
  for (const agent_config& a : cfg.agents) {
    if (const auto* echo = std::get_if<echo_agent_config>(&a.backend)) {
      agents[a.name] = std::make_shared<echo_agent>(
          io, echo_agent::options{a.name, static_cast<double>(echo->words_per_second)});
      continue;
    }
    const auto options = openai_options(a.name, std::get<openai_agent_config>(a.backend));
    if (const std::string problem = openai_agent::check(options); !problem.empty()) {
      std::cerr << "palaver: agent " << a.name << ": " << problem << "\n";
      return std::nullopt;
    }
    agents[a.name] = std::make_shared<openai_agent>(io, options);
  }
  return agents;
}

int serve(const config& cfg) {
  set_log_level(cfg.server.log_level);
  for (const std::string& warning : cfg.warnings)
    std::cerr << "palaver: warning: " << warning << "\n";
  store::options store_options;
  store_options.path = cfg.server.database;
  auto db = store::open(std::move(store_options));
  if (!db) {
    std::cerr << "palaver: cannot open the database " << cfg.server.database << ": " << db.error()
              << "\n";
    return 1;
  }
  const auto secret = visitor_secret(cfg);
  auto auth = secret ? authenticator::create({*secret}) : authenticator::create({});
  if (!auth) {
    std::cerr << "palaver: visitor secret: " << auth.error().reason << "\n";
    return 1;
  }

  asio::io_context io(static_cast<int>(cfg.server.threads));
  auto context = std::make_shared<server_context>();
  context->limits = limits_from(cfg.limits);
  context->messages_per_minute = cfg.limits.messages_per_minute_per_socket;
  context->demo_pages = cfg.server.demo_page;
  context->sockets_per_identity = cfg.limits.sockets_per_identity;
  context->auth = std::make_shared<const authenticator>(std::move(*auth));

  chat_hub::options hub_options;
  hub_options.messages_per_minute_per_socket = cfg.limits.messages_per_minute_per_socket;
  hub_options.messages_per_minute_per_identity = cfg.limits.messages_per_minute_per_identity;
  for (const site_config& site : cfg.sites) {
    std::vector<std::string>& offered = hub_options.site_agents[site.id];
    offered.push_back(site.default_agent);
    for (const std::string& name : site.agents)
      if (name != site.default_agent) offered.push_back(name);
  }
  context->db = db->get();
  context->stats = std::make_shared<metrics>(version());
  context->executor = io.get_executor();
  auto agents = make_agents(cfg, io);
  if (!agents) return 1;
  context->hub = chat_hub::create(io, **db, std::move(*agents), hub_options, context->stats);

  boost::system::error_code ec;
  const auto address = asio::ip::make_address(cfg.server.listen, ec);
  auto acceptor = ec ? nullptr : listener::open(io, {address, cfg.server.port}, context, ec);
  if (!acceptor) {
    std::cerr << "palaver: cannot listen on " << cfg.server.listen << ":" << cfg.server.port << ": "
              << ec.message() << "\n";
    return 1;
  }
  // Origins are known once the port is: with --port 0 the listener picked it.
  const auto bound = acceptor->local_endpoint();
  const std::vector<std::string> own = own_origins(cfg, bound.port());
  std::vector<std::string> all_origins = own;
  for (const site_config& site : cfg.sites) {
    site_auth auth = auth_of(site);
    if (auto checked = check_site_auth(auth); !checked) {
      std::cerr << "palaver: site " << site.id << ": " << checked.error().reason << "\n";
      return 1;
    }
    std::vector<std::string> origins = own;
    origins.insert(origins.end(), site.origins.begin(), site.origins.end());
    all_origins.insert(all_origins.end(), site.origins.begin(), site.origins.end());
    context->sites.push_back(site_entry{std::move(auth), origin_policy(std::move(origins)),
                                        site.api_key.value_or(""), site.default_agent,
                                        site_catalogues(site.texts)});
  }
  context->origins = origin_policy(std::move(all_origins));
  acceptor->start();
  // Tests read this line to learn the port (with --port 0).
  std::cout << "palaver listening on http://" << bound.address().to_string() << ":" << bound.port()
            << "/" << std::endl;

  // io.run() must not return before the graceful stop is done: the store's flush callback
  // posts to `io` after every socket may already be closed.
  auto guard = asio::make_work_guard(io);
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code, int) {
    std::cout << "palaver: stopping" << std::endl;
    acceptor->stop();
    context->hub->shutdown([&io, &guard] {
      // Give the sockets a moment to send their close frames, then stop.
      asio::post(io, [&io, &guard] {
        guard.reset();
        auto timer = std::make_shared<asio::steady_timer>(io, std::chrono::milliseconds(200));
        timer->async_wait([timer, &io](boost::system::error_code) { io.stop(); });
      });
    });
  });

  std::vector<std::thread> threads;
  for (unsigned i = 1; i < cfg.server.threads; ++i)
    threads.emplace_back([&io] { io.run(); });
  io.run();
  for (std::thread& t : threads)
    t.join();
  db->reset();  // join the store first: its callbacks still post into `io` and the hub
  context->hub.reset();
  return 0;
}

int mint(const token_command& t) {
  const site_config* site = t.config.find_site(t.site);
  auto token = mint_user_token(auth_of(*site), t.subject, t.name.value_or(""), t.ttl);
  if (!token) {
    std::cerr << "palaver token: " << token.error().reason << "\n";
    return 1;
  }
  std::cout << *token << "\n";
  return 0;
}

}  // namespace
}  // namespace palaver::server

int main(int argc, char** argv) {
  using namespace palaver::server;
  auto command = parse_command_line(argc, argv, process_environment());
  if (!command) {
    std::cerr << "palaver: " << command.error().message << "\n";
    return 2;
  }
  if (auto* serve_it = std::get_if<serve_command>(&*command)) return serve(serve_it->config);
  if (auto* token = std::get_if<token_command>(&*command)) return mint(*token);
  if (auto* version = std::get_if<version_command>(&*command)) std::cout << version->text;
  if (auto* help = std::get_if<help_command>(&*command)) std::cout << help->text;
  return 0;
}
