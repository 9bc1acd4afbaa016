// The embedded catalogues, the rules of a site's texts, and a site's catalogues built at
// start-up. See catalogues.hpp.
#include "catalogues.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <openssl/evp.h>

#include "palaver/placeholders.hpp"
#include "palaver/text.hpp"

#include <boost/beast/zlib/deflate_stream.hpp>
#include <boost/crc.hpp>
#include <boost/json.hpp>

namespace palaver::server {
namespace {

constexpr std::string_view catalogue_prefix = "/i18n/";
constexpr std::string_view catalogue_suffix = ".json";

std::string_view text_of(std::span<const unsigned char> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

std::span<const unsigned char> bytes_of(std::string_view text) {
  return {reinterpret_cast<const unsigned char*>(text.data()), text.size()};
}

catalogue_index read_index() {
  catalogue_index index;
  for (const embedded_file& file : embedded_files()) {
    if (!file.url.starts_with(catalogue_prefix) || !file.url.ends_with(catalogue_suffix)) continue;
    std::string_view tag = file.url.substr(catalogue_prefix.size());
    tag.remove_suffix(catalogue_suffix.size());
    index.tags.emplace_back(tag);
    if (tag != "en") continue;
    boost::system::error_code ec;
    const boost::json::value english = boost::json::parse(text_of(file.body), ec);
    // A broken en.json fails the widget's build and tests first; here it just offers no key.
    if (ec || !english.is_object()) continue;
    for (const auto& [key, text] : english.get_object())
      if (text.is_string()) index.english.emplace_back(key, text.get_string());
  }
  return index;
}

// "{a}, {b}" for the names, or "none".
std::string list_placeholders(const std::vector<std::string_view>& names) {
  if (names.empty()) return "none";
  std::string list;
  for (const std::string_view name : names)
    list += (list.empty() ? "{" : ", {") + std::string(name) + "}";
  return list;
}

// `body` as gzip -9 -n writes it: a header without name or time, raw deflate, CRC-32, length.
std::string gzip_of(std::string_view body) {
  namespace zlib = boost::beast::zlib;
  zlib::deflate_stream deflate;
  deflate.reset(9, 15, 8, zlib::Strategy::normal);
  std::string out = {'\x1f', '\x8b', 8, 0, 0, 0, 0, 0, 2, 3};  // deflate, -9, Unix
  const std::size_t header = out.size();
  out.resize(header + deflate.upper_bound(body.size()));
  zlib::z_params params;
  params.next_in = body.data();
  params.avail_in = body.size();
  params.next_out = out.data() + header;
  params.avail_out = out.size() - header;
  boost::system::error_code ec;
  deflate.write(params, zlib::Flush::finish, ec);
  // With upper_bound's room one call finishes; otherwise send the body plain (choose_reply
  // only picks a gzip variant smaller than the body).
  if (ec != zlib::error::end_of_stream) return std::string(body);
  out.resize(header + params.total_out);
  boost::crc_32_type crc;
  crc.process_bytes(body.data(), body.size());
  for (const std::uint32_t word : {crc.checksum(), static_cast<std::uint32_t>(body.size())})
    for (int shift = 0; shift < 32; shift += 8)
      out.push_back(static_cast<char>((word >> shift) & 0xff));
  return out;
}

// The first 20 hex digits of the SHA-256 of `body`, quoted: the build's ETags' form.
std::string etag_of(std::string_view body) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  EVP_Digest(body.data(), body.size(), digest.data(), &size, EVP_sha256(), nullptr);
  static constexpr char hex[] = "0123456789abcdef";
  std::string etag = "\"";
  for (unsigned int i = 0; i < 10 && i < size; ++i) {
    etag += hex[digest[i] >> 4];
    etag += hex[digest[i] & 0xf];
  }
  return etag + "\"";
}

}  // namespace

const std::string* catalogue_index::english_text(std::string_view key) const {
  for (const auto& [name, text] : english)
    if (name == key) return &text;
  return nullptr;
}

bool catalogue_index::has_tag(std::string_view tag) const {
  return std::find(tags.begin(), tags.end(), tag) != tags.end();
}

const catalogue_index& shipped_catalogues() {
  static const catalogue_index index = read_index();
  return index;
}

std::vector<std::string_view> placeholder_names(std::string_view text) {
  std::vector<std::string_view> names = placeholders(text);
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

std::optional<std::string> check_site_text(const catalogue_index& index, std::string_view key,
                                           std::string_view text) {
  const std::string* english = index.english_text(key);
  if (english == nullptr) return "is not a key of the widget's catalogues (web/i18n/en.json)";
  if (text.empty()) return "is empty: leave the key out to keep the catalogue's text";
  if (text.size() > max_site_text_bytes) {
    return "is " + std::to_string(text.size()) + " bytes long: at most " +
           std::to_string(max_site_text_bytes);
  }
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t length = palaver::utf8_sequence_length(text, i);
    if (length == 0) return "is not valid UTF-8";
    const auto c = static_cast<unsigned char>(text[i]);
    if (length == 1 && (c < 0x20 || c == 0x7f)) return "contains a control character";
    i += length;
  }
  const std::vector<std::string_view> wanted = placeholder_names(*english);
  const std::vector<std::string_view> given = placeholder_names(text);
  if (given == wanted) return std::nullopt;
  for (const std::string_view name : given) {
    if (!std::binary_search(wanted.begin(), wanted.end(), name)) {
      return "{" + std::string(name) +
             "} is not a placeholder of this text (its placeholders: " + list_placeholders(wanted) +
             "; the widget would show it as written)";
    }
  }
  for (const std::string_view name : wanted) {
    if (!std::binary_search(given.begin(), given.end(), name)) {
      return "lacks {" + std::string(name) + "}: keep every placeholder of the English text (" +
             list_placeholders(wanted) + ")";
    }
  }
  return std::nullopt;  // unreachable: the sorted lists differ, so one has a name the other lacks
}

std::optional<std::string> apply_site_texts(std::string_view catalogue,
                                            const site_text_map& every_language,
                                            const site_text_map& language) {
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(catalogue, ec);
  if (ec || !value.is_object()) return std::nullopt;
  boost::json::object& texts = value.get_object();
  for (const site_text_map* layer : {&every_language, &language})
    for (const auto& [key, text] : *layer)
      texts[key] = text;
  return boost::json::serialize(value);
}

built_file::built_file(std::string where, std::string content)
    : url(std::move(where)),
      etag(etag_of(content)),
      body(std::move(content)),
      gzip(gzip_of(body)) {}

embedded_file built_file::view() const {
  return {url, etag, bytes_of(body), bytes_of(gzip)};
}

site_catalogues::site_catalogues(const site_texts& texts) {
  if (texts.empty()) return;
  static const site_text_map none;
  for (const embedded_file& file : embedded_files()) {
    if (!file.url.starts_with(catalogue_prefix) || !file.url.ends_with(catalogue_suffix)) continue;
    std::string_view tag = file.url.substr(catalogue_prefix.size());
    tag.remove_suffix(catalogue_suffix.size());
    const auto language = texts.by_language.find(tag);
    std::optional<std::string> body =
        apply_site_texts(text_of(file.body), texts.every_language,
                         language == texts.by_language.end() ? none : language->second);
    if (body) files_.emplace_back(std::string(file.url), std::move(*body));
  }
}

std::optional<embedded_file> site_catalogues::find(std::string_view path) const {
  for (const built_file& file : files_)
    if (file.url == path) return file.view();
  return std::nullopt;
}

}  // namespace palaver::server
