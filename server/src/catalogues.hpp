// The widget's message catalogues as the server embeds them (web/i18n/<tag>.json, served at
// /i18n/<tag>.json): which languages ship, en.json's keys and texts (the only keys a site's
// `texts` may set), the rules a site's text must keep, and a site's catalogues with its texts
// applied, built once at start-up. The embedded catalogues are read once, on first use (a
// function-local static); everything here is immutable afterwards: safe on any thread.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config.hpp"
#include "static_files.hpp"

namespace palaver::server {

// The longest text a site may give one key, in bytes. The widget's longest English text is
// under 100 bytes; 500 leaves room for any language while keeping a site's catalogue (every
// key set, each escaped to at most twice its size) under the widget's 64 KiB catalogue limit.
inline constexpr std::size_t max_site_text_bytes = 500;

// What the embedded catalogues offer.
struct catalogue_index {
  std::vector<std::string> tags;  // every shipped language, as the files are named: "zh-Hant"
  std::vector<std::pair<std::string, std::string>> english;  // key, text: en.json, in order

  const std::string* english_text(std::string_view key) const;  // nullptr: not a key
  bool has_tag(std::string_view tag) const;
};

// The index of the catalogues built into this binary (read on first use).
const catalogue_index& shipped_catalogues();

// The distinct names of the placeholders in `text` (palaver/placeholders.hpp), sorted.
std::vector<std::string_view> placeholder_names(std::string_view text);

// Why `text` cannot stand for key `key` of `index`, in words to follow the setting's name
// ("is 612 bytes long: at most 500"); nullopt when it can. A text must be a key's of en.json,
// 1 to max_site_text_bytes of valid UTF-8 with no control character, and keep exactly
// English's placeholders (the widget fills only those, and a dropped one loses what it says).
std::optional<std::string> check_site_text(const catalogue_index& index, std::string_view key,
                                           std::string_view text);

// `catalogue` (one catalogue's JSON object) with `every_language`'s texts set over it, then
// `language`'s: a key the catalogue lacks is added. Compact JSON, UTF-8. nullopt when
// `catalogue` is not a JSON object.
std::optional<std::string> apply_site_texts(std::string_view catalogue,
                                            const site_text_map& every_language,
                                            const site_text_map& language);

// A file made at start-up and served as an embedded one is: its bytes owned here, its gzip
// variant and ETag (from its SHA-256, as the build makes them) computed once.
struct built_file {
  std::string url;
  std::string etag;  // quoted
  std::string body;
  std::string gzip;

  built_file(std::string url, std::string body);
  embedded_file view() const;  // valid while this lives
};

// One site's catalogues: every shipped catalogue with the site's texts applied. Empty for a
// site without texts: then the embedded catalogues are served as they are.
class site_catalogues {
 public:
  site_catalogues() = default;
  // A catalogue that is not a JSON object (a broken build) is left out: served as it is.
  explicit site_catalogues(const site_texts& texts);

  // The catalogue to serve at `path` ("/i18n/fr.json"); nullopt: the embedded one.
  std::optional<embedded_file> find(std::string_view path) const;
  bool empty() const { return files_.empty(); }

 private:
  std::vector<built_file> files_;
};

}  // namespace palaver::server
