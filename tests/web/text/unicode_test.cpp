// The generated Unicode tables: spot checks of each property against the Unicode 15.0 data,
// where the tables' range boundaries and the defaults of unassigned code points are.
#include "text/unicode.hpp"

#include <gtest/gtest.h>

namespace palaver::web::text {
namespace {

TEST(Unicode, TheTablesAreUnicode15) {
  EXPECT_EQ(unicode_version(), "15.0.0");
}

TEST(Unicode, GraphemeBreakAndExtendedPictographic) {
  EXPECT_EQ(grapheme_properties_of(U'a').value, grapheme_break::other);
  EXPECT_EQ(grapheme_properties_of(U'\r').value, grapheme_break::cr);
  EXPECT_EQ(grapheme_properties_of(0x0301).value, grapheme_break::extend);
  EXPECT_EQ(grapheme_properties_of(0x200D).value, grapheme_break::zwj);
  EXPECT_EQ(grapheme_properties_of(0x1F1EF).value, grapheme_break::regional_indicator);
  EXPECT_EQ(grapheme_properties_of(0x093F).value, grapheme_break::spacing_mark);
  EXPECT_EQ(grapheme_properties_of(0xAC00).value, grapheme_break::lv);
  EXPECT_EQ(grapheme_properties_of(0xAC01).value, grapheme_break::lvt);
  EXPECT_EQ(grapheme_properties_of(0x1F3FD).value, grapheme_break::extend);  // skin tone
  EXPECT_TRUE(grapheme_properties_of(0x1F469).extended_pictographic);
  EXPECT_TRUE(grapheme_properties_of(0x1FAFF).extended_pictographic);  // unassigned, reserved
  EXPECT_FALSE(grapheme_properties_of(U'a').extended_pictographic);
  EXPECT_EQ(grapheme_properties_of(0xE0001).value, grapheme_break::control);
  EXPECT_EQ(grapheme_properties_of(0x10FFFF).value, grapheme_break::other);
}

TEST(Unicode, LineBreakClassesAfterLb1) {
  EXPECT_EQ(line_break_properties_of(U'a').value, line_break_class::al);
  EXPECT_EQ(line_break_properties_of(U' ').value, line_break_class::sp);
  EXPECT_EQ(line_break_properties_of(0x4E00).value, line_break_class::id);
  EXPECT_EQ(line_break_properties_of(0x3002).value, line_break_class::cl);  // 。
  EXPECT_EQ(line_break_properties_of(0x300C).value, line_break_class::op);  // 「
  EXPECT_EQ(line_break_properties_of(0x3063).value, line_break_class::ns);  // っ: CJ
  EXPECT_EQ(line_break_properties_of(0x05D0).value, line_break_class::hl);
  EXPECT_EQ(line_break_properties_of(0x0E01).value, line_break_class::sa);
  EXPECT_EQ(line_break_properties_of(0x2460).value, line_break_class::al);   // AI
  EXPECT_EQ(line_break_properties_of(0xD800).value, line_break_class::al);   // SG
  EXPECT_EQ(line_break_properties_of(0xE0100).value, line_break_class::cm);  // VS17
  EXPECT_EQ(line_break_properties_of(0x50000).value, line_break_class::al);  // XX
  // The bit some rules need.
  EXPECT_TRUE(line_break_properties_of(0x0E31).southeast_asian_mark);
  EXPECT_EQ(line_break_properties_of(0x0E31).value, line_break_class::cm);
  EXPECT_TRUE(line_break_properties_of(0xFF08).east_asian_wide);  // （
  EXPECT_FALSE(line_break_properties_of(U'(').east_asian_wide);
  EXPECT_TRUE(line_break_properties_of(0x1FAFF).unassigned_pictographic);
  EXPECT_FALSE(line_break_properties_of(0x1F600).unassigned_pictographic);
  EXPECT_EQ(line_break_properties_of(0x1F44D).value, line_break_class::eb);
  EXPECT_EQ(line_break_properties_of(0x1F3FD).value, line_break_class::em);
}

TEST(Unicode, BidiClassesWithTheDefaultsOfUnassignedCodePoints) {
  EXPECT_EQ(bidi_class_of(U'a'), bidi_class::l);
  EXPECT_EQ(bidi_class_of(0x05D0), bidi_class::r);
  EXPECT_EQ(bidi_class_of(0x0627), bidi_class::al);
  EXPECT_EQ(bidi_class_of(U'5'), bidi_class::en);
  EXPECT_EQ(bidi_class_of(0x0665), bidi_class::an);
  EXPECT_EQ(bidi_class_of(0x2067), bidi_class::rli);
  EXPECT_EQ(bidi_class_of(0x05FF), bidi_class::r);    // unassigned, in Hebrew
  EXPECT_EQ(bidi_class_of(0x07BF), bidi_class::al);   // unassigned, in Thaana
  EXPECT_EQ(bidi_class_of(0x20CF), bidi_class::et);   // unassigned, in Currency Symbols
  EXPECT_EQ(bidi_class_of(0x1EFFF), bidi_class::r);   // unassigned, reserved for RTL
  EXPECT_EQ(bidi_class_of(0xFFFF), bidi_class::bn);   // a noncharacter
  EXPECT_EQ(bidi_class_of(0xE0FFF), bidi_class::bn);  // default ignorable
  EXPECT_EQ(bidi_class_of(0x50000), bidi_class::l);
}

TEST(Unicode, BracketPairsWithCanonicalEquivalents) {
  EXPECT_EQ(bracket_of(U'(').id, U'(');
  EXPECT_TRUE(bracket_of(U'(').opening);
  EXPECT_EQ(bracket_of(U')').id, U'(');
  EXPECT_FALSE(bracket_of(U')').opening);
  EXPECT_EQ(bracket_of(U'a').id, 0u);
  EXPECT_EQ(bracket_of(0x2329).id, 0x3008u);  // 〈 and 〈 are one
  EXPECT_EQ(bracket_of(0x3009).id, 0x3008u);
  EXPECT_EQ(bracket_of(0x232A).id, 0x3008u);
  EXPECT_EQ(bracket_of(0xFF63).id, 0xFF62u);  // ｣
}

}  // namespace
}  // namespace palaver::web::text
