// The widget's view model, driven the way the browser drives it: socket events, frames the
// server would send (encoded by the shared codec), the clock and the visitor's intents. Each
// test checks what the visitor would see and what goes over the wire.
#include "view_model.hpp"

#include "palaver/codec.hpp"

#include <gtest/gtest.h>

#include "../shared/test_message.hpp"

namespace palaver::web {
namespace {

using test::make_message;

class ViewModel : public ::testing::Test {
 protected:
  // A widget for `site`, kept `token` and `conversation` from a visit before.
  view_model make(std::string site = "", std::string token = "", std::string conversation = "") {
    view_model::options opts;
    opts.site = std::move(site);
    opts.stored_token = std::move(token);
    opts.last_conversation_id = std::move(conversation);
    opts.random = [n = std::uint64_t{0}]() mutable { return ++n; };
    return view_model(std::move(opts), now);
  }

  // Connects `vm` and takes everything up to and including `ready`.
  void connect(view_model& vm, std::optional<std::string> new_token = std::nullopt) {
    vm.tick(now);
    ASSERT_EQ(other<open_socket_effect>(vm).size(), 1u);
    vm.socket_opened(now);
    receive(vm, ready_frame{1, "s1", {"v_1", "", true}, new_token, {65536, 20}});
  }

  void receive(view_model& vm, const server_frame& frame) { vm.frame_received(encode(frame), now); }

  // The frames sent since the last call, decoded.
  std::vector<client_frame> sent(view_model& vm) {
    effects_.clear();
    std::vector<client_frame> frames;
    for (effect& e : vm.take_effects()) {
      if (auto* s = std::get_if<send_effect>(&e)) {
        auto frame = decode_client_frame(s->frame);
        EXPECT_TRUE(frame) << s->frame;
        if (frame) frames.push_back(*frame);
      } else {
        effects_.push_back(std::move(e));
      }
    }
    return frames;
  }

  // The non-send effects collected by the last sent().
  template <class Effect>
  std::vector<Effect> other(view_model& vm) {
    sent(vm);
    std::vector<Effect> found;
    for (effect& e : effects_)
      if (auto* x = std::get_if<Effect>(&e)) found.push_back(*x);
    return found;
  }

  // Starts conversation c1 with "hi" and returns the client_msg_id used.
  std::string start_conversation(view_model& vm) {
    sent(vm);
    vm.send_text("hi", now);
    const auto frames = sent(vm);
    const auto& msg = std::get<message_frame>(frames.at(0));
    receive(vm, conversation_frame{{"c1", "hi", "echo", 1000, 1000, 1}});
    receive(vm, ack_frame{msg.client_msg_id, "c1", "m1", 1});
    receive(vm, message_event_frame{make_message("m1", role::user, "hi", message_status::complete,
                                                 1, msg.client_msg_id)});
    sent(vm);
    return msg.client_msg_id;
  }

  timestamp_ms now = 1'000'000;
  std::vector<effect> effects_;
};

TEST_F(ViewModel, TheFirstTickConnectsAndAuthenticatesWithTheKeptTokenForItsSite) {
  auto vm = make("docs", "tok.en.x");
  EXPECT_EQ(vm.connection(), connection_state::connecting);
  vm.tick(now);
  EXPECT_EQ(other<open_socket_effect>(vm).size(), 1u);
  vm.socket_opened(now);
  const auto frames = sent(vm);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(std::get<auth_frame>(frames[0]), (auth_frame{1, "tok.en.x", "docs"}));
}

TEST_F(ViewModel, ANewVisitorKeepsTheTokenReadyHandsBackAndListsConversations) {
  auto vm = make();
  connect(vm, "new.visitor.token");
  EXPECT_EQ(vm.connection(), connection_state::online);
  sent(vm);
  ASSERT_EQ(effects_.size(), 2u);
  EXPECT_EQ(std::get<store_token_effect>(effects_[0]).token, "new.visitor.token");
  EXPECT_EQ(std::get<list_conversations_effect>(effects_[1]).token, "new.visitor.token");
  vm.conversations_listed(
      R"({"conversations":[{"id":"c9","title":"Shoes","agent":"echo","created_at":1,"updated_at":2,"last_seq":4}]})");
  ASSERT_EQ(vm.conversations().size(), 1u);
  EXPECT_EQ(vm.conversations()[0].title, "Shoes");
  EXPECT_TRUE(vm.conversations_loaded());
}

TEST_F(ViewModel, AReplyStreamsInTokenByTokenWithTypingAndProgress) {
  auto vm = make();
  connect(vm);
  const std::string id = start_conversation(vm);
  EXPECT_EQ(vm.current_conversation_id(), "c1");
  EXPECT_TRUE(vm.pending().empty());
  receive(vm, message_event_frame{
                  make_message("m2", role::assistant, "", message_status::streaming, 2)});
  receive(vm, typing_frame{"c1", true});
  receive(vm, progress_frame{"c1", "m2", "search", "Searching the docs"});
  EXPECT_TRUE(vm.typing());
  EXPECT_EQ(vm.progress_label(), "Searching the docs");
  receive(vm, delta_frame{"c1", "m2", 3, "Hello"});
  receive(vm, delta_frame{"c1", "m2", 4, ", world"});
  ASSERT_NE(vm.streaming_reply(), nullptr);
  EXPECT_EQ(vm.streaming_reply()->text, "Hello, world");
  const auto before = vm.revision();
  receive(vm, done_frame{"c1", "m2", 5, "Hello, world", finish_reason::stop, std::nullopt, {}});
  receive(vm, typing_frame{"c1", false});
  EXPECT_GT(vm.revision(), before);
  EXPECT_EQ(vm.streaming_reply(), nullptr);
  EXPECT_FALSE(vm.typing());
  EXPECT_EQ(vm.progress_label(), "");
  const auto& messages = vm.current()->messages();
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[1].text, "Hello, world");
  EXPECT_EQ(messages[1].status, message_status::complete);
  const auto told = other<host_effect>(vm);
  ASSERT_EQ(told.size(), 2u);  // the reply, then the unread count (the widget is hidden)
  EXPECT_EQ(std::get<host_message_event>(told[0].event).msg.text, "Hello, world");
  EXPECT_EQ(std::get<host_unread_event>(told[1].event).count, 1);
}

TEST_F(ViewModel, MessagesTypedBeforeTheConversationExistsWaitForIt) {
  auto vm = make();
  connect(vm);
  sent(vm);
  vm.send_text("first", now);
  vm.send_text("second", now);
  auto frames = sent(vm);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(std::get<message_frame>(frames[0]).text, "first");
  EXPECT_EQ(vm.pending().size(), 2u);
  receive(vm, conversation_frame{{"c1", "first", "echo", 1000, 1000, 1}});
  frames = sent(vm);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(std::get<message_frame>(frames[0]).text, "second");
  EXPECT_EQ(std::get<message_frame>(frames[0]).conversation_id, "c1");
}

TEST_F(ViewModel, AMessageTypedOfflineIsSentOnReconnectWithTheSameIdAfterTheResume) {
  auto vm = make();
  connect(vm);
  start_conversation(vm);
  receive(vm, message_event_frame{
                  make_message("m2", role::assistant, "", message_status::streaming, 2)});
  receive(vm, delta_frame{"c1", "m2", 3, "Hel"});
  vm.socket_closed(now);
  EXPECT_EQ(vm.connection(), connection_state::reconnecting);
  EXPECT_TRUE(vm.send_text("are you there?", now));
  EXPECT_TRUE(sent(vm).empty());
  ASSERT_EQ(vm.pending().size(), 1u);
  const std::string id = vm.pending()[0]->client_msg_id;

  // The first retry comes after the base backoff (plus at most a quarter of jitter).
  ASSERT_TRUE(vm.next_wakeup());
  EXPECT_GE(*vm.next_wakeup(), now + view_model::backoff_base_ms);
  EXPECT_LE(*vm.next_wakeup(), now + view_model::backoff_base_ms * 5 / 4);
  vm.tick(now + 100);
  EXPECT_TRUE(other<open_socket_effect>(vm).empty());
  now = *vm.next_wakeup();
  connect(vm);
  const auto frames = sent(vm);
  ASSERT_EQ(frames.size(), 3u);  // auth, then the resume, then the queued message
  EXPECT_EQ(std::get<subscribe_frame>(frames[1]), (subscribe_frame{"c1", 3}));
  EXPECT_EQ(std::get<message_frame>(frames[2]).client_msg_id, id);
  EXPECT_EQ(std::get<message_frame>(frames[2]).conversation_id, "c1");

  // The replay overlaps what was shown: nothing shows twice.
  receive(vm, delta_frame{"c1", "m2", 3, "Hel"});
  receive(vm, delta_frame{"c1", "m2", 4, "lo"});
  EXPECT_EQ(vm.streaming_reply()->text, "Hello");
}

TEST_F(ViewModel, AResumeGapReloadsTheNewestPage) {
  auto vm = make();
  connect(vm);
  start_conversation(vm);
  receive(vm, error_frame{error_code::resume_gap, "too old", std::nullopt, "c1"});
  const auto frames = sent(vm);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(std::get<subscribe_frame>(frames[0]), (subscribe_frame{"c1", std::nullopt}));
  EXPECT_TRUE(vm.current()->messages().empty());
  receive(vm, history_frame{"c1",
                            {make_message("m1", role::user, "hi", message_status::complete, 1)},
                            9,
                            false,
                            std::nullopt});
  EXPECT_EQ(vm.current()->messages().size(), 1u);
  EXPECT_EQ(vm.current()->last_seq(), 9);
}

TEST_F(ViewModel, BackoffDoublesUpToItsCapAndShowsOfflineAfterRepeatedFailures) {
  auto vm = make();
  connect(vm);
  timestamp_ms expected = view_model::backoff_base_ms;
  for (int attempt = 1; attempt <= 8; ++attempt) {
    vm.socket_closed(now);
    ASSERT_TRUE(vm.next_wakeup());
    const timestamp_ms delay = *vm.next_wakeup() - now;
    EXPECT_GE(delay, expected) << attempt;
    EXPECT_LE(delay, expected * 5 / 4) << attempt;
    EXPECT_EQ(vm.connection(), attempt < view_model::attempts_before_offline
                                   ? connection_state::reconnecting
                                   : connection_state::offline);
    now += delay;
    vm.tick(now);
    EXPECT_EQ(other<open_socket_effect>(vm).size(), 1u);
    vm.socket_opened(now);  // opens, then drops before `ready`
    expected = std::min(expected * 2, view_model::backoff_cap_ms);
  }
  receive(vm, ready_frame{1, "s2", {"v_1", "", true}, std::nullopt, {65536, 20}});
  EXPECT_EQ(vm.connection(), connection_state::online);
  vm.socket_closed(now);  // a drop after a success starts the backoff over
  EXPECT_LE(*vm.next_wakeup() - now, view_model::backoff_base_ms * 5 / 4);
}

TEST_F(ViewModel, WhileTheBrowserIsOfflineNothingRetriesUntilItIsBack) {
  auto vm = make();
  connect(vm);
  vm.browser_online(false, now);
  vm.socket_closed(now);
  EXPECT_EQ(vm.connection(), connection_state::offline);
  EXPECT_FALSE(vm.next_wakeup());
  vm.browser_online(true, now + 5000);
  EXPECT_EQ(vm.connection(), connection_state::reconnecting);
  vm.tick(now + 5000);
  EXPECT_EQ(other<open_socket_effect>(vm).size(), 1u);
}

TEST_F(ViewModel, ASocketThatOutlivesABriefOutageIsOnlineAgainWhenTheBrowserIs) {
  auto vm = make();
  connect(vm);
  sent(vm);
  vm.browser_online(false, now);
  EXPECT_EQ(vm.connection(), connection_state::offline);
  vm.send_text("still there?", now);
  EXPECT_TRUE(sent(vm).empty());
  vm.browser_online(true, now + 1000);
  EXPECT_EQ(vm.connection(), connection_state::online);
  const auto frames = sent(vm);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(std::get<message_frame>(frames[0]).text, "still there?");
  EXPECT_TRUE(other<open_socket_effect>(vm).empty());
}

TEST_F(ViewModel, StopCancelsOnlyWhileAReplyStreams) {
  auto vm = make();
  connect(vm);
  start_conversation(vm);
  vm.stop_reply();
  EXPECT_TRUE(sent(vm).empty());
  receive(vm, message_event_frame{
                  make_message("m2", role::assistant, "", message_status::streaming, 2)});
  vm.stop_reply();
  const auto frames = sent(vm);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(std::get<cancel_frame>(frames[0]).conversation_id, "c1");
}

TEST_F(ViewModel, AFailedReplyShowsABannerWhoseRetryRegeneratesIt) {
  auto vm = make();
  connect(vm);
  start_conversation(vm);
  receive(vm, message_event_frame{
                  make_message("m2", role::assistant, "", message_status::streaming, 2)});
  receive(vm, done_frame{"c1", "m2", 3, "", finish_reason::error, std::nullopt, {}});
  receive(vm, error_frame{error_code::upstream_error, "503 from upstream", std::nullopt, "c1"});
  ASSERT_EQ(vm.banners().size(), 1u);
  EXPECT_EQ(vm.banners()[0].text, "The assistant could not answer.");
  EXPECT_TRUE(vm.banners()[0].retry);
  sent(vm);
  vm.retry_banner(vm.banners()[0].id);
  const auto frames = sent(vm);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(std::get<regenerate_frame>(frames[0]).message_id, "m2");
  EXPECT_TRUE(vm.banners().empty());
}

TEST_F(ViewModel, UnreadCountsRepliesWhileHiddenAndClearsWhenShown) {
  auto vm = make();
  connect(vm);
  start_conversation(vm);
  receive(vm, message_event_frame{
                  make_message("m2", role::operator_, "Ana here", message_status::complete, 2)});
  EXPECT_EQ(vm.unread(), 1);
  vm.set_visible(true);
  EXPECT_EQ(vm.unread(), 0);
  const auto told = other<host_effect>(vm);
  ASSERT_FALSE(told.empty());
  EXPECT_EQ(std::get<host_unread_event>(told.back().event).count, 0);
  receive(vm, message_event_frame{make_message("m3", role::operator_, "Anything else?",
                                               message_status::complete, 3)});
  EXPECT_EQ(vm.unread(), 0);
}

TEST_F(ViewModel, ARefusedVisitorTokenStartsOverAsANewVisitor) {
  auto vm = make("", "old.visitor.token");
  vm.tick(now);
  vm.socket_opened(now);
  receive(vm, error_frame{error_code::auth_failed, "bad signature", std::nullopt, std::nullopt});
  const auto forgotten = other<store_token_effect>(vm);
  ASSERT_EQ(forgotten.size(), 1u);
  EXPECT_EQ(forgotten[0].token, "");
  vm.socket_closed(now);
  vm.tick(now);
  EXPECT_EQ(other<open_socket_effect>(vm).size(), 1u);
  vm.socket_opened(now);
  const auto frames = sent(vm);
  EXPECT_EQ(std::get<auth_frame>(frames.at(0)).token, std::nullopt);
}

TEST_F(ViewModel, ARefusedHostTokenStopsRetryingUntilTheHostIdentifiesAgain) {
  auto vm = make();
  connect(vm);
  vm.identify("bad.jwt.token", now);
  EXPECT_EQ(other<close_socket_effect>(vm).size(), 1u);
  EXPECT_EQ(vm.connection(), connection_state::connecting);
  vm.tick(now);
  vm.socket_opened(now);
  EXPECT_EQ(std::get<auth_frame>(sent(vm).at(0)).token, "bad.jwt.token");
  receive(vm, error_frame{error_code::auth_failed, "expired", std::nullopt, std::nullopt});
  vm.socket_closed(now);
  EXPECT_EQ(vm.connection(), connection_state::offline);
  EXPECT_FALSE(vm.next_wakeup());
  ASSERT_EQ(vm.banners().size(), 1u);
  vm.identify("good.jwt.token", now);
  vm.tick(now);
  EXPECT_EQ(other<open_socket_effect>(vm).size(), 1u);
}

TEST_F(ViewModel, OlderMessagesLoadOncePerScrollToTheTop) {
  auto vm = make("", "", "c1");
  connect(vm);
  auto frames = sent(vm);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(std::get<subscribe_frame>(frames[1]), (subscribe_frame{"c1", std::nullopt}));
  receive(vm, history_frame{"c1",
                            {make_message("m5", role::user, "five", message_status::complete, 5)},
                            5,
                            true,
                            std::nullopt});
  vm.load_older();
  vm.load_older();
  frames = sent(vm);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(std::get<history_request_frame>(frames[0]).before_id, "m5");
  EXPECT_TRUE(vm.loading_older());
  receive(vm,
          history_frame{"c1",
                        {make_message("m4", role::assistant, "four", message_status::complete, 4)},
                        5,
                        false,
                        "m5"});
  EXPECT_FALSE(vm.loading_older());
  ASSERT_EQ(vm.current()->messages().size(), 2u);
  EXPECT_EQ(vm.current()->messages()[0].text, "four");
  vm.load_older();  // nothing older: nothing asked
  EXPECT_TRUE(sent(vm).empty());
}

TEST_F(ViewModel, RatingsAnswersAndButtonsGoOutAndShowAtOnce) {
  auto vm = make();
  connect(vm);
  start_conversation(vm);
  const message reply = make_message("m2", role::assistant, "ok", message_status::complete, 2);
  receive(vm, message_event_frame{reply});
  receive(vm, ask_frame{"c1", 3, "q1", "Which size?", {"S", "M"}});
  ASSERT_EQ(vm.current()->open_asks().size(), 1u);
  vm.rate("m2", -1);
  vm.answer("q1", "M");
  vm.press_button("m2", "b1");
  EXPECT_EQ(vm.rating_of(vm.current()->messages()[1]), -1);
  EXPECT_TRUE(vm.current()->open_asks().empty());
  const auto frames = sent(vm);
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(std::get<feedback_frame>(frames[0]), (feedback_frame{"m2", -1, std::nullopt}));
  EXPECT_EQ(std::get<reply_frame>(frames[1]), (reply_frame{"q1", "M"}));
  EXPECT_EQ(std::get<action_frame>(frames[2]), (action_frame{"m2", "b1"}));
}

TEST_F(ViewModel, SwitchingConversationsKeepsOnlyTheOpenOneSubscribed) {
  auto vm = make();
  connect(vm);
  start_conversation(vm);
  vm.open_conversation("c2");
  auto frames = sent(vm);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(std::get<unsubscribe_frame>(frames[0]).conversation_id, "c1");
  EXPECT_EQ(std::get<subscribe_frame>(frames[1]), (subscribe_frame{"c2", std::nullopt}));
  vm.new_conversation();
  EXPECT_EQ(vm.current(), nullptr);
  EXPECT_EQ(vm.current_conversation_id(), "");
  frames = sent(vm);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(std::get<unsubscribe_frame>(frames[0]).conversation_id, "c2");
}

TEST_F(ViewModel, ADeletedConversationClosesWithABanner) {
  auto vm = make();
  connect(vm);
  start_conversation(vm);
  receive(vm, error_frame{error_code::not_found, "deleted", std::nullopt, "c1"});
  EXPECT_EQ(vm.current_conversation_id(), "");
  EXPECT_TRUE(vm.conversations().empty());
  ASSERT_EQ(vm.banners().size(), 1u);
  EXPECT_EQ(vm.banners()[0].text, "This conversation is no longer available.");
}

TEST_F(ViewModel, ARateLimitedMessageWaitsForTheVisitorsRetry) {
  auto vm = make();
  connect(vm);
  start_conversation(vm);
  vm.send_text("again", now);
  const std::string id = std::get<message_frame>(sent(vm).at(0)).client_msg_id;
  receive(vm, error_frame{error_code::rate_limited, "slow down", id, "c1"});
  ASSERT_EQ(vm.pending().size(), 1u);
  EXPECT_TRUE(vm.pending()[0]->failed);
  vm.socket_closed(now);
  now = *vm.next_wakeup();
  connect(vm);
  auto frames = sent(vm);
  EXPECT_EQ(frames.size(), 2u);  // auth and the resume: a failed message is not resent
  vm.retry_pending(id);
  frames = sent(vm);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(std::get<message_frame>(frames[0]).client_msg_id, id);
}

TEST_F(ViewModel, AMessageTheServerCouldNotStoreFailsAndItsRetryResendsTheSameId) {
  auto vm = make();
  connect(vm);
  start_conversation(vm);
  vm.send_text("are you there?", now);
  const std::string id = std::get<message_frame>(sent(vm).at(0)).client_msg_id;
  receive(vm, error_frame{error_code::internal, "could not store the message", id, "c1"});
  ASSERT_EQ(vm.pending().size(), 1u);
  EXPECT_TRUE(vm.pending()[0]->failed);  // "Not sent." and a Retry button, not "Sending…"
  EXPECT_EQ(vm.pending()[0]->text, "are you there?");
  EXPECT_EQ(vm.pending()[0]->error, "The server had a problem. Try again.");
  EXPECT_TRUE(vm.banners().empty());  // said once, under the message
  EXPECT_TRUE(sent(vm).empty());      // nothing is resent until the visitor asks

  vm.retry_pending(id);
  const auto frames = sent(vm);
  ASSERT_EQ(frames.size(), 1u);
  const auto& resent = std::get<message_frame>(frames[0]);
  EXPECT_EQ(resent.client_msg_id, id);  // the server deduplicates by it
  EXPECT_EQ(resent.text, "are you there?");
  EXPECT_EQ(resent.conversation_id, "c1");
  ASSERT_EQ(vm.pending().size(), 1u);
  EXPECT_FALSE(vm.pending()[0]->failed);
  receive(vm, ack_frame{id, "c1", "m5", 5});
  EXPECT_TRUE(vm.pending().empty());
}

TEST_F(ViewModel, AnyErrorNamingAPendingMessageFailsIt) {
  for (const error_code code :
       {error_code::rate_limited, error_code::internal, error_code::forbidden,
        error_code::too_large, error_code::bad_field, error_code::not_found}) {
    SCOPED_TRACE(static_cast<int>(code));
    auto vm = make();
    connect(vm);
    start_conversation(vm);
    vm.send_text("again", now);
    const std::string id = std::get<message_frame>(sent(vm).at(0)).client_msg_id;
    receive(vm, error_frame{code, "no", id, "c1"});
    ASSERT_EQ(vm.pending().size(), 1u);
    EXPECT_TRUE(vm.pending()[0]->failed);
    EXPECT_FALSE(vm.pending()[0]->error.empty());
    EXPECT_EQ(vm.current_conversation_id(), "c1");  // the conversation stays open
    EXPECT_TRUE(vm.banners().empty());
  }
}

TEST_F(ViewModel, AFailedFirstMessageDoesNotHoldBackTheNextOne) {
  auto vm = make();
  connect(vm);
  sent(vm);
  vm.send_text("first", now);
  const std::string first = std::get<message_frame>(sent(vm).at(0)).client_msg_id;
  receive(vm,
          error_frame{error_code::internal, "could not store the message", first, std::nullopt});
  vm.send_text("second", now);
  const auto frames = sent(vm);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(std::get<message_frame>(frames[0]).text, "second");
  ASSERT_EQ(vm.pending().size(), 2u);
  EXPECT_TRUE(vm.pending()[0]->failed);
  EXPECT_FALSE(vm.pending()[1]->failed);
}

TEST_F(ViewModel, BlankAndOverlongMessagesAreNotSent) {
  auto vm = make();
  connect(vm);
  sent(vm);
  EXPECT_FALSE(vm.send_text(" \n\t", now));
  EXPECT_FALSE(vm.send_text(std::string(limits::max_text_bytes + 1, 'a'), now));
  EXPECT_TRUE(vm.send_text(std::string(limits::max_text_bytes, 'a'), now));
  EXPECT_EQ(sent(vm).size(), 1u);
}

TEST_F(ViewModel, FramesOfOtherConversationsAndUnreadableFramesChangeNothingShown) {
  auto vm = make();
  connect(vm);
  start_conversation(vm);
  receive(vm, delta_frame{"c7", "mx", 9, "stray"});
  vm.frame_received("{not json", now);
  EXPECT_EQ(vm.current()->messages().size(), 1u);
  EXPECT_EQ(vm.current()->last_seq(), 1);
}

}  // namespace
}  // namespace palaver::web
