// The one rule for links to other web sites (attachment URLs, the widget's markdown links):
// only what a browser reads as an absolute http(s) URL with a host of its own.
#include "palaver/url.hpp"

#include <gtest/gtest.h>

namespace palaver {
namespace {

TEST(Url, AbsoluteWebUrlsWithAHostAreWebUrls) {
  for (const char* url : {
           "https://example.com", "http://example.com/", "https://example.com:8443/a/b?c=d&e#f",
           "https://user:pw@example.com/x", "https://[::1]:8080/", "http://127.0.0.1",
           "https://例え.jp/パス",  // international names and paths (the widget's links)
       })
    EXPECT_TRUE(is_web_url(url)) << url;
}

TEST(Url, WhatABrowserWouldResolveAgainstThePageIsNot) {
  for (const char* url : {
           "https:/x",             // relative to the page's origin
           "https:x",              // likewise
           "http:\\x",             // "\" reads as "/"
           "http://\\x",           //
           "https://x\\y",         // a backslash anywhere
           "https:///x",           // no host before the path
           "https://",             //
           "https://?x",           //
           "https://#x",           //
           "https://user@/x",      // credentials, then no host
           "https://:443/x",       // a port without a host
           "//evil.example",       // protocol-relative
           "/path",                // server-relative (the codec allows these on its own)
           " https://ok.example",  // browsers strip the space, then it is another link
           "https://ok.example ",
           "https://a b.example",
           "https://x.example/\t",
           "https://x.example/\x7F",
           "HTTPS://example.com",  // the canonical form only; callers lowercase a scheme
           "javascript:alert(1)",
           "mailto:a@b.example",  // a web URL, not a link: the widget allows mailto: itself
           "data:text/html,hi",
           "ftp://x.example",
           "",
       })
    EXPECT_FALSE(is_web_url(url)) << url;
}

}  // namespace
}  // namespace palaver
