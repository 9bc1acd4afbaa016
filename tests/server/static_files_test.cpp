// Embedded files: found by path, typed by extension, served gzipped when the browser takes
// it, and answered 304 when the browser's copy is current.
#include "static_files.hpp"

#include <gtest/gtest.h>

namespace palaver::server {
namespace {

const unsigned char body[] = "<!doctype html><p>hello hello hello hello</p>";
const unsigned char gz[] = {0x1f, 0x8b, 0x08};
const embedded_file page{"/", "\"abc\"", {body, sizeof body - 1}, {gz, sizeof gz}};

std::string_view text_of(const embedded_file& file) {
  return {reinterpret_cast<const char*>(file.body.data()), file.body.size()};
}

TEST(StaticFiles, TheDemoPagesAndTheLoaderAreBuiltIn) {
  const embedded_file* index = find_file("/?utm=1");
  ASSERT_NE(index, nullptr);
  EXPECT_NE(text_of(*index).find("src=\"/palaver.js\""), std::string_view::npos);
  EXPECT_EQ(index->gzip[0], 0x1f);  // gzip magic
  EXPECT_EQ(index->etag.front(), '"');
  const embedded_file* protocol = find_file("/protocol.html");
  ASSERT_NE(protocol, nullptr);
  EXPECT_NE(text_of(*protocol).find("<title>Palaver protocol demo</title>"),
            std::string_view::npos);
  const embedded_file* loader = find_file("/palaver.js?v=2");
  ASSERT_NE(loader, nullptr);
  EXPECT_LE(loader->gzip.size(), 5u * 1024);  // the loader's budget (docs/embedding.md)
  EXPECT_EQ(find_file("/nope"), nullptr);
}

TEST(StaticFiles, TheWidgetIsBuiltIn) {
  ASSERT_NE(find_file("/widget.html"), nullptr);
  ASSERT_NE(find_file("/widget.css"), nullptr);
#ifdef PALAVER_WIDGET_EMBEDDED
  EXPECT_NE(find_file("/widget.js"), nullptr);
  const embedded_file* wasm = find_file("/widget.wasm");
  ASSERT_NE(wasm, nullptr);
  ASSERT_GT(wasm->body.size(), 4u);
  EXPECT_EQ(std::string_view(reinterpret_cast<const char*>(wasm->body.data()), 4),
            std::string_view("\0asm", 4));
  EXPECT_LT(wasm->gzip.size(), wasm->body.size());
#endif
}

TEST(StaticFiles, TheWidgetsCataloguesAreBuiltIn) {
  for (const char* url : {"/i18n/en.json", "/i18n/fr.json", "/i18n/zh-Hant.json"}) {
    const embedded_file* catalogue = find_file(url);
    ASSERT_NE(catalogue, nullptr) << url;
    EXPECT_NE(text_of(*catalogue).find("\"launcher_unread\""), std::string_view::npos) << url;
    EXPECT_EQ(choose_reply(*catalogue, "", "").content_type, "application/json; charset=utf-8");
  }
}

TEST(StaticFiles, TypesFollowTheExtension) {
  EXPECT_EQ(mime_type_for("/"), "text/html; charset=utf-8");
  EXPECT_EQ(mime_type_for("/palaver.wasm"), "application/wasm");
  EXPECT_EQ(mime_type_for("/palaver.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(mime_type_for("/fonts/inter-regular.otf"), "font/otf");
  EXPECT_EQ(mime_type_for("/fonts/jetbrains-mono.ttf"), "font/ttf");
  EXPECT_EQ(mime_type_for("/i18n/fr.json"), "application/json; charset=utf-8");
  EXPECT_EQ(mime_type_for("/blob"), "application/octet-stream");
}

TEST(StaticFiles, GzipOnlyWhenTheBrowserAcceptsIt) {
  EXPECT_TRUE(choose_reply(page, "gzip, deflate, br", "").gzipped);
  EXPECT_TRUE(choose_reply(page, "br;q=1.0, GZIP;q=0.5", "").gzipped);
  EXPECT_FALSE(choose_reply(page, "", "").gzipped);
  EXPECT_FALSE(choose_reply(page, "gzip;q=0", "").gzipped);
  EXPECT_FALSE(choose_reply(page, "x-gzip-not", "").gzipped);
  EXPECT_EQ(choose_reply(page, "", "").body.size(), sizeof body - 1);
}

TEST(StaticFiles, ACurrentCopyGets304WithoutABody) {
  const static_reply same = choose_reply(page, "gzip", "\"abc\"");
  EXPECT_EQ(same.status, 304);
  EXPECT_TRUE(same.body.empty());
  EXPECT_EQ(choose_reply(page, "gzip", "\"old\"").status, 200);
  EXPECT_EQ(choose_reply(page, "", "\"old\", \"abc\"").status, 304);
}

}  // namespace
}  // namespace palaver::server
