// The widget's words in the visitor's language: every string it shows, looked up by msg (the
// keys of web/i18n/en.json, made an enum at build time) in one catalogue, web/i18n/<tag>.json.
// English is built in (catalogue_keys.hpp) and stands in for whatever a catalogue lacks; a
// site's or a page's own text (title, greeting, placeholder) overrides both. Also: which shipped
// catalogue suits a page and a browser, and which languages are written right to left.
// Plain values, no shared state: a catalogue has one owner; the free functions are pure.
#pragma once

#include <array>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "palaver/placeholders.hpp"

#include <boost/assert/source_location.hpp>
#include <boost/system/result.hpp>

#include "catalogue_keys.hpp"

namespace palaver::web {

// ---- reading a catalogue ------------------------------------------------------------------

// The longest catalogue text accepted: en.json is 3 KB, the longest translation under 8 KB.
inline constexpr std::size_t max_catalogue_bytes = 64 * 1024;

// A key as the catalogues spell it ("launcher_unread"); "" for msg::count_.
std::string_view key_of(msg id);
// The msg a key names; nullopt for a key this build does not know.
std::optional<msg> msg_from_key(std::string_view key);

// One language's texts as its <tag>.json gives them.
struct catalogue_texts {
  std::string tag;                           // as given to parse_catalogue, e.g. "zh-Hant"
  std::array<std::string, msg_count> texts;  // by msg; "" where the file has none
  std::vector<std::string> unknown_keys;     // keys this build does not know (ignored), in order

  // The keys the file gives no text for (absent or ""), in en.json's order: English stands in.
  std::vector<msg> missing() const;
};

// Why a catalogue's text was refused, in words for the log: `"title" is not a string`.
struct catalogue_error {
  std::string detail;
  friend bool operator==(const catalogue_error&, const catalogue_error&) = default;
};

template <class T>
using catalogue_result = boost::system::result<T, catalogue_error>;

// Lets catalogue_result<T>::value() report the error where exceptions exist (native builds);
// with exceptions off (Wasm) it aborts, so widget code checks has_value() instead.
[[noreturn]] void throw_exception_from_error(const catalogue_error& error,
                                             const boost::source_location& location);

// Reads a catalogue: one JSON object of key → string, at most max_catalogue_bytes (a leading
// byte order mark is skipped). Unknown keys are kept aside, missing ones left empty; anything
// else amiss (not JSON, not an object, a value that is not a string, too long) is an error and
// nothing of the text is used.
catalogue_result<catalogue_texts> parse_catalogue(std::string_view tag, std::string_view json);

// A placeholder's value for catalogue::format: {"count", "3"} fills "{count}".
using format_arg = palaver::placeholder_value;

// ---- the catalogue ------------------------------------------------------------------------

class catalogue {
 public:
  // English, from the build: usable before any catalogue is downloaded.
  catalogue() = default;

  // Speaks `texts`'s language from now on (a missing text stays English). Overrides are kept.
  void use(catalogue_texts texts);
  // The language spoken: "en" until use().
  const std::string& tag() const { return tag_; }

  // The override, else the catalogue's text, else English.
  std::string_view text(msg id) const;
  // text(id) with its placeholders filled: format(msg::launcher_unread, {{"count", "3"},
  // {"title", "Chat"}}).
  std::string format(msg id, std::initializer_list<format_arg> args) const;

  // A site's or a page's own text for `id` (its greeting, its title), which wins over every
  // language; "" removes the override.
  void override(msg id, std::string text);

 private:
  std::string tag_ = "en";
  std::array<std::string, msg_count> texts_;      // "": English
  std::array<std::string, msg_count> overrides_;  // "": none
};

// ---- languages ----------------------------------------------------------------------------

// The shipped catalogue for a page and a visitor: `requested` (the page's data-lang) if a
// catalogue suits it, else the first of the browser's languages (navigator.languages, in the
// visitor's order) that one suits, else "en". A tag suits (case-insensitive, '_' read as '-'):
// a catalogue of the same tag; for Chinese, the one of its script (zh-TW, zh-HK, zh-MO and
// zh-Hant-* read Traditional, zh, zh-CN, zh-SG and zh-Hans-* Simplified); the catalogue of its
// primary language (fr-CA → fr, pt-BR → pt); legacy codes count as their successors (iw → he,
// in → id). The result is one of shipped_languages (static storage).
std::string_view choose_language(std::string_view requested,
                                 std::span<const std::string> browser_languages);

// Whether `tag`'s language is written right to left: ar, he, fa, ur and the other languages in
// Arabic, Hebrew or Thaana script by default; an explicit script subtag decides (az-Arab).
bool is_rtl(std::string_view tag);

}  // namespace palaver::web
