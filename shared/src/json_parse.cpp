// Boost.JSON's parser driving a value builder that reads non-integer numbers with strtod.
// See json_parse.hpp.
#include "json_parse.hpp"

#include <cstdlib>
#include <string>

#include "palaver/json.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/value_stack.hpp>

namespace palaver::detail {
namespace {

namespace json = boost::json;
using boost::system::error_code;

// The handler interface of json::basic_parser: builds the value on a value_stack.
class exact_value_builder {
 public:
  static constexpr std::size_t max_object_size = json::object::max_size();
  static constexpr std::size_t max_array_size = json::array::max_size();
  static constexpr std::size_t max_key_size = json::string::max_size();
  static constexpr std::size_t max_string_size = json::string::max_size();

  explicit exact_value_builder(json::storage_ptr storage) : stack_(std::move(storage)) {}

  json::value release() { return stack_.release(); }

  bool on_document_begin(error_code&) { return true; }
  bool on_document_end(error_code&) { return true; }
  bool on_object_begin(error_code&) { return true; }
  bool on_object_end(std::size_t n, error_code&) { return stack_.push_object(n), true; }
  bool on_array_begin(error_code&) { return true; }
  bool on_array_end(std::size_t n, error_code&) { return stack_.push_array(n), true; }
  bool on_key_part(json::string_view s, std::size_t, error_code&) {
    return stack_.push_chars(s), true;
  }
  bool on_key(json::string_view s, std::size_t, error_code&) { return stack_.push_key(s), true; }
  bool on_string_part(json::string_view s, std::size_t, error_code&) {
    return stack_.push_chars(s), true;
  }
  bool on_string(json::string_view s, std::size_t, error_code&) {
    return stack_.push_string(s), true;
  }
  bool on_number_part(json::string_view s, error_code&) {
    number_.append(s.data(), s.size());
    return true;
  }
  bool on_int64(std::int64_t i, json::string_view, error_code&) {
    number_.clear();
    return stack_.push_int64(i), true;
  }
  bool on_uint64(std::uint64_t u, json::string_view, error_code&) {
    number_.clear();
    return stack_.push_uint64(u), true;
  }
  bool on_double(double, json::string_view s, error_code&) {
    number_.append(s.data(), s.size());
    const double exact = std::strtod(number_.c_str(), nullptr);
    number_.clear();
    return stack_.push_double(exact), true;
  }
  bool on_bool(bool b, error_code&) { return stack_.push_bool(b), true; }
  bool on_null(error_code&) { return stack_.push_null(), true; }
  bool on_comment_part(json::string_view, error_code&) { return true; }
  bool on_comment(json::string_view, error_code&) { return true; }

  void reset(json::storage_ptr storage) { stack_.reset(std::move(storage)); }

 private:
  json::value_stack stack_;
  std::string number_;  // the text of the number being read
};

}  // namespace

json::value parse_json_exactly(std::string_view text, error_code& ec, json::storage_ptr storage,
                               const json::parse_options& options) {
  json::basic_parser<exact_value_builder> parser(options, storage);
  parser.handler().reset(storage);
  const std::size_t used = parser.write_some(false, text.data(), text.size(), ec);
  if (!ec && used < text.size()) ec = json::error::extra_data;
  if (ec) return json::value();
  return parser.handler().release();
}

}  // namespace palaver::detail

namespace palaver {

boost::json::value parse_json(std::string_view text, boost::system::error_code& ec,
                              const boost::json::parse_options& options) {
  return detail::parse_json_exactly(text, ec, {}, options);
}

}  // namespace palaver
