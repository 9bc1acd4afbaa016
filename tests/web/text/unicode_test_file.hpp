// Reading the Unicode Consortium's test files (unicode-data, under PALAVER_UNICODE_DIR) for the
// text core's conformance tests. Test support only.
#pragma once

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace palaver::web::text::testing {

inline std::string unicode_file(std::string_view relative) {
  return std::string(PALAVER_UNICODE_DIR) + "/" + std::string(relative);
}

// The lines of a test file with their numbers, comments and blank lines left out.
struct test_line {
  std::size_t number = 0;
  std::string text;
};
inline std::vector<test_line> test_lines(std::string_view relative) {
  std::ifstream in(unicode_file(relative));
  std::vector<test_line> out;
  std::string line;
  for (std::size_t number = 1; std::getline(in, line); ++number) {
    line = line.substr(0, line.find('#'));
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    out.push_back({number, line});
  }
  return out;
}

// A line of GraphemeBreakTest.txt or LineBreakTest.txt: "÷ 0061 × 0308 ÷". `breaks` has one
// entry per position 0..size(): whether the line has ÷ there.
struct break_case {
  std::u32string text;
  std::vector<bool> breaks;
};
inline break_case parse_break_case(const std::string& line) {
  break_case out;
  std::istringstream words(line);
  std::string word;
  while (words >> word) {
    if (word == "\xC3\xB7") {  // ÷
      out.breaks.push_back(true);
    } else if (word == "\xC3\x97") {  // ×
      out.breaks.push_back(false);
    } else {
      out.text.push_back(static_cast<char32_t>(std::stoul(word, nullptr, 16)));
    }
  }
  return out;
}

inline std::string hex(std::u32string_view text) {
  std::string out;
  for (const char32_t cp : text) {
    char buffer[16];
    std::snprintf(buffer, sizeof buffer, "%s%04X", out.empty() ? "" : " ",
                  static_cast<unsigned>(cp));
    out += buffer;
  }
  return out;
}

}  // namespace palaver::web::text::testing
