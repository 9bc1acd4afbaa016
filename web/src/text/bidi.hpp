// Bidirectional text (UAX #9): a paragraph's direction, its embedding levels (GNU FriBidi's
// algorithm, fed with this core's Unicode 15 bidi classes and brackets), and a line's visual
// runs. Pure functions, safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace palaver::web::text {

// P2, P3: whether the first strong character (L, R or AL; isolates skipped, up to the first
// paragraph separator) is right-to-left, or nullopt when there is none (the caller's fallback:
// the widget's language, or LTR).
std::optional<bool> first_strong_is_rtl(std::u32string_view text);

struct bidi_paragraph {
  bool rtl = false;                  // its level is 1, not 0
  std::vector<std::uint8_t> levels;  // per code point: X1..I2, and L1 for separators
};

// The levels of `text` as one paragraph, `rtl` saying its direction (nullopt: its first strong
// character's, LTR without one). A paragraph separator inside (a newline) ends the embeddings
// and isolates opened before it (X8), the direction staying the same. Never fails: with no
// memory for FriBidi's runs, every level is the paragraph's.
bidi_paragraph resolve_bidi(std::u32string_view text, std::optional<bool> rtl = {});

// The levels of the line [start, end) of a paragraph after L1: whitespace (and isolate
// formatters, and what X9 removes) at its end goes to the paragraph's level.
std::vector<std::uint8_t> line_levels(const bidi_paragraph& paragraph, std::u32string_view text,
                                      std::size_t start, std::size_t end);

// L2: the visual order of things with these levels, left to right, as indices into `levels`:
// every maximal sequence at level k or higher reversed, from the highest level down to 1.
std::vector<std::size_t> visual_order(std::span<const std::uint8_t> levels);

// A line's runs of one level, left to right: the code points [start, end) of `text`, read in
// reverse when `level` is odd.
struct visual_run {
  std::size_t start = 0;
  std::size_t end = 0;
  std::uint8_t level = 0;
  bool rtl() const { return (level & 1) != 0; }
  friend bool operator==(const visual_run&, const visual_run&) = default;
};
std::vector<visual_run> visual_runs(const bidi_paragraph& paragraph, std::u32string_view text,
                                    std::size_t start, std::size_t end);

// X9: what takes no part in reordering (embedding and override controls, BN), which a visual
// order of characters leaves out.
bool removed_by_x9(char32_t cp);

}  // namespace palaver::web::text
