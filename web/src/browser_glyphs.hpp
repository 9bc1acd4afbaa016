// The browser's text, for the painter (text_painter.hpp): pieces measured and drawn with
// Canvas2D fillText in the system's fonts (every script the visitor's machine reads, colour
// emoji included, shaped by the browser), into a page-side copy of the glyph atlas that is sent
// to the GPU once a frame; words of scripts written without spaces found by Intl.Segmenter.
// Counts the code points no font could draw in window.palaverStats.missingGlyphs. Main thread
// only (the browser's).
#pragma once

#include "text_painter.hpp"

namespace palaver::web::browser {

class browser_glyphs final : public glyph_source {
 public:
  ink_box measure(std::string_view text, const std::string& font, bool rtl) override;
  void rasterise(std::string_view text, const std::string& font, bool rtl, std::uint32_t color,
                 int x, int y, const ink_box& box) override;
  void clear_atlas(int size) override;
  void upload(unsigned texture) override;
  std::vector<std::size_t> dictionary_words(std::u32string_view run) override;

 private:
  int font_id(const std::string& font);  // registered with the page once
  std::vector<std::string> fonts_;       // by id (a dozen: faces × italic × ratios)
};

}  // namespace palaver::web::browser
