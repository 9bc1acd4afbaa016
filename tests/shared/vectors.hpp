// Loads the protocol test vectors of tests/vectors/ and runs them through the codec.
// A vector is <direction>/<name>.in (the raw frame) and <name>.want: the canonical encoding
// of a valid frame, or "error: CODE" for an invalid one. Test-only; single-threaded.
#pragma once

#include <string>
#include <vector>

namespace palaver::test {

struct vector_case {
  std::string name;    // "client/message_new_conversation"
  bool client = true;  // direction: decoded as a client frame, else as a server frame
  std::string input;   // exact bytes of the .in file
  std::string want;    // the .want file, without its trailing newline
};

// Every vector under `dir`, sorted by name. Empty if the directory is missing.
std::vector<vector_case> load_vectors(const std::string& dir = PALAVER_VECTOR_DIR);

// What the codec makes of a vector, as one line: "ok <canonical>" or
// "error <CODE> <field>: <detail>". For a valid frame the canonical text is also decoded
// again and re-encoded; a round trip that changes it reports "unstable ...".
std::string outcome(const vector_case& vector);

// The part of outcome() that .want files pin down: the canonical text, or "error: CODE".
std::string expectation_of(const std::string& outcome_line);

}  // namespace palaver::test
