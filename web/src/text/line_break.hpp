// Line break opportunities (UAX #14, Unicode 15.0: rules LB1..LB31, with the numbers of LB25
// as the regular expression of its Example 7, as browsers and UAX #14's own tests do), never
// inside a grapheme cluster. Southeast Asian scripts (class SA: Thai, Lao, Khmer, Myanmar)
// write no spaces between words: a dictionary callback says where their words start. Pure
// functions (the callback is called synchronously, on the caller's thread).
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

namespace palaver::web::text {

// Given a run of SA text, the offsets (code points from the run's start, ascending) where its
// words start; 0 and offsets past the run are ignored. In the browser: Intl.Segmenter's word
// granularity.
using dictionary_fn = std::function<std::vector<std::size_t>(std::u32string_view run)>;

enum class break_opportunity : std::uint8_t {
  none,       // the line must not break here
  allowed,    // it may
  mandatory,  // it must: after a newline (LF, CR, CR LF, NEL, U+2028, U+2029, VT, FF)
};

struct line_break_options {
  // Where SA runs break: at the words it gives. Without it an SA run is AL (LB1): it breaks
  // only where the layout must split a word too long for a line.
  dictionary_fn dictionary_words;
  // Korean is set with spaces between words, and readers expect lines to break there, not
  // between any two syllables: Hangul as AL, the tailoring UAX #14 §8.2 describes.
  bool hangul_as_alphabetic = true;
  // UAX #14 alone allows a few breaks inside a cluster (between a space and a mark after it,
  // around Prepend, inside some Hangul jamo sequences): the text core never wants them.
  bool keep_grapheme_clusters = true;
};

// One entry per position 0..size(): whether a line may break before the code point there.
// [0] is none (LB2); [size()] is mandatory (LB3) for non-empty text.
std::vector<break_opportunity> line_breaks(std::u32string_view text,
                                           const line_break_options& options = {});

}  // namespace palaver::web::text
