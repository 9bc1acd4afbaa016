// The codec beyond the vectors: every frame built in C++ survives encode -> decode, limits
// hold exactly at their boundary, errors name the right field, and appending encodes work.
#include "palaver/codec.hpp"

#include <gtest/gtest.h>

namespace palaver {
namespace {

message sample_message() {
  message m;
  m.id = "msg_2";
  m.conversation_id = "conv_1";
  m.author_role = role::assistant;
  m.text = "Here is **markdown** and `code`.\n\n```cpp\nint main() {}\n```";
  m.status = message_status::streaming;
  m.seq = 42;
  m.created_at = 1795312317123;
  m.buttons = {{"yes", "Yes, please"}, {"no", "No"}};
  m.attachments = {{"file_1", "report.pdf", "application/pdf", 1234, "/files/file_1"}};
  m.metadata = *canonical_json_object(R"({"model":"echo","tags":["a",1,true,null]})");
  m.rating = -1;
  return m;
}

std::vector<client_frame> every_client_frame() {
  return {
      auth_frame{1, "eyJhbGciOi.x.y", "docs-site"},
      auth_frame{},
      subscribe_frame{"conv_1", 17},
      unsubscribe_frame{"conv_1"},
      history_request_frame{"conv_1", "msg_1", 50},
      history_request_frame{"conv_1", std::nullopt, std::nullopt},
      message_frame{std::nullopt, "c-7f3a", "Привет, κόσμε! 👋", "support", {}, "Ana"},
      message_frame{"conv_1", "c-2", "", {}, {{"f1", "a.png", "image/png", 10, ""}}, {}},
      cancel_frame{"conv_1"},
      reply_frame{"req_9", "Tuesday"},
      action_frame{"msg_2", "yes"},
      feedback_frame{"msg_2", -1, "too long"},
      regenerate_frame{"msg_2"},
      ping_frame{"p1"},
      ping_frame{},
  };
}

std::vector<server_frame> every_server_frame() {
  return {
      ready_frame{1, "sess_1", {"v_abc", "Visitor", true}, "visitor.token.sig", {65536, 20}},
      conversation_frame{{"conv_1", "Shipping", "echo", 1, 2, 3}},
      history_frame{"conv_1", {sample_message(), sample_message()}, 50, true, std::nullopt},
      history_frame{"conv_1", {}, 50, false, "msg_1"},
      ack_frame{"c-7f3a", "conv_1", "msg_1", 41},
      message_event_frame{sample_message()},
      typing_frame{"conv_1", true},
      progress_frame{"conv_1", "msg_2", "search", "Searching the docs…"},
      delta_frame{"conv_1", "msg_2", 43, " world"},
      done_frame{"conv_1", "msg_2", 44, "Hello world", finish_reason::length, usage{10, 20, 30},
                 *canonical_json_object(R"({"k":1})")},
      ask_frame{"conv_1", 46, "req_9", "Which day?", {"Monday", "Tuesday"}},
      edit_frame{"conv_1", "msg_2", 45, "Hello, world"},
      notification_frame{std::nullopt, notification_level::warning, "Maintenance at 22:00"},
      error_frame{error_code::rate_limited, "slow down", "c-7f3a", "conv_1"},
      error_frame{error_code::bad_frame, "not valid JSON", std::nullopt, std::nullopt},
      pong_frame{"p1"},
  };
}

template <class Frame>
void expect_round_trips(const std::vector<Frame>& frames,
                        result<Frame> (*decode)(std::string_view)) {
  for (const Frame& frame : frames) {
    const std::string text = encode(frame);
    SCOPED_TRACE(text);
    const auto decoded = decode(text);
    ASSERT_TRUE(decoded) << describe(decoded.error());
    EXPECT_EQ(*decoded, frame);
    EXPECT_EQ(encode(*decoded), text);
  }
}

TEST(Codec, EveryClientFrameSurvivesARoundTrip) {
  expect_round_trips(every_client_frame(), &decode_client_frame);
}

TEST(Codec, EveryServerFrameSurvivesARoundTrip) {
  expect_round_trips(every_server_frame(), &decode_server_frame);
}

TEST(Codec, CanonicalFormPutsTypeFirstAndOmitsAbsentOptionals) {
  EXPECT_EQ(encode(client_frame{subscribe_frame{"c1", std::nullopt}}),
            R"({"type":"subscribe","conversation_id":"c1"})");
  EXPECT_EQ(encode(client_frame{auth_frame{}}), R"({"type":"auth","protocol":1})");
  EXPECT_EQ(encode(server_frame{done_frame{"c", "m", 3, "hi", finish_reason::stop, {}, {}}}),
            R"({"type":"done","conversation_id":"c","message_id":"m","seq":3,"text":"hi",)"
            R"("finish_reason":"stop"})");
}

TEST(Codec, EncodeToAppendsFramesOneAfterAnother) {
  std::string out;
  encode_to(out, server_frame{typing_frame{"c", true}});
  encode_to(out, server_frame{pong_frame{}});
  EXPECT_EQ(out, R"({"type":"typing","conversation_id":"c","active":true}{"type":"pong"})");
}

std::string message_with_text(std::size_t bytes, const std::string& unit = "a") {
  std::string text;
  while (text.size() + unit.size() <= bytes)
    text += unit;
  return R"({"type":"message","client_msg_id":"c1","text":")" + text + R"("})";
}

TEST(Codec, TextIsMeasuredInBytesAndAcceptedUpToItsLimit) {
  EXPECT_TRUE(decode_client_frame(message_with_text(limits::max_text_bytes)));
  EXPECT_TRUE(decode_client_frame(message_with_text(limits::max_text_bytes, "€")));  // 3 bytes
  const auto over = decode_client_frame(message_with_text(limits::max_text_bytes + 1));
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code, error_code::too_large);
  EXPECT_EQ(over.error().field, "text");
}

TEST(Codec, ClientFramesAreAcceptedUpToMaxFrameBytesExactly) {
  const std::string frame = R"({"type":"ping"})";
  const std::string padded = frame + std::string(limits::max_frame_bytes - frame.size(), ' ');
  EXPECT_TRUE(decode_client_frame(padded));
  const auto over = decode_client_frame(padded + " ");
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code, error_code::too_large);
  // A server frame may be larger: a history page is.
  EXPECT_TRUE(
      decode_server_frame(R"({"type":"pong"})" + std::string(limits::max_frame_bytes, ' ')));
}

TEST(Codec, NestedErrorsNameTheirPath) {
  const auto bad = decode_server_frame(
      R"({"type":"history","conversation_id":"c","last_seq":1,"has_more":false,"messages":[)"
      R"({"id":"m1","conversation_id":"c","role":"user","text":"","status":"complete","seq":1,"created_at":1},)"
      R"({"id":"m2","conversation_id":"c","role":"robot","text":"","status":"complete","seq":2,"created_at":1}]})");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, error_code::bad_field);
  EXPECT_EQ(bad.error().field, "messages[1].role");
}

TEST(Codec, TheFirstBrokenRuleInCanonicalOrderIsReported) {
  // client_msg_id comes before text in the canonical order.
  const auto bad =
      decode_client_frame(R"({"type":"message","text":"  ","client_msg_id":"no spaces"})");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().field, "client_msg_id");
  EXPECT_EQ(bad.error().code, error_code::bad_field);
}

TEST(Codec, AReplyCutInsideACharacterStillEncodesToAValidFrame) {
  // An agent's delta may end mid-character; the frame must stay valid UTF-8 and JSON.
  const std::string text = encode(server_frame{delta_frame{"c", "m", 1, "price: \xe2\x82"}});
  const auto decoded = decode_server_frame(text);
  ASSERT_TRUE(decoded) << describe(decoded.error());
  EXPECT_EQ(std::get<delta_frame>(*decoded).text, "price: \xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(Codec, ARejectedFrameStillNamesTheIdsItCarried) {
  // So that the error frame can say which message or conversation it answers.
  const auto bad = decode_client_frame(
      R"({"type":"message","conversation_id":"conv_1","client_msg_id":"c-9","text":" "})");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().ref, "c-9");
  EXPECT_EQ(bad.error().conversation_id, "conv_1");
  const error_frame answer = make_error_frame(bad.error());
  EXPECT_EQ(answer.ref, "c-9");
  EXPECT_EQ(answer.conversation_id, "conv_1");

  const auto cancel = decode_client_frame(R"({"type":"cancel","conversation_id":"no spaces"})");
  ASSERT_FALSE(cancel);
  EXPECT_FALSE(cancel.error().conversation_id);  // not an id: not echoed
}

TEST(Codec, ARestBodyIsAFrameWithoutItsType) {
  const auto body = decode_client_body("message", R"({"client_msg_id":"c1","text":"hi"})");
  ASSERT_TRUE(body);
  EXPECT_EQ(std::get<message_frame>(*body).text, "hi");
  EXPECT_EQ(decode_client_body("message", R"({"client_msg_id":"c1"})").error().code,
            error_code::missing_field);
  EXPECT_EQ(decode_client_body("teleport", "{}").error().code, error_code::unknown_type);
  const auto note = decode_server_body("notification", R"({"level":"info","text":"Back soon"})");
  ASSERT_TRUE(note);
  EXPECT_EQ(std::get<notification_frame>(*note).text, "Back soon");
}

TEST(Codec, UnknownFieldsAreIgnoredAndNullMeansAbsent) {
  const auto frame = decode_client_frame(
      R"({"future":{"x":[1,2]},"type":"subscribe","last_seq":null,"conversation_id":"c1"})");
  ASSERT_TRUE(frame);
  EXPECT_EQ(encode(*frame), R"({"type":"subscribe","conversation_id":"c1"})");
  const auto missing = decode_client_frame(R"({"type":"subscribe","conversation_id":null})");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, error_code::missing_field);
}

TEST(Codec, ServerOnlyTypesAreUnknownToTheClientDirectionAndBackwards) {
  EXPECT_EQ(decode_client_frame(R"({"type":"delta"})").error().code, error_code::unknown_type);
  EXPECT_EQ(decode_server_frame(R"({"type":"cancel"})").error().code, error_code::unknown_type);
  // "message" exists both ways with different fields.
  EXPECT_EQ(
      decode_server_frame(R"({"type":"message","client_msg_id":"a","text":"hi"})").error().code,
      error_code::missing_field);
}

TEST(Codec, OnlySupportedProtocolVersionsAuthenticate) {
  EXPECT_TRUE(decode_client_frame(R"({"type":"auth","protocol":1})"));
  EXPECT_EQ(decode_client_frame(R"({"type":"auth","protocol":2})").error().code,
            error_code::unsupported_version);
  EXPECT_EQ(decode_client_frame(R"({"type":"auth","protocol":"1"})").error().code,
            error_code::bad_field);
  EXPECT_EQ(decode_client_frame(R"({"type":"auth"})").error().code, error_code::missing_field);
}

TEST(Codec, AttachmentUrlsAreWebLinksOrServerPaths) {
  const auto with_url = [](const std::string& url) {
    return decode_client_frame(
        R"({"type":"message","client_msg_id":"c","text":"","attachments":)"
        R"([{"id":"f","name":"a","mime_type":"text/plain","size":1,"url":")" +
        url + R"("}]})");
  };
  EXPECT_TRUE(with_url("https://cdn.example.com/a.txt"));
  EXPECT_TRUE(with_url("/files/f"));
  for (const char* bad : {"javascript:alert(1)", "//evil.example/x", "/\\\\evil.example/x",
                          "https://", "https:///x", "data:text/html,hi", "/a b", "/"})
    EXPECT_EQ(with_url(bad).error().code, error_code::bad_field) << bad;
}

TEST(Codec, ModelValuesRoundTripForTheRestApiAndTheStore) {
  const message m = sample_message();
  const auto decoded = decode_message(encode(m));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, m);
  const conversation c{"conv_1", "", "echo", 5, 6, 0};
  EXPECT_EQ(
      encode(c),
      R"({"id":"conv_1","title":"","agent":"echo","created_at":5,"updated_at":6,"last_seq":0})");
  EXPECT_EQ(*decode_conversation(encode(c)), c);
  EXPECT_EQ(decode_conversation("[]").error().code, error_code::bad_frame);
}

TEST(Codec, AConversationListCarriesItsCursorOnlyWhenThereIsMore) {
  const conversation c{"conv_1", "Shoes", "echo", 5, 6, 3};
  conversation_list page{{c, c}, "6.conv_1"};
  const std::string text = encode(page);
  EXPECT_TRUE(text.ends_with(R"(],"next":"6.conv_1"})")) << text;
  EXPECT_EQ(*decode_conversation_list(text), page);
  EXPECT_EQ(encode(conversation_list{}), R"({"conversations":[]})");
  EXPECT_EQ(decode_conversation_list(R"({"conversations":[{"id":"x"}]})").error().code,
            error_code::missing_field);
}

TEST(Codec, MetadataIsAnyObjectKeptInCanonicalFormWithinItsLimit) {
  const auto meta = canonical_json_object(R"( { "b" : [ 1 , 2.5 ] , "a" : { } } )");
  ASSERT_TRUE(meta);
  EXPECT_EQ(meta->text(), R"({"b":[1,2.5E0],"a":{}})");
  EXPECT_TRUE(canonical_json_object("{ }")->empty());
  EXPECT_EQ(canonical_json_object("[1]").error().code, error_code::bad_frame);
  // 1e400 is valid JSON but no finite number: it has no canonical text.
  EXPECT_EQ(canonical_json_object(R"({"x":[1e400]})").error().code, error_code::bad_field);
  const std::string big = R"({"k":")" + std::string(limits::max_metadata_bytes, 'x') + R"("})";
  EXPECT_EQ(canonical_json_object(big).error().code, error_code::too_large);
}

TEST(Codec, DeepNestingIsRefusedBeforeItCostsAnything) {
  std::string deep = R"({"type":"ping","x":)";
  for (int i = 0; i < 20; ++i)
    deep += "[";
  for (int i = 0; i < 20; ++i)
    deep += "]";
  deep += "}";
  EXPECT_EQ(decode_client_frame(deep).error().code, error_code::too_large);
}

}  // namespace
}  // namespace palaver
