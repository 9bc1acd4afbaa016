// "{name}" placeholders. See palaver/placeholders.hpp.
#include "palaver/placeholders.hpp"

#include <algorithm>

namespace palaver {

namespace {

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// Calls on_text(literal) and on_placeholder(name) for the pieces of `text`, in order.
template <class OnText, class OnPlaceholder>
void scan(std::string_view text, OnText on_text, OnPlaceholder on_placeholder) {
  std::size_t done = 0;  // text before this is handed out
  for (std::size_t open = text.find('{'); open != std::string_view::npos;
       open = text.find('{', open + 1)) {
    std::size_t close = open + 1;
    while (close < text.size() && is_name_char(text[close]))
      ++close;
    if (close == open + 1 || close == text.size() || text[close] != '}') continue;
    on_text(text.substr(done, open - done));
    on_placeholder(text.substr(open + 1, close - open - 1));
    done = close + 1;
    open = close;
  }
  on_text(text.substr(done));
}

}  // namespace

std::vector<std::string_view> placeholders(std::string_view text) {
  std::vector<std::string_view> names;
  scan(
      text, [](std::string_view) {}, [&](std::string_view name) { names.push_back(name); });
  return names;
}

std::string fill_placeholders(std::string_view text, std::span<const placeholder_value> values) {
  std::string out;
  out.reserve(text.size());
  scan(
      text, [&](std::string_view literal) { out.append(literal); },
      [&](std::string_view name) {
        const auto value = std::find_if(values.begin(), values.end(),
                                        [&](const placeholder_value& v) { return v.name == name; });
        if (value != values.end()) {
          out.append(value->value);
        } else {
          out += '{';
          out.append(name);
          out += '}';
        }
      });
  return out;
}

}  // namespace palaver
