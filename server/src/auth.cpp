// Token verification and minting over libjwt (signatures) and Boost.JSON (claims), keys from
// OpenSSL's CSPRNG. Every function is reentrant: no globals, no caches; libjwt, jansson and
// OpenSSL 3 are thread-safe for independent objects.
//
// Sections: helpers (ids, base64url, JSON) · token shape · signatures · claims · public API.
#include "auth.hpp"

#include <array>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <jwt.h>
#include <limits>
#include <memory>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdexcept>
#include <utility>

#include "palaver/limits.hpp"
#include "palaver/text.hpp"

#include <boost/json.hpp>

namespace palaver::server {
namespace {

namespace json = boost::json;
using time_point = authenticator::time_point;

// jwt_add_grant_int takes a long: it must hold a 64-bit timestamp.
static_assert(sizeof(long) >= sizeof(std::int64_t));

auth_error fail(std::string reason) {
  return auth_error::because(std::move(reason));
}

// ---- Helpers ----------------------------------------------------------------------------

bool is_base64url_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

constexpr std::string_view base64url_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string base64url_encode(const unsigned char* data, std::size_t size) {
  std::string out;
  out.reserve((size * 4 + 2) / 3);
  std::size_t i = 0;
  for (; i + 3 <= size; i += 3) {
    const std::uint32_t v = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
    out += base64url_alphabet[(v >> 18) & 63];
    out += base64url_alphabet[(v >> 12) & 63];
    out += base64url_alphabet[(v >> 6) & 63];
    out += base64url_alphabet[v & 63];
  }
  if (size - i == 1) {
    const std::uint32_t v = data[i] << 16;
    out += base64url_alphabet[(v >> 18) & 63];
    out += base64url_alphabet[(v >> 12) & 63];
  } else if (size - i == 2) {
    const std::uint32_t v = (data[i] << 16) | (data[i + 1] << 8);
    out += base64url_alphabet[(v >> 18) & 63];
    out += base64url_alphabet[(v >> 12) & 63];
    out += base64url_alphabet[(v >> 6) & 63];
  }
  return out;
}

// Unpadded base64url, as JWS uses it. Only for reading the header before the signature is
// checked; the signature itself is compared by libjwt.
std::optional<std::string> base64url_decode(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t bits = 0;
  int count = 0;
  for (const char c : text) {
    const auto pos = base64url_alphabet.find(c);
    if (pos == std::string_view::npos) return std::nullopt;
    bits = (bits << 6) | static_cast<std::uint32_t>(pos);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out += static_cast<char>((bits >> count) & 0xFF);
    }
  }
  return out;
}

std::optional<json::object> parse_object(std::string_view text) {
  boost::system::error_code ec;
  json::value value = json::parse(text, ec);
  if (ec || !value.is_object()) return std::nullopt;
  return std::move(value.as_object());
}

auth_result<std::string> random_base64url(std::size_t bytes) {
  std::array<unsigned char, 64> buffer{};
  if (bytes > buffer.size()) return fail("too many random bytes requested");
  if (RAND_bytes(buffer.data(), static_cast<int>(bytes)) != 1) {
    return fail("the random number generator failed");
  }
  std::string out = base64url_encode(buffer.data(), bytes);
  OPENSSL_cleanse(buffer.data(), buffer.size());
  return out;
}

std::int64_t unix_seconds(time_point t) {
  return std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count();
}

// Cuts at most `max_bytes` of valid UTF-8 without splitting a character.
std::string truncate_utf8(std::string text, std::size_t max_bytes) {
  text.resize(utf8_prefix_length(text, max_bytes));
  return text;
}

// ---- Token shape ------------------------------------------------------------------------

// A token whose shape and header passed, with its payload read but not yet trusted: the
// payload only picks which key verifies the token, and each key's path checks everything.
struct parsed_token {
  std::string_view text;
  json::object unverified_claims;
};

// Everything that can be refused before any key is touched, so a token with alg "none",
// "RS256" or "HS512" is refused by name and never reaches libjwt's key handling.
auth_result<parsed_token> parse_token(std::string_view token) {
  if (token.empty()) return fail("token is empty");
  if (token.size() > limits::max_token_bytes) return fail("token is longer than 4096 bytes");
  for (const char c : token) {
    if (!is_base64url_char(c) && c != '.') return fail("token is not a JWT");
  }
  const auto first_dot = token.find('.');
  const auto second_dot = token.find('.', first_dot + 1);
  if (first_dot == std::string_view::npos || second_dot == std::string_view::npos ||
      token.find('.', second_dot + 1) != std::string_view::npos) {
    return fail("token is not a JWT");
  }
  const auto header_text = token.substr(0, first_dot);
  const auto payload_text = token.substr(first_dot + 1, second_dot - first_dot - 1);
  const auto signature_text = token.substr(second_dot + 1);

  const auto header_json = base64url_decode(header_text);
  if (!header_json) return fail("token is not a JWT");
  const auto header = parse_object(*header_json);
  if (!header) return fail("token is not a JWT");
  const auto* alg = header->if_contains("alg");
  if (alg == nullptr || !alg->is_string()) return fail("token has no algorithm");
  if (alg->as_string() != "HS256") return fail("token algorithm must be HS256");
  // RFC 7515 §4.1.11: extensions named in "crit" must be understood; we understand none.
  if (header->contains("crit")) return fail("token has unsupported critical header fields");
  if (const auto* typ = header->if_contains("typ"); typ != nullptr) {
    if (!typ->is_string()) return fail("token type must be JWT");
    const auto t = std::string_view(typ->as_string());
    if (t.size() != 3 || (t[0] | 0x20) != 'j' || (t[1] | 0x20) != 'w' || (t[2] | 0x20) != 't') {
      return fail("token type must be JWT");
    }
  }

  const auto payload_json = base64url_decode(payload_text);
  if (!payload_json) return fail("token is not a JWT");
  auto claims = parse_object(*payload_json);
  if (!claims) return fail("token is not a JWT");

  // An HMAC-SHA-256 is 32 bytes: 43 base64url characters.
  if (signature_text.size() != 43) return fail("token signature is invalid");
  return parsed_token{token, std::move(*claims)};
}

// ---- Signatures -------------------------------------------------------------------------

struct jwt_deleter {
  void operator()(jwt_t* jwt) const { jwt_free(jwt); }
};
using jwt_ptr = std::unique_ptr<jwt_t, jwt_deleter>;

struct c_string_deleter {
  void operator()(char* text) const { std::free(text); }
};
using c_string_ptr = std::unique_ptr<char, c_string_deleter>;

bool usable_secret(std::string_view secret) {
  return secret.size() >= min_secret_bytes && secret.size() <= max_secret_bytes;
}

// The verified claims, as libjwt read them: what the signature covers is what we trust.
auth_result<json::object> verify_hs256(std::string_view token, std::string_view secret) {
  // libjwt 1.10 accepts any HMAC token unverified when the key is empty: never let it.
  if (!usable_secret(secret)) return fail("no usable key for this token");
  const std::string text(token);
  jwt_t* raw = nullptr;
  const int rc =
      jwt_decode(&raw, text.c_str(), reinterpret_cast<const unsigned char*>(secret.data()),
                 static_cast<int>(secret.size()));
  jwt_ptr jwt(raw);
  if (rc != 0 || !jwt) return fail("token signature is invalid");
  // parse_token() checked the header already; this guards against the two JSON parsers
  // reading a header differently (a duplicated "alg", say).
  if (jwt_get_alg(jwt.get()) != JWT_ALG_HS256) return fail("token algorithm must be HS256");
  const c_string_ptr grants(jwt_get_grants_json(jwt.get(), nullptr));
  if (!grants) return fail("token is not a JWT");
  auto claims = parse_object(grants.get());
  if (!claims) return fail("token is not a JWT");
  return std::move(*claims);
}

// Signs `claims` (a JSON object) with HS256.
auth_result<std::string> sign_hs256(std::string_view secret, const json::object& claims) {
  if (!usable_secret(secret)) return fail("secret must be 32 to 1024 bytes");
  jwt_t* raw = nullptr;
  if (jwt_new(&raw) != 0 || raw == nullptr) return fail("could not create a token");
  jwt_ptr jwt(raw);
  if (jwt_add_grants_json(jwt.get(), json::serialize(claims).c_str()) != 0) {
    return fail("token claims are not valid UTF-8");
  }
  if (jwt_set_alg(jwt.get(), JWT_ALG_HS256, reinterpret_cast<const unsigned char*>(secret.data()),
                  static_cast<int>(secret.size())) != 0) {
    return fail("could not set the token's key");
  }
  const c_string_ptr encoded(jwt_encode_str(jwt.get()));
  if (!encoded) return fail("could not sign the token");
  return std::string(encoded.get());
}

// ---- Claims -----------------------------------------------------------------------------

// A NumericDate (RFC 7519 §2): integer or not (PyJWT signs `time.time() + 3600` as a
// float), in whole seconds, rounded down. Absent or null: nullopt; not a number: error.
auth_result<std::optional<std::int64_t>> numeric_date(const json::object& claims,
                                                      std::string_view name) {
  const auto* v = claims.if_contains(name);
  if (v == nullptr || v->is_null()) return std::optional<std::int64_t>{};
  constexpr auto max = std::numeric_limits<std::int64_t>::max();
  constexpr auto min = std::numeric_limits<std::int64_t>::min();
  if (v->is_int64()) return std::optional<std::int64_t>{v->as_int64()};
  if (v->is_uint64()) return std::optional<std::int64_t>{max};  // only above int64
  if (v->is_double()) {
    const double d = std::floor(v->as_double());
    if (!std::isfinite(d)) return fail("token " + std::string(name) + " is not a number");
    if (d >= 9.2e18) return std::optional<std::int64_t>{max};
    if (d <= -9.2e18) return std::optional<std::int64_t>{min};
    return std::optional<std::int64_t>{static_cast<std::int64_t>(d)};
  }
  return fail("token " + std::string(name) + " is not a number");
}

auth_result<void> check_times(const json::object& claims, time_point now,
                              std::chrono::seconds leeway) {
  const std::int64_t now_s = unix_seconds(now);
  const std::int64_t leeway_s = leeway.count();
  auto exp = numeric_date(claims, "exp");
  if (!exp) return exp.error();
  if (!*exp) return fail("token has no expiry");
  if (now_s - leeway_s >= **exp) return fail("token has expired");
  auto nbf = numeric_date(claims, "nbf");
  if (!nbf) return nbf.error();
  if (*nbf && **nbf > now_s + leeway_s) return fail("token is not valid yet");
  return {};
}

// RFC 7519 §4.1.3: "aud" is a string or an array of strings; ours must be among them.
auth_result<void> check_audience(const json::object& claims, std::string_view expected) {
  const auto* aud = claims.if_contains("aud");
  if (aud == nullptr || aud->is_null()) return fail("token has no audience");
  if (aud->is_string() && aud->as_string() == expected) return {};
  if (aud->is_array()) {
    for (const auto& item : aud->as_array()) {
      if (item.is_string() && item.as_string() == expected) return {};
    }
  }
  return fail("token audience does not match this site");
}

// RFC 7519 §4.1.1: "iss" is a StringOrURI, compared as it is (no case folding, no URL
// normalization). An issuer that does not match is not named: it is the token's claim.
auth_result<void> check_issuer(const json::object& claims, std::string_view expected) {
  if (expected.empty()) return {};
  const auto* iss = claims.if_contains("iss");
  if (iss == nullptr || iss->is_null()) return fail("token has no issuer");
  if (!iss->is_string() || iss->as_string() != expected) {
    return fail("token issuer does not match this site");
  }
  return {};
}

// Bounds how long a signed token can stay useful: a site's backend that signs `exp` years
// ahead, by mistake or to save work, would otherwise hand out a credential that outlives
// every session it was meant for. Measured from `now`, not from `iat`, which a careless
// signer may set as it likes. check_times() has checked that `exp` is there and a number.
auth_result<void> check_lifetime(const json::object& claims, time_point now,
                                 std::chrono::seconds leeway, std::chrono::seconds max_lifetime) {
  auto exp = numeric_date(claims, "exp");
  if (!exp) return exp.error();
  if (!*exp) return fail("token has no expiry");
  // No overflow: check_site_auth() bounds the lifetime, authenticator::create() the leeway.
  if (**exp > unix_seconds(now) + max_lifetime.count() + leeway.count()) {
    return fail("token exp is too far in the future: this site accepts tokens valid for at most " +
                std::to_string(max_lifetime.count()) + " seconds");
  }
  return {};
}

auth_result<std::string> subject(const json::object& claims) {
  const auto* sub = claims.if_contains("sub");
  if (sub == nullptr || !sub->is_string() || sub->as_string().empty()) {
    return fail("token has no subject");
  }
  if (!is_protocol_id(sub->as_string())) return fail("token subject is not a valid id");
  return std::string(sub->as_string());
}

std::string visitor_audience(std::string_view site_id) {
  std::string aud(visitor_audience_prefix);
  aud += site_id;
  return aud;
}

bool is_visitor_token(const parsed_token& token) {
  const auto* aud = token.unverified_claims.if_contains("aud");
  return aud != nullptr && aud->is_string() &&
         std::string_view(aud->as_string()).starts_with(visitor_audience_prefix);
}

auth_result<identity> verify_user(const site_auth& site, const parsed_token& token, time_point now,
                                  std::chrono::seconds leeway) {
  if (site.secret.empty()) return fail("this site does not accept user tokens");
  auto claims = verify_hs256(token.text, site.secret);
  if (!claims) return claims.error();
  const std::string_view audience = site.audience.empty() ? site.site_id : site.audience;
  if (auto ok = check_audience(*claims, audience); !ok) return ok.error();
  if (auto ok = check_issuer(*claims, site.issuer); !ok) return ok.error();
  if (auto ok = check_times(*claims, now, leeway); !ok) return ok.error();
  if (auto ok = check_lifetime(*claims, now, leeway, site.max_token_lifetime); !ok) {
    return ok.error();
  }
  auto sub = subject(*claims);
  if (!sub) return sub.error();

  std::string name;
  if (const auto* n = claims->if_contains("name"); n != nullptr && !n->is_null()) {
    if (!n->is_string()) return fail("token name is not a string");
    name = std::string(n->as_string());
    // The protocol's text never holds U+0000; jansson refuses it already, this keeps it so.
    if (name.find('\0') != std::string::npos) return fail("token name is not valid text");
    name = truncate_utf8(std::move(name), limits::max_name_bytes);
  }
  return identity{site.site_id, std::move(*sub), std::move(name), false};
}

auth_result<identity> verify_visitor(const site_auth& site, const parsed_token& token,
                                     time_point now, const auth_settings& settings) {
  if (!site.allow_anonymous) return fail("this site does not allow anonymous visitors");
  auto claims = verify_hs256(token.text, settings.visitor_secret);
  if (!claims) return claims.error();
  if (auto ok = check_audience(*claims, visitor_audience(site.site_id)); !ok) {
    const auto* aud = claims->if_contains("aud");
    if (aud != nullptr && aud->is_string() &&
        std::string_view(aud->as_string()).starts_with(visitor_audience_prefix)) {
      return fail("visitor token is for another site");
    }
    return ok.error();
  }
  if (auto ok = check_times(*claims, now, settings.leeway); !ok) return ok.error();
  auto sub = subject(*claims);
  if (!sub) return sub.error();
  return identity{site.site_id, std::move(*sub), std::string(), true};
}

auth_error site_error(const auth_error& error) {
  return fail("the site's auth settings are invalid: " + error.reason);
}

// Both mint_user_token()s: `issuer` empty leaves `iss` out.
auth_result<std::string> mint_user(std::string_view secret, std::string_view audience,
                                   std::string_view issuer, std::string_view sub,
                                   std::string_view name, std::chrono::seconds ttl,
                                   time_point now) {
  if (!usable_secret(secret)) return fail("secret must be 32 to 1024 bytes");
  if (audience.empty()) return fail("audience is empty");
  if (!is_protocol_id(sub)) return fail("sub is not a valid id");
  if (name.size() > limits::max_name_bytes) return fail("name is longer than 100 bytes");
  if (name.find('\0') != std::string_view::npos) return fail("name is not valid text");
  if (ttl <= std::chrono::seconds::zero() || ttl > max_token_ttl) {
    return fail("ttl must be between 1 second and 3650 days");
  }
  const std::int64_t iat = unix_seconds(now);
  // serialize() writes invalid UTF-8 through as it is; jansson, reading the claims in
  // sign_hs256(), is what refuses it.
  json::object claims{
      {"sub", sub}, {"name", name}, {"aud", audience}, {"iat", iat}, {"exp", iat + ttl.count()},
  };
  if (!issuer.empty()) claims["iss"] = issuer;
  return sign_hs256(secret, claims);
}

}  // namespace

// ---- Public API -------------------------------------------------------------------------

void throw_exception_from_error(const auth_error& error, const boost::source_location&) {
  throw std::runtime_error(error.reason);
}

bool is_protocol_id(std::string_view text) {
  if (text.empty() || text.size() > limits::max_id_bytes) return false;
  for (const char c : text) {
    if (!is_base64url_char(c)) return false;  // the same set: A-Z a-z 0-9 _ -
  }
  return true;
}

std::string owner_id(const identity& who) {
  std::string id = who.anonymous ? "v:" : "u:";
  id += who.site_id;
  id += ':';
  id += who.user_id;
  return id;
}

user_info to_user_info(const identity& who) {
  return user_info{who.user_id, who.name, who.anonymous};
}

auth_result<void> check_site_auth(const site_auth& site) {
  if (!is_protocol_id(site.site_id)) return fail("site id is not a valid id");
  if (!site.secret.empty() && site.secret.size() < min_secret_bytes) {
    return fail("site secret is shorter than 32 bytes");
  }
  if (site.secret.size() > max_secret_bytes) return fail("site secret is longer than 1024 bytes");
  // Such an audience would route the site's own tokens to the visitor key.
  if (std::string_view(site.audience).starts_with(visitor_audience_prefix)) {
    return fail("site audience must not start with \"palaver-visitor:\"");
  }
  if (site.issuer.size() > max_issuer_bytes) return fail("site issuer is longer than 255 bytes");
  if (site.max_token_lifetime < min_max_token_lifetime || site.max_token_lifetime > max_token_ttl) {
    return fail("site maximum token lifetime must be between 60 seconds and 3650 days");
  }
  return {};
}

auth_result<authenticator> authenticator::create(auth_settings settings) {
  if (settings.visitor_secret.size() < min_secret_bytes) {
    return fail("visitor secret is shorter than 32 bytes");
  }
  if (settings.visitor_secret.size() > max_secret_bytes) {
    return fail("visitor secret is longer than 1024 bytes");
  }
  if (settings.visitor_token_ttl <= std::chrono::seconds::zero() ||
      settings.visitor_token_ttl > max_token_ttl) {
    return fail("visitor token lifetime must be between 1 second and 3650 days");
  }
  if (settings.leeway < std::chrono::seconds::zero() || settings.leeway > max_clock_leeway) {
    return fail("leeway must be between 0 and 1 hour");
  }
  authenticator self(std::move(settings));
  // One round trip on the creating thread: proves libjwt and the CSPRNG work before the
  // first visitor arrives, and initialises jansson's hash seed before other threads run.
  const site_auth probe{"probe", {}, {}, true};
  auto visitor = self.new_visitor(probe.site_id);
  if (!visitor) return visitor.error();
  if (auto back = self.verify_visitor_token(probe, *visitor->visitor_token); !back) {
    return fail("self-test failed: " + back.error().reason);
  }
  return self;
}

auth_result<auth_success> authenticator::authenticate(const site_auth& site,
                                                      std::optional<std::string_view> token,
                                                      time_point now) const {
  if (auto ok = check_site_auth(site); !ok) return site_error(ok.error());
  if (!token) {
    if (!site.allow_anonymous) return fail("this site requires a token");
    return new_visitor(site.site_id, now);
  }
  auto parsed = parse_token(*token);
  if (!parsed) return parsed.error();
  auto who = is_visitor_token(*parsed) ? verify_visitor(site, *parsed, now, settings_)
                                       : verify_user(site, *parsed, now, settings_.leeway);
  if (!who) return who.error();
  return auth_success{std::move(*who), std::nullopt};
}

auth_result<identity> authenticator::verify_user_token(const site_auth& site,
                                                       std::string_view token,
                                                       time_point now) const {
  if (auto ok = check_site_auth(site); !ok) return site_error(ok.error());
  auto parsed = parse_token(token);
  if (!parsed) return parsed.error();
  return verify_user(site, *parsed, now, settings_.leeway);
}

auth_result<identity> authenticator::verify_visitor_token(const site_auth& site,
                                                          std::string_view token,
                                                          time_point now) const {
  if (auto ok = check_site_auth(site); !ok) return site_error(ok.error());
  auto parsed = parse_token(token);
  if (!parsed) return parsed.error();
  return verify_visitor(site, *parsed, now, settings_);
}

auth_result<auth_success> authenticator::new_visitor(std::string_view site_id,
                                                     time_point now) const {
  if (!is_protocol_id(site_id)) return fail("site id is not a valid id");
  // 16 bytes: 128 bits, 22 base64url characters; collisions are not a concern.
  auto random = random_base64url(16);
  if (!random) return random.error();
  std::string visitor_id = "v_" + *random;
  const std::int64_t iat = unix_seconds(now);
  const json::object claims{
      {"sub", visitor_id},
      {"aud", visitor_audience(site_id)},
      {"iat", iat},
      {"exp", iat + settings_.visitor_token_ttl.count()},
  };
  auto token = sign_hs256(settings_.visitor_secret, claims);
  if (!token) return token.error();
  return auth_success{identity{std::string(site_id), std::move(visitor_id), std::string(), true},
                      std::move(*token)};
}

auth_result<std::string> mint_user_token(std::string_view secret, std::string_view audience,
                                         std::string_view sub, std::string_view name,
                                         std::chrono::seconds ttl,
                                         std::chrono::system_clock::time_point now) {
  return mint_user(secret, audience, {}, sub, name, ttl, now);
}

auth_result<std::string> mint_user_token(const site_auth& site, std::string_view sub,
                                         std::string_view name, std::chrono::seconds ttl,
                                         std::chrono::system_clock::time_point now) {
  if (auto ok = check_site_auth(site); !ok) return site_error(ok.error());
  if (site.secret.empty()) return fail("this site does not accept user tokens");
  if (ttl > site.max_token_lifetime) {
    return fail("ttl is longer than this site accepts (max_token_lifetime_seconds = " +
                std::to_string(site.max_token_lifetime.count()) + ")");
  }
  const std::string_view audience = site.audience.empty() ? site.site_id : site.audience;
  return mint_user(site.secret, audience, site.issuer, sub, name, ttl, now);
}

bool api_key_matches(std::string_view presented, std::string_view expected) {
  if (expected.empty()) return false;
  std::array<unsigned char, 32> a{};
  std::array<unsigned char, 32> b{};
  if (EVP_Digest(presented.data(), presented.size(), a.data(), nullptr, EVP_sha256(), nullptr) !=
          1 ||
      EVP_Digest(expected.data(), expected.size(), b.data(), nullptr, EVP_sha256(), nullptr) != 1) {
    return false;
  }
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

auth_result<std::string> generate_secret() {
  return random_base64url(32);
}

}  // namespace palaver::server
