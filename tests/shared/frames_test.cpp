// Frame type names and the error frame that answers a rejected frame.
#include "palaver/frames.hpp"

#include <set>

#include <gtest/gtest.h>

namespace palaver {
namespace {

template <class Variant, std::size_t... I>
std::set<std::string_view> all_type_names(std::index_sequence<I...>) {
  return {type_name(Variant(std::in_place_index<I>))...};
}

TEST(Frames, TypeNamesAreTheDocumentedOnesAndDistinct) {
  const auto client =
      all_type_names<client_frame>(std::make_index_sequence<std::variant_size_v<client_frame>>{});
  const auto server =
      all_type_names<server_frame>(std::make_index_sequence<std::variant_size_v<server_frame>>{});
  EXPECT_EQ(client.size(), std::variant_size_v<client_frame>);  // no name given twice
  EXPECT_EQ(server.size(), std::variant_size_v<server_frame>);
  EXPECT_EQ(client, (std::set<std::string_view>{"auth", "subscribe", "unsubscribe", "history",
                                                "message", "cancel", "reply", "action", "feedback",
                                                "regenerate", "ping"}));
  EXPECT_EQ(server, (std::set<std::string_view>{"ready", "conversation", "history", "ack",
                                                "message", "typing", "progress", "delta", "done",
                                                "ask", "edit", "notification", "error", "pong"}));
}

TEST(Frames, ErrorFrameCarriesCodeMessageRefAndConversation) {
  const error_frame e =
      make_error_frame({error_code::too_large, "text", "longer than 32768 bytes", "m-1", "c-1"});
  EXPECT_EQ(e.code, error_code::too_large);
  EXPECT_EQ(e.message, "text: longer than 32768 bytes");
  EXPECT_EQ(e.ref, "m-1");
  EXPECT_EQ(e.conversation_id, "c-1");
  const error_frame bare = make_error_frame({error_code::bad_frame, "", "x"});
  EXPECT_FALSE(bare.ref);
  EXPECT_FALSE(bare.conversation_id);
}

TEST(Frames, ErrorFrameLeavesOutIdsThatAreNotValid) {
  // Echoing an over-long or malformed id would make an error frame clients refuse.
  const error_frame e =
      make_error_frame({error_code::too_large, "client_msg_id", "longer than 64 bytes",
                        std::string(65, 'a'), "has space"});
  EXPECT_FALSE(e.ref);
  EXPECT_FALSE(e.conversation_id);
}

TEST(Frames, ErrorFrameMessageIsCutToItsLimitOnACodePointBoundary) {
  std::string detail;
  while (detail.size() < limits::max_error_message_bytes + 10)
    detail += "é";  // 2 bytes each
  const error_frame e = make_error_frame({error_code::bad_field, "ab", detail});
  // "ab: " is 4 bytes, so the limit falls inside an "é": the cut moves before it.
  EXPECT_EQ(e.message.size(), limits::max_error_message_bytes);
  EXPECT_EQ(e.message.substr(e.message.size() - 2), "é");
  const error_frame odd = make_error_frame({error_code::bad_field, "abc", detail});
  EXPECT_EQ(odd.message.size(), limits::max_error_message_bytes - 1);
  EXPECT_EQ(odd.message.substr(odd.message.size() - 2), "é");
}

}  // namespace
}  // namespace palaver
