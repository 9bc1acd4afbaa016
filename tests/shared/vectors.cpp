// Test vector loading and evaluation. See vectors.hpp.
#include "vectors.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "palaver/codec.hpp"

namespace palaver::test {
namespace fs = std::filesystem;

namespace {

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

template <class Frame>
std::string outcome_of(const result<Frame>& decoded, result<Frame> (*decode)(std::string_view)) {
  if (!decoded) {
    const decode_error& e = decoded.error();
    return "error " + std::string(to_string(e.code)) + " " + describe(e);
  }
  const std::string canonical = encode(*decoded);
  const auto again = decode(canonical);
  if (!again || encode(*again) != canonical || !(*again == *decoded))
    return "unstable " + canonical;
  return "ok " + canonical;
}

}  // namespace

std::vector<vector_case> load_vectors(const std::string& dir) {
  std::vector<vector_case> cases;
  std::error_code ec;
  for (const char* direction : {"client", "server"}) {
    for (const auto& entry : fs::directory_iterator(fs::path(dir) / direction, ec)) {
      if (entry.path().extension() != ".in") continue;
      vector_case c;
      c.name = std::string(direction) + "/" + entry.path().stem().string();
      c.client = std::string_view(direction) == "client";
      c.input = read_file(entry.path());
      c.want = read_file(fs::path(entry.path()).replace_extension(".want"));
      while (!c.want.empty() && (c.want.back() == '\n' || c.want.back() == '\r'))
        c.want.pop_back();
      cases.push_back(std::move(c));
    }
  }
  std::sort(cases.begin(), cases.end(),
            [](const vector_case& a, const vector_case& b) { return a.name < b.name; });
  return cases;
}

std::string outcome(const vector_case& vector) {
  return vector.client ? outcome_of(decode_client_frame(vector.input), &decode_client_frame)
                       : outcome_of(decode_server_frame(vector.input), &decode_server_frame);
}

std::string expectation_of(const std::string& outcome_line) {
  if (outcome_line.starts_with("ok ")) return outcome_line.substr(3);
  if (outcome_line.starts_with("error ")) {
    const auto end = outcome_line.find(' ', 6);
    return "error: " + outcome_line.substr(6, end - 6);
  }
  return outcome_line;
}

}  // namespace palaver::test
