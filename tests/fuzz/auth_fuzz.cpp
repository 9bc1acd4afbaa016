// libFuzzer target for the auth path (server/src/auth.*): authenticator::authenticate(), which
// takes the untrusted token of an `auth` frame or a REST Authorization header and a site's auth
// settings. Beyond "no crash": a token not signed with a key the server holds never passes; a
// passing token gives a well-formed identity of the right kind; a refusal's reason is printable
// and never repeats the token or a secret; the outcome is the same twice; a minted user token
// or a new visitor's token verifies to what was minted, and a minted token expires on time.
//
// Input: [control][body]. Control bits 0-1 pick what the body is:
//   0  the token's text, as a client sent it (and as a REST API key);
//   1  "[header JSON\n]claims JSON": signed here with the site's secret (header default:
//      {"alg":"HS256","typ":"JWT"}), so the claims checks behind the signature are reached;
//   2  the same, signed with the server's visitor secret;
//   3  "sub\nname\nttl seconds" for mint_user_token(), then verified; and a new visitor.
// Bit 2: the site allows anonymous visitors. Bit 3: the site has no secret. Bit 4: the site has
// an audience of its own. Bit 5: the site's secret is too short (the site's settings are bad).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <optional>
#include <string>
#include <string_view>

#include "palaver/limits.hpp"

#include "auth.hpp"
#include "fuzz_support.hpp"

namespace {

using palaver::fuzz::check;
namespace auth = palaver::server;

constexpr std::string_view site_secret = "fuzz-site-secret-0123456789abcdefghij";
constexpr std::string_view visitor_secret = "fuzz-visitor-secret-0123456789abcdefgh";
const auth::authenticator::time_point now{std::chrono::seconds{1'800'000'000}};

const auth::authenticator& authenticator() {
  static const auth::authenticator instance = [] {
    auth::auth_settings settings;
    settings.visitor_secret = std::string(visitor_secret);
    auto created = auth::authenticator::create(std::move(settings));
    check(created.has_value(), "the authenticator could not be created");
    return std::move(*created);
  }();
  return instance;
}

std::string base64url(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  while (!out.empty() && out.back() == '=')
    out.pop_back();
  for (char& c : out) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return out;
}

// A JWS compact token over `header` and `claims` as given (not necessarily JSON), HS256 with
// `secret`: what a holder of that secret could send.
std::string sign(std::string_view header, std::string_view claims, std::string_view secret) {
  std::string token = base64url(header) + "." + base64url(claims);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_size = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(token.data()), token.size(), mac, &mac_size);
  return token + "." + base64url(std::string_view(reinterpret_cast<const char*>(mac), mac_size));
}

// The next line of `text` (without its '\n'), removed from `text`.
std::string_view take_line(std::string_view& text) {
  const auto nl = text.find('\n');
  const std::string_view line = text.substr(0, nl);
  text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
  return line;
}

bool same(const auth::auth_result<auth::auth_success>& a,
          const auth::auth_result<auth::auth_success>& b) {
  if (a.has_value() != b.has_value()) return false;
  return a ? a->who == b->who && a->visitor_token == b->visitor_token
           : a.error().reason == b.error().reason;
}

void check_refusal(const auth::auth_error& error, std::string_view token) {
  const std::string& reason = error.reason;
  check(!reason.empty() && reason.size() <= 200, "a refusal's reason is empty or long");
  for (const char c : reason)
    check(c >= 0x20 && c < 0x7F, "a refusal's reason is not printable ASCII");
  // A JWT's signature alone is 43 base64url characters, and no reason holds 40 of those (or dots)
  // in a row by itself: such a token found in a reason was copied there. (Shorter text, or text
  // with other characters, may match a reason's words by chance.)
  const bool jwt_alphabet =
      token.find_first_not_of(
          "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.") ==
      std::string_view::npos;
  check(token.size() < 40 || !jwt_alphabet || reason.find(token) == std::string::npos,
        "a reason repeats the token");
  check(reason.find(site_secret) == std::string::npos &&
            reason.find(visitor_secret) == std::string::npos,
        "a reason repeats a secret");
}

void check_identity(const auth::identity& who, const auth::site_auth& site) {
  check(who.site_id == site.site_id, "an identity of another site");
  check(auth::is_protocol_id(who.user_id), "an identity whose id is not a protocol id");
  check(who.name.size() <= palaver::limits::max_name_bytes, "a name over the limit");
  check(palaver::fuzz::is_valid_utf8(who.name), "a name that is not UTF-8");
  check(who.name.find('\0') == std::string::npos, "a name with U+0000");
  check(!who.anonymous || who.name.empty(), "a visitor with a name");
  check(!who.anonymous || site.allow_anonymous, "a visitor where the site allows none");
}

// authenticate(), checked for what every outcome must satisfy; returns it.
auth::auth_result<auth::auth_success> authenticate(const auth::site_auth& site,
                                                   std::optional<std::string_view> token,
                                                   auth::authenticator::time_point at = now) {
  auto result = authenticator().authenticate(site, token, at);
  // Without a token, each call is a new visitor; with one, the outcome is a pure function.
  check(!token || same(result, authenticator().authenticate(site, token, at)),
        "the same token and site gave two outcomes");
  if (!result) {
    check_refusal(result.error(), token.value_or(""));
    return result;
  }
  check_identity(result->who, site);
  check(result->visitor_token.has_value() == !token, "a visitor token for a known token");
  check(auth::check_site_auth(site).has_value(), "a token passed for a site with bad settings");
  return result;
}

// A user token minted for the site verifies to what was minted, until it expires on time.
void check_minted(const auth::site_auth& site, std::string_view body) {
  const std::string_view sub = take_line(body);
  const std::string_view name = take_line(body);
  // Up to an hour: within any site's maximum token lifetime.
  std::int64_t ttl = 0;
  for (const char c : body.substr(0, 4))
    ttl = ttl * 10 + (c >= '0' && c <= '9' ? c - '0' : 0);
  const std::chrono::seconds lifetime{1 + ttl % 3600};
  const std::string audience = site.audience.empty() ? site.site_id : site.audience;
  const auto token = auth::mint_user_token(site.secret, audience, sub, name, lifetime, now);
  if (!token) return;
  const auto passed = authenticate(site, *token);
  if (!auth::check_site_auth(site) || site.secret.empty()) return;
  check(passed.has_value(), "a minted user token was refused");
  check(passed->who.user_id == sub && passed->who.name == name && !passed->who.anonymous,
        "a minted user token verified to another identity");
  const auto leeway = auth::default_clock_leeway;
  check(authenticate(site, *token, now + lifetime + leeway - std::chrono::seconds{1}).has_value(),
        "a minted user token expired early");
  check(!authenticate(site, *token, now + lifetime + leeway).has_value(),
        "a minted user token outlived its expiry and the leeway");
}

// A visitor created for the site comes back as the same visitor with its token.
void check_new_visitor(const auth::site_auth& site) {
  const auto created = authenticate(site, std::nullopt);
  if (!created) return;
  const auto back = authenticate(site, *created->visitor_token);
  check(back.has_value() && back->who == created->who, "a new visitor's token was refused");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t control = data[0];
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);

  auth::site_auth site;
  site.site_id = "portal";
  site.secret = control & 0x08 ? std::string() : std::string(site_secret);
  if (control & 0x20) site.secret.resize(16);
  if (control & 0x10) site.audience = "https://portal.example.com";
  site.allow_anonymous = (control & 0x04) != 0;

  switch (control & 0x03) {
    case 0: {
      const auto result = authenticate(site, body);
      check(!result.has_value(), "a token nobody here signed passed");
      // The REST API tries a Bearer value as the site's API key first.
      check(auth::api_key_matches(body, site_secret) == (body == site_secret),
            "an API key matched another key");
      break;
    }
    case 1:
    case 2: {
      const bool by_site = (control & 0x03) == 1;
      std::string_view header = R"({"alg":"HS256","typ":"JWT"})";
      std::string_view claims = body;
      if (const auto nl = body.find('\n'); nl != std::string_view::npos) {
        header = body.substr(0, nl);
        claims = body.substr(nl + 1);
      }
      const std::string token =
          sign(header, claims, by_site ? std::string_view(site.secret) : visitor_secret);
      const auto result = authenticate(site, token);
      if (result) {
        check(result->who.anonymous == !by_site, "a token passed as the other kind of identity");
        check(!by_site || !site.secret.empty(), "a user token passed where the site has no key");
      }
      break;
    }
    default:
      check_minted(site, body);
      check_new_visitor(site);
  }
  return 0;
}
