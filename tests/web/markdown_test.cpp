// The markdown layer as the widget shows it: what a reply's text becomes (blocks of styled
// spans), how spans wrap into lines, and the plain text a screen reader or the clipboard gets;
// including hostile links, text cut mid-stream and broken UTF-8.
#include "markdown.hpp"

#include <ostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace palaver::web {

// Readable failures: a document prints as its blocks and spans, not as bytes.
void PrintTo(const span& s, std::ostream* os) {
  *os << "{\"" << s.text << "\" style=" << int(s.style);
  if (!s.href.empty()) *os << " href=" << s.href;
  *os << '}';
}
void PrintTo(const block& b, std::ostream* os) {
  static const char* const kinds[] = {"paragraph", "heading", "code", "list_item", "table", "rule"};
  *os << "\n  " << kinds[static_cast<int>(b.kind)] << " level=" << b.level << " depth=" << b.depth
      << " quote=" << b.quote_depth << " ordered=" << b.ordered << " number=" << b.number;
  if (b.kind == block_kind::code) *os << " lang=\"" << b.language << "\" code=\"" << b.code << '"';
  for (const span& s : b.spans) {
    *os << ' ';
    PrintTo(s, os);
  }
  if (b.kind == block_kind::table) {
    *os << " header_rows=" << b.header_rows << " align=";
    for (const cell_align a : b.align)
      *os << int(a);
    for (const auto& row : b.rows) {
      *os << "\n    |";
      for (const auto& cell : row) {
        for (const span& s : cell) {
          *os << ' ';
          PrintTo(s, os);
        }
        *os << " |";
      }
    }
  }
}
void PrintTo(const document& d, std::ostream* os) {
  for (const block& b : d.blocks)
    PrintTo(b, os);
}

namespace {

// ---- builders for expected documents ------------------------------------------------------

span text(std::string t, std::uint8_t style = style_plain) {
  return span{std::move(t), style, {}};
}
span link(std::string t, std::string href, std::uint8_t style = style_plain) {
  return span{std::move(t), static_cast<std::uint8_t>(style | style_link), std::move(href)};
}

block paragraph(std::vector<span> spans, int quote_depth = 0, int depth = 0) {
  block b;
  b.spans = std::move(spans);
  b.quote_depth = quote_depth;
  b.depth = depth;
  return b;
}
block heading(int level, std::vector<span> spans) {
  block b;
  b.kind = block_kind::heading;
  b.level = level;
  b.spans = std::move(spans);
  return b;
}
block bullet(int depth, std::vector<span> spans, int quote_depth = 0) {
  block b;
  b.kind = block_kind::list_item;
  b.depth = depth;
  b.spans = std::move(spans);
  b.quote_depth = quote_depth;
  return b;
}
block numbered(int depth, int number, std::vector<span> spans) {
  block b = bullet(depth, std::move(spans));
  b.ordered = true;
  b.number = number;
  return b;
}
block code(std::string text, std::string language = "", int depth = 0) {
  block b;
  b.kind = block_kind::code;
  b.code = std::move(text);
  b.language = std::move(language);
  b.depth = depth;
  return b;
}
block rule() {
  block b;
  b.kind = block_kind::rule;
  return b;
}

document doc(std::vector<block> blocks) {
  return document{std::move(blocks)};
}

// The spans of a one-paragraph document.
std::vector<span> spans_of(std::string_view markdown) {
  const document d = parse_markdown(markdown);
  EXPECT_EQ(d.blocks.size(), 1u) << markdown;
  if (d.blocks.size() != 1) return {};
  EXPECT_EQ(d.blocks[0].kind, block_kind::paragraph) << markdown;
  return d.blocks[0].spans;
}

// ---- parsing: inline ----------------------------------------------------------------------

TEST(MarkdownParse, EmptyTextIsAnEmptyDocument) {
  EXPECT_EQ(parse_markdown(""), doc({}));
  EXPECT_EQ(parse_markdown("\n\n  \n"), doc({}));
}

TEST(MarkdownParse, AParagraphOfPlainText) {
  EXPECT_EQ(parse_markdown("Hello, world."), doc({paragraph({text("Hello, world.")})}));
}

TEST(MarkdownParse, EmphasisStrongCodeAndStrikeAreStyledSpans) {
  EXPECT_EQ(
      spans_of("a *it* _it2_ **bold** __b2__ `x = 1` ~~old~~ ***both***."),
      (std::vector<span>{text("a "), text("it", style_italic), text(" "), text("it2", style_italic),
                         text(" "), text("bold", style_bold), text(" "), text("b2", style_bold),
                         text(" "), text("x = 1", style_code), text(" "), text("old", style_strike),
                         text(" "), text("both", style_bold | style_italic), text(".")}));
}

TEST(MarkdownParse, NestedStylesCombine) {
  EXPECT_EQ(
      spans_of("**bold *and italic* ~~and gone~~**"),
      (std::vector<span>{text("bold ", style_bold), text("and italic", style_bold | style_italic),
                         text(" ", style_bold), text("and gone", style_bold | style_strike)}));
}

TEST(MarkdownParse, AdjacentSpansOfOneStyleAreMerged) {
  // Soft breaks, entities and escapes arrive from md4c as separate pieces: one span here.
  EXPECT_EQ(spans_of("one\ntwo &amp; \\*three\\*"), (std::vector<span>{text("one two & *three*")}));
  EXPECT_EQ(spans_of("**a** **b**"),
            (std::vector<span>{text("a", style_bold), text(" "), text("b", style_bold)}));
}

TEST(MarkdownParse, SoftBreaksAreSpacesAndHardBreaksAreNewlines) {
  EXPECT_EQ(spans_of("soft\nbreak"), (std::vector<span>{text("soft break")}));
  EXPECT_EQ(spans_of("two spaces  \nand a backslash\\\nend"),
            (std::vector<span>{text("two spaces\nand a backslash\nend")}));
}

TEST(MarkdownParse, EntitiesAreDecoded) {
  EXPECT_EQ(spans_of("&amp; &lt;b&gt; &quot;q&quot; &copy; &nbsp;|&mdash; &hearts;"),
            (std::vector<span>{text("& <b> \"q\" © \u00A0|— ♥")}));
  EXPECT_EQ(spans_of("&#65;&#x42;&#X43; &#169; &#x1F600;"), (std::vector<span>{text("ABC © 😀")}));
}

TEST(MarkdownParse, InvalidEntitiesStayAsWritten) {
  EXPECT_EQ(spans_of("&bogus; &copy &amp &#xZZ; & a&b"),
            (std::vector<span>{text("&bogus; &copy &amp &#xZZ; & a&b")}));
  // Code points that cannot be shown become U+FFFD, as CommonMark asks.
  EXPECT_EQ(spans_of("&#0; &#xD800; &#1114112;"), (std::vector<span>{text("� � �")}));
}

TEST(MarkdownParse, EntitiesInCodeAreNotDecoded) {
  EXPECT_EQ(spans_of("`&amp;`"), (std::vector<span>{text("&amp;", style_code)}));
}

TEST(MarkdownParse, RawHtmlIsShownAsText) {
  EXPECT_EQ(spans_of("a <b>bold</b> <img src=x onerror=alert(1)>"),
            (std::vector<span>{text("a <b>bold</b> <img src=x onerror=alert(1)>")}));
  EXPECT_EQ(
      parse_markdown("<script>\nalert(1)\n</script>\n\n<div>x</div>"),
      doc({paragraph({text("<script> alert(1) </script>")}), paragraph({text("<div>x</div>")})}));
}

// ---- parsing: links and images ------------------------------------------------------------

TEST(MarkdownParse, LinksKeepTheirHref) {
  EXPECT_EQ(spans_of("see [the docs](https://example.com/a?b=1&amp;c) now"),
            (std::vector<span>{text("see "), link("the docs", "https://example.com/a?b=1&c"),
                               text(" now")}));
  EXPECT_EQ(spans_of("[**bold** link](http://x.test)"),
            (std::vector<span>{link("bold", "http://x.test", style_bold),
                               link(" link", "http://x.test")}));
  EXPECT_EQ(spans_of("[mail](mailto:help@example.com)"),
            (std::vector<span>{link("mail", "mailto:help@example.com")}));
  EXPECT_EQ(spans_of("[ref][r]\n\n[r]: HTTPS://Example.com"),
            (std::vector<span>{link("ref", "HTTPS://Example.com")}));
}

TEST(MarkdownParse, LinksOtherThanWebAndMailAddressesBecomePlainText) {
  for (const char* markdown : {
           "[click](javascript:alert(1))",
           "[click](JavaScript:alert(1))",
           "[click](java&#x09;script:alert(1))",
           "[click](&#106;avascript:alert(1))",
           "[click](<javascript:alert(1)>)",
           "[click](data:text/html;base64,PHNjcmlwdD4=)",
           "[click](vbscript:msgbox)",
           "[click](file:///etc/passwd)",
           "[click](/relative/path)",
           "[click](#anchor)",
           "[click](//evil.example)",
           "[click](https://x.test&#10;y)",  // a control character, even in a safe scheme
           "[click][r]\n\n[r]: javascript:alert(1)",
           // Web schemes without "//" and a host: the browser would resolve them against the
           // widget's own origin ("https:/x" is https://<widget host>/x).
           "[click](https:/x)",
           "[click](https:x)",
           "[click](HTTPS:/x)",
           "[click](http:\\x)",
           "[click](http://\\x)",
           "[click](https://x.test\\y)",
           "[click](https:///x)",
           "[click](https://?x)",
           "[click](<https://a b.test>)",
           "[click](< https://ok.test>)",
       }) {
    EXPECT_EQ(spans_of(markdown), (std::vector<span>{text("click")})) << markdown;
  }
  EXPECT_EQ(spans_of("<javascript:alert(1)>"), (std::vector<span>{text("javascript:alert(1)")}));
  EXPECT_EQ(spans_of("<https:/x>"), (std::vector<span>{text("https:/x")}));
  // Spaces around an inline destination are markdown's syntax, not part of the link.
  EXPECT_EQ(spans_of("[click]( https://ok.test )"),
            (std::vector<span>{link("click", "https://ok.test")}));
  // The check is made on the decoded destination, the one the browser would get.
  EXPECT_EQ(spans_of("[click](https&#58;//x.test)"),
            (std::vector<span>{link("click", "https://x.test")}));
}

TEST(MarkdownParse, BareUrlsAndAddressesAreLinks) {
  EXPECT_EQ(spans_of("<https://a.test/x> https://b.test/y www.c.test me@d.test"),
            (std::vector<span>{link("https://a.test/x", "https://a.test/x"), text(" "),
                               link("https://b.test/y", "https://b.test/y"), text(" "),
                               link("www.c.test", "http://www.c.test"), text(" "),
                               link("me@d.test", "mailto:me@d.test")}));
}

TEST(MarkdownParse, ImagesShowTheirAltText) {
  EXPECT_EQ(spans_of("![a *cat*](https://x.test/cat.png) here"),
            (std::vector<span>{text("a "), text("cat", style_italic), text(" here")}));
  EXPECT_EQ(spans_of("[![logo](logo.png)](https://home.test)"),
            (std::vector<span>{link("logo", "https://home.test")}));
}

// ---- parsing: blocks ----------------------------------------------------------------------

TEST(MarkdownParse, HeadingsOfEveryLevel) {
  EXPECT_EQ(parse_markdown("# One\n## Two *it*\n### 3\n#### 4\n##### 5\n###### 6\n####### 7\n"
                           "\nSetext\n===\n\nTwo\n---"),
            doc({heading(1, {text("One")}), heading(2, {text("Two "), text("it", style_italic)}),
                 heading(3, {text("3")}), heading(4, {text("4")}), heading(5, {text("5")}),
                 heading(6, {text("6")}), paragraph({text("####### 7")}),
                 heading(1, {text("Setext")}), heading(2, {text("Two")})}));
}

TEST(MarkdownParse, FencedCodeIsVerbatimWithItsLanguage) {
  EXPECT_EQ(parse_markdown("Run:\n\n```cpp title=\"x\"\nint main() {\n  return *p &amp; 1;  \n}\n"
                           "```\n\n~~~\nno language\n~~~"),
            doc({paragraph({text("Run:")}), code("int main() {\n  return *p &amp; 1;  \n}", "cpp"),
                 code("no language")}));
  EXPECT_EQ(parse_markdown("```\n\n\n```"), doc({code("\n")}));  // blank lines are kept
  EXPECT_EQ(parse_markdown("```\n```"), doc({code("")}));
}

TEST(MarkdownParse, IndentedCodeIsVerbatim) {
  EXPECT_EQ(parse_markdown("text\n\n    indented\n      more\n\nafter"),
            doc({paragraph({text("text")}), code("indented\n  more"), paragraph({text("after")})}));
}

TEST(MarkdownParse, TightListsWithNesting) {
  EXPECT_EQ(parse_markdown("- a\n- b *it*\n  - c\n    - d\n  - e\n- f"),
            doc({bullet(1, {text("a")}), bullet(1, {text("b "), text("it", style_italic)}),
                 bullet(2, {text("c")}), bullet(3, {text("d")}), bullet(2, {text("e")}),
                 bullet(1, {text("f")})}));
}

TEST(MarkdownParse, OrderedListsNumberTheirItems) {
  EXPECT_EQ(parse_markdown("1. one\n2. two\n   1. inner\n   2. inner two\n3. three"),
            doc({numbered(1, 1, {text("one")}), numbered(1, 2, {text("two")}),
                 numbered(2, 1, {text("inner")}), numbered(2, 2, {text("inner two")}),
                 numbered(1, 3, {text("three")})}));
  // Numbers count from the first item's, whatever the later items say.
  EXPECT_EQ(parse_markdown("7) seven\n1) eight\n1) nine"),
            doc({numbered(1, 7, {text("seven")}), numbered(1, 8, {text("eight")}),
                 numbered(1, 9, {text("nine")})}));
  EXPECT_EQ(parse_markdown("- bullet\n  1. numbered"),
            doc({bullet(1, {text("bullet")}), numbered(2, 1, {text("numbered")})}));
}

TEST(MarkdownParse, LooseListsGiveTheSameItems) {
  EXPECT_EQ(parse_markdown("- a\n\n- b\n\n  - c\n\n- d"), parse_markdown("- a\n- b\n  - c\n- d"));
  EXPECT_EQ(parse_markdown("1. a\n\n2. b"),
            doc({numbered(1, 1, {text("a")}), numbered(1, 2, {text("b")})}));
}

TEST(MarkdownParse, MoreBlocksInAnItemAreIndentedToIt) {
  EXPECT_EQ(parse_markdown("- first\n\n  second paragraph\n\n  ```sh\n  make\n  ```\n- next"),
            doc({bullet(1, {text("first")}), paragraph({text("second paragraph")}, 0, 1),
                 code("make", "sh", 1), bullet(1, {text("next")})}));
  // An item that starts with code still has its bullet.
  EXPECT_EQ(parse_markdown("- ```\n  x\n  ```"), doc({bullet(1, {}), code("x", "", 1)}));
  EXPECT_EQ(parse_markdown("-\n- b"), doc({bullet(1, {}), bullet(1, {text("b")})}));
}

TEST(MarkdownParse, BlockQuotesSetTheDepthOfWhatTheyHold) {
  EXPECT_EQ(parse_markdown("> quoted *text*\n> > nested\n>\n> - item\n\nafter"),
            doc({paragraph({text("quoted "), text("text", style_italic)}, 1),
                 paragraph({text("nested")}, 2), bullet(1, {text("item")}, 1),
                 paragraph({text("after")})}));
  block quoted_code = code("x");
  quoted_code.quote_depth = 1;
  block quoted_heading = heading(2, {text("H")});
  quoted_heading.quote_depth = 1;
  EXPECT_EQ(parse_markdown("> ## H\n> ```\n> x\n> ```"), doc({quoted_heading, quoted_code}));
  // Lazy continuation: the unmarked line still belongs to the quote's paragraph.
  EXPECT_EQ(parse_markdown("> a\nb"), doc({paragraph({text("a b")}, 1)}));
}

TEST(MarkdownParse, TablesWithAlignmentAndAHeaderRow) {
  block table;
  table.kind = block_kind::table;
  table.header_rows = 1;
  table.align = {cell_align::left, cell_align::left, cell_align::center, cell_align::right};
  table.rows = {
      {{text("Name")}, {text("Kind")}, {text("Mid")}, {text("Size")}},
      {{text("a", style_bold)}, {text("x")}, {}, {link("1", "https://1.test")}},
      {{text("b")}, {}, {}, {}},  // a short row is filled with empty cells
  };
  EXPECT_EQ(parse_markdown("| Name | Kind | Mid | Size |\n|---|:--|:-:|--:|\n"
                           "| **a** | x | | [1](https://1.test) |\n| b |"),
            doc({table}));
}

TEST(MarkdownParse, ThematicBreaks) {
  EXPECT_EQ(parse_markdown("a\n\n---\n\n***\n___\nb"),
            doc({paragraph({text("a")}), rule(), rule(), rule(), paragraph({text("b")})}));
}

TEST(MarkdownParse, AMixedReply) {
  EXPECT_EQ(parse_markdown("## Steps\n\n1. Install\n2. Run `make`\n\n> Note: **done**.\n\n---\n"
                           "Bye."),
            doc({heading(2, {text("Steps")}), numbered(1, 1, {text("Install")}),
                 numbered(1, 2, {text("Run "), text("make", style_code)}),
                 paragraph({text("Note: "), text("done", style_bold), text(".")}, 1), rule(),
                 paragraph({text("Bye.")})}));
}

// ---- parsing: streaming and hostile input -------------------------------------------------

TEST(MarkdownParse, AnUnclosedFenceMidStreamIsCodeSoFar) {
  EXPECT_EQ(parse_markdown("Here:\n\n```python\ndef f():\n    return"),
            doc({paragraph({text("Here:")}), code("def f():\n    return", "python")}));
  EXPECT_EQ(parse_markdown("```py"), doc({code("", "py")}));
  EXPECT_EQ(parse_markdown("``"), doc({paragraph({text("``")})}));
}

TEST(MarkdownParse, UnclosedInlineMarkupMidStreamShowsAsWritten) {
  EXPECT_EQ(spans_of("so **bold"), (std::vector<span>{text("so **bold")}));
  EXPECT_EQ(spans_of("a `code"), (std::vector<span>{text("a `code")}));
  EXPECT_EQ(spans_of("see [the docs](https://exa"),
            (std::vector<span>{text("see [the docs](https://exa")}));
  EXPECT_EQ(spans_of("~~gone"), (std::vector<span>{text("~~gone")}));
  EXPECT_EQ(spans_of("&am"), (std::vector<span>{text("&am")}));
  EXPECT_EQ(parse_markdown("| a | b |\n|--"), doc({paragraph({text("| a | b | |--")})}));
}

// Every prefix of a reply, as it streams in byte by byte (cutting characters in half too),
// parses, and its plain text keeps every letter and digit the prefix has, in order.
TEST(MarkdownParse, EveryPrefixOfAStreamingReplyKeepsItsText) {
  const std::string reply =
      "# Plan 2\n\nHello **bold *x*** and `c1` with ~~s~~ — ünïcode 日本 😀.\n\n"
      "1. one\n2. two\n   - three [link](https://l.test/4) www.w5.test\n\n"
      "> quote6\n\n| h7 | h8 |\n|:-|-:|\n| c9 | c10 |\n\n```\ncode11\n```\n\n---\nend12\n";
  const auto alnum = [](std::string_view s) {
    std::string out;
    for (const char c : s)
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) out += c;
    return out;
  };
  for (std::size_t n = 0; n <= reply.size(); ++n) {
    const std::string prefix = reply.substr(0, n);
    const std::string want = alnum(prefix);
    const std::string got = alnum(plain_text(parse_markdown(prefix)));
    std::size_t k = 0;
    for (std::size_t i = 0; i < got.size() && k < want.size(); ++i)
      if (got[i] == want[k]) ++k;
    ASSERT_EQ(k, want.size()) << "prefix of " << n << " bytes: " << prefix << "\nplain: " << got;
  }
}

TEST(MarkdownParse, InvalidUtf8BecomesReplacementCharacters) {
  EXPECT_EQ(spans_of("a\xff"
                     "b \xe2\x82 c \xc3"),
            (std::vector<span>{text("a�b � c �")}));
  EXPECT_EQ(spans_of("**\xed\xa0\x80**"), (std::vector<span>{text("�", style_bold)}));
  EXPECT_EQ(parse_markdown("```\n\xc0\xaf\n```"), doc({code("�")}));
  EXPECT_EQ(spans_of(std::string("nul\0here", 8)), (std::vector<span>{text("nul�here")}));
  EXPECT_EQ(spans_of("ok é € 😀"), (std::vector<span>{text("ok é € 😀")}));
}

TEST(MarkdownParse, PathologicalInputStillParses) {
  const auto repeat = [](std::string_view s, int n) {
    std::string out;
    for (int i = 0; i < n; ++i)
      out += s;
    return out;
  };
  for (const std::string& input :
       {repeat(">", 5000) + " deep", repeat("[", 20000) + "x" + repeat("]", 20000),
        repeat("*a ", 10000), repeat("[a](", 10000), "x" + repeat("`", 5000),
        repeat("- ", 200) + "x", repeat("| a ", 200) + "|\n" + repeat("|--", 200) + "|",
        repeat("\xff", 1000), repeat("&#x1F600;", 1000)}) {
    const document d = parse_markdown(input);
    EXPECT_FALSE(d.blocks.empty());
    EXPECT_FALSE(plain_text(d).empty());
  }
}

TEST(MarkdownParse, AFiveThousandLineReply) {
  std::string reply;
  for (int i = 0; i < 5000; ++i)
    reply += "Line " + std::to_string(i) + " has **bold** text\n\n";
  reply += "```\n";
  for (int i = 0; i < 5000; ++i)
    reply += "code " + std::to_string(i) + "\n";
  reply += "```\n";
  for (int i = 0; i < 5000; ++i)
    reply += "- item " + std::to_string(i) + "\n";

  const document d = parse_markdown(reply);
  ASSERT_EQ(d.blocks.size(), 10001u);
  EXPECT_EQ(d.blocks[4999],
            paragraph({text("Line 4999 has "), text("bold", style_bold), text(" text")}));
  EXPECT_EQ(d.blocks[5000].code.size(), reply.find("```\n- item") - reply.find("```\n") - 5);
  EXPECT_TRUE(d.blocks[5000].code.ends_with("code 4999"));
  EXPECT_EQ(d.blocks[10000], bullet(1, {text("item 4999")}));
}

// ---- plain text ---------------------------------------------------------------------------

TEST(MarkdownPlainText, BlocksAreSeparatedByBlankLines) {
  EXPECT_EQ(plain_text(parse_markdown("# Title\n\nSome *text* here.\n\n---\n\nEnd")),
            "Title\n\nSome text here.\n\n---\n\nEnd");
  EXPECT_EQ(plain_text(document{}), "");
}

TEST(MarkdownPlainText, ListItemsHaveMarkers) {
  EXPECT_EQ(plain_text(parse_markdown("- a\n- b\n  - c\n\n3. x\n4. y\n   more\n\n  ok")),
            "• a\n• b\n  • c\n3. x\n4. y more\n\nok");
  EXPECT_EQ(plain_text(parse_markdown("- a\n\n  second\n- b")), "• a\n\n  second\n\n• b");
}

TEST(MarkdownPlainText, CodeIsVerbatim) {
  EXPECT_EQ(plain_text(parse_markdown("Run:\n\n```sh\nmake  &&\n  ./run *x*\n```")),
            "Run:\n\nmake  &&\n  ./run *x*");
}

TEST(MarkdownPlainText, TablesAreTabSeparated) {
  EXPECT_EQ(plain_text(parse_markdown("| a | b |\n|---|--:|\n| 1 | **2** |\n| 3 |")),
            "a\tb\n1\t2\n3\t");
}

TEST(MarkdownPlainText, LinksShowWhereTheyGo) {
  EXPECT_EQ(plain_text(parse_markdown("See [the **docs**](https://d.test) or "
                                      "[bad](javascript:x).")),
            "See the docs (https://d.test) or bad.");
  // An autolink already says where it goes.
  EXPECT_EQ(plain_text(parse_markdown("<https://a.test> www.b.test c@d.test")),
            "https://a.test www.b.test c@d.test");
}

TEST(MarkdownPlainText, QuotesAndBreaksKeepTheirShape) {
  EXPECT_EQ(plain_text(parse_markdown("> line one  \n> line two\n>\n> > deeper")),
            "> line one\n> line two\n\n> > deeper");
}

}  // namespace
}  // namespace palaver::web
