// Catalogues: reading one, the catalogue, choosing a language. See catalogue.hpp.
// Sections: reading · the catalogue · languages.
#include "catalogue.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "palaver/json.hpp"

#include <boost/json/value.hpp>
#include <boost/throw_exception.hpp>

namespace palaver::web {
namespace {

std::size_t index_of(msg id) {
  return static_cast<std::size_t>(id);
}

std::string quoted(std::string_view s) {
  std::string out = "\"";
  out.append(s);
  out += '"';
  return out;
}

}  // namespace

// ---- reading ------------------------------------------------------------------------------

std::string_view key_of(msg id) {
  return index_of(id) < msg_count ? msg_keys[index_of(id)] : std::string_view();
}

std::optional<msg> msg_from_key(std::string_view key) {
  const auto it = std::find(msg_keys.begin(), msg_keys.end(), key);
  if (it == msg_keys.end()) return std::nullopt;
  return static_cast<msg>(it - msg_keys.begin());
}

std::vector<msg> catalogue_texts::missing() const {
  std::vector<msg> out;
  for (std::size_t i = 0; i < msg_count; ++i)
    if (texts[i].empty()) out.push_back(static_cast<msg>(i));
  return out;
}

void throw_exception_from_error(const catalogue_error& error,
                                const boost::source_location& location) {
  boost::throw_exception(std::runtime_error(error.detail), location);
}

catalogue_result<catalogue_texts> parse_catalogue(std::string_view tag, std::string_view json) {
  namespace bj = boost::json;
  // A byte order mark, as some editors write: RFC 8259 lets a parser ignore it.
  if (json.starts_with("\xEF\xBB\xBF")) json.remove_prefix(3);
  if (json.size() > max_catalogue_bytes)
    return catalogue_error{"longer than " + std::to_string(max_catalogue_bytes) + " bytes"};
  bj::parse_options options;
  options.max_depth = 8;  // a catalogue is flat: deeper is an error, not a reason to recurse
  boost::system::error_code ec;
  const bj::value document = parse_json(json, ec, options);
  if (ec) return catalogue_error{"not valid JSON (" + ec.message() + ")"};
  const bj::object* object = document.if_object();
  if (!object) return catalogue_error{"not a JSON object of key → text"};

  catalogue_texts out;
  out.tag = tag;
  for (const bj::key_value_pair& entry : *object) {
    const std::string_view key = entry.key();
    const bj::string* text = entry.value().if_string();
    if (!text) return catalogue_error{quoted(key) + " is not a string"};
    if (const std::optional<msg> id = msg_from_key(key))
      out.texts[index_of(*id)].assign(text->data(), text->size());
    else
      out.unknown_keys.emplace_back(key);
  }
  return out;
}

// ---- the catalogue ------------------------------------------------------------------------

void catalogue::use(catalogue_texts texts) {
  tag_ = std::move(texts.tag);
  texts_ = std::move(texts.texts);
}

std::string_view catalogue::text(msg id) const {
  const std::size_t i = index_of(id);
  if (i >= msg_count) return {};
  if (!overrides_[i].empty()) return overrides_[i];
  if (!texts_[i].empty()) return texts_[i];
  return english_texts[i];
}

std::string catalogue::format(msg id, std::initializer_list<format_arg> args) const {
  return fill_placeholders(text(id), std::span<const format_arg>(args.begin(), args.size()));
}

void catalogue::override(msg id, std::string text) {
  if (index_of(id) < msg_count) overrides_[index_of(id)] = std::move(text);
}

// ---- languages ----------------------------------------------------------------------------

namespace {

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return lower(x) == lower(y); });
}

// `tag` trimmed, lower case, with '-' between subtags ("pt_BR " → "pt-br").
std::string normalized(std::string_view tag) {
  const auto first = tag.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  tag = tag.substr(first, tag.find_last_not_of(" \t") - first + 1);
  std::string out(tag);
  for (char& c : out)
    c = c == '_' ? '-' : lower(c);
  return out;
}

std::vector<std::string_view> subtags(std::string_view tag) {
  std::vector<std::string_view> parts;
  for (std::size_t start = 0;;) {
    const std::size_t dash = tag.find('-', start);
    parts.push_back(tag.substr(start, dash - start));
    if (dash == std::string_view::npos) return parts;
    start = dash + 1;
  }
}

// The code a language is known by now, for the codes ISO 639 withdrew.
std::string_view current_code(std::string_view primary) {
  static constexpr std::pair<std::string_view, std::string_view> renamed[] = {
      {"iw", "he"}, {"in", "id"}, {"ji", "yi"}, {"jw", "jv"}, {"mo", "ro"}};
  for (const auto& [old_code, code] : renamed)
    if (primary == old_code) return code;
  return primary;
}

// A script subtag is four letters, and comes straight after the language.
std::string_view script_of(const std::vector<std::string_view>& parts) {
  return parts.size() > 1 && parts[1].size() == 4 ? parts[1] : std::string_view();
}

std::optional<std::string_view> shipped(std::string_view tag) {
  for (std::string_view candidate : shipped_languages)
    if (iequals(candidate, tag)) return candidate;
  return std::nullopt;
}

std::string_view traditional_or_simplified(const std::vector<std::string_view>& parts) {
  if (const std::string_view script = script_of(parts); script == "hant" || script == "hans")
    return script == "hant" ? "zh-Hant" : "zh-Hans";
  for (std::string_view region : {"tw", "hk", "mo"})
    if (std::find(parts.begin() + 1, parts.end(), region) != parts.end()) return "zh-Hant";
  return "zh-Hans";
}

// The shipped catalogue that suits one tag, if any.
std::optional<std::string_view> suited(std::string_view tag) {
  const std::string lowered = normalized(tag);
  if (lowered.empty() || lowered == "*") return std::nullopt;
  if (const auto exact = shipped(lowered)) return exact;
  const std::vector<std::string_view> parts = subtags(lowered);
  const std::string_view primary = current_code(parts[0]);
  if (primary == "zh")
    if (const auto chinese = shipped(traditional_or_simplified(parts))) return chinese;
  if (const auto language = shipped(primary)) return language;
  // Only a regional catalogue of the language (say pt-BR alone): better than English.
  for (std::string_view candidate : shipped_languages)
    if (iequals(candidate.substr(0, candidate.find('-')), primary)) return candidate;
  return std::nullopt;
}

}  // namespace

std::string_view choose_language(std::string_view requested,
                                 std::span<const std::string> browser_languages) {
  if (const auto tag = suited(requested)) return *tag;
  for (const std::string& language : browser_languages)
    if (const auto tag = suited(language)) return *tag;
  return "en";
}

bool is_rtl(std::string_view tag) {
  static constexpr std::string_view rtl_scripts[] = {"arab", "hebr", "thaa", "syrc",
                                                     "nkoo", "adlm", "rohg"};
  static constexpr std::string_view rtl_languages[] = {"ar", "he", "fa", "ur", "ps",
                                                       "sd", "ug", "yi", "dv", "ckb"};
  const std::string lowered = normalized(tag);
  if (lowered.empty()) return false;
  const std::vector<std::string_view> parts = subtags(lowered);
  if (const std::string_view script = script_of(parts); !script.empty())
    return std::find(std::begin(rtl_scripts), std::end(rtl_scripts), script) !=
           std::end(rtl_scripts);
  return std::find(std::begin(rtl_languages), std::end(rtl_languages), current_code(parts[0])) !=
         std::end(rtl_languages);
}

}  // namespace palaver::web
