// Who may frame the served pages: the widget's page its site's origins (by the `site` query
// parameter, the default site without one, 404 for an unknown one), other pages only the
// server itself.
#include "frame_policy.hpp"

#include <gtest/gtest.h>

#include "server_context.hpp"

namespace palaver::server {
namespace {

site_entry site(std::string id, std::vector<std::string> origins) {
  site_entry entry;
  entry.auth.site_id = std::move(id);
  entry.origins = origin_policy(std::move(origins));
  return entry;
}

// Two sites, as main() builds them: the server's own origin, then each site's.
class FramePolicy : public ::testing::Test {
 protected:
  FramePolicy() {
    context.sites.push_back(site("shop", {"http://127.0.0.1:8080", "https://www.example.com"}));
    context.sites.push_back(
        site("portal", {"http://127.0.0.1:8080", "https://portal.example.com"}));
  }
  server_context context;
};

TEST_F(FramePolicy, TheWidgetMayBeFramedByItsSitesOriginsOnly) {
  EXPECT_EQ(frame_policy(context, "/widget.html?site=portal#title=Chat&host=x"),
            "frame-ancestors 'self' http://127.0.0.1:8080 https://portal.example.com");
  EXPECT_EQ(frame_policy(context, "/widget.html?lang=en&site=shop"),
            "frame-ancestors 'self' http://127.0.0.1:8080 https://www.example.com");
}

TEST_F(FramePolicy, WithoutASiteTheDefaultSitesOrigins) {
  const auto shop = "frame-ancestors 'self' http://127.0.0.1:8080 https://www.example.com";
  EXPECT_EQ(frame_policy(context, "/widget.html"), shop);
  // The hash is no query, and a parameter merely ending in "site" is not `site`.
  EXPECT_EQ(frame_policy(context, "/widget.html?lang=en#site=portal"), shop);
  EXPECT_EQ(frame_policy(context, "/widget.html?website=portal"), shop);
}

TEST_F(FramePolicy, AnUnknownSiteGetsNoPolicyAtAll) {
  EXPECT_EQ(frame_policy(context, "/widget.html?site=nope"), std::nullopt);
  EXPECT_EQ(frame_policy(context, "/widget.html?site="), std::nullopt);
  EXPECT_EQ(frame_policy(context, "/widget.html?site"), std::nullopt);
  EXPECT_EQ(frame_policy(context, "/widget.html?site=sho%70"), std::nullopt);  // ids need no %
  context.sites.clear();
  EXPECT_EQ(frame_policy(context, "/widget.html"), std::nullopt);  // no site at all
}

TEST_F(FramePolicy, TheFirstSiteParameterCounts) {
  // As URLSearchParams.get("site") in the widget: both sides must pick the same site.
  EXPECT_EQ(frame_policy(context, "/widget.html?site=portal&site=shop"),
            "frame-ancestors 'self' http://127.0.0.1:8080 https://portal.example.com");
}

TEST_F(FramePolicy, AnOriginThatCouldAddDirectivesOrCannotBeWrittenIsLeftOut) {
  context.sites.push_back(
      site("s", {"https://ok.example", "https://a.example; script-src *", "https://b.example *",
                 "'unsafe-inline'", "https://[::1]:8443"}));
  EXPECT_EQ(frame_policy(context, "/widget.html?site=s"),
            "frame-ancestors 'self' https://ok.example");
}

TEST_F(FramePolicy, OtherPagesOnlyByTheServerItselfOtherFilesNoHeader) {
  EXPECT_EQ(frame_policy(context, "/"), "frame-ancestors 'self'");
  EXPECT_EQ(frame_policy(context, "/protocol.html?x=1"), "frame-ancestors 'self'");
  EXPECT_EQ(frame_policy(context, "/palaver.js?site=nope"), "");
}

}  // namespace
}  // namespace palaver::server
