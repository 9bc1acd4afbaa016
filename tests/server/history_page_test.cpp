// A page of messages stays within max_page_bytes, keeping the newest messages, and never
// comes back empty while there are messages.
#include "history_page.hpp"

#include "palaver/codec.hpp"

#include <gtest/gtest.h>

namespace palaver::server {
namespace {

history_frame page_of(int count, std::size_t text_bytes) {
  history_frame page{"c1", {}, 100, false, std::nullopt};
  for (int i = 0; i < count; ++i) {
    message m;
    m.id = "m" + std::to_string(i);
    m.conversation_id = "c1";
    m.author_role = role::assistant;
    m.text = std::string(text_bytes, 'x');
    m.seq = i + 1;
    page.messages.push_back(std::move(m));
  }
  return page;
}

TEST(HistoryPage, APageThatFitsIsLeftAlone) {
  const history_frame page = page_of(50, 1000);
  EXPECT_EQ(within_page_limit(page), page);
}

TEST(HistoryPage, TheOldestMessagesGiveWayToFitThePageBudget) {
  // The largest page a visitor can ask for: 200 messages of 32 KiB, some 6.5 MB.
  const history_frame fitted = within_page_limit(page_of(200, 32 * 1024));
  const std::string frame = encode(server_frame{fitted});
  EXPECT_LE(frame.size(), max_page_bytes + 1024);  // the page's envelope on top
  EXPECT_GE(fitted.messages.size(), 6u);
  EXPECT_EQ(fitted.messages.back().id, "m199");  // the newest stay
  EXPECT_TRUE(fitted.has_more);
  EXPECT_TRUE(decode_server_frame(frame));  // and the widget accepts it
}

TEST(HistoryPage, TheNewestMessageStaysEvenWhenItAloneIsOverTheBudget) {
  const history_frame fitted = within_page_limit(page_of(3, 1024 * 1024));
  ASSERT_EQ(fitted.messages.size(), 1u);
  EXPECT_EQ(fitted.messages.back().id, "m2");
  EXPECT_TRUE(fitted.has_more);
}

}  // namespace
}  // namespace palaver::server
