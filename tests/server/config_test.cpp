// The configuration unit as an operator meets it: command lines, TOML files, PALAVER_*
// variables, their precedence, and the messages that refuse a bad setting. The environment is
// always injected (env_from_map): these tests never read or change the real one.
#include "config.hpp"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include <gtest/gtest.h>

#include "catalogues.hpp"  // max_site_text_bytes

namespace palaver::server {
namespace {

using vars = std::map<std::string, std::string, std::less<>>;

// Runs `palaver <args...>` against the given environment.
config_result<command> run(std::vector<std::string> args, const vars& env = {}) {
  args.insert(args.begin(), "palaver");
  std::vector<const char*> argv;
  for (const auto& arg : args)
    argv.push_back(arg.c_str());
  return parse_command_line(static_cast<int>(argv.size()), argv.data(), env_from_map(env));
}

// The config of a `palaver serve ...` that must succeed.
config serve(std::vector<std::string> args, const vars& env = {}) {
  args.insert(args.begin(), "serve");
  auto result = run(std::move(args), env);
  if (!result) {
    ADD_FAILURE() << result.error().message;
    return {};
  }
  const auto* command = std::get_if<serve_command>(&*result);
  if (command == nullptr) {
    ADD_FAILURE() << "not a serve command";
    return {};
  }
  return command->config;
}

// The message of a command line that must be refused.
std::string refusal(std::vector<std::string> args, const vars& env = {}) {
  auto result = run(std::move(args), env);
  if (result) {
    ADD_FAILURE() << "accepted";
    return {};
  }
  return result.error().message;
}

// A directory of its own under the system temp dir, removed with everything in it.
class temp_dir {
 public:
  temp_dir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("palaver_config_test_" + std::to_string(::getpid()) + "_" + std::to_string(++counter));
    std::filesystem::create_directories(path_);
  }
  ~temp_dir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  std::string write(const std::string& name, std::string_view text) const {
    const auto file = path_ / name;
    std::ofstream(file, std::ios::binary) << text;
    return file.string();
  }

 private:
  std::filesystem::path path_;
};

// The example of docs/configuration.md, shortened: two sites, an OpenAI-compatible agent.
constexpr std::string_view two_sites_toml = R"toml(
[server]
listen = "0.0.0.0"
port = 9000
database = "/var/lib/palaver/palaver.db"
threads = 4
public_url = "HTTPS://Chat.Example.com:443/"
log_level = "debug"
demo_page = false

[limits]
max_frame_bytes = 32_768
messages_per_minute_per_socket = 10
idle_timeout_seconds = 120
ping_interval_seconds = 30

[[agent]]
name = "assistant"
kind = "openai"
base_url = "https://api.openai.com/v1/"
model = "gpt-4o-mini"
api_key_env = "OPENAI_API_KEY"
system_prompt = "You are the shop's helpful assistant."
temperature = 0.3
max_history_messages = 30
timeout_seconds = 90
max_tokens = 1024

[[site]]
id = "shop"
origins = ["https://www.example.com", "https://example.com/"]
default_agent = "assistant"
agents = ["assistant"]

[[site]]
id = "portal"
origins = ["https://portal.example.com:8443"]
allow_anonymous = false
jwt_secret_env = "PORTAL_JWT_SECRET"
audience = "palaver-portal"
api_key_env = "PORTAL_API_KEY"
)toml";

const vars two_sites_secrets = {
    {"OPENAI_API_KEY", "sk-test"},
    {"PORTAL_JWT_SECRET", "0123456789abcdef0123456789abcdef"},
    {"PORTAL_API_KEY", "portal-key"},
};

// ---- defaults ------------------------------------------------------------------------------

TEST(Config, ServeWithNothingRunsLocallyWithEchoAndAnonymousVisitors) {
  const config cfg = serve({});
  EXPECT_EQ(cfg.server.listen, "127.0.0.1");
  EXPECT_EQ(cfg.server.port, 8080);
  EXPECT_EQ(cfg.server.database, "./palaver.db");
  EXPECT_EQ(cfg.server.threads, std::max(1u, std::thread::hardware_concurrency()));
  EXPECT_FALSE(cfg.server.public_url);
  EXPECT_FALSE(cfg.server.visitor_secret);
  EXPECT_EQ(cfg.server.log_level, log_level::info);
  EXPECT_TRUE(cfg.server.demo_page);
  EXPECT_FALSE(cfg.file);
  EXPECT_TRUE(cfg.warnings.empty());

  ASSERT_EQ(cfg.sites.size(), 1u);
  const site_config& site = cfg.sites[0];
  EXPECT_EQ(site.id, "default");
  EXPECT_TRUE(site.allow_anonymous);
  EXPECT_TRUE(site.origins.empty());  // only the server's own origin
  EXPECT_FALSE(site.jwt_secret);
  EXPECT_FALSE(site.api_key);
  EXPECT_EQ(site.audience, "default");
  EXPECT_EQ(site.default_agent, "echo");
  EXPECT_EQ(site.agents, std::vector<std::string>{"echo"});

  ASSERT_EQ(cfg.agents.size(), 1u);
  EXPECT_EQ(cfg.agents[0].name, "echo");
  ASSERT_TRUE(std::holds_alternative<echo_agent_config>(cfg.agents[0].backend));
  EXPECT_EQ(std::get<echo_agent_config>(cfg.agents[0].backend).words_per_second, 20);

  EXPECT_EQ(cfg, config{});  // a default-constructed config is the same thing
}

TEST(Config, LimitsHaveTheirDocumentedDefaults) {
  const limits_config limits = serve({}).limits;
  EXPECT_EQ(limits.max_frame_bytes, 65536u);
  EXPECT_EQ(limits.messages_per_minute_per_socket, 20);
  EXPECT_EQ(limits.messages_per_minute_per_identity, 60);
  EXPECT_EQ(limits.frames_per_second_per_socket, 50);
  EXPECT_EQ(limits.sockets_per_identity, 10);
  EXPECT_EQ(limits.outgoing_queue_bytes, 1024u * 1024u);
  EXPECT_EQ(limits.http_header_bytes, 8192u);
  EXPECT_EQ(limits.http_body_bytes, 1024u * 1024u);
  EXPECT_EQ(limits.idle_timeout, std::chrono::seconds(60));
  EXPECT_EQ(limits.auth_timeout, std::chrono::seconds(10));
  EXPECT_EQ(limits.ping_interval, std::chrono::seconds(25));
  EXPECT_EQ(limits.max_connections, 10000u);
  EXPECT_EQ(limits.max_connections_per_address, 256u);
  EXPECT_EQ(limits.new_visitors_per_minute_per_address, 30);
  // The sessions start from the same values when main copies nothing over them.
  const session_limits sessions;
  EXPECT_EQ(sessions.max_connections, limits.max_connections);
  EXPECT_EQ(sessions.max_connections_per_address, limits.max_connections_per_address);
  EXPECT_EQ(sessions.new_visitors_per_minute_per_address,
            limits.new_visitors_per_minute_per_address);
}

TEST(Config, ConnectionAndVisitorLimitsComeFromFileEnvironmentAndFlags) {
  const auto file = config_from_toml(
      "[limits]\nmax_connections = 50_000\nmax_connections_per_address = 4096\n"
      "new_visitors_per_minute_per_address = 5\n",
      "t.toml", env_from_map({}));
  ASSERT_TRUE(file) << file.error().message;
  EXPECT_EQ(file->limits.max_connections, 50000u);
  EXPECT_EQ(file->limits.max_connections_per_address, 4096u);
  EXPECT_EQ(file->limits.new_visitors_per_minute_per_address, 5);

  const config env = serve({}, {{"PALAVER_MAX_CONNECTIONS", "20"},
                                {"PALAVER_MAX_CONNECTIONS_PER_ADDRESS", "2"},
                                {"PALAVER_NEW_VISITORS_PER_MINUTE_PER_ADDRESS", "100000"}});
  EXPECT_EQ(env.limits.max_connections, 20u);
  EXPECT_EQ(env.limits.max_connections_per_address, 2u);
  EXPECT_EQ(env.limits.new_visitors_per_minute_per_address, 100000);

  const config flags = serve({"--max-connections", "1000000", "--max-connections-per-address=1",
                              "--new-visitors-per-minute-per-address", "1"},
                             {{"PALAVER_MAX_CONNECTIONS", "20"}});
  EXPECT_EQ(flags.limits.max_connections, 1000000u);
  EXPECT_EQ(flags.limits.max_connections_per_address, 1u);
  EXPECT_EQ(flags.limits.new_visitors_per_minute_per_address, 1);
}

TEST(Config, ConnectionAndVisitorLimitsHaveBounds) {
  EXPECT_EQ(refusal({"serve", "--max-connections", "0"}),
            "--max-connections: 0 is out of range (1 to 1000000)");
  EXPECT_EQ(refusal({"serve", "--max-connections", "1000001"}),
            "--max-connections: 1000001 is out of range (1 to 1000000)");
  EXPECT_EQ(refusal({"serve"}, {{"PALAVER_MAX_CONNECTIONS_PER_ADDRESS", "0"}}),
            "PALAVER_MAX_CONNECTIONS_PER_ADDRESS: 0 is out of range (1 to 1000000)");
  EXPECT_EQ(refusal({"serve", "--max-connections-per-address", "1000001"}),
            "--max-connections-per-address: 1000001 is out of range (1 to 1000000)");
  EXPECT_EQ(refusal({"serve", "--new-visitors-per-minute-per-address", "0"}),
            "--new-visitors-per-minute-per-address: 0 is out of range (1 to 100000)");
  EXPECT_EQ(refusal({"serve", "--new-visitors-per-minute-per-address", "100001"}),
            "--new-visitors-per-minute-per-address: 100001 is out of range (1 to 100000)");
  const auto file = config_from_toml("[limits]\nmax_connections = -1\n", "t.toml", {});
  ASSERT_FALSE(file);
  EXPECT_EQ(file.error().message,
            "t.toml:2: limits.max_connections: -1 is out of range (1 to 1000000)");
  const auto text = config_from_toml("[limits]\nmax_connections = \"many\"\n", "t.toml", {});
  ASSERT_FALSE(text);
  EXPECT_EQ(text.error().message,
            "t.toml:2: limits.max_connections: expected an integer, found a string");
}

TEST(Config, TheServersOwnOriginIsItsLocalAddressUntilPublicUrlIsSet) {
  const config local = serve({});
  EXPECT_EQ(own_origins(local, 8080),
            (std::vector<std::string>{"http://127.0.0.1:8080", "http://localhost:8080",
                                      "http://[::1]:8080"}));
  // The port actually bound counts (port 0 picks one).
  EXPECT_EQ(own_origins(serve({"--port", "0"}), 41234).front(), "http://127.0.0.1:41234");

  const config proxied = serve({"--public-url", "https://chat.example.com"});
  EXPECT_EQ(own_origins(proxied, 8080), std::vector<std::string>{"https://chat.example.com"});
}

TEST(Config, ListeningOnEveryInterfaceWithoutPublicUrlWarns) {
  const config cfg = serve({"--listen", "0.0.0.0"});
  ASSERT_EQ(cfg.warnings.size(), 1u);
  EXPECT_NE(cfg.warnings[0].find("public_url"), std::string::npos) << cfg.warnings[0];
  EXPECT_TRUE(
      serve({"--listen", "0.0.0.0", "--public-url", "https://chat.example.com"}).warnings.empty());
}

// ---- the TOML file -------------------------------------------------------------------------

TEST(Config, FileWithTwoSitesAndAnOpenAiAgent) {
  temp_dir dir;
  const std::string path = dir.write("palaver.toml", two_sites_toml);
  const config cfg = serve({"--config", path}, two_sites_secrets);

  EXPECT_EQ(cfg.file, path);
  EXPECT_EQ(cfg.server.listen, "0.0.0.0");
  EXPECT_EQ(cfg.server.port, 9000);
  EXPECT_EQ(cfg.server.database, "/var/lib/palaver/palaver.db");
  EXPECT_EQ(cfg.server.threads, 4u);
  EXPECT_EQ(cfg.server.public_url, "https://chat.example.com");  // normalized to an origin
  EXPECT_EQ(cfg.server.log_level, log_level::debug);
  EXPECT_FALSE(cfg.server.demo_page);
  EXPECT_EQ(cfg.limits.max_frame_bytes, 32768u);
  EXPECT_EQ(cfg.limits.messages_per_minute_per_socket, 10);
  EXPECT_EQ(cfg.limits.messages_per_minute_per_identity, 60);  // untouched: the default
  EXPECT_EQ(cfg.limits.idle_timeout, std::chrono::seconds(120));
  EXPECT_EQ(cfg.limits.ping_interval, std::chrono::seconds(30));

  // The built-in echo agent stays, first; the file's agent follows.
  ASSERT_EQ(cfg.agents.size(), 2u);
  EXPECT_EQ(cfg.agents[0].name, "echo");
  const agent_config* assistant = cfg.find_agent("assistant");
  ASSERT_NE(assistant, nullptr);
  const auto* openai = std::get_if<openai_agent_config>(&assistant->backend);
  ASSERT_NE(openai, nullptr);
  EXPECT_EQ(openai->base_url, "https://api.openai.com/v1");  // trailing slash dropped
  EXPECT_EQ(openai->model, "gpt-4o-mini");
  EXPECT_EQ(openai->api_key_env, "OPENAI_API_KEY");
  EXPECT_EQ(openai->api_key, "sk-test");
  EXPECT_EQ(openai->system_prompt, "You are the shop's helpful assistant.");
  EXPECT_EQ(openai->temperature, 0.3);
  EXPECT_EQ(openai->max_history_messages, 30);
  EXPECT_EQ(openai->timeout, std::chrono::seconds(90));
  EXPECT_EQ(openai->max_tokens, 1024);

  ASSERT_EQ(cfg.sites.size(), 2u);
  const site_config* shop = cfg.find_site("shop");
  ASSERT_NE(shop, nullptr);
  EXPECT_EQ(shop->origins,
            (std::vector<std::string>{"https://www.example.com", "https://example.com"}));
  EXPECT_TRUE(shop->allow_anonymous);
  EXPECT_FALSE(shop->jwt_secret);
  EXPECT_EQ(shop->audience, "shop");
  EXPECT_EQ(shop->default_agent, "assistant");
  EXPECT_EQ(shop->agents, std::vector<std::string>{"assistant"});

  const site_config* portal = cfg.find_site("portal");
  ASSERT_NE(portal, nullptr);
  EXPECT_EQ(portal->origins, std::vector<std::string>{"https://portal.example.com:8443"});
  EXPECT_FALSE(portal->allow_anonymous);
  EXPECT_EQ(portal->jwt_secret_env, "PORTAL_JWT_SECRET");
  EXPECT_EQ(portal->jwt_secret, "0123456789abcdef0123456789abcdef");
  EXPECT_EQ(portal->audience, "palaver-portal");
  EXPECT_EQ(portal->api_key, "portal-key");
  EXPECT_EQ(portal->agents, (std::vector<std::string>{"echo", "assistant"}));  // every agent
  EXPECT_EQ(portal->default_agent, "echo");

  EXPECT_EQ(own_origins(cfg, 9000), std::vector<std::string>{"https://chat.example.com"});
  EXPECT_TRUE(cfg.warnings.empty());
}

TEST(Config, SitesMayRequireAnIssuerAndBoundTokenLifetimes) {
  const auto cfg = config_from_toml(
      "[[site]]\nid = \"shop\"\n"
      "[[site]]\nid = \"portal\"\nissuer = \"https://login.example.com\"\n"
      "max_token_lifetime_seconds = 3600\n",
      "t.toml", env_from_map({}));
  ASSERT_TRUE(cfg) << cfg.error().message;
  const site_config* shop = cfg->find_site("shop");
  ASSERT_NE(shop, nullptr);
  EXPECT_EQ(shop->issuer, "");  // not checked
  EXPECT_EQ(shop->max_token_lifetime, std::chrono::hours(24));
  EXPECT_EQ(site_config{}.max_token_lifetime, std::chrono::seconds(86400));
  const site_config* portal = cfg->find_site("portal");
  ASSERT_NE(portal, nullptr);
  EXPECT_EQ(portal->issuer, "https://login.example.com");
  EXPECT_EQ(portal->max_token_lifetime, std::chrono::seconds(3600));
}

TEST(Config, IssuerAndTokenLifetimeAreChecked) {
  const auto error_of = [](std::string_view site_lines) {
    auto cfg = config_from_toml("[[site]]\nid = \"a\"\n" + std::string(site_lines), "t.toml", {});
    return cfg ? std::string("accepted") : cfg.error().message;
  };
  EXPECT_EQ(error_of("max_token_lifetime_seconds = 60\n"), "accepted");
  EXPECT_EQ(error_of("max_token_lifetime_seconds = 315360000\n"), "accepted");  // 3650 days
  EXPECT_EQ(error_of("max_token_lifetime_seconds = 59\n"),
            "t.toml:3: site.max_token_lifetime_seconds: 59 is out of range (60 to 315360000)");
  EXPECT_EQ(
      error_of("max_token_lifetime_seconds = 315360001\n"),
      "t.toml:3: site.max_token_lifetime_seconds: 315360001 is out of range (60 to 315360000)");
  EXPECT_EQ(error_of("max_token_lifetime_seconds = \"1d\"\n"),
            "t.toml:3: site.max_token_lifetime_seconds: expected an integer, found a string");
  EXPECT_EQ(error_of("issuer = \"" + std::string(255, 'i') + "\"\n"), "accepted");
  EXPECT_EQ(error_of("issuer = \"" + std::string(256, 'i') + "\"\n"),
            "t.toml:3: site.issuer: must be 1 to 255 characters");
  EXPECT_EQ(error_of("issuer = \"\"\n"), "t.toml:3: site.issuer: must be 1 to 255 characters");
  EXPECT_EQ(error_of("issuer = 7\n"), "t.toml:3: site.issuer: expected a string, found an integer");
}

// ---- a site's texts ----------------------------------------------------------------------

TEST(Config, ASiteMayGiveTheWidgetItsOwnWordsForEveryLanguageOrForOne) {
  const auto cfg = config_from_toml(R"toml(
[[site]]
id = "shop"
[site.texts]
title = "Kestrel help"
greeting = "Hi! Ask us about your bike."
launcher_unread = "{count} new from {title}"
[site.texts.fr]
greeting = "Bonjour ! Une question sur votre vélo ?"
[site.texts.zh-Hant]
[[site]]
id = "portal"
)toml",
                                    "t.toml", env_from_map({}));
  ASSERT_TRUE(cfg) << cfg.error().message;
  const site_config* shop = cfg->find_site("shop");
  ASSERT_NE(shop, nullptr);
  EXPECT_EQ(shop->texts.every_language,
            (site_text_map{{"greeting", "Hi! Ask us about your bike."},
                           {"launcher_unread", "{count} new from {title}"},
                           {"title", "Kestrel help"}}));
  // An empty language table sets nothing.
  EXPECT_EQ(shop->texts.by_language,
            (std::map<std::string, site_text_map, std::less<>>{
                {"fr", {{"greeting", "Bonjour ! Une question sur votre vélo ?"}}}}));
  const site_config* portal = cfg->find_site("portal");
  ASSERT_NE(portal, nullptr);
  EXPECT_TRUE(portal->texts.empty());
  EXPECT_TRUE(config{}.sites.front().texts.empty());
  // An empty [site.texts] is a site without texts.
  const auto bare = config_from_toml("[[site]]\nid = \"a\"\n[site.texts]\n[site.texts.de]\n",
                                     "t.toml", env_from_map({}));
  ASSERT_TRUE(bare) << bare.error().message;
  EXPECT_TRUE(bare->sites.front().texts.empty());
}

TEST(Config, SiteTextsAreCheckedAgainstTheCataloguesTheServerShips) {
  const auto error_of = [](std::string_view texts_lines) {
    auto cfg = config_from_toml("[[site]]\nid = \"a\"\n" + std::string(texts_lines), "t.toml", {});
    return cfg ? std::string("accepted") : cfg.error().message;
  };
  // Keys are en.json's: a typo is named with the key it resembles.
  EXPECT_EQ(error_of("[site.texts]\ngretting = \"Hi\"\n"),
            "t.toml:4: unknown key 'site.texts.gretting': did you mean 'greeting'?");
  EXPECT_EQ(error_of("[site.texts.fr]\nwelcome_message = \"Salut\"\n"),
            "t.toml:4: unknown key 'site.texts.fr.welcome_message': not one of the widget's "
            "texts (the keys of web/i18n/en.json)");
  EXPECT_EQ(error_of("[site.texts]\nfr = \"Salut\"\n"),
            "t.toml:4: unknown key 'site.texts.fr': one language's texts go in a table, "
            "[site.texts.fr]");
  // Languages are the shipped catalogues' tags, spelt as the files are.
  const std::string not_shipped = error_of("[site.texts.xx]\ngreeting = \"Hi\"\n");
  EXPECT_EQ(not_shipped.rfind("t.toml:3: site.texts.xx: 'xx' is not a language of the widget's "
                              "catalogues (ar, de, en, es, ",
                              0),
            0u)
      << not_shipped;
  EXPECT_NE(not_shipped.find("zh-Hans, zh-Hant)"), std::string::npos) << not_shipped;
  EXPECT_EQ(error_of("[site.texts.fr-FR]\ngreeting = \"Salut\"\n")
                .rfind("t.toml:3: site.texts.fr-FR: ", 0),
            0u);
  EXPECT_EQ(error_of("[site.texts.greeting]\nfr = \"Salut\"\n"),
            "t.toml:3: site.texts.greeting: expected a string, found a table");
  // Values: strings, within the limit, with English's placeholders.
  EXPECT_EQ(error_of("texts = \"Hi\"\n"),
            "t.toml:3: site.texts: expected a table ([site.texts]), found a string");
  EXPECT_EQ(error_of("[site.texts]\ntitle = 7\n"),
            "t.toml:4: site.texts.title: expected a string, found an integer");
  EXPECT_EQ(error_of("[site.texts.de]\ntitle = [\"Hilfe\"]\n"),
            "t.toml:4: site.texts.de.title: expected a string, found an array");
  EXPECT_EQ(error_of("[site.texts]\ntitle = \"" + std::string(max_site_text_bytes, 'x') + "\"\n"),
            "accepted");
  EXPECT_EQ(error_of("[site.texts]\ntitle = \"" + std::string(501, 'x') + "\"\n"),
            "t.toml:4: site.texts.title: is 501 bytes long: at most 500");
  EXPECT_EQ(error_of("[site.texts]\ntitle = \"\"\n"),
            "t.toml:4: site.texts.title: is empty: leave the key out to keep the catalogue's text");
  EXPECT_EQ(error_of("[site.texts]\ngreeting = \"Hi\\u0007\"\n"),
            "t.toml:4: site.texts.greeting: contains a control character");
  EXPECT_EQ(error_of("[site.texts]\nlauncher_unread = \"{title}: {count} new, {count}!\"\n"),
            "accepted");
  EXPECT_EQ(error_of("[site.texts.fr]\nlauncher_unread = \"{title} ({n} non lus)\"\n"),
            "t.toml:4: site.texts.fr.launcher_unread: {n} is not a placeholder of this text (its "
            "placeholders: {count}, {title}; the widget would show it as written)");
  EXPECT_EQ(error_of("[site.texts]\nlauncher_unread = \"{count} unread\"\n"),
            "t.toml:4: site.texts.launcher_unread: lacks {title}: keep every placeholder of the "
            "English text ({count}, {title})");
  EXPECT_EQ(error_of("[site.texts]\ngreeting = \"Hi {name}!\"\n"),
            "t.toml:4: site.texts.greeting: {name} is not a placeholder of this text (its "
            "placeholders: none; the widget would show it as written)");
  EXPECT_EQ(error_of("[site.texts]\ngreeting = \"Hi {} {a b}\"\n"), "accepted");  // plain braces
  // Text that is not UTF-8 never gets past the TOML parser; the rule stands behind it.
  const std::string not_utf8 = error_of("[site.texts]\ngreeting = \"Hi \xC3\x28\"\n");
  EXPECT_EQ(not_utf8.rfind("t.toml:4", 0), 0u) << not_utf8;
}

TEST(Config, ConfigFileCanComeFromTheEnvironment) {
  temp_dir dir;
  const std::string path = dir.write("p.toml", "[server]\nport = 9001\n");
  EXPECT_EQ(serve({}, {{"PALAVER_CONFIG", path}}).server.port, 9001);
  // The flag wins over the variable, even when the variable names a file that is missing.
  EXPECT_EQ(serve({"--config", path}, {{"PALAVER_CONFIG", "/nonexistent.toml"}}).server.port, 9001);
}

TEST(Config, AFileWithoutSitesKeepsTheDefaultSiteWithEveryAgent) {
  const auto cfg = config_from_toml(
      "[[agent]]\nname = \"local\"\nkind = \"openai\"\n"
      "base_url = \"http://127.0.0.1:11434/v1\"\nmodel = \"llama3.1\"\n",
      "ollama.toml", env_from_map({}));
  ASSERT_TRUE(cfg) << cfg.error().message;
  ASSERT_EQ(cfg->sites.size(), 1u);
  EXPECT_EQ(cfg->sites[0].id, "default");
  EXPECT_EQ(cfg->sites[0].agents, (std::vector<std::string>{"echo", "local"}));
  const auto& local = std::get<openai_agent_config>(cfg->find_agent("local")->backend);
  EXPECT_FALSE(local.api_key);  // Ollama needs none
  EXPECT_EQ(local.max_history_messages, 20);
  EXPECT_EQ(local.timeout, std::chrono::seconds(60));
  EXPECT_FALSE(local.temperature);
  EXPECT_FALSE(local.max_tokens);
}

TEST(Config, TheFileMayRedefineEcho) {
  const auto cfg = config_from_toml(
      "[[agent]]\nname = \"echo\"\nkind = \"echo\"\nwords_per_second = 0\n", "t.toml", {});
  ASSERT_TRUE(cfg) << cfg.error().message;
  ASSERT_EQ(cfg->agents.size(), 1u);
  EXPECT_EQ(std::get<echo_agent_config>(cfg->agents[0].backend).words_per_second, 0);
}

// ---- precedence: defaults < file < env < flags ---------------------------------------------

TEST(Config, EnvironmentOverridesTheFile) {
  temp_dir dir;
  const std::string path = dir.write("palaver.toml",
                                     "[server]\nport = 9000\nlog_level = \"warn\"\n"
                                     "[limits]\nsockets_per_identity = 3\n");
  const config cfg = serve({"--config", path}, {{"PALAVER_PORT", "9100"},
                                                {"PALAVER_SOCKETS_PER_IDENTITY", "4"},
                                                {"PALAVER_DEMO_PAGE", "off"}});
  EXPECT_EQ(cfg.server.port, 9100);
  EXPECT_EQ(cfg.server.log_level, log_level::warn);  // not in the environment: the file's
  EXPECT_EQ(cfg.limits.sockets_per_identity, 4);
  EXPECT_FALSE(cfg.server.demo_page);
}

TEST(Config, FlagsOverrideTheEnvironment) {
  temp_dir dir;
  const std::string path = dir.write("palaver.toml", "[server]\nport = 9000\n");
  const vars env = {{"PALAVER_PORT", "9100"}, {"PALAVER_AUTH_TIMEOUT_SECONDS", "20"}};
  const config cfg = serve({"--config", path, "--port", "9200", "--auth-timeout-seconds=5"}, env);
  EXPECT_EQ(cfg.server.port, 9200);
  EXPECT_EQ(cfg.limits.auth_timeout, std::chrono::seconds(5));
}

TEST(Config, AnEmptyVariableCountsAsUnset) {
  EXPECT_EQ(serve({}, {{"PALAVER_PORT", ""}}).server.port, 8080);
}

TEST(Config, TheVisitorSecretComesFromTheEnvironmentOrTheFileNeverAFlag) {
  const std::string secret(40, 'v');
  EXPECT_EQ(serve({}, {{"PALAVER_VISITOR_SECRET", secret}}).server.visitor_secret, secret);
  const auto from_file =
      config_from_toml("[server]\nvisitor_secret = \"" + secret + "\"\n", "t.toml", {});
  ASSERT_TRUE(from_file) << from_file.error().message;
  EXPECT_EQ(from_file->server.visitor_secret, secret);

  EXPECT_NE(refusal({"serve", "--visitor-secret", secret}).find("--visitor-secret"),
            std::string::npos);
  const std::string too_short = refusal({"serve"}, {{"PALAVER_VISITOR_SECRET", "short"}});
  EXPECT_NE(too_short.find("PALAVER_VISITOR_SECRET"), std::string::npos) << too_short;
  EXPECT_NE(too_short.find("32"), std::string::npos) << too_short;
}

TEST(Config, TheBuiltInSiteTakesItsSecretsFromFixedVariables) {
  const std::string secret(32, 'j');
  const config cfg = serve({}, {{"PALAVER_JWT_SECRET", secret}, {"PALAVER_API_KEY", "k"}});
  EXPECT_EQ(cfg.sites[0].jwt_secret, secret);
  EXPECT_EQ(cfg.sites[0].jwt_secret_env, "PALAVER_JWT_SECRET");
  EXPECT_EQ(cfg.sites[0].api_key, "k");
}

// ---- refusals ------------------------------------------------------------------------------

TEST(Config, UnknownKeyIsRefusedWithItsNameAndLine) {
  temp_dir dir;
  const std::string path = dir.write("palaver.toml", "[server]\nport = 9000\nprot = 9001\n");
  const std::string message = refusal({"serve", "--config", path});
  EXPECT_NE(message.find(path + ":3"), std::string::npos) << message;
  EXPECT_NE(message.find("'server.prot'"), std::string::npos) << message;
  EXPECT_NE(message.find("did you mean 'port'"), std::string::npos) << message;
}

TEST(Config, UnknownKeysAreRefusedInEveryTable) {
  const auto error_of = [](std::string_view toml) {
    auto cfg = config_from_toml(toml, "t.toml", {});
    return cfg ? std::string("accepted") : cfg.error().message;
  };
  EXPECT_EQ(error_of("colour = 1\n"), "t.toml:1: unknown key 'colour'");
  EXPECT_EQ(error_of("[site]\nid = \"a\"\n").rfind("t.toml:1: site: write [[site]]", 0), 0u);
  EXPECT_NE(error_of("[[site]]\nid = \"a\"\norigin = []\n")
                .find("t.toml:3: unknown key "
                      "'site.origin': did you mean "
                      "'origins'?"),
            std::string::npos);
  EXPECT_NE(error_of("[limits]\nport = 1\n").find("'limits.port': it belongs in [server]"),
            std::string::npos);
  // A secret in the file says where it goes instead.
  const std::string secret = error_of("[[site]]\nid = \"a\"\njwt_secret = \"s\"\n");
  EXPECT_NE(secret.find("t.toml:3"), std::string::npos) << secret;
  EXPECT_NE(secret.find("jwt_secret_env"), std::string::npos) << secret;
  // A setting of another kind of agent is refused rather than ignored.
  const std::string foreign = error_of("[[agent]]\nname = \"e\"\nkind = \"echo\"\nmodel = \"x\"\n");
  EXPECT_EQ(foreign, "t.toml:4: agent.model: not a setting of an agent of kind echo");
}

TEST(Config, BadPortIsRefusedNamingTheOption) {
  temp_dir dir;
  const std::string path = dir.write("palaver.toml", "[server]\nport = 70000\n");
  EXPECT_EQ(refusal({"serve", "--config", path}),
            path + ":2: server.port: 70000 is out of range (0 to 65535)");
  EXPECT_EQ(refusal({"serve"}, {{"PALAVER_PORT", "http"}}),
            "PALAVER_PORT: 'http' is not an integer");
  EXPECT_EQ(refusal({"serve", "--port", "-5"}), "--port: -5 is out of range (0 to 65535)");
  EXPECT_EQ(refusal({"serve", "--port", "80.5"}), "--port: '80.5' is not an integer");
  const auto wrong_type = config_from_toml("[server]\nport = \"8080\"\n", "t.toml", {});
  ASSERT_FALSE(wrong_type);
  EXPECT_EQ(wrong_type.error().message,
            "t.toml:2: server.port: expected an integer, found a string");
}

TEST(Config, OutOfRangeLimitsAreRefused) {
  EXPECT_EQ(refusal({"serve", "--max-frame-bytes", "100000"}),
            "--max-frame-bytes: 100000 is out of range (8192 to 65536)");
  EXPECT_EQ(refusal({"serve"}, {{"PALAVER_MESSAGES_PER_MINUTE_PER_SOCKET", "0"}}),
            "PALAVER_MESSAGES_PER_MINUTE_PER_SOCKET: 0 is out of range (1 to 10000)");
  const std::string pings = refusal({"serve", "--idle-timeout-seconds", "20"});
  EXPECT_NE(pings.find("ping_interval_seconds (25) must be below idle_timeout_seconds (20)"),
            std::string::npos)
      << pings;
  EXPECT_EQ(refusal({"serve", "--threads", "5000"}), "--threads: 5000 is out of range (0 to 1024)");
  EXPECT_EQ(refusal({"serve", "--log-level", "loud"}),
            "--log-level: 'loud' is not one of trace, debug, info, warn, error, off");
  EXPECT_EQ(refusal({"serve", "--listen", "localhost"}),
            "--listen: 'localhost' is not an IP address (for example 127.0.0.1, ::1, 0.0.0.0 "
            "or ::)");
}

TEST(Config, PingsMustComeBeforeTheIdleTimeout) {
  const config quick = serve({"--idle-timeout-seconds", "5", "--ping-interval-seconds", "4"});
  EXPECT_EQ(quick.limits.idle_timeout, std::chrono::seconds(5));
  EXPECT_EQ(quick.limits.ping_interval, std::chrono::seconds(4));
  EXPECT_EQ(refusal({"serve", "--idle-timeout-seconds", "5", "--ping-interval-seconds", "5"}),
            "limits: ping_interval_seconds (5) must be below idle_timeout_seconds (5), or live "
            "but quiet connections are closed");
  const auto file =
      config_from_toml("[limits]\nidle_timeout_seconds = 30\nping_interval_seconds = 45\n",
                       "t.toml", env_from_map({}));
  ASSERT_FALSE(file);
  EXPECT_EQ(file.error().message,
            "limits: ping_interval_seconds (45) must be below idle_timeout_seconds (30), or live "
            "but quiet connections are closed");
}

TEST(Config, OriginsMustBeExactOrigins) {
  const auto error_of = [](std::string_view origin) {
    auto cfg =
        config_from_toml("[[site]]\norigins = [\"" + std::string(origin) + "\"]\n", "t.toml", {});
    return cfg ? std::string("accepted") : cfg.error().message;
  };
  EXPECT_EQ(error_of("https://www.example.com"), "accepted");
  EXPECT_EQ(error_of("http://[::1]:8080"), "accepted");
  EXPECT_NE(error_of("https://www.example.com/shop").find("no path"), std::string::npos);
  EXPECT_NE(error_of("www.example.com").find("https://"), std::string::npos);
  EXPECT_NE(error_of("ftp://example.com").find("https://"), std::string::npos);
  EXPECT_NE(error_of("https://*.example.com").find("invalid host"), std::string::npos);
  EXPECT_NE(error_of("https://example.com:0").find("invalid port"), std::string::npos);
  EXPECT_NE(error_of("https://user@example.com").find("user name"), std::string::npos);
  EXPECT_NE(error_of("https://bücher.example").find("punycode"), std::string::npos);
  EXPECT_EQ(error_of("https://a b").rfind("t.toml:2: site.origins: 'https://a b'", 0), 0u);
}

TEST(Config, SitesAndAgentsAreCheckedAgainstEachOther) {
  const auto error_of = [](std::string_view toml) {
    auto cfg = config_from_toml(toml, "t.toml", {});
    return cfg ? std::string("accepted") : cfg.error().message;
  };
  EXPECT_NE(error_of("[[site]]\nagents = [\"gpt\"]\n").find("no agent is named 'gpt'"),
            std::string::npos);
  EXPECT_NE(error_of("[[site]]\nagents = [\"echo\"]\ndefault_agent = \"gpt\"\n")
                .find("site.default_agent: 'gpt' is not one of the site's agents"),
            std::string::npos);
  EXPECT_NE(error_of("[[site]]\nid = \"a\"\n[[site]]\nid = \"a\"\n").find("t.toml:4"),
            std::string::npos);
  EXPECT_NE(error_of("[[site]]\nid = \"a b\"\n").find("not a site id"), std::string::npos);
  EXPECT_NE(error_of("[[site]]\nallow_anonymous = false\n").find("lets nobody in"),
            std::string::npos);
  EXPECT_NE(error_of("[[agent]]\nname = \"GPT\"\nkind = \"echo\"\n").find("not an agent name"),
            std::string::npos);
  EXPECT_NE(error_of("[[agent]]\nname = \"g\"\nkind = \"openai\"\nmodel = \"m\"\n")
                .find("missing base_url"),
            std::string::npos);
  EXPECT_NE(error_of("[[agent]]\nname = \"g\"\nkind = \"claude\"\n").find("echo or openai"),
            std::string::npos);
  EXPECT_NE(error_of("[[agent]]\nname = \"g\"\nkind = \"openai\"\nmodel = \"m\"\n"
                     "base_url = \"https://x/v1\"\ntemperature = 3\n")
                .find("agent.temperature: out of range (0 to 2)"),
            std::string::npos);
  // A site without agents listed defaults to echo; one that leaves echo out, to its first.
  const auto cfg = config_from_toml(
      "[[agent]]\nname = \"a\"\nkind = \"echo\"\n[[site]]\nagents = [\"a\"]\n", "t.toml", {});
  ASSERT_TRUE(cfg) << cfg.error().message;
  EXPECT_EQ(cfg->sites[0].default_agent, "a");
}

TEST(Config, ServeRefusesToStartWithoutANamedSecret) {
  temp_dir dir;
  const std::string path = dir.write("palaver.toml", two_sites_toml);
  vars env = two_sites_secrets;
  env.erase("OPENAI_API_KEY");
  const std::string message = refusal({"serve", "--config", path}, env);
  EXPECT_NE(message.find("OPENAI_API_KEY"), std::string::npos) << message;
  EXPECT_NE(message.find("agent 'assistant'"), std::string::npos) << message;
  EXPECT_NE(message.find(path + ":"), std::string::npos) << message;
}

TEST(Config, TomlSyntaxErrorsNameTheLine) {
  const auto cfg = config_from_toml("[server]\nport = = 1\n", "t.toml", {});
  ASSERT_FALSE(cfg);
  EXPECT_EQ(cfg.error().message.rfind("t.toml:2:", 0), 0u) << cfg.error().message;
}

TEST(Config, AMissingFileIsRefused) {
  EXPECT_EQ(refusal({"serve", "--config", "/nonexistent/palaver.toml"}),
            "cannot open config file '/nonexistent/palaver.toml': No such file or directory");
}

TEST(Config, CommandLineMistakesAreRefused) {
  EXPECT_EQ(refusal({"serve", "--prot", "1"}),
            "unknown option --prot: did you mean --port? (palaver serve --help lists every "
            "option)");
  EXPECT_NE(refusal({"serve", "extra"}).find("extra"), std::string::npos);
  EXPECT_NE(refusal({}).find("serve, token or version"), std::string::npos);
  EXPECT_NE(refusal({"launch"}).find("launch"), std::string::npos);
  EXPECT_THROW(run({"serve", "--port", "1000000"}).value(), std::runtime_error);
}

// ---- help ----------------------------------------------------------------------------------

TEST(Config, HelpMentionsEveryOption) {
  auto result = run({"--help"});
  ASSERT_TRUE(result) << result.error().message;
  const auto* help = std::get_if<help_command>(&*result);
  ASSERT_NE(help, nullptr);
  const std::string& text = help->text;
  const std::vector<std::string> flags = {"--config",
                                          "--listen",
                                          "--port",
                                          "--database",
                                          "--threads",
                                          "--public-url",
                                          "--log-level",
                                          "--demo-page",
                                          "--max-frame-bytes",
                                          "--messages-per-minute-per-socket",
                                          "--messages-per-minute-per-identity",
                                          "--frames-per-second-per-socket",
                                          "--sockets-per-identity",
                                          "--outgoing-queue-bytes",
                                          "--http-header-bytes",
                                          "--http-body-bytes",
                                          "--idle-timeout-seconds",
                                          "--auth-timeout-seconds",
                                          "--ping-interval-seconds",
                                          "--max-connections",
                                          "--max-connections-per-address",
                                          "--new-visitors-per-minute-per-address",
                                          "--site",
                                          "--sub",
                                          "--name",
                                          "--ttl",
                                          "--version"};
  const std::vector<std::string> variables = {"PALAVER_CONFIG",
                                              "PALAVER_LISTEN",
                                              "PALAVER_PORT",
                                              "PALAVER_DATABASE",
                                              "PALAVER_THREADS",
                                              "PALAVER_PUBLIC_URL",
                                              "PALAVER_LOG_LEVEL",
                                              "PALAVER_DEMO_PAGE",
                                              "PALAVER_VISITOR_SECRET",
                                              "PALAVER_MAX_FRAME_BYTES",
                                              "PALAVER_MESSAGES_PER_MINUTE_PER_SOCKET",
                                              "PALAVER_MESSAGES_PER_MINUTE_PER_IDENTITY",
                                              "PALAVER_FRAMES_PER_SECOND_PER_SOCKET",
                                              "PALAVER_SOCKETS_PER_IDENTITY",
                                              "PALAVER_OUTGOING_QUEUE_BYTES",
                                              "PALAVER_HTTP_HEADER_BYTES",
                                              "PALAVER_HTTP_BODY_BYTES",
                                              "PALAVER_IDLE_TIMEOUT_SECONDS",
                                              "PALAVER_AUTH_TIMEOUT_SECONDS",
                                              "PALAVER_PING_INTERVAL_SECONDS",
                                              "PALAVER_MAX_CONNECTIONS",
                                              "PALAVER_MAX_CONNECTIONS_PER_ADDRESS",
                                              "PALAVER_NEW_VISITORS_PER_MINUTE_PER_ADDRESS",
                                              "PALAVER_JWT_SECRET",
                                              "PALAVER_API_KEY"};
  const std::vector<std::string> file_keys = {"[server]",
                                              "[limits]",
                                              "[[site]]",
                                              "[[agent]]",
                                              "origins",
                                              "allow_anonymous",
                                              "jwt_secret_env",
                                              "audience",
                                              "api_key_env",
                                              "default_agent",
                                              "agents",
                                              "kind",
                                              "words_per_second",
                                              "base_url",
                                              "model",
                                              "system_prompt",
                                              "temperature",
                                              "max_history_messages",
                                              "timeout_seconds",
                                              "max_tokens",
                                              "visitor_secret",
                                              "issuer",
                                              "max_token_lifetime_seconds"};
  for (const auto* list : {&flags, &variables, &file_keys}) {
    for (const auto& word : *list)
      EXPECT_NE(text.find(word), std::string::npos) << word;
  }
  for (const auto& command : {"serve", "token", "version"}) {
    EXPECT_NE(text.find(std::string("palaver ") + command), std::string::npos) << command;
  }
  // Defaults are shown where the option is described.
  EXPECT_NE(text.find("Default: 8080"), std::string::npos);
  EXPECT_NE(text.find("Default: 127.0.0.1"), std::string::npos);
}

TEST(Config, ServeHelpListsItsOptionsAndTheEnvironment) {
  auto result = run({"serve", "--help"});
  ASSERT_TRUE(result) << result.error().message;
  const std::string& text = std::get<help_command>(*result).text;
  EXPECT_EQ(text.rfind("Usage: palaver serve", 0), 0u);
  EXPECT_NE(text.find("--ping-interval-seconds"), std::string::npos);
  EXPECT_NE(text.find("PALAVER_VISITOR_SECRET"), std::string::npos);
  EXPECT_EQ(text.find("--sub"), std::string::npos);  // token's, not serve's

  auto token = run({"token", "--help"});
  ASSERT_TRUE(token) << token.error().message;
  EXPECT_EQ(std::get<help_command>(*token).text.rfind("Usage: palaver token", 0), 0u);
}

TEST(Config, HelpFitsAnEightyColumnTerminal) {
  const std::string text = std::get<help_command>(*run({"--help"})).text;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    EXPECT_LE(end - start, 80u) << text.substr(start, end - start);
    start = end + 1;
  }
}

// ---- token ---------------------------------------------------------------------------------

TEST(Config, TokenCommandNamesASiteAndAnIdentity) {
  temp_dir dir;
  const std::string path = dir.write("palaver.toml", two_sites_toml);
  auto result = run({"token", "--config", path, "--site", "portal", "--sub", "alice", "--name",
                     "Alice Liddell", "--ttl", "2h"},
                    two_sites_secrets);
  ASSERT_TRUE(result) << result.error().message;
  const auto* token = std::get_if<token_command>(&*result);
  ASSERT_NE(token, nullptr);
  EXPECT_EQ(token->site, "portal");
  EXPECT_EQ(token->subject, "alice");
  EXPECT_EQ(token->name, "Alice Liddell");
  EXPECT_EQ(token->ttl, std::chrono::seconds(7200));
  EXPECT_EQ(token->config.find_site("portal")->jwt_secret, "0123456789abcdef0123456789abcdef");
}

TEST(Config, TokenDefaultsAndItsOwnSecretOnly) {
  const std::string secret(32, 's');
  auto result = run({"token", "--sub", "bob"}, {{"PALAVER_JWT_SECRET", secret}});
  ASSERT_TRUE(result) << result.error().message;
  const auto& token = std::get<token_command>(*result);
  EXPECT_EQ(token.site, "default");  // the only site
  EXPECT_FALSE(token.name);
  EXPECT_EQ(token.ttl, std::chrono::seconds(3600));

  // An agent's missing key stops serve, not token.
  temp_dir dir;
  const std::string path = dir.write("palaver.toml", two_sites_toml);
  vars env = two_sites_secrets;
  env.erase("OPENAI_API_KEY");
  EXPECT_TRUE(run({"token", "-c", path, "--site", "portal", "--sub", "carol"}, env));
}

TEST(Config, TokenTtlStaysWithinTheSitesMaximumLifetime) {
  temp_dir dir;
  const std::string path = dir.write("palaver.toml",
                                     "[[site]]\nid = \"portal\"\njwt_secret_env = \"S\"\n"
                                     "max_token_lifetime_seconds = 600\n");
  const vars env = {{"S", std::string(32, 's')}};
  // Without --ttl: the default hour, cut to what the site accepts.
  auto result = run({"token", "-c", path, "--sub", "a"}, env);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(std::get<token_command>(*result).ttl, std::chrono::seconds(600));
  result = run({"token", "-c", path, "--sub", "a", "--ttl", "10m"}, env);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(std::get<token_command>(*result).ttl, std::chrono::seconds(600));
  EXPECT_EQ(refusal({"token", "-c", path, "--sub", "a", "--ttl", "601"}, env),
            "--ttl: '601' is longer than site 'portal' accepts (max_token_lifetime_seconds = "
            "600)");

  // The built-in site keeps the default maximum, a day: the default hour and 24h fit, 25h not.
  const vars default_site = {{"PALAVER_JWT_SECRET", std::string(32, 's')}};
  EXPECT_EQ(std::get<token_command>(*run({"token", "--sub", "a"}, default_site)).ttl,
            std::chrono::seconds(3600));
  EXPECT_TRUE(run({"token", "--sub", "a", "--ttl", "24h"}, default_site));
  EXPECT_EQ(refusal({"token", "--sub", "a", "--ttl", "25h"}, default_site),
            "--ttl: '25h' is longer than site 'default' accepts (max_token_lifetime_seconds = "
            "86400)");
}

TEST(Config, TokenRefusals) {
  temp_dir dir;
  const std::string path = dir.write("palaver.toml", two_sites_toml);
  const vars& env = two_sites_secrets;
  EXPECT_NE(refusal({"token", "-c", path}, env).find("--sub is required"), std::string::npos);
  EXPECT_NE(refusal({"token", "-c", path, "--sub", "a"}, env).find("--site is required"),
            std::string::npos);
  EXPECT_NE(refusal({"token", "-c", path, "--sub", "a", "--site", "nope"}, env)
                .find("no site has the id 'nope' (sites: shop, portal)"),
            std::string::npos);
  EXPECT_NE(refusal({"token", "-c", path, "--sub", "a", "--site", "shop"}, env)
                .find("site 'shop' has no secret"),
            std::string::npos);
  vars no_secret = env;
  no_secret.erase("PORTAL_JWT_SECRET");
  EXPECT_NE(refusal({"token", "-c", path, "--sub", "a", "--site", "portal"}, no_secret)
                .find("PORTAL_JWT_SECRET"),
            std::string::npos);
  const vars default_site = {{"PALAVER_JWT_SECRET", std::string(32, 's')}};
  EXPECT_EQ(refusal({"token", "--sub", "a", "--ttl", "soon"}, default_site),
            "--ttl: 'soon' is not a duration (seconds, or a number ending in s, m, h or d)");
  EXPECT_EQ(refusal({"token", "--sub", "a", "--ttl", "400d"}, default_site),
            "--ttl: '400d' is out of range (1s to 365d)");
  EXPECT_EQ(refusal({"token", "--sub", "a", "--ttl", "0"}, default_site),
            "--ttl: '0' is out of range (1s to 365d)");
  EXPECT_NE(refusal({"token", "--sub", "a", "--name", std::string(101, 'n')}, default_site)
                .find("--name"),
            std::string::npos);
}

// ---- version -------------------------------------------------------------------------------

TEST(Config, VersionIsACommandAndAFlag) {
  for (const auto& args : {std::vector<std::string>{"version"}, {"--version"}}) {
    auto result = run(args);
    ASSERT_TRUE(result) << result.error().message;
    const auto* command = std::get_if<version_command>(&*result);
    ASSERT_NE(command, nullptr);
    EXPECT_EQ(command->text, "palaver " + std::string(version()) + "\n");
  }
  EXPECT_FALSE(version().empty());
}

}  // namespace
}  // namespace palaver::server
