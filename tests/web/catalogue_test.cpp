// The message catalogues: every shipped file gives exactly English's keys, each with a text that
// keeps English's placeholders; the widget speaks a catalogue's language, English where it is
// silent, and a site's own words above both; the language follows the page, then the browser.
#include "catalogue.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

namespace palaver::web {
namespace {

namespace fs = std::filesystem;

// ---- the shipped files --------------------------------------------------------------------

const fs::path i18n_dir = PALAVER_I18N_DIR;

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Every <tag>.json in web/i18n, by tag.
std::map<std::string, std::string> shipped_files() {
  std::map<std::string, std::string> files;
  for (const fs::directory_entry& entry : fs::directory_iterator(i18n_dir))
    if (entry.path().extension() == ".json")
      files[entry.path().stem().string()] = read_file(entry.path());
  return files;
}

// The file's texts; nullopt (and a failure) when it is no catalogue.
std::optional<catalogue_texts> parsed(const std::string& tag, const std::string& json) {
  catalogue_result<catalogue_texts> texts = parse_catalogue(tag, json);
  if (texts.has_value()) return std::move(*texts);
  ADD_FAILURE() << tag << ".json: " << texts.error().detail;
  return std::nullopt;
}

std::multiset<std::string_view> placeholder_set(std::string_view text) {
  const std::vector<std::string_view> names = placeholders(text);
  return {names.begin(), names.end()};
}

TEST(CatalogueFiles, EveryLanguageOfTheWidgetIsShipped) {
  std::vector<std::string> tags;
  std::string listed;
  for (const auto& [tag, json] : shipped_files()) {
    tags.push_back(tag);
    listed += (listed.empty() ? "" : " ") + tag;
  }
  EXPECT_EQ(listed,
            "ar de en es fa fr he hi id it ja ko nl pl pt ru th tr uk ur vi zh-Hans zh-Hant");
  // The build's list is the directory's (a stale build would disagree).
  EXPECT_EQ(std::vector<std::string>(shipped_languages.begin(), shipped_languages.end()), tags);
}

TEST(CatalogueFiles, EveryFileHasExactlyEnglishsKeysInEnglishsOrder) {
  for (const auto& [tag, json] : shipped_files()) {
    const std::string file = tag + ".json";
    EXPECT_FALSE(json.starts_with("\xEF\xBB\xBF")) << file << " starts with a byte order mark";
    const std::optional<catalogue_texts> texts = parsed(tag, json);
    if (!texts) continue;
    for (const std::string& key : texts->unknown_keys)
      ADD_FAILURE() << file << " has \"" << key << "\", which en.json has not";
    for (const msg id : texts->missing())
      ADD_FAILURE() << file << " lacks a text for \"" << key_of(id) << "\" (absent or empty)";

    boost::system::error_code ec;
    const boost::json::value document = boost::json::parse(json, ec);
    ASSERT_FALSE(ec) << file;
    std::vector<std::string_view> keys;
    for (const auto& entry : document.as_object())
      keys.push_back(entry.key());
    if (texts->unknown_keys.empty() && texts->missing().empty()) {
      EXPECT_TRUE(std::equal(keys.begin(), keys.end(), msg_keys.begin(), msg_keys.end()))
          << file << " lists its keys in another order than en.json";
    }
  }
}

TEST(CatalogueFiles, EveryTextKeepsEnglishsPlaceholders) {
  for (const auto& [tag, json] : shipped_files()) {
    const std::optional<catalogue_texts> texts = parsed(tag, json);
    for (std::size_t i = 0; texts && i < msg_count; ++i) {
      if (texts->texts[i].empty()) continue;  // reported above
      EXPECT_EQ(placeholder_set(texts->texts[i]), placeholder_set(english_texts[i]))
          << tag << ".json, \"" << msg_keys[i] << "\": " << texts->texts[i];
    }
  }
}

TEST(CatalogueFiles, TheBuiltInEnglishIsEnJson) {
  const std::optional<catalogue_texts> english = parsed("en", read_file(i18n_dir / "en.json"));
  ASSERT_TRUE(english);
  for (std::size_t i = 0; i < msg_count; ++i)
    EXPECT_EQ(english->texts[i], english_texts[i]) << msg_keys[i];
}

// ---- reading one --------------------------------------------------------------------------

TEST(Catalogue, EnglishIsThereBeforeAnyDownload) {
  const catalogue words;
  EXPECT_EQ(words.tag(), "en");
  EXPECT_EQ(words.text(msg::button_send), "Send");
  EXPECT_EQ(words.text(msg::input_placeholder), "Write a message\xE2\x80\xA6");
  EXPECT_EQ(words.text(msg::count_), "");
  EXPECT_EQ(key_of(msg::launcher_unread), "launcher_unread");
  EXPECT_EQ(msg_from_key("button_copy"), msg::button_copy);
  EXPECT_EQ(msg_from_key("no_such_key"), std::nullopt);
}

TEST(Catalogue, ALanguageSpeaksWhereItCanAndEnglishWhereItIsSilent) {
  const catalogue_result<catalogue_texts> french = parse_catalogue(
      "fr", R"({"button_send": "Envoyer", "title": "", "from_a_newer_build": "Nouveau"})");
  ASSERT_TRUE(french.has_value());
  EXPECT_EQ(french->unknown_keys, std::vector<std::string>{"from_a_newer_build"});
  EXPECT_EQ(french->missing().size(), msg_count - 1);
  EXPECT_EQ(french->missing().front(), msg::title);  // "" is no text

  catalogue words;
  words.use(*french);
  EXPECT_EQ(words.tag(), "fr");
  EXPECT_EQ(words.text(msg::button_send), "Envoyer");
  EXPECT_EQ(words.text(msg::button_copy), "Copy");
  EXPECT_EQ(words.text(msg::title), "Chat");
}

TEST(Catalogue, TextThatIsNoCatalogueIsRefusedWithTheReason) {
  const auto refusal = [](std::string_view json) {
    const catalogue_result<catalogue_texts> texts = parse_catalogue("xx", json);
    return texts.has_value() ? std::string("accepted") : texts.error().detail;
  };
  EXPECT_EQ(refusal(R"({"title": 3})"), "\"title\" is not a string");
  EXPECT_EQ(refusal(R"({"title": {"text": "Chat"}})"), "\"title\" is not a string");
  EXPECT_EQ(refusal(R"(["Chat"])"), "not a JSON object of key \xE2\x86\x92 text");
  EXPECT_TRUE(refusal("").starts_with("not valid JSON")) << refusal("");
  EXPECT_TRUE(refusal(R"({"title": "Chat")").starts_with("not valid JSON"));
  EXPECT_TRUE(refusal(R"({"title": "Chat"} {})").starts_with("not valid JSON"));
  EXPECT_TRUE(refusal("{\"title\": \"\xFF\"}").starts_with("not valid JSON"));  // not UTF-8
  EXPECT_EQ(refusal(R"({"title": "x"})" + std::string(max_catalogue_bytes, ' ')),
            "longer than 65536 bytes");
  EXPECT_EQ(refusal("{}"), "accepted");              // nothing to say: all English
  EXPECT_EQ(refusal("\xEF\xBB\xBF{}"), "accepted");  // an editor's byte order mark is no harm
}

// ---- placeholders and overrides -----------------------------------------------------------

TEST(Catalogue, FormatFillsPlaceholdersWhereverTheLanguagePutsThem) {
  catalogue words;
  EXPECT_EQ(words.format(msg::launcher_unread, {{"count", "3"}, {"title", "Chat"}}),
            "Chat (3 unread)");
  words.use(*parse_catalogue("ja", R"({"launcher_unread": "{title}（未読 {count} 件）"})"));
  EXPECT_EQ(words.format(msg::launcher_unread, {{"count", "3"}, {"title", "Chat"}}),
            "Chat（未読 3 件）");
  words.use(*parse_catalogue("xx", R"({"launcher_unread": "{count}: {title}, {count}"})"));
  EXPECT_EQ(words.format(msg::launcher_unread, {{"title", "Chat"}, {"count", "12"}}),
            "12: Chat, 12");
}

TEST(Catalogue, ASitesOwnWordsWinOverEveryLanguage) {
  catalogue words;
  words.override(msg::title, "Ask Acme");
  words.override(msg::greeting, "Welcome to Acme!");
  EXPECT_EQ(words.text(msg::title), "Ask Acme");
  words.use(*parse_catalogue("fr", R"({"title": "Discussion", "greeting": "Bonjour"})"));
  EXPECT_EQ(words.text(msg::title), "Ask Acme");
  EXPECT_EQ(words.text(msg::greeting), "Welcome to Acme!");
  EXPECT_EQ(words.format(msg::launcher_unread, {{"title", words.text(msg::title)}, {"count", "2"}}),
            "Ask Acme (2 unread)");
  words.override(msg::title, "");
  EXPECT_EQ(words.text(msg::title), "Discussion");
}

// ---- choosing the language ----------------------------------------------------------------

std::string_view chosen(std::string_view requested, std::vector<std::string> browser = {}) {
  return choose_language(requested, browser);
}

TEST(CatalogueLanguage, ThePageFirstThenTheBrowsersLanguagesInOrderThenEnglish) {
  EXPECT_EQ(chosen("de", {"fr", "en"}), "de");
  EXPECT_EQ(chosen("", {"fr-FR", "en"}), "fr");
  EXPECT_EQ(chosen("xx", {"gsw", "nl-BE", "en"}), "nl");
  EXPECT_EQ(chosen("", {"*", "sw", "eo"}), "en");
  EXPECT_EQ(chosen(""), "en");
  EXPECT_EQ(chosen("", {"en-GB", "de"}), "en");  // the visitor's order, not ours
}

TEST(CatalogueLanguage, TagsMatchWhateverTheirCase) {
  EXPECT_EQ(chosen("FR"), "fr");
  EXPECT_EQ(chosen("zh-hant"), "zh-Hant");
  EXPECT_EQ(chosen("ZH-HANS"), "zh-Hans");
  EXPECT_EQ(chosen(" pt_BR "), "pt");
}

TEST(CatalogueLanguage, ChineseGoesByScript) {
  for (const char* traditional : {"zh-TW", "zh-HK", "zh-MO", "zh-Hant", "zh-Hant-TW", "zh-Hant-CN"})
    EXPECT_EQ(chosen(traditional), "zh-Hant") << traditional;
  for (const char* simplified : {"zh", "zh-CN", "zh-SG", "zh-Hans", "zh-Hans-HK", "zh-Hans-CN"})
    EXPECT_EQ(chosen(simplified), "zh-Hans") << simplified;
}

TEST(CatalogueLanguage, ARegionOrScriptFallsBackToItsLanguage) {
  EXPECT_EQ(chosen("pt-BR"), "pt");
  EXPECT_EQ(chosen("pt-PT"), "pt");
  EXPECT_EQ(chosen("fr-CA"), "fr");
  EXPECT_EQ(chosen("es-419"), "es");
  EXPECT_EQ(chosen("de-CH-1996"), "de");
  EXPECT_EQ(chosen("sr-Latn-RS", {"ru-RU"}), "ru");
}

TEST(CatalogueLanguage, WithdrawnCodesCountAsTheirSuccessors) {
  EXPECT_EQ(chosen("iw"), "he");
  EXPECT_EQ(chosen("iw-IL"), "he");
  EXPECT_EQ(chosen("in"), "id");
  EXPECT_EQ(chosen("", {"in-ID"}), "id");
}

TEST(CatalogueLanguage, RightToLeftLanguages) {
  for (const char* rtl : {"ar", "he", "fa", "ur", "ar-EG", "AR", "iw", "fa-IR", "az-Arab"})
    EXPECT_TRUE(is_rtl(rtl)) << rtl;
  for (const char* ltr : {"en", "fr", "zh-Hant", "ja", "hi", "ur-Latn", "", "arx"})
    EXPECT_FALSE(is_rtl(ltr)) << ltr;
}

}  // namespace
}  // namespace palaver::web
