// The widget's catalogues as the server knows them: the languages and keys it reads from the
// embedded files, the rules a site's text must keep, and the catalogues a site's texts make,
// served like the built-in files (ETag, gzip).
#include "catalogues.hpp"

#include <cstdint>
#include <string>

#include <boost/beast/zlib/inflate_stream.hpp>
#include <boost/crc.hpp>
#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace palaver::server {
namespace {

std::string text_of(std::span<const unsigned char> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// A JSON catalogue as key → text; an empty object (and a failure) when it is none.
boost::json::object parsed(std::string_view json) {
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(json, ec);
  if (ec || !value.is_object()) {
    ADD_FAILURE() << "not a JSON object: " << json;
    return {};
  }
  return value.get_object();
}

// The text of `key`; "" (and a failure) when it has none.
std::string text_at(const boost::json::object& texts, std::string_view key) {
  const boost::json::value* text = texts.if_contains(key);
  if (text == nullptr || !text->is_string()) {
    ADD_FAILURE() << "no text for " << key;
    return {};
  }
  return std::string(text->get_string());
}

// What a browser makes of a gzip body: the header skipped, raw deflate inflated, the CRC-32
// and length of the trailer checked. "" (and a failure) when it is not gzip.
std::string gunzip(std::string_view gz) {
  namespace zlib = boost::beast::zlib;
  if (gz.size() < 18 || gz.substr(0, 3) != "\x1f\x8b\x08") {
    ADD_FAILURE() << "no gzip header";
    return {};
  }
  zlib::inflate_stream inflate;
  inflate.reset(15);
  std::string out(64 * 1024, '\0');
  zlib::z_params params;
  params.next_in = gz.data() + 10;
  params.avail_in = gz.size() - 18;
  params.next_out = out.data();
  params.avail_out = out.size();
  boost::system::error_code ec;
  inflate.write(params, zlib::Flush::finish, ec);
  EXPECT_EQ(ec, zlib::error::end_of_stream) << ec.message();
  out.resize(params.total_out);
  boost::crc_32_type crc;
  crc.process_bytes(out.data(), out.size());
  const auto word_at = [&](std::size_t at) {
    std::uint32_t word = 0;
    for (int i = 3; i >= 0; --i)
      word = (word << 8) | static_cast<unsigned char>(gz[at + i]);
    return word;
  };
  EXPECT_EQ(word_at(gz.size() - 8), crc.checksum());
  EXPECT_EQ(word_at(gz.size() - 4), out.size());
  return out;
}

TEST(Catalogues, TheServerKnowsTheShippedLanguagesAndEnglishsKeysFromTheFilesItServes) {
  const catalogue_index& index = shipped_catalogues();
  for (const char* tag : {"en", "fr", "de", "zh-Hant"})
    EXPECT_TRUE(index.has_tag(tag)) << tag;
  EXPECT_FALSE(index.has_tag("xx"));
  EXPECT_FALSE(index.has_tag("FR"));
  ASSERT_FALSE(index.english.empty());
  EXPECT_EQ(index.english.front().first, "title");  // en.json's order
  ASSERT_NE(index.english_text("greeting"), nullptr);
  EXPECT_EQ(*index.english_text("greeting"), "Hi! Ask us anything.");
  EXPECT_EQ(index.english_text("fr"), nullptr);
  // Every key is one the English catalogue has, and the tags are the files'.
  for (const std::string& tag : index.tags)
    EXPECT_NE(find_file("/i18n/" + tag + ".json"), nullptr) << tag;
  const boost::json::object english = parsed(text_of(find_file("/i18n/en.json")->body));
  EXPECT_EQ(english.size(), index.english.size());
}

TEST(Catalogues, PlaceholdersAreTheBracedNamesTheWidgetFills) {
  using names = std::vector<std::string_view>;
  EXPECT_EQ(placeholder_names("{title} ({count} unread)"), (names{"count", "title"}));
  EXPECT_EQ(placeholder_names("{count}, {count}!"), names{"count"});
  EXPECT_EQ(placeholder_names("{} {a b} {a-b} { {{count}} }{"), names{"count"});
  EXPECT_EQ(placeholder_names("no braces"), names{});
}

TEST(Catalogues, ASitesTextMustBeShortValidTextWithEnglishsPlaceholders) {
  const catalogue_index& index = shipped_catalogues();
  EXPECT_EQ(check_site_text(index, "greeting", "Hallo, fragen Sie uns."), std::nullopt);
  EXPECT_EQ(check_site_text(index, "greeting", "Bonjour ! Une question sur votre vélo ?"),
            std::nullopt);
  EXPECT_EQ(check_site_text(index, "launcher_unread", "{count} × {title}"), std::nullopt);
  EXPECT_EQ(check_site_text(index, "greting", "Hi"),
            "is not a key of the widget's catalogues (web/i18n/en.json)");
  EXPECT_EQ(check_site_text(index, "title", std::string(max_site_text_bytes, 'x')), std::nullopt);
  // The limit counts bytes: 250 two-byte letters fit, one more does not.
  std::string accents;
  for (int i = 0; i < 250; ++i)
    accents += "é";
  EXPECT_EQ(check_site_text(index, "title", accents), std::nullopt);
  EXPECT_EQ(check_site_text(index, "title", accents + "e"), "is 501 bytes long: at most 500");
  for (const char* broken : {"Hi \xC3\x28", "\xC0\xAF", "\xED\xA0\x80", "cut \xE2\x82"})
    EXPECT_EQ(check_site_text(index, "title", broken), "is not valid UTF-8") << broken;
  EXPECT_EQ(check_site_text(index, "title", "Chat\n"), "contains a control character");
  EXPECT_EQ(check_site_text(index, "title", "Chat\x7f"), "contains a control character");
  EXPECT_EQ(check_site_text(index, "title", ""),
            "is empty: leave the key out to keep the catalogue's text");
}

TEST(Catalogues, TheLanguagesTextsWinOverEveryLanguagesAndBothOverTheCatalogue) {
  const std::string catalogue =
      R"({"title": "Discussion", "greeting": "Bonjour !", "button_send": "Envoyer"})";
  const auto merged = apply_site_texts(
      catalogue, {{"title", "Kestrel"}, {"greeting", "Hi!"}, {"list_empty", "Nothing yet."}},
      {{"greeting", "Salut, cycliste !"}});
  ASSERT_TRUE(merged);
  const boost::json::object texts = parsed(*merged);
  EXPECT_EQ(text_at(texts, "title"), "Kestrel");
  EXPECT_EQ(text_at(texts, "greeting"), "Salut, cycliste !");
  EXPECT_EQ(text_at(texts, "button_send"), "Envoyer");
  EXPECT_EQ(text_at(texts, "list_empty"), "Nothing yet.");  // a key the catalogue lacks is added
  EXPECT_EQ(texts.size(), 4u);
  // The catalogue's order stays; the non-ASCII text is UTF-8, not escaped.
  EXPECT_LT(merged->find("\"title\""), merged->find("\"button_send\""));
  EXPECT_NE(merged->find("Salut, cycliste !"), std::string::npos);
  EXPECT_EQ(apply_site_texts("[1, 2]", {}, {}), std::nullopt);
  EXPECT_EQ(apply_site_texts("{", {}, {}), std::nullopt);
}

TEST(Catalogues, ASiteWithoutTextsServesTheBuiltInCatalogues) {
  const site_catalogues none;
  EXPECT_TRUE(none.empty());
  EXPECT_FALSE(none.find("/i18n/fr.json"));
  EXPECT_TRUE(site_catalogues(site_texts{}).empty());
}

TEST(Catalogues, ASitesCataloguesAreMadeOnceEachWithItsOwnETagAndGzip) {
  site_texts texts;
  texts.every_language = {{"greeting", "Hi! Ask us about your bike."}, {"title", "Kestrel help"}};
  texts.by_language["fr"] = {{"greeting", "Bonjour ! Une question sur votre vélo ?"}};
  const site_catalogues shop(texts);
  EXPECT_FALSE(shop.empty());

  const auto fr = shop.find("/i18n/fr.json");
  ASSERT_TRUE(fr);
  EXPECT_EQ(fr->url, "/i18n/fr.json");
  const boost::json::object french = parsed(text_of(fr->body));
  EXPECT_EQ(text_at(french, "greeting"), "Bonjour ! Une question sur votre vélo ?");
  EXPECT_EQ(text_at(french, "title"), "Kestrel help");
  EXPECT_EQ(text_at(french, "button_send"), "Envoyer");  // the rest is the catalogue's
  EXPECT_EQ(gunzip(text_of(fr->gzip)), text_of(fr->body));
  EXPECT_LT(fr->gzip.size(), fr->body.size());

  const auto de = shop.find("/i18n/de.json");
  ASSERT_TRUE(de);
  EXPECT_EQ(text_at(parsed(text_of(de->body)), "greeting"), "Hi! Ask us about your bike.");

  // Its ETag is its bytes', quoted like the built-in ones, unlike the built-in catalogue's.
  const embedded_file* built_in = find_file("/i18n/fr.json");
  ASSERT_NE(built_in, nullptr);
  EXPECT_EQ(fr->etag.size(), built_in->etag.size());
  EXPECT_EQ(fr->etag.front(), '"');
  EXPECT_NE(fr->etag, built_in->etag);
  EXPECT_NE(fr->etag, de->etag);
  EXPECT_EQ(site_catalogues(texts).find("/i18n/fr.json")->etag, fr->etag);  // stable

  // Served like any built-in file: gzip when asked for, 304 when current.
  const static_reply zipped = choose_reply(*fr, "gzip, deflate", "");
  EXPECT_TRUE(zipped.gzipped);
  EXPECT_EQ(zipped.content_type, "application/json; charset=utf-8");
  EXPECT_EQ(choose_reply(*fr, "", fr->etag).status, 304);
  EXPECT_EQ(choose_reply(*fr, "", built_in->etag).status, 200);

  EXPECT_FALSE(shop.find("/i18n/xx.json"));
  EXPECT_FALSE(shop.find("/widget.html"));
}

}  // namespace
}  // namespace palaver::server
