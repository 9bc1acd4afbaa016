// The transcript: streamed replies assemble exactly, replays never show anything twice,
// history pages merge in the right place.
#include "palaver/transcript.hpp"

#include <gtest/gtest.h>

#include "test_message.hpp"

namespace palaver {
namespace {

using outcome = transcript::outcome;

using test::make_message;

// A stored user message whose text is its id.
message m(const char* id, seq_t seq) {
  return make_message(id, role::user, id, message_status::complete, seq);
}

// A user message and a streamed reply, as the server sends them: seq 1..6.
std::vector<server_frame> streamed_exchange() {
  return {
      message_event_frame{make_message("u1", role::user, "Hi", message_status::complete, 1)},
      message_event_frame{make_message("a1", role::assistant, "", message_status::streaming, 2)},
      typing_frame{"c1", true},
      delta_frame{"c1", "a1", 3, "Hello"},
      delta_frame{"c1", "a1", 4, ", wor"},
      delta_frame{"c1", "a1", 5, "ld!"},
      done_frame{"c1", "a1", 6, "Hello, world!", finish_reason::stop, std::nullopt, {}},
  };
}

TEST(Transcript, DeltasAssembleIntoTheReplyThatDoneConfirms) {
  transcript t("c1");
  for (const auto& frame : streamed_exchange())
    t.apply(frame);
  ASSERT_EQ(t.messages().size(), 2u);
  EXPECT_EQ(t.messages()[0].text, "Hi");
  EXPECT_EQ(t.messages()[1].text, "Hello, world!");
  EXPECT_EQ(t.messages()[1].status, message_status::complete);
  EXPECT_EQ(t.messages()[1].seq, 6);
  EXPECT_EQ(t.last_seq(), 6);
}

TEST(Transcript, MidStreamTheReplyShowsWhatHasArrived) {
  transcript t("c1");
  const auto frames = streamed_exchange();
  for (std::size_t i = 0; i < 5; ++i)
    t.apply(frames[i]);
  EXPECT_EQ(t.find("a1")->text, "Hello, wor");
  EXPECT_EQ(t.find("a1")->status, message_status::streaming);
}

TEST(Transcript, AReplayOfSeenEventsChangesNothing) {
  transcript t("c1");
  for (const auto& frame : streamed_exchange())
    t.apply(frame);
  const auto before = t.messages();
  for (const auto& frame : streamed_exchange()) {
    const outcome o = t.apply(frame);
    EXPECT_TRUE(o == outcome::duplicate || o == outcome::ignored);
  }
  EXPECT_EQ(t.messages(), before);
}

TEST(Transcript, ResumingAfterACutAtAnyPointShowsEveryEventOnce) {
  const auto frames = streamed_exchange();
  transcript whole("c1");
  for (const auto& frame : frames)
    whole.apply(frame);

  for (std::size_t cut = 0; cut <= frames.size(); ++cut) {
    SCOPED_TRACE(cut);
    transcript t("c1");
    for (std::size_t i = 0; i < cut; ++i)
      t.apply(frames[i]);
    // The server replays what came after last_seq; an overlap of one event is harmless.
    const seq_t resume_from = std::max<seq_t>(0, t.last_seq() - 1);
    for (const auto& frame : frames) {
      const auto* d = std::get_if<delta_frame>(&frame);
      if (d && d->seq <= resume_from) continue;
      t.apply(frame);
    }
    EXPECT_EQ(t.messages(), whole.messages());
    EXPECT_EQ(t.last_seq(), whole.last_seq());
  }
}

TEST(Transcript, AStoredMessageReplacesAPartlyStreamedOne) {
  transcript t("c1");
  const auto frames = streamed_exchange();
  for (std::size_t i = 0; i < 4; ++i)
    t.apply(frames[i]);
  // Resumed after the reply finished: the server sends the stored message instead of deltas.
  EXPECT_EQ(t.apply(message_event_frame{
                make_message("a1", role::assistant, "Hello, world!", message_status::complete, 6)}),
            outcome::applied);
  EXPECT_EQ(t.find("a1")->text, "Hello, world!");
  EXPECT_EQ(t.messages().size(), 2u);
}

// The reply as streamed up to ", wor" (seq 4), then the server crashed having stored less.
transcript cut_by_a_crash() {
  transcript t("c1");
  const auto frames = streamed_exchange();
  for (std::size_t i = 0; i < 5; ++i)
    t.apply(frames[i]);
  return t;
}

TEST(Transcript, AResumeAfterACrashNeverShrinksTheReplyBeingRead) {
  for (const char* stored : {"Hello", ""}) {
    SCOPED_TRACE(stored);
    transcript t = cut_by_a_crash();
    EXPECT_EQ(t.apply(message_event_frame{
                  make_message("a1", role::assistant, stored, message_status::interrupted, 9)}),
              outcome::applied);
    const message* reply = t.find("a1");
    EXPECT_EQ(reply->text, "Hello, wor");  // what the visitor was reading
    EXPECT_EQ(reply->status, message_status::interrupted);
    EXPECT_EQ(reply->seq, 9);
    EXPECT_EQ(t.last_seq(), 9);
  }
}

TEST(Transcript, AStoredCopyWithOtherTextReplacesTheHeldText) {
  for (const char* stored : {"Goodbye", "Hello, wo!", "Hello, world"}) {
    SCOPED_TRACE(stored);
    transcript t = cut_by_a_crash();
    t.apply(message_event_frame{
        make_message("a1", role::assistant, stored, message_status::complete, 9)});
    EXPECT_EQ(t.find("a1")->text, stored);
    EXPECT_EQ(t.find("a1")->status, message_status::complete);
  }
}

TEST(Transcript, AStreamingCopyIsTakenWholeSoItsDeltasContinueFromIt) {
  transcript t = cut_by_a_crash();
  t.apply(message_event_frame{
      make_message("a1", role::assistant, "Hello", message_status::streaming, 6)});
  t.apply(delta_frame{"c1", "a1", 7, ", there"});
  EXPECT_EQ(t.find("a1")->text, "Hello, there");
}

TEST(Transcript, APageAfterACrashNeverShrinksTheReplyEither) {
  transcript t = cut_by_a_crash();
  t.apply(
      history_frame{"c1",
                    {make_message("u1", role::user, "Hi", message_status::complete, 1),
                     make_message("a1", role::assistant, "Hello", message_status::interrupted, 9)},
                    9,
                    false,
                    std::nullopt});
  ASSERT_EQ(t.messages().size(), 2u);
  EXPECT_EQ(t.find("a1")->text, "Hello, wor");
  EXPECT_EQ(t.find("a1")->status, message_status::interrupted);
}

TEST(Transcript, CancelledAndFailedRepliesKeepTheirTextAndSayHowTheyEnded) {
  transcript t("c1");
  const auto frames = streamed_exchange();
  for (std::size_t i = 0; i < 4; ++i)
    t.apply(frames[i]);
  t.apply(done_frame{"c1", "a1", 7, "Hello", finish_reason::cancelled, std::nullopt, {}});
  EXPECT_EQ(t.find("a1")->text, "Hello");
  EXPECT_EQ(t.find("a1")->status, message_status::cancelled);
}

TEST(Transcript, EventsItCannotPlaceAskForAReload) {
  transcript t("c1");
  EXPECT_EQ(t.apply(delta_frame{"c1", "nope", 1, "x"}), outcome::unknown_message);
  EXPECT_EQ(t.apply(delta_frame{"c2", "a1", 1, "x"}), outcome::other_conversation);
  EXPECT_EQ(t.apply(typing_frame{"c1", true}), outcome::ignored);
  EXPECT_EQ(t.last_seq(), 0);
}

TEST(Transcript, EditsReplaceTheText) {
  transcript t("c1");
  for (const auto& frame : streamed_exchange())
    t.apply(frame);
  EXPECT_EQ(t.apply(edit_frame{"c1", "a1", 7, "Hello again"}), outcome::applied);
  EXPECT_EQ(t.find("a1")->text, "Hello again");
  EXPECT_EQ(t.find("a1")->seq, 7);
}

TEST(Transcript, AsksStayOpenUntilAnsweredAndAReplayDoesNotReopenThem) {
  transcript t("c1");
  const ask_frame ask{"c1", 1, "r1", "Which plan?", {"Basic", "Pro"}};
  t.apply(ask);
  EXPECT_EQ(t.apply(ask), outcome::duplicate);
  ASSERT_EQ(t.open_asks().size(), 1u);
  t.close_ask("r1");
  EXPECT_TRUE(t.open_asks().empty());
  EXPECT_EQ(t.apply(ask), outcome::duplicate);
  EXPECT_TRUE(t.open_asks().empty());
}

TEST(Transcript, OpenAsksSentAgainAfterAFreshPageAreShown) {
  transcript t("c1");
  const message hi = make_message("m1", role::user, "hi", message_status::complete, 1);
  t.apply(history_frame{"c1", {hi}, 3, false, std::nullopt});
  // The ask (seq 2) is older than the page's last_seq, yet still open: it must show.
  EXPECT_EQ(t.apply(ask_frame{"c1", 2, "r1", "Which plan?", {}}), outcome::applied);
  EXPECT_EQ(t.open_asks().size(), 1u);
  EXPECT_EQ(t.last_seq(), 3);
}

TEST(Transcript, OlderPagesGoInFront) {
  transcript t("c1");
  t.apply(history_frame{"c1", {m("m3", 3), m("m4", 4)}, 4, true, std::nullopt});
  EXPECT_TRUE(t.has_older());
  t.apply(history_frame{"c1", {m("m1", 1), m("m2", 2)}, 4, false, "m3"});
  ASSERT_EQ(t.messages().size(), 4u);
  EXPECT_EQ(t.messages()[0].id, "m1");
  EXPECT_EQ(t.messages()[3].id, "m4");
  EXPECT_FALSE(t.has_older());
  EXPECT_EQ(t.last_seq(), 4);
}

TEST(Transcript, AnOlderPageNeverDropsWhatIsHeldNorMovesTheResumePoint) {
  transcript t("c1");
  t.apply(history_frame{"c1", {m("m3", 3), m("m4", 4)}, 4, true, std::nullopt});
  // Asked for later, the page reports the conversation's newer last_seq (6): events 5 and 6
  // have not reached this transcript, so resuming must still start after 4.
  t.apply(history_frame{"c1", {m("m1", 1), m("m2", 2)}, 6, false, "m3"});
  ASSERT_EQ(t.messages().size(), 4u);
  EXPECT_EQ(t.last_seq(), 4);
  EXPECT_EQ(t.apply(message_event_frame{m("m5", 5)}), outcome::applied);
}

TEST(Transcript, AnOlderPageDuringAStreamLeavesTheStreamGoing) {
  transcript t("c1");
  const auto frames = streamed_exchange();
  for (std::size_t i = 0; i < 4; ++i)
    t.apply(frames[i]);  // a1 has seen delta 3
  t.apply(history_frame{"c1", {}, 4, false, "u1"});
  EXPECT_EQ(t.apply(frames[4]), outcome::applied);
  EXPECT_EQ(t.find("a1")->text, "Hello, wor");
}

TEST(Transcript, AnOverlappingPageFillsInWhatWasMissed) {
  transcript t("c1");
  t.apply(history_frame{"c1", {m("m1", 1), m("m2", 2)}, 2, false, std::nullopt});
  t.apply(history_frame{"c1", {m("m2", 2), m("m3", 3), m("m4", 4)}, 4, false, std::nullopt});
  ASSERT_EQ(t.messages().size(), 4u);
  EXPECT_EQ(t.messages()[2].id, "m3");
  EXPECT_EQ(t.last_seq(), 4);
}

TEST(Transcript, APageAfterAGapReplacesEverything) {
  transcript t("c1");
  t.apply(history_frame{"c1", {m("m1", 1)}, 1, false, std::nullopt});
  t.apply(ask_frame{"c1", 2, "r1", "Still there?", {}});
  t.apply(history_frame{"c1", {m("m8", 8), m("m9", 9)}, 9, true, std::nullopt});
  ASSERT_EQ(t.messages().size(), 2u);
  EXPECT_TRUE(t.open_asks().empty());  // the server sends the still-open ones again
  EXPECT_EQ(t.messages()[0].id, "m8");
  EXPECT_TRUE(t.has_older());
}

}  // namespace
}  // namespace palaver
