// The message model's enums: wire names both ways, and the status a finished reply gets.
#include "palaver/model.hpp"

#include <gtest/gtest.h>

namespace palaver {
namespace {

TEST(Model, RoleNamesRoundTrip) {
  for (role r : {role::user, role::assistant, role::operator_, role::system})
    EXPECT_EQ(role_from_string(to_string(r)), r);
  EXPECT_EQ(to_string(role::operator_), "operator");
  EXPECT_FALSE(role_from_string("bot"));
}

TEST(Model, StatusNamesRoundTrip) {
  for (auto s : {message_status::streaming, message_status::complete, message_status::cancelled,
                 message_status::error, message_status::interrupted})
    EXPECT_EQ(message_status_from_string(to_string(s)), s);
  EXPECT_FALSE(message_status_from_string("done"));
}

TEST(Model, FinishReasonAndLevelNamesRoundTrip) {
  for (auto f : {finish_reason::stop, finish_reason::length, finish_reason::cancelled,
                 finish_reason::error, finish_reason::interrupted})
    EXPECT_EQ(finish_reason_from_string(to_string(f)), f);
  for (auto l : {notification_level::info, notification_level::warning, notification_level::error})
    EXPECT_EQ(notification_level_from_string(to_string(l)), l);
  EXPECT_FALSE(finish_reason_from_string("STOP"));
  EXPECT_FALSE(notification_level_from_string("debug"));
}

TEST(Model, AFinishedReplyGetsTheStatusItsReasonImplies) {
  EXPECT_EQ(status_after(finish_reason::stop), message_status::complete);
  EXPECT_EQ(status_after(finish_reason::length), message_status::complete);
  EXPECT_EQ(status_after(finish_reason::cancelled), message_status::cancelled);
  EXPECT_EQ(status_after(finish_reason::error), message_status::error);
  EXPECT_EQ(status_after(finish_reason::interrupted), message_status::interrupted);
}

}  // namespace
}  // namespace palaver
