// Lays a paragraph of styled text out into lines of pieces: where lines break (UAX #14, never
// inside a grapheme cluster), in what visual order pieces go (UAX #9), where each one sits. The
// view draws a piece with Canvas2D's fillText, which shapes it. Pure functions: measuring is
// the caller's callback, called on the caller's thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "text/line_break.hpp"

namespace palaver::web::text {

// UTF-8 text in one style (the caller's bits: bold, italic, code, link...).
struct styled_run {
  std::string_view text;
  std::uint8_t style = 0;
};

// The width of `text`, a piece (one style, one direction, never across a break opportunity),
// drawn in `style`; `rtl`: drawn right to left. Widths add up: a word's width is the sum of its
// pieces'. Called once per piece (a space's width once per style), never per character except
// to split a word too long for a line, cluster by cluster.
using measure_fn = std::function<float(std::string_view text, std::uint8_t style, bool rtl)>;

// A piece of one run on one line: a word (the text between two break opportunities) or a part
// of one, cut where the style or the bidi level changes; whitespace is a piece of its own.
struct piece {
  std::size_t run_index = 0;  // into the runs given to lay_out()
  std::size_t offset = 0;     // its bytes in that run's text
  std::size_t length = 0;
  float x = 0;  // from the line's left edge
  float width = 0;
  bool rtl = false;         // drawn right to left (its bidi level is odd)
  bool whitespace = false;  // only spaces or tabs: nothing to draw, but it takes its width
  friend bool operator==(const piece&, const piece&) = default;
};

struct line {
  std::vector<piece> pieces;  // in visual order, left to right
  float width = 0;            // where the last piece ends (trailing spaces are not on a line)
};

struct paragraph {
  // Its direction (its first strong character's, unless given): the view aligns the lines of
  // an RTL paragraph to the right.
  bool rtl = false;
  std::vector<line> lines;  // never empty
};

// Breaks `runs` (one paragraph: line breaking and bidi see all of it) into lines at most
// `max_width` wide. Lines break at break opportunities; spaces at a break are dropped, as are
// spaces before a newline and at the end; spaces after a newline (indentation) are kept when
// the word after them fits beside them. A newline (LF, CR LF, U+2028...) always breaks the line
// and is in no piece. A word wider than a line alone starts a line and is split between
// grapheme clusters; a width of zero or less still makes progress, a cluster per line. `words`:
// where Thai, Lao, Khmer and Myanmar text breaks (see dictionary_fn). `rtl`: the paragraph's
// direction, if the caller knows it better than the first strong character does.
paragraph lay_out(std::span<const styled_run> runs, float max_width, const measure_fn& measure,
                  const dictionary_fn& words = {}, std::optional<bool> rtl = {});

// The bytes a piece shows.
std::string_view text_of(std::span<const styled_run> runs, const piece& p);

}  // namespace palaver::web::text
