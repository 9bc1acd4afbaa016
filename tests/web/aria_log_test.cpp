// The screen-reader mirror: one node per message of the open conversation, in order, with a
// prefix line naming who wrote it; a streaming reply joins once it is done.
#include "aria_log.hpp"

#include "palaver/codec.hpp"

#include <gtest/gtest.h>

#include "../shared/test_message.hpp"

namespace palaver::web {
namespace {

using kind = log_operation::kind;

using test::make_message;

class AriaLog : public ::testing::Test {
 protected:
  AriaLog() : vm(options(), now) {
    vm.tick(now);
    vm.socket_opened(now);
    receive(ready_frame{1, "s1", {"v_1", "", true}, std::nullopt, {65536, 20}});
    vm.take_effects();
  }

  static view_model::options options() {
    view_model::options opts;
    opts.stored_token = "tok";
    opts.last_conversation_id = "c1";
    opts.random = [n = std::uint64_t{0}]() mutable { return ++n; };
    return opts;
  }

  void receive(const server_frame& frame) { vm.frame_received(encode(frame), now); }

  timestamp_ms now = 1'000'000;
  view_model vm;
  aria_log log;
};

TEST_F(AriaLog, MessagesAppearInOrderWithWhoWroteThem) {
  receive(history_frame{
      "c1",
      {make_message("m1", role::user, "Where is my order?", message_status::complete, 1),
       make_message("m2", role::assistant, "It ships today.", message_status::complete, 2)},
      2,
      false,
      std::nullopt});
  const auto ops = log.update(vm);
  ASSERT_EQ(ops.size(), 2u);
  EXPECT_EQ(ops[0], (log_operation{kind::put, "m1", "user", "You:\nWhere is my order?", ""}));
  EXPECT_EQ(ops[1],
            (log_operation{kind::put, "m2", "assistant", "Assistant:\nIt ships today.", ""}));
  EXPECT_TRUE(log.update(vm).empty());
}

TEST_F(AriaLog, AStreamingReplyJoinsWhenDoneNotPerDelta) {
  receive(message_event_frame{make_message("m1", role::user, "hi", message_status::complete, 1)});
  log.update(vm);
  receive(
      message_event_frame{make_message("m2", role::assistant, "", message_status::streaming, 2)});
  receive(delta_frame{"c1", "m2", 3, "Hel"});
  EXPECT_TRUE(log.update(vm).empty());
  receive(delta_frame{"c1", "m2", 4, "lo"});
  EXPECT_TRUE(log.update(vm).empty());
  receive(done_frame{"c1", "m2", 5, "Hello", finish_reason::stop, std::nullopt, {}});
  const auto ops = log.update(vm);
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_EQ(ops[0], (log_operation{kind::put, "m2", "assistant", "Assistant:\nHello", ""}));
}

TEST_F(AriaLog, AnEditReplacesTheTextAndOlderMessagesGoFirst) {
  receive(history_frame{"c1",
                        {make_message("m5", role::user, "later", message_status::complete, 5)},
                        5,
                        true,
                        std::nullopt});
  log.update(vm);
  receive(edit_frame{"c1", "m5", 6, "later, edited"});
  auto ops = log.update(vm);
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_EQ(ops[0], (log_operation{kind::put, "m5", "user", "You:\nlater, edited", ""}));

  receive(
      history_frame{"c1",
                    {make_message("m3", role::user, "first", message_status::complete, 3),
                     make_message("m4", role::assistant, "second", message_status::complete, 4)},
                    6,
                    false,
                    std::string("m5")});
  ops = log.update(vm);
  ASSERT_EQ(ops.size(), 2u);
  EXPECT_EQ(ops[0], (log_operation{kind::put, "m3", "user", "You:\nfirst", "m5"}));
  EXPECT_EQ(ops[1], (log_operation{kind::put, "m4", "assistant", "Assistant:\nsecond", "m5"}));
}

TEST_F(AriaLog, AnOperatorIsNamedAndAnotherConversationStartsOver) {
  message m = make_message("m1", role::operator_, "Dana here.", message_status::complete, 1);
  m.author = "Dana";
  receive(message_event_frame{m});
  auto ops = log.update(vm);
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_EQ(ops[0], (log_operation{kind::put, "m1", "operator", "Dana:\nDana here.", ""}));

  vm.new_conversation();
  ops = log.update(vm);
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_EQ(ops[0], (log_operation{kind::remove, "m1", "", "", ""}));
}

}  // namespace
}  // namespace palaver::web
