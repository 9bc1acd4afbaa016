// Who is on the other end: verifies site-issued user JWTs and server-issued visitor JWTs
// (HS256 only, through libjwt), mints visitor and test tokens, compares REST API keys.
// Threading: free functions are pure and `authenticator` is immutable after create(), so
// every call here is safe from any number of threads at once, without locks.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "palaver/model.hpp"

#include <boost/system/result.hpp>

namespace palaver::server {

// ---- Named settings ---------------------------------------------------------------------

// Clock skew tolerated between the site's backend and this server, for `exp` and `nbf`.
inline constexpr std::chrono::seconds default_clock_leeway{30};
// How long a visitor token stays valid after it was minted. After that the widget gets
// AUTH_FAILED, drops the token and comes back as a new visitor.
inline constexpr std::chrono::seconds default_visitor_token_ttl{std::chrono::days{365}};
// RFC 7518 §3.2: an HS256 key must be at least as long as the hash (256 bits). Shorter
// secrets are refused everywhere, also because libjwt 1.10 silently skips verification
// when given an empty key.
inline constexpr std::size_t min_secret_bytes = 32;
// Keeps the key length within libjwt's `int`; no real secret comes near it.
inline constexpr std::size_t max_secret_bytes = 1024;
// Upper bounds on the two durations above and on mint_user_token()'s ttl: beyond them a
// setting is a mistake (and timestamps could overflow).
inline constexpr std::chrono::seconds max_token_ttl{std::chrono::days{3650}};
inline constexpr std::chrono::seconds max_clock_leeway{std::chrono::hours{1}};
// How far in the future a site-signed user token's `exp` may lie (site_auth's
// max_token_lifetime), so a leaked token is not valid for years. A site's backend mints a
// token per page load or session; a day covers a long working session with room to spare
// and still stays above `palaver token`'s default ttl of one hour.
inline constexpr std::chrono::seconds default_max_token_lifetime{std::chrono::hours{24}};
// Below a minute, clock skew between the site's backend and this server (up to the leeway)
// would refuse freshly minted tokens; above max_token_ttl, a maximum bounds nothing.
inline constexpr std::chrono::seconds min_max_token_lifetime{60};
// A site's `iss` is compared, never shown; this only keeps it a sane setting.
inline constexpr std::size_t max_issuer_bytes = 255;
// Visitor tokens carry aud = prefix + site id, so one site's visitor token fails elsewhere.
inline constexpr std::string_view visitor_audience_prefix = "palaver-visitor:";

// ---- Results ----------------------------------------------------------------------------

// Why a token or a setting was refused: a short sentence that never contains the token, a
// secret or a claim value, so it may be logged and sent as the AUTH_FAILED error message.
struct auth_error {
  // Deliberately not constructible from a string (a declared constructor makes this no
  // aggregate): otherwise auth_result<std::string> could not tell a value from an error and
  // `return text;` would not compile.
  auth_error() = default;
  static auth_error because(std::string reason) {
    auth_error error;
    error.reason = std::move(reason);
    return error;
  }

  std::string reason;
  friend bool operator==(const auth_error&, const auth_error&) = default;
};

template <class T>
using auth_result = boost::system::result<T, auth_error>;

// Lets auth_result<T>::value() throw (std::runtime_error with the reason); code that wants
// no exceptions checks has_value() and reads error().reason instead.
[[noreturn]] void throw_exception_from_error(const auth_error& error,
                                             const boost::source_location& location);

// ---- Identities -------------------------------------------------------------------------

struct identity {
  std::string site_id;
  std::string user_id;  // the plain id: the user token's `sub` or the visitor id ("v_...")
  std::string name;     // at most limits::max_name_bytes of UTF-8; empty for visitors
  bool anonymous = false;
  friend bool operator==(const identity&, const identity&) = default;
};

// The key the store files conversations under: "u:<site>:<sub>" for identified users,
// "v:<site>:<visitor id>" for visitors. The kind prefix keeps a user whose sub happens to
// be "v_abc" apart from visitor "v_abc"; the site keeps "alice" of site A apart from
// "alice" of site B (each site's backend names its own users). Server-internal: never
// sent to clients (':' is not even a valid protocol id character).
std::string owner_id(const identity& who);

// What `ready.user` shows: the plain id, not the owner id.
user_info to_user_info(const identity& who);

// 1–64 characters of [A-Za-z0-9_-] (docs/protocol.md §2).
bool is_protocol_id(std::string_view text);

// ---- Sites ------------------------------------------------------------------------------

// One site's auth settings, as the config unit reads them.
struct site_auth {
  std::string site_id;
  // HMAC key shared with the site's backend, used as raw bytes (not base64-decoded).
  // Empty: the site accepts no user tokens, only visitors.
  std::string secret;
  // The `aud` user tokens must carry. Empty: the site id.
  std::string audience;
  // Whether an `auth` without a token creates a visitor, and visitor tokens are honoured.
  bool allow_anonymous = true;
  // The `iss` user tokens must carry, compared exactly. Empty: `iss` is not checked. (The
  // `= {}` lets the usual {id, secret, audience, anonymous} stay silent under -Wextra.)
  std::string issuer = {};
  // A user token whose `exp` lies further ahead than now + this (+ the leeway) is refused,
  // whatever its signature says: a leaked long-lived token stays useless. Visitor tokens,
  // which this server mints itself, are bounded by auth_settings::visitor_token_ttl instead.
  std::chrono::seconds max_token_lifetime = default_max_token_lifetime;
};

// Config-time check: a valid site id, a secret that is empty or 32–1024 bytes, an audience
// that cannot be mistaken for a visitor token's, an issuer of at most 255 bytes, a maximum
// token lifetime within [min_max_token_lifetime, max_token_ttl]. Call it when loading
// config; the verifier calls it too and refuses every token of a site that fails it.
auth_result<void> check_site_auth(const site_auth& site);

// ---- Verifying --------------------------------------------------------------------------

struct auth_settings {
  // Server-wide key for visitor tokens, ≥ 32 bytes. Persist it (config or state file): a
  // new secret at every start would turn every visitor into a stranger after a restart.
  std::string visitor_secret;
  std::chrono::seconds visitor_token_ttl = default_visitor_token_ttl;
  std::chrono::seconds leeway = default_clock_leeway;
};

// The outcome of an `auth` frame.
struct auth_success {
  identity who;
  // Set only when a new visitor was created: send it as `ready.token`.
  std::optional<std::string> visitor_token;
};

class authenticator {
 public:
  using time_point = std::chrono::system_clock::time_point;

  // Refuses a visitor secret outside 32–1024 bytes, a TTL outside (0, max_token_ttl] or a
  // leeway outside [0, max_clock_leeway].
  static auth_result<authenticator> create(auth_settings settings);

  // The whole `auth` step for a site the caller already looked up (an unknown site is the
  // caller's AUTH_FAILED). No token: a new visitor where the site allows anonymous ones.
  // A token: a visitor token (aud "palaver-visitor:...") or a user token signed by the site.
  auth_result<auth_success> authenticate(const site_auth& site,
                                         std::optional<std::string_view> token,
                                         time_point now = std::chrono::system_clock::now()) const;

  // A token the site's backend signed: HS256 with site.secret, aud = site.audience (or the
  // site id), iss = site.issuer when one is configured, sub a protocol id, exp required and
  // at most site.max_token_lifetime (+ leeway) ahead of `now`. A `name` over 100 bytes is cut at a
  // UTF-8 character boundary rather than refused: it is display-only, and refusing it would lock
  // the user out over a cosmetic detail the site may not control.
  auth_result<identity> verify_user_token(const site_auth& site, std::string_view token,
                                          time_point now = std::chrono::system_clock::now()) const;

  // A token new_visitor() minted for this same site. Refused where the site no longer
  // allows anonymous visitors: switching that off ends anonymous access at once.
  auth_result<identity> verify_visitor_token(
      const site_auth& site, std::string_view token,
      time_point now = std::chrono::system_clock::now()) const;

  // A fresh visitor: id "v_" + 22 base64url characters (128 bits from RAND_bytes) and its
  // signed token. Does not check allow_anonymous; authenticate() does.
  auth_result<auth_success> new_visitor(std::string_view site_id,
                                        time_point now = std::chrono::system_clock::now()) const;

 private:
  explicit authenticator(auth_settings settings) : settings_(std::move(settings)) {}

  auth_settings settings_;
};

// ---- Minting and keys -------------------------------------------------------------------

// A user token as a site's backend would sign it (HS256; sub, name, aud, iat, exp = now +
// ttl), for `palaver token` and tests. Refuses what verify_user_token() would refuse: a
// short secret, an empty audience, a sub that is not a protocol id, a name over 100 bytes
// (or not UTF-8), a ttl outside (0, max_token_ttl].
auth_result<std::string> mint_user_token(
    std::string_view secret, std::string_view audience, std::string_view sub, std::string_view name,
    std::chrono::seconds ttl,
    std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

// The same for one site, as `palaver token` mints it: its secret, its audience (or id), its
// issuer when it has one; refuses also a site that fails check_site_auth() and a ttl above
// the site's max_token_lifetime, so it never prints a token the server would refuse.
auth_result<std::string> mint_user_token(
    const site_auth& site, std::string_view sub, std::string_view name, std::chrono::seconds ttl,
    std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

// Whether a presented REST API key is the configured one. Compares SHA-256 digests with
// CRYPTO_memcmp: constant time, and the key's length does not leak either. An empty
// expected key (none configured) matches nothing.
bool api_key_matches(std::string_view presented, std::string_view expected);

// 32 random bytes (RAND_bytes) as 43 base64url characters: a visitor secret, site secret
// or API key for config to write out on first start.
auth_result<std::string> generate_secret();

}  // namespace palaver::server
