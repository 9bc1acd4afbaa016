// Line layout in four steps over the paragraph's code points:
//   analyse   decode the runs; line breaks, grapheme clusters, bidi levels of the whole text
//   atoms     the pieces before any line exists: cut at breaks, runs, levels, whitespace; each
//             measured once
//   fill      greedy, segment by segment (a segment: the atoms between two break
//             opportunities, its trailing whitespace apart); a segment too wide for a line
//             alone is split between clusters
//   finish    per line: L1 at the line's end, the atoms in visual order (L2), their x
// Pure: measuring is the caller's function.
#include "text/line_layout.hpp"

#include <array>
#include <bitset>

#include "text/bidi.hpp"
#include "text/grapheme.hpp"
#include "text/unicode.hpp"
#include "text/utf8.hpp"

namespace palaver::web::text {
namespace {

// Ends a line; in no piece.
bool is_newline(char32_t cp) {
  const line_break_class c = line_break_properties_of(cp).value;
  return c == line_break_class::bk || c == line_break_class::cr || c == line_break_class::lf ||
         c == line_break_class::nl;
}

// Blank and dropped at a break when trailing: spaces and tabs of any width (bidi WS and S).
bool is_whitespace(char32_t cp) {
  const bidi_class c = bidi_class_of(cp);
  return c == bidi_class::ws || c == bidi_class::s;
}

// Code points [start, end) of one run, at one level: a piece once on a line.
struct atom {
  std::size_t start = 0;
  std::size_t end = 0;
  float width = 0;
  bool whitespace = false;
};

class line_filler {
 public:
  line_filler(std::span<const styled_run> runs, float max_width, const measure_fn& measure,
              const dictionary_fn& words, std::optional<bool> rtl)
      : runs_(runs), max_width_(max_width), measure_(measure) {
    analyse(words, rtl);
    out_.rtl = bidi_.rtl;
  }

  paragraph take() && {
    const std::size_t n = text_.code_points.size();
    std::size_t start = 0;
    while (start < n) {
      std::size_t end = start + 1;
      while (end < n && breaks_[end] == break_opportunity::none)
        ++end;
      add_segment(start, end);
      start = end;
    }
    pending_.clear();  // spaces at the end
    finish_line();
    return std::move(out_);
  }

 private:
  // ---- analyse ------------------------------------------------------------------------------

  void analyse(const dictionary_fn& words, std::optional<bool> rtl) {
    for (std::size_t r = 0; r < runs_.size(); ++r) {
      run_byte_start_.push_back(text_.offsets.back());
      append_decoded(runs_[r].text, text_);
      run_of_.resize(text_.code_points.size(), r);
    }
    line_break_options options;
    options.dictionary_words = words;
    breaks_ = line_breaks(text_.code_points, options);
    clusters_ = grapheme_boundaries(text_.code_points);
    bidi_ = resolve_bidi(text_.code_points, rtl);
  }

  std::uint8_t style_of(std::size_t cp) const { return runs_[run_of_[cp]].style; }

  std::string_view bytes(std::size_t start, std::size_t end) const {
    const std::size_t run = run_of_[start];
    const std::size_t offset = text_.offsets[start] - run_byte_start_[run];
    return runs_[run].text.substr(offset, text_.offsets[end] - text_.offsets[start]);
  }

  // ---- atoms --------------------------------------------------------------------------------

  float measure(std::size_t start, std::size_t end, bool whitespace, std::uint8_t level) {
    const std::string_view s = bytes(start, end);
    const std::uint8_t style = style_of(start);
    if (whitespace && s.find_first_not_of(' ') == std::string_view::npos) {
      if (!space_known_[style]) {
        space_width_[style] = measure_(" ", style, false);
        space_known_[style] = true;
      }
      return static_cast<float>(s.size()) * space_width_[style];
    }
    return measure_(s, style, (level & 1) != 0);
  }

  // The atoms of [start, end), measured; newlines are left out.
  std::vector<atom> atoms_of(std::size_t start, std::size_t end) {
    std::vector<atom> atoms;
    const std::u32string& cps = text_.code_points;
    for (std::size_t i = start; i < end;) {
      if (is_newline(cps[i])) {
        ++i;
        continue;
      }
      const bool whitespace = is_whitespace(cps[i]);
      std::size_t j = i + 1;
      while (j < end && !is_newline(cps[j]) && is_whitespace(cps[j]) == whitespace &&
             run_of_[j] == run_of_[i] && bidi_.levels[j] == bidi_.levels[i])
        ++j;
      atoms.push_back({i, j, measure(i, j, whitespace, bidi_.levels[i]), whitespace});
      i = j;
    }
    return atoms;
  }

  // ---- fill ---------------------------------------------------------------------------------

  void add_segment(std::size_t start, std::size_t end) {
    std::vector<atom> atoms = atoms_of(start, end);
    std::size_t content_end = atoms.size();  // trailing whitespace after it
    while (content_end > 0 && atoms[content_end - 1].whitespace)
      --content_end;
    float content_width = 0;
    for (std::size_t k = 0; k < content_end; ++k)
      content_width += atoms[k].width;

    if (content_end > 0) {
      float pending_width = 0;
      for (const atom& a : pending_)
        pending_width += a.width;
      if (x_ + pending_width + content_width <= max_width_) {
        for (const atom& a : pending_)
          place(a);
      } else if (line_has_content_) {
        finish_line();  // the spaces at the break are dropped
      }
      // else: indentation that does not fit beside the word: dropped too
      pending_.clear();
      if (x_ + content_width <= max_width_) {
        for (std::size_t k = 0; k < content_end; ++k)
          place(atoms[k]);
      } else {
        split(std::span<const atom>(atoms.data(), content_end));
      }
      line_has_content_ = true;
    }
    pending_.insert(pending_.end(), atoms.begin() + static_cast<std::ptrdiff_t>(content_end),
                    atoms.end());
    if (is_newline(text_.code_points[end - 1])) {
      pending_.clear();  // spaces before a newline
      finish_line();
    }
  }

  // A segment wider than a line alone (the line is empty here): cluster by cluster, at least
  // one per line, so that even a width of zero or less makes progress.
  void split(std::span<const atom> atoms) {
    for (const atom& a : atoms) {
      std::size_t i = a.start;
      while (i < a.end) {
        std::size_t j = i + 1;
        while (j < a.end && !clusters_[j])
          ++j;
        // A cluster cut by the atom's end (a style change inside it) goes on with the next
        // atom: it moves to a new line only where a cluster starts.
        const float width =
            (i == a.start && j == a.end) ? a.width : measure(i, j, a.whitespace, bidi_.levels[i]);
        if (line_has_content_ && clusters_[i] && x_ + width > max_width_) {
          finish_line();
          if (a.whitespace) {  // spaces inside the segment ("abc )"): at the break, dropped
            i = j;
            continue;
          }
        }
        // The clusters of one atom on one line are one piece.
        if (i > a.start && !line_.empty() && line_.back().end == i) {
          line_.back().end = j;
          line_.back().width += width;
          x_ += width;
        } else {
          place({i, j, width, a.whitespace});
        }
        line_has_content_ = true;
        i = j;
      }
    }
  }

  void place(const atom& a) {
    line_.push_back(a);
    x_ += a.width;
  }

  // ---- finish -------------------------------------------------------------------------------

  void finish_line() {
    line out;
    if (!line_.empty()) {
      const std::size_t start = line_.front().start;
      const std::size_t end = line_.back().end;
      const std::vector<std::uint8_t> levels = line_levels(bidi_, text_.code_points, start, end);
      const auto level_at = [&](std::size_t cp) { return levels[cp - start]; };
      // L1 may have changed levels at the line's end, inside an atom: cut it there.
      std::vector<atom> atoms;
      std::vector<std::uint8_t> atom_levels;
      for (const atom& a : line_) {
        std::size_t i = a.start;
        for (std::size_t j = a.start + 1; j <= a.end; ++j) {
          if (j < a.end && level_at(j) == level_at(i)) continue;
          const bool whole = i == a.start && j == a.end;
          atoms.push_back(
              {i, j, whole ? a.width : measure(i, j, a.whitespace, level_at(i)), a.whitespace});
          atom_levels.push_back(level_at(i));
          i = j;
        }
      }
      float x = 0;
      for (const std::size_t k : visual_order(atom_levels)) {
        const atom& a = atoms[k];
        const std::size_t run = run_of_[a.start];
        const std::size_t offset = text_.offsets[a.start] - run_byte_start_[run];
        const std::size_t length = text_.offsets[a.end] - text_.offsets[a.start];
        out.pieces.push_back(
            {run, offset, length, x, a.width, (atom_levels[k] & 1) != 0, a.whitespace});
        x += a.width;
      }
      out.width = x;
    }
    out_.lines.push_back(std::move(out));
    line_.clear();
    x_ = 0;
    line_has_content_ = false;
  }

  std::span<const styled_run> runs_;
  const float max_width_;
  const measure_fn& measure_;

  decoded_text text_;                          // all runs' code points, byte offsets running on
  std::vector<std::size_t> run_of_;            // per code point
  std::vector<std::uint32_t> run_byte_start_;  // per run: its first byte in text_.offsets
  std::vector<break_opportunity> breaks_;
  std::vector<bool> clusters_;
  bidi_paragraph bidi_;

  std::vector<atom> line_;         // the current line's atoms, in logical order
  float x_ = 0;                    // its width so far
  bool line_has_content_ = false;  // false at a line's start, where spaces are indentation
  std::vector<atom> pending_;      // spaces before the next word: on the line only if it fits
  std::array<float, 256> space_width_{};
  std::bitset<256> space_known_;
  paragraph out_;
};

}  // namespace

paragraph lay_out(std::span<const styled_run> runs, float max_width, const measure_fn& measure,
                  const dictionary_fn& words, std::optional<bool> rtl) {
  return line_filler(runs, max_width, measure, words, rtl).take();
}

std::string_view text_of(std::span<const styled_run> runs, const piece& p) {
  if (p.run_index >= runs.size()) return {};
  return runs[p.run_index].text.substr(p.offset, p.length);
}

}  // namespace palaver::web::text
