// "{name}" placeholders in a text, the one rule the widget (which fills them: its message
// catalogues) and the server (which checks a site's own texts keep them) both follow: a name is
// letters, digits and '_' between braces; any other brace is plain text. Pure functions.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace palaver {

// A placeholder's value: {"count", "3"} fills "{count}".
struct placeholder_value {
  std::string_view name;
  std::string_view value;
};

// The names of the placeholders in `text`, in order, repeats included.
std::vector<std::string_view> placeholders(std::string_view text);

// `text` with each placeholder that `values` names replaced by its value. Values are inserted
// as they are (never scanned for placeholders); a placeholder without a value stays as written.
std::string fill_placeholders(std::string_view text, std::span<const placeholder_value> values);

}  // namespace palaver
