// A history page always fits in one server frame, keeping the newest messages.
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
  EXPECT_EQ(within_frame_limit(page), page);
}

TEST(HistoryPage, TheOldestMessagesGiveWayToFitOneFrame) {
  const history_frame fitted = within_frame_limit(page_of(20, 1024 * 1024));  // ~20 MiB
  const std::string frame = encode(server_frame{fitted});
  EXPECT_LE(frame.size(), limits::max_server_frame_bytes);
  EXPECT_GE(fitted.messages.size(), 6u);
  EXPECT_EQ(fitted.messages.back().id, "m19");  // the newest stay
  EXPECT_TRUE(fitted.has_more);
  EXPECT_TRUE(decode_server_frame(frame));  // and the widget accepts it
}

}  // namespace
}  // namespace palaver::server
