// The auth unit: which tokens get a visitor or a user in, and which are refused (and that
// the refusal never echoes the token). Tokens are built by hand here (OpenSSL HMAC, not
// libjwt) so the tests can say exactly what a forged or sloppy token looks like.
#include "auth.hpp"

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <jwt.h>
#include <limits>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string>
#include <thread>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace palaver::server {
namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::system_clock;

const std::string site_secret = "site-secret-for-docs-0123456789abcdef";     // 37 bytes
const std::string other_secret = "another-secret-nobody-shares-0123456789";  // 39 bytes
const std::string visitor_secret = "visitor-secret-of-this-server-0123456789";
const clock_type::time_point now = clock_type::time_point(std::chrono::seconds(1767225600));

std::int64_t at(clock_type::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

std::string b64url(std::string_view bytes) {
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::uint32_t bits = 0;
  int count = 0;
  for (const unsigned char c : bytes) {
    bits = (bits << 8) | c;
    count += 8;
    while (count >= 6) {
      count -= 6;
      out += alphabet[(bits >> count) & 63];
    }
  }
  if (count > 0) out += alphabet[(bits << (6 - count)) & 63];
  return out;
}

std::string hs256(std::string_view key, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &size);
  return b64url(std::string_view(reinterpret_cast<const char*>(mac), size));
}

// A compact JWS with exactly this header and payload text, signed HS256 with `key`.
std::string sign(std::string_view header, std::string_view payload, std::string_view key) {
  const std::string input = b64url(header) + "." + b64url(payload);
  return input + "." + hs256(key, input);
}

std::string sign_claims(const boost::json::object& claims, std::string_view key = site_secret) {
  return sign(R"({"alg":"HS256","typ":"JWT"})", boost::json::serialize(claims), key);
}

// Claims a site's backend would send for user alice, valid at `now`.
boost::json::object alice_claims() {
  return {{"sub", "alice"}, {"name", "Alice"}, {"aud", "docs"}, {"exp", at(now) + 3600}};
}

site_auth docs_site() {
  return site_auth{"docs", site_secret, "", true};
}

class auth_test : public ::testing::Test {
 protected:
  authenticator auth_ = authenticator::create({visitor_secret}).value();
  site_auth site_ = docs_site();

  // Expects the token to be refused with a reason that contains `why` and not the token.
  void expect_refused(std::string_view token, std::string_view why) {
    const auto result = auth_.authenticate(site_, token, now);
    ASSERT_FALSE(result.has_value()) << "accepted: " << why;
    const std::string& reason = result.error().reason;
    EXPECT_NE(reason.find(why), std::string::npos) << "reason: " << reason;
    if (token.size() >= 8) {
      EXPECT_EQ(reason.find(token), std::string::npos) << "the reason echoes the token";
      for (std::size_t dot = 0, start = 0; (dot = token.find('.', start)) != std::string::npos;
           start = dot + 1) {
        const auto part = token.substr(start, dot - start);
        if (part.size() >= 8) {
          EXPECT_EQ(reason.find(part), std::string::npos);
        }
      }
    }
  }
};

// ---- identified users -------------------------------------------------------------------

TEST_F(auth_test, valid_user_token_gives_the_user) {
  const auto result = auth_.authenticate(site_, sign_claims(alice_claims()), now);
  ASSERT_TRUE(result.has_value()) << result.error().reason;
  EXPECT_EQ(result->who, (identity{"docs", "alice", "Alice", false}));
  EXPECT_FALSE(result->visitor_token.has_value());  // only new visitors get a token
  EXPECT_EQ(owner_id(result->who), "u:docs:alice");
  EXPECT_EQ(to_user_info(result->who), (user_info{"alice", "Alice", false}));
}

TEST_F(auth_test, minted_user_token_verifies) {
  const auto token = mint_user_token(site_secret, "docs", "alice", "Alice", 1h, now);
  ASSERT_TRUE(token.has_value()) << token.error().reason;
  const auto who = auth_.verify_user_token(site_, *token, now);
  ASSERT_TRUE(who.has_value()) << who.error().reason;
  EXPECT_EQ(*who, (identity{"docs", "alice", "Alice", false}));
  // ...until it expires.
  EXPECT_FALSE(auth_.verify_user_token(site_, *token, now + 2h).has_value());
}

TEST_F(auth_test, minting_refuses_what_verifying_would) {
  EXPECT_FALSE(mint_user_token("short", "docs", "alice", "", 1h, now).has_value());
  EXPECT_FALSE(mint_user_token(site_secret, "", "alice", "", 1h, now).has_value());
  EXPECT_FALSE(mint_user_token(site_secret, "docs", "alice@example.com", "", 1h, now));
  EXPECT_FALSE(mint_user_token(site_secret, "docs", "alice", std::string(101, 'n'), 1h, now));
  EXPECT_FALSE(mint_user_token(site_secret, "docs", "alice", "", 0s, now).has_value());
  EXPECT_FALSE(mint_user_token(site_secret, "docs", "alice", "", max_token_ttl + 1s, now));
  EXPECT_FALSE(mint_user_token(site_secret, "docs", "alice", "bad \xff utf-8", 1h, now));
}

TEST_F(auth_test, site_minted_token_carries_the_sites_audience_and_issuer) {
  site_.audience = "https://docs.example.com";
  site_.issuer = "https://login.example.com";
  const auto token = mint_user_token(site_, "alice", "Alice", 1h, now);
  ASSERT_TRUE(token.has_value()) << token.error().reason;
  const auto who = auth_.verify_user_token(site_, *token, now);
  ASSERT_TRUE(who.has_value()) << who.error().reason;
  EXPECT_EQ(*who, (identity{"docs", "alice", "Alice", false}));
  // Without an audience of its own the site's id is the audience, as when verifying.
  site_.audience.clear();
  const auto by_id = mint_user_token(site_, "alice", "", 1h, now);
  ASSERT_TRUE(by_id.has_value()) << by_id.error().reason;
  EXPECT_TRUE(auth_.verify_user_token(site_, *by_id, now).has_value());
}

TEST_F(auth_test, site_minting_refuses_a_ttl_the_site_would_refuse) {
  site_.max_token_lifetime = 2h;
  const auto longest = mint_user_token(site_, "alice", "", 2h, now);
  ASSERT_TRUE(longest.has_value()) << longest.error().reason;
  EXPECT_TRUE(auth_.verify_user_token(site_, *longest, now).has_value());
  const auto too_long = mint_user_token(site_, "alice", "", 2h + 1s, now);
  ASSERT_FALSE(too_long.has_value());
  EXPECT_NE(too_long.error().reason.find("max_token_lifetime_seconds = 7200"), std::string::npos)
      << too_long.error().reason;
  // The default maximum (a day) leaves room for palaver token's default hour.
  EXPECT_TRUE(mint_user_token(docs_site(), "alice", "", 1h, now).has_value());

  site_.secret.clear();
  EXPECT_FALSE(mint_user_token(site_, "alice", "", 1h, now).has_value());
  site_auth broken = docs_site();
  broken.max_token_lifetime = 10s;
  EXPECT_FALSE(mint_user_token(broken, "alice", "", 5s, now).has_value());
}

TEST_F(auth_test, configured_audience_replaces_the_site_id) {
  site_.audience = "https://docs.example.com";
  auto claims = alice_claims();
  expect_refused(sign_claims(claims), "audience");  // aud "docs" no longer fits
  claims["aud"] = "https://docs.example.com";
  EXPECT_TRUE(auth_.authenticate(site_, sign_claims(claims), now).has_value());
}

TEST_F(auth_test, audience_may_be_a_list) {
  auto claims = alice_claims();
  claims["aud"] = boost::json::array{"billing", "docs"};
  EXPECT_TRUE(auth_.authenticate(site_, sign_claims(claims), now).has_value());
  claims["aud"] = boost::json::array{"billing", "support"};
  expect_refused(sign_claims(claims), "audience does not match");
}

TEST_F(auth_test, wrong_or_missing_audience_is_refused) {
  auto claims = alice_claims();
  claims["aud"] = "billing";
  expect_refused(sign_claims(claims), "audience does not match");
  claims["aud"] = 7;
  expect_refused(sign_claims(claims), "audience does not match");
  claims.erase("aud");
  expect_refused(sign_claims(claims), "no audience");
}

TEST_F(auth_test, configured_issuer_must_match_exactly) {
  site_.issuer = "https://login.example.com";
  auto claims = alice_claims();
  expect_refused(sign_claims(claims), "token has no issuer");
  claims["iss"] = nullptr;
  expect_refused(sign_claims(claims), "token has no issuer");
  for (const boost::json::value& wrong :
       {boost::json::value("https://evil.example.net"),
        boost::json::value("HTTPS://LOGIN.EXAMPLE.COM"),
        boost::json::value("https://login.example.com/"), boost::json::value(""),
        boost::json::value(42),
        boost::json::value(boost::json::array{"https://login.example.com"})}) {
    SCOPED_TRACE(boost::json::serialize(wrong));
    claims["iss"] = wrong;
    expect_refused(sign_claims(claims), "token issuer does not match this site");
    // The refusal names neither the token's issuer nor the expected one.
    const auto result = auth_.authenticate(site_, sign_claims(claims), now);
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().reason.find("example"), std::string::npos) << result.error().reason;
  }
  claims["iss"] = "https://login.example.com";
  const auto result = auth_.authenticate(site_, sign_claims(claims), now);
  ASSERT_TRUE(result.has_value()) << result.error().reason;
  EXPECT_EQ(result->who.user_id, "alice");
}

TEST_F(auth_test, issuer_is_not_checked_where_none_is_configured) {
  auto claims = alice_claims();
  EXPECT_TRUE(auth_.authenticate(site_, sign_claims(claims), now).has_value());
  claims["iss"] = "whoever";
  EXPECT_TRUE(auth_.authenticate(site_, sign_claims(claims), now).has_value());
}

TEST_F(auth_test, exp_beyond_the_maximum_lifetime_is_refused) {
  // The default maximum is a day; the clock leeway (30 s) is forgiven on top of it.
  ASSERT_EQ(site_.max_token_lifetime, 24h);
  auto claims = alice_claims();
  claims["exp"] = at(now + 24h + 30s);
  EXPECT_TRUE(auth_.authenticate(site_, sign_claims(claims), now).has_value());
  claims["exp"] = at(now + 24h + 31s);
  expect_refused(sign_claims(claims), "exp is too far in the future");
  claims["exp"] = at(now + 3650 * 24h);
  expect_refused(sign_claims(claims), "exp is too far in the future");

  // A site's own maximum.
  site_.max_token_lifetime = 1h;
  claims["exp"] = at(now + 1h + 30s);
  EXPECT_TRUE(auth_.authenticate(site_, sign_claims(claims), now).has_value());
  claims["exp"] = static_cast<double>(at(now + 1h + 30s)) + 0.9;  // rounded down: still inside
  EXPECT_TRUE(auth_.authenticate(site_, sign_claims(claims), now).has_value());
  claims["exp"] = at(now + 1h + 31s);
  expect_refused(sign_claims(claims), "exp is too far in the future");
  // Measured from now, not from iat: a token signed long ago is judged by what remains.
  claims["iat"] = at(now - 48h);
  claims["exp"] = at(now + 30min);
  EXPECT_TRUE(auth_.authenticate(site_, sign_claims(claims), now).has_value());
}

TEST_F(auth_test, exp_that_overflows_is_too_far_in_the_future) {
  auto claims = alice_claims();
  claims["exp"] = std::numeric_limits<std::int64_t>::max();
  expect_refused(sign_claims(claims), "exp is too far in the future");
  claims["exp"] = 1e300;
  expect_refused(sign_claims(claims), "exp is too far in the future");
}

TEST_F(auth_test, visitor_tokens_are_not_held_to_the_sites_maximum) {
  // The server mints visitor tokens for a year; a site's maximum bounds its own users' tokens.
  site_.max_token_lifetime = 1h;
  const auto visitor = auth_.new_visitor("docs", now);
  ASSERT_TRUE(visitor.has_value());
  EXPECT_TRUE(auth_.authenticate(site_, *visitor->visitor_token, now).has_value());
}

TEST_F(auth_test, expired_token_is_refused_after_the_leeway) {
  auto claims = alice_claims();
  claims["exp"] = at(now) - 3600;
  expect_refused(sign_claims(claims), "expired");
  // Clock skew up to the leeway (30 s) is forgiven; beyond it is not.
  claims["exp"] = at(now) - 29;
  EXPECT_TRUE(auth_.authenticate(site_, sign_claims(claims), now).has_value());
  claims["exp"] = at(now) - 30;
  expect_refused(sign_claims(claims), "expired");
}

TEST_F(auth_test, fractional_exp_is_a_valid_numeric_date) {
  auto claims = alice_claims();
  claims["exp"] = static_cast<double>(at(now)) + 60.5;  // as PyJWT signs time.time() + 60
  EXPECT_TRUE(auth_.authenticate(site_, sign_claims(claims), now).has_value());
  claims["exp"] = "tomorrow";
  expect_refused(sign_claims(claims), "exp is not a number");
}

TEST_F(auth_test, not_before_in_the_future_is_refused) {
  auto claims = alice_claims();
  claims["nbf"] = at(now) + 600;
  expect_refused(sign_claims(claims), "not valid yet");
  claims["nbf"] = at(now) + 20;  // within the leeway
  EXPECT_TRUE(auth_.authenticate(site_, sign_claims(claims), now).has_value());
}

TEST_F(auth_test, missing_exp_is_refused) {
  auto claims = alice_claims();
  claims.erase("exp");
  expect_refused(sign_claims(claims), "no expiry");
}

TEST_F(auth_test, missing_or_invalid_sub_is_refused) {
  auto claims = alice_claims();
  claims.erase("sub");
  expect_refused(sign_claims(claims), "no subject");
  claims["sub"] = "";
  expect_refused(sign_claims(claims), "no subject");
  claims["sub"] = 42;
  expect_refused(sign_claims(claims), "no subject");
  claims["sub"] = "alice@example.com";
  expect_refused(sign_claims(claims), "subject is not a valid id");
  claims["sub"] = std::string(65, 'a');
  expect_refused(sign_claims(claims), "subject is not a valid id");
  claims["sub"] = std::string(64, 'a');
  EXPECT_TRUE(auth_.authenticate(site_, sign_claims(claims), now).has_value());
}

TEST_F(auth_test, long_name_is_cut_at_a_character_boundary) {
  auto claims = alice_claims();
  claims["name"] = std::string(99, 'a') + "\xc3\xa9";  // 101 bytes: 'é' straddles byte 100
  const auto result = auth_.authenticate(site_, sign_claims(claims), now);
  ASSERT_TRUE(result.has_value()) << result.error().reason;
  EXPECT_EQ(result->who.name, std::string(99, 'a'));
  claims["name"] = std::string(100, 'b');
  EXPECT_EQ(auth_.authenticate(site_, sign_claims(claims), now)->who.name, std::string(100, 'b'));
}

TEST_F(auth_test, name_is_optional_but_must_be_text) {
  auto claims = alice_claims();
  claims.erase("name");
  EXPECT_EQ(auth_.authenticate(site_, sign_claims(claims), now)->who.name, "");
  claims["name"] = boost::json::array{"Alice"};
  expect_refused(sign_claims(claims), "name is not a string");
}

TEST_F(auth_test, bad_signature_is_refused) {
  expect_refused(sign_claims(alice_claims(), other_secret), "signature is invalid");
  // Alice's valid token with the payload swapped for Mallory's.
  const std::string good = sign_claims(alice_claims());
  auto mallory = alice_claims();
  mallory["sub"] = "mallory";
  const std::string forged_payload = b64url(boost::json::serialize(mallory));
  const auto first = good.find('.');
  const auto second = good.find('.', first + 1);
  const std::string forged = good.substr(0, first + 1) + forged_payload + good.substr(second);
  expect_refused(forged, "signature is invalid");
  // One flipped signature character.
  std::string flipped = good;
  flipped[second + 5] = flipped[second + 5] == 'A' ? 'B' : 'A';
  expect_refused(flipped, "signature is invalid");
  // No signature at all.
  expect_refused(good.substr(0, second + 1), "signature is invalid");
}

TEST_F(auth_test, alg_none_is_refused) {
  const std::string payload = boost::json::serialize(alice_claims());
  const std::string unsigned_token =
      b64url(R"({"alg":"none","typ":"JWT"})") + "." + b64url(payload) + ".";
  expect_refused(unsigned_token, "HS256");
  // Also with a signature that would be right for HS256.
  const std::string input = b64url(R"({"alg":"none","typ":"JWT"})") + "." + b64url(payload);
  expect_refused(input + "." + hs256(site_secret, input), "HS256");
  // And alg spelt in other cases.
  expect_refused(sign(R"({"alg":"None","typ":"JWT"})", payload, site_secret), "HS256");
  expect_refused(sign(R"({"alg":"hs256","typ":"JWT"})", payload, site_secret), "HS256");
}

TEST_F(auth_test, other_algorithms_are_refused_even_with_the_right_key) {
  // HS512 with the site's own secret: a valid signature, but not the agreed algorithm.
  jwt_t* raw = nullptr;
  ASSERT_EQ(jwt_new(&raw), 0);
  ASSERT_EQ(jwt_add_grants_json(raw, boost::json::serialize(alice_claims()).c_str()), 0);
  ASSERT_EQ(
      jwt_set_alg(raw, JWT_ALG_HS512, reinterpret_cast<const unsigned char*>(site_secret.data()),
                  static_cast<int>(site_secret.size())),
      0);
  char* hs512 = jwt_encode_str(raw);
  ASSERT_NE(hs512, nullptr);
  const std::string hs512_token(hs512);
  std::free(hs512);
  jwt_free(raw);
  expect_refused(hs512_token, "HS256");

  // RS256 / ES256 headers, signed with the HMAC secret (the classic key-confusion forgery).
  const std::string payload = boost::json::serialize(alice_claims());
  expect_refused(sign(R"({"alg":"RS256","typ":"JWT"})", payload, site_secret), "HS256");
  expect_refused(sign(R"({"alg":"ES256","typ":"JWT"})", payload, site_secret), "HS256");
  expect_refused(sign(R"({"typ":"JWT"})", payload, site_secret), "no algorithm");
}

TEST_F(auth_test, unknown_critical_headers_and_types_are_refused) {
  const std::string payload = boost::json::serialize(alice_claims());
  expect_refused(
      sign(R"({"alg":"HS256","typ":"JWT","crit":["exp"],"exp":1})", payload, site_secret),
      "critical");
  expect_refused(sign(R"({"alg":"HS256","typ":"JWE"})", payload, site_secret), "type");
  // typ is optional (RFC 7519 §5.1).
  EXPECT_TRUE(
      auth_.authenticate(site_, sign(R"({"alg":"HS256"})", payload, site_secret), now).has_value());
}

TEST_F(auth_test, site_without_secret_takes_no_user_tokens) {
  site_.secret.clear();
  expect_refused(sign_claims(alice_claims()), "does not accept user tokens");
  // libjwt would accept an HS256 token unchecked given an empty key: make sure none gets in.
  expect_refused(sign_claims(alice_claims(), ""), "does not accept user tokens");
}

TEST_F(auth_test, site_backend_cannot_mint_visitor_tokens) {
  auto claims = alice_claims();
  claims["aud"] = "palaver-visitor:docs";
  claims["sub"] = "v_someone";
  expect_refused(sign_claims(claims, site_secret), "signature is invalid");
}

TEST_F(auth_test, oversized_token_is_refused) {
  auto claims = alice_claims();
  claims["pad"] = std::string(4096, 'x');
  expect_refused(sign_claims(claims), "longer than 4096 bytes");
}

TEST_F(auth_test, garbage_is_refused) {
  const std::vector<std::string> garbage = {
      "",
      "x",
      "abc.def",
      "a.b.c",
      "..",
      "...",
      "a.b.c.d",
      "not a token at all",
      "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.@@@",
      std::string("eyJhbGciOiJIUzI1NiJ9") + '\0' + ".e30.",
      b64url("not json") + "." + b64url("{}") + "." + std::string(43, 'A'),
      b64url("[1,2]") + "." + b64url("{}") + "." + std::string(43, 'A'),
      b64url(R"({"alg":"HS256"})") + "." + b64url("\"str\"") + "." + std::string(43, 'A'),
      b64url(R"({"alg":"HS256"})") + "." + b64url("{\"a\":\"\xff\"}") + "." + std::string(43, 'A'),
      b64url(R"({"alg":"HS256"})") + "." + b64url("{}") + "." + std::string(43, 'A'),
      b64url(R"({"alg":"HS256"})") + ".e30xx." + std::string(43, 'A'),  // bad base64url length
      "pv1.anon.9f2c.Q2hhdHRlcg",
      std::string(5000, 'A'),
      "\xf0\x9f\x98\x80.\xf0\x9f\x98\x80.\xf0\x9f\x98\x80",
  };
  for (const auto& token : garbage) {
    SCOPED_TRACE(token.substr(0, 60));
    const auto result = auth_.authenticate(site_, token, now);
    ASSERT_FALSE(result.has_value());
    EXPECT_FALSE(result.error().reason.empty());
  }
}

// ---- visitors ---------------------------------------------------------------------------

TEST_F(auth_test, no_token_creates_a_visitor_with_a_token) {
  const auto first = auth_.authenticate(site_, std::nullopt, now);
  ASSERT_TRUE(first.has_value()) << first.error().reason;
  const identity& who = first->who;
  EXPECT_TRUE(who.anonymous);
  EXPECT_EQ(who.site_id, "docs");
  EXPECT_EQ(who.name, "");
  EXPECT_EQ(who.user_id.size(), 24u);
  EXPECT_EQ(who.user_id.substr(0, 2), "v_");
  EXPECT_TRUE(is_protocol_id(who.user_id));
  EXPECT_EQ(owner_id(who), "v:docs:" + who.user_id);
  ASSERT_TRUE(first->visitor_token.has_value());
  EXPECT_LE(first->visitor_token->size(), 4096u);

  // Next time: the same visitor, and no new token.
  const auto again = auth_.authenticate(site_, *first->visitor_token, now + 24h);
  ASSERT_TRUE(again.has_value()) << again.error().reason;
  EXPECT_EQ(again->who, who);
  EXPECT_FALSE(again->visitor_token.has_value());

  // Two new visitors are two people.
  const auto second = auth_.authenticate(site_, std::nullopt, now);
  ASSERT_TRUE(second.has_value());
  EXPECT_NE(second->who.user_id, who.user_id);
}

TEST_F(auth_test, visitor_and_user_with_the_same_id_are_different_owners) {
  const identity visitor{"docs", "v_abc", "", true};
  const identity user{"docs", "v_abc", "", false};
  EXPECT_NE(owner_id(visitor), owner_id(user));
  EXPECT_NE(owner_id(identity{"docs", "alice", "", false}),
            owner_id(identity{"blog", "alice", "", false}));
}

TEST_F(auth_test, visitor_token_of_site_a_is_refused_on_site_b) {
  const auto visitor = auth_.new_visitor("docs", now);
  ASSERT_TRUE(visitor.has_value());
  site_auth blog{"blog", site_secret, "", true};
  const auto result = auth_.authenticate(blog, *visitor->visitor_token, now);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().reason, "visitor token is for another site");
}

TEST_F(auth_test, visitor_token_signed_with_another_secret_is_refused) {
  const auto other = authenticator::create({other_secret});
  ASSERT_TRUE(other.has_value());
  const auto visitor = other->new_visitor("docs", now);
  ASSERT_TRUE(visitor.has_value());
  expect_refused(*visitor->visitor_token, "signature is invalid");
  // Same for a forged one with the right audience shape.
  const boost::json::object claims{
      {"sub", "v_forged"}, {"aud", "palaver-visitor:docs"}, {"exp", at(now) + 3600}};
  expect_refused(sign_claims(claims, site_secret), "signature is invalid");
}

TEST_F(auth_test, visitor_token_expires_after_its_lifetime) {
  const auto visitor = auth_.new_visitor("docs", now);
  ASSERT_TRUE(visitor.has_value());
  EXPECT_TRUE(auth_.authenticate(site_, *visitor->visitor_token, now + 364 * 24h).has_value());
  const auto late = auth_.authenticate(site_, *visitor->visitor_token, now + 366 * 24h);
  ASSERT_FALSE(late.has_value());
  EXPECT_EQ(late.error().reason, "token has expired");

  const auto short_lived = authenticator::create({visitor_secret, 1h, 0s});
  ASSERT_TRUE(short_lived.has_value());
  const auto brief = short_lived->new_visitor("docs", now);
  ASSERT_TRUE(brief.has_value());
  EXPECT_FALSE(short_lived->authenticate(site_, *brief->visitor_token, now + 2h).has_value());
}

TEST_F(auth_test, sites_without_anonymous_visitors_refuse_them) {
  const auto visitor = auth_.new_visitor("docs", now);
  ASSERT_TRUE(visitor.has_value());
  site_.allow_anonymous = false;
  const auto no_token = auth_.authenticate(site_, std::nullopt, now);
  ASSERT_FALSE(no_token.has_value());
  EXPECT_EQ(no_token.error().reason, "this site requires a token");
  expect_refused(*visitor->visitor_token, "does not allow anonymous visitors");
  // Users still get in.
  EXPECT_TRUE(auth_.authenticate(site_, sign_claims(alice_claims()), now).has_value());
}

TEST_F(auth_test, verify_functions_keep_to_their_kind) {
  const auto visitor = auth_.new_visitor("docs", now);
  ASSERT_TRUE(visitor.has_value());
  EXPECT_TRUE(auth_.verify_visitor_token(site_, *visitor->visitor_token, now).has_value());
  EXPECT_FALSE(auth_.verify_user_token(site_, *visitor->visitor_token, now).has_value());
  const std::string user_token = sign_claims(alice_claims());
  EXPECT_TRUE(auth_.verify_user_token(site_, user_token, now).has_value());
  EXPECT_FALSE(auth_.verify_visitor_token(site_, user_token, now).has_value());
}

// ---- settings ---------------------------------------------------------------------------

TEST(auth_settings_test, weak_settings_are_refused) {
  EXPECT_FALSE(authenticator::create({""}).has_value());
  EXPECT_FALSE(authenticator::create({std::string(31, 's')}).has_value());
  EXPECT_TRUE(authenticator::create({std::string(32, 's')}).has_value());
  EXPECT_FALSE(authenticator::create({visitor_secret, 0s}).has_value());
  EXPECT_FALSE(authenticator::create({visitor_secret, 1h, -1s}).has_value());
  EXPECT_FALSE(authenticator::create({visitor_secret, max_token_ttl + 1s}).has_value());
  EXPECT_FALSE(authenticator::create({visitor_secret, 1h, max_clock_leeway + 1s}).has_value());

  EXPECT_TRUE(check_site_auth(docs_site()).has_value());
  EXPECT_TRUE(check_site_auth(site_auth{"docs", "", "", true}).has_value());  // visitors only
  EXPECT_FALSE(check_site_auth(site_auth{"docs", "short", "", true}).has_value());
  EXPECT_FALSE(check_site_auth(site_auth{"", site_secret, "", true}).has_value());
  EXPECT_FALSE(check_site_auth(site_auth{"do cs", site_secret, "", true}).has_value());
  EXPECT_FALSE(check_site_auth(site_auth{"docs", site_secret, "palaver-visitor:x", true}));

  site_auth site = docs_site();
  site.issuer = std::string(max_issuer_bytes, 'i');
  EXPECT_TRUE(check_site_auth(site).has_value());
  site.issuer += 'i';
  EXPECT_FALSE(check_site_auth(site).has_value());
  site = docs_site();
  EXPECT_EQ(site.max_token_lifetime, default_max_token_lifetime);
  for (const std::chrono::seconds lifetime :
       {min_max_token_lifetime, std::chrono::seconds(24h), max_token_ttl}) {
    site.max_token_lifetime = lifetime;
    EXPECT_TRUE(check_site_auth(site).has_value()) << lifetime.count();
  }
  for (const std::chrono::seconds lifetime :
       {min_max_token_lifetime - 1s, 0s, std::chrono::seconds(-1h), max_token_ttl + 1s}) {
    site.max_token_lifetime = lifetime;
    const auto checked = check_site_auth(site);
    ASSERT_FALSE(checked.has_value()) << lifetime.count();
    EXPECT_NE(checked.error().reason.find("maximum token lifetime"), std::string::npos);
  }
}

TEST(auth_settings_test, misconfigured_site_refuses_every_token) {
  const auto auth = authenticator::create({visitor_secret}).value();
  const site_auth weak{"docs", "tiny", "", true};
  const std::string token = sign_claims(alice_claims(), "tiny");
  const auto result = auth.authenticate(weak, token, now);
  ASSERT_FALSE(result.has_value());
  EXPECT_NE(result.error().reason.find("auth settings are invalid"), std::string::npos);
}

TEST(auth_settings_test, generated_secrets_are_long_and_distinct) {
  const auto a = generate_secret();
  const auto b = generate_secret();
  ASSERT_TRUE(a.has_value());
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(a->size(), 43u);
  EXPECT_NE(*a, *b);
  EXPECT_TRUE(authenticator::create({*a}).has_value());
}

// ---- API keys ---------------------------------------------------------------------------

TEST(api_key_test, matches_only_the_configured_key) {
  const std::string key = "pk_live_4Jd8QaZ2p7QkZ2p9f2cQ2hhdHRlcg";
  EXPECT_TRUE(api_key_matches(key, key));
  EXPECT_TRUE(api_key_matches(std::string(key), key));  // a different buffer
  EXPECT_FALSE(api_key_matches(key.substr(0, key.size() - 1), key));
  EXPECT_FALSE(api_key_matches(key + "x", key));
  std::string last_differs = key;
  last_differs.back() = 'h';
  EXPECT_FALSE(api_key_matches(last_differs, key));
  EXPECT_FALSE(api_key_matches("", key));
  // No key configured: nothing matches, not even an empty key.
  EXPECT_FALSE(api_key_matches("", ""));
  EXPECT_FALSE(api_key_matches("anything", ""));
}

// ---- threads ----------------------------------------------------------------------------

TEST(auth_threads_test, one_authenticator_serves_many_threads) {
  const auto auth = authenticator::create({visitor_secret}).value();
  const site_auth site = docs_site();
  const std::string user_token = sign_claims(alice_claims());
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        const auto visitor = auth.authenticate(site, std::nullopt, now);
        if (!visitor || !auth.authenticate(site, *visitor->visitor_token, now)) ++failures;
        const auto user = auth.authenticate(site, user_token, now);
        if (!user || user->who.user_id != "alice") ++failures;
        if (auth.authenticate(site, sign_claims(alice_claims(), other_secret), now)) ++failures;
      }
    });
  }
  for (auto& thread : threads)
    thread.join();
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace palaver::server
