// Extended grapheme clusters (UAX #29, Unicode 15.0): what a reader sees as one character, so
// what the text core never splits, whether breaking a line or a word too long for one. Pure
// functions.
#pragma once

#include <string_view>
#include <vector>

namespace palaver::web::text {

// One entry per position 0..size(): true where a cluster boundary is (at 0 and at the end of
// non-empty text, and between clusters). `indic_conjuncts`: also Unicode 15.1's GB9c, which
// keeps a conjunct (consonant, virama, consonant) whole; 15.0's clusters split it after the
// virama, which no reader of Hindi expects.
std::vector<bool> grapheme_boundaries(std::u32string_view text, bool indic_conjuncts = true);

// The clusters of UTF-8 text, in order (ill-formed bytes are U+FFFD, each its own cluster
// unless a mark follows it).
std::vector<std::string_view> grapheme_clusters(std::string_view text);

}  // namespace palaver::web::text
