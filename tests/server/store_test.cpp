// The store against a real SQLite file in a temporary directory: pages, dedupe, upserts, group
// commit, start-up recovery, feedback, asks, deletion, migration and durability, as the hub
// would see them.
// Each test drives the store from the test thread and waits for its callbacks.
#include "store.hpp"

#include <SQLiteCpp/SQLiteCpp.h>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <mutex>
#include <ostream>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "palaver/codec.hpp"

#include <gtest/gtest.h>

#include "store_schema.hpp"

namespace palaver {
// Failures show a message or an ask as its canonical JSON.
void PrintTo(const message& m, std::ostream* os) {
  *os << encode(m);
}
void PrintTo(const ask_frame& a, std::ostream* os) {
  *os << encode(server_frame{a});
}
}  // namespace palaver

namespace palaver::server {
namespace {

using boost::system::error_code;

// Makes a request and waits for its callback's value.
template <class T, class Start>
T call(Start start) {
  std::promise<T> promise;
  auto future = promise.get_future();
  start([&promise](T value) { promise.set_value(std::move(value)); });
  return future.get();
}

conversation make_conversation(std::string id, timestamp_ms at) {
  conversation c;
  c.id = std::move(id);
  c.agent = "support";
  c.created_at = at;
  c.updated_at = at;
  return c;
}

message user_message(std::string id, std::string conversation_id, seq_t seq,
                     std::string client_msg_id, std::string text = "hello") {
  message m;
  m.id = std::move(id);
  m.conversation_id = std::move(conversation_id);
  m.author_role = role::user;
  m.text = std::move(text);
  m.status = message_status::complete;
  m.seq = seq;
  m.created_at = 1000 + seq;
  m.client_msg_id = std::move(client_msg_id);
  return m;
}

message reply(std::string id, std::string conversation_id, seq_t seq, message_status status,
              std::string text) {
  message m;
  m.id = std::move(id);
  m.conversation_id = std::move(conversation_id);
  m.author_role = role::assistant;
  m.text = std::move(text);
  m.status = status;
  m.seq = seq;
  m.created_at = 1000 + seq;
  return m;
}

ask_frame question(std::string request_id, std::string conversation_id, seq_t seq,
                   std::vector<std::string> choices = {"Free", "Pro"}) {
  return ask_frame{std::move(conversation_id), seq, std::move(request_id), "Which plan?",
                   std::move(choices)};
}

std::vector<std::string> ids_of(const std::vector<message>& messages) {
  std::vector<std::string> ids;
  for (const auto& m : messages)
    ids.push_back(m.id);
  return ids;
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "palaver_store_test_XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    path_ = (dir_ / "palaver.db").string();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  store::options options() {
    store::options o;
    o.path = path_;
    o.clock = [this] { return now_.load(); };
    o.log = [this](std::string_view line) {
      std::lock_guard lock(log_mutex_);
      log_.emplace_back(line);
    };
    return o;
  }

  void open(store::options o) {
    auto opened = store::open(std::move(o));
    ASSERT_TRUE(opened.has_value()) << opened.error();
    store_ = std::move(*opened);
  }
  void open() { open(options()); }
  void reopen() {
    store_.reset();
    open();
  }

  // ---- Synchronous forms of the requests ----

  store::outcome<added_message> start(const std::string& conversation_id, const std::string& owner,
                                      message first, const std::string& site = "docs") {
    return call<store::outcome<added_message>>([&](auto done) {
      store_->start_conversation(make_conversation(conversation_id, now_), site, owner,
                                 std::move(first), done);
    });
  }
  store::outcome<added_message> add(message m, const std::string& owner) {
    return call<store::outcome<added_message>>(
        [&](auto done) { store_->add_user_message(std::move(m), owner, done); });
  }
  error_code save(message m) {
    return call<error_code>([&](auto done) { store_->save_message(std::move(m), done); });
  }
  store::outcome<conversation_row> get_conversation(const std::string& id) {
    return call<store::outcome<conversation_row>>(
        [&](auto done) { store_->get_conversation(id, done); });
  }
  store::outcome<message_row> get_message(const std::string& id) {
    return call<store::outcome<message_row>>([&](auto done) { store_->get_message(id, done); });
  }
  store::outcome<message_page> page(const std::string& conversation_id,
                                    std::optional<std::string> before, std::size_t limit) {
    return call<store::outcome<message_page>>(
        [&](auto done) { store_->list_messages(conversation_id, before, limit, done); });
  }
  store::outcome<message_replay> after(const std::string& conversation_id, seq_t seq,
                                       std::size_t max) {
    return call<store::outcome<message_replay>>(
        [&](auto done) { store_->messages_after(conversation_id, seq, max, done); });
  }
  store::outcome<conversation_page> conversations(const std::string& site,
                                                  std::optional<std::string> owner,
                                                  std::size_t limit,
                                                  std::optional<conversation_cursor> before) {
    return call<store::outcome<conversation_page>>(
        [&](auto done) { store_->list_conversations(site, owner, limit, before, done); });
  }
  error_code save_ask(ask_frame ask) {
    return call<error_code>([&](auto done) { store_->save_ask(std::move(ask), done); });
  }
  error_code answer_ask(const std::string& request_id) {
    return call<error_code>([&](auto done) { store_->answer_ask(request_id, done); });
  }
  store::outcome<ask_row> get_ask(const std::string& request_id) {
    return call<store::outcome<ask_row>>([&](auto done) { store_->get_ask(request_id, done); });
  }
  store::outcome<conversation_with_asks> with_asks(const std::string& id) {
    return call<store::outcome<conversation_with_asks>>(
        [&](auto done) { store_->get_conversation_with_asks(id, done); });
  }
  error_code feedback(const std::string& message_id, const std::string& owner, int rating,
                      const std::string& comment = "") {
    return call<error_code>(
        [&](auto done) { store_->set_feedback(message_id, owner, rating, comment, done); });
  }
  error_code remove(const std::string& id, std::optional<std::string> owner) {
    return call<error_code>([&](auto done) { store_->delete_conversation(id, owner, done); });
  }
  void flush() {
    call<bool>([&](auto done) { store_->flush([done] { done(true); }); });
  }

  // A second connection, as a backup or the sqlite3 shell would have: sees committed data only.
  std::int64_t count(const std::string& sql) {
    SQLite::Database raw(path_, SQLite::OPEN_READONLY);
    return raw.execAndGet(sql).getInt64();
  }

  std::filesystem::path dir_;
  std::string path_;
  std::atomic<timestamp_ms> now_{1'700'000'000'000};
  std::mutex log_mutex_;
  std::vector<std::string> log_;
  std::unique_ptr<store> store_;
};

TEST_F(StoreTest, OpenCreatesAVersionedWalDatabase) {
  open();
  EXPECT_EQ(count("PRAGMA user_version"), schema::current_version);
  SQLite::Database raw(path_, SQLite::OPEN_READONLY);
  EXPECT_EQ(raw.execAndGet("PRAGMA journal_mode").getString(), "wal");
}

TEST_F(StoreTest, OpenRefusesADatabaseFromANewerBuild) {
  {
    SQLite::Database raw(path_, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    raw.exec("PRAGMA user_version = 99");
  }
  auto opened = store::open(options());
  ASSERT_FALSE(opened.has_value());
  EXPECT_NE(opened.error().find("newer"), std::string::npos) << opened.error();
}

TEST_F(StoreTest, OpeningAVersion1DatabaseMigratesItAndKeepsItsData) {
  {
    // The database as a version-1 build left it: its schema, a conversation and a message.
    SQLite::Database raw(path_, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    ASSERT_TRUE(schema::migrate(raw, 1));
    raw.exec(
        "INSERT INTO conversations (id, site_id, owner_id, title, created_at, updated_at,"
        " last_seq) VALUES ('c1', 'docs', 'u1', 'Hello', 1000, 1000, 7)");
    raw.exec(
        "INSERT INTO messages (id, conversation_id, role, text, status, seq, created_at,"
        " updated_at) VALUES ('m1', 'c1', 'user', 'hello', 'complete', 7, 1000, 1000)");
    ASSERT_EQ(raw.execAndGet("PRAGMA user_version").getInt(), 1);
    ASSERT_FALSE(raw.tableExists("asks"));
  }
  open();
  EXPECT_EQ(count("PRAGMA user_version"), schema::current_version);
  auto row = with_asks("c1");
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(row->row.owner_id, "u1");
  EXPECT_EQ(row->row.conv.title, "Hello");
  EXPECT_TRUE(row->open_asks.empty());
  auto history = page("c1", std::nullopt, 10);
  ASSERT_TRUE(history.has_value());
  EXPECT_EQ(ids_of(history->messages), std::vector<std::string>{"m1"});
  // The new table works on the old data.
  EXPECT_FALSE(save_ask(question("q1", "c1", 8)));
  EXPECT_EQ(with_asks("c1")->open_asks, std::vector<ask_frame>{question("q1", "c1", 8)});
}

TEST_F(StoreTest, OperatorsAndVisitorsClientMsgIdsAreTheirOwn) {
  open();
  ASSERT_TRUE(start("c1", "v:docs:v1", user_message("m1", "", 1, "k1"), "docs"));
  message from_operator = user_message("m2", "c1", 2, "shared-id", "Ana here");
  from_operator.author_role = role::operator_;
  auto stored = call<store::outcome<added_message>>(
      [&](auto done) { store_->add_operator_message(from_operator, "docs", done); });
  ASSERT_TRUE(stored.has_value());
  EXPECT_TRUE(stored->inserted);
  // A resend of the operator's is the operator's message again, stored once.
  from_operator.id = "m2-again";
  auto resent = call<store::outcome<added_message>>(
      [&](auto done) { store_->add_operator_message(from_operator, "docs", done); });
  ASSERT_TRUE(resent.has_value());
  EXPECT_FALSE(resent->inserted);
  EXPECT_EQ(resent->msg.id, "m2");
  // The visitor happens to use the same id: theirs is a new message, not the operator's.
  auto visitor = add(user_message("m3", "c1", 3, "shared-id", "my own words"), "v:docs:v1");
  ASSERT_TRUE(visitor.has_value());
  EXPECT_TRUE(visitor->inserted);
  EXPECT_EQ(visitor->msg.id, "m3");
  EXPECT_EQ(ids_of(page("c1", std::nullopt, 10)->messages),
            (std::vector<std::string>{"m1", "m2", "m3"}));
  // And an operator of another site cannot post into the conversation at all.
  from_operator.id = "m4";
  from_operator.client_msg_id = "other";
  auto elsewhere = call<store::outcome<added_message>>(
      [&](auto done) { store_->add_operator_message(from_operator, "shop", done); });
  EXPECT_EQ(elsewhere.error(), store_errc::not_found);
}

TEST_F(StoreTest, ASentMessageIsFoundByItsSendersClientMsgId) {
  open();
  ASSERT_TRUE(start("c1", "v:docs:v1", user_message("m1", "", 1, "k1"), "docs"));
  auto found = call<store::outcome<message_row>>(
      [&](auto done) { store_->get_sent_message("v:docs:v1", "k1", done); });
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->msg.id, "m1");
  auto someone_else = call<store::outcome<message_row>>(
      [&](auto done) { store_->get_sent_message("v:docs:v2", "k1", done); });
  EXPECT_EQ(someone_else.error(), store_errc::not_found);
}

TEST_F(StoreTest, MigratingToVersion3GivesOperatorsMessagesTheirOwnKeys) {
  {
    // A version-2 database where an operator's message was filed under the visitor's key.
    SQLite::Database raw(path_, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    ASSERT_TRUE(schema::migrate(raw, 2));
    raw.exec(
        "INSERT INTO conversations (id, site_id, owner_id, created_at, updated_at, last_seq)"
        " VALUES ('c1', 'docs', 'v:docs:v1', 1000, 1000, 2)");
    raw.exec(
        "INSERT INTO messages (id, conversation_id, role, text, status, seq, created_at,"
        " updated_at, owner_id, client_msg_id) VALUES"
        " ('m1', 'c1', 'user', 'hi', 'complete', 1, 1000, 1000, 'v:docs:v1', 'k1'),"
        " ('m2', 'c1', 'operator', 'Ana here', 'complete', 2, 1000, 1000, 'v:docs:v1', 'op-1')");
  }
  open();
  // The visitor's "op-1" is theirs now, and the operator's resend still finds its message.
  auto visitor = add(user_message("m3", "c1", 3, "op-1", "mine"), "v:docs:v1");
  ASSERT_TRUE(visitor.has_value());
  EXPECT_TRUE(visitor->inserted);
  message again = user_message("m4", "c1", 4, "op-1", "Ana here");
  again.author_role = role::operator_;
  auto resent = call<store::outcome<added_message>>(
      [&](auto done) { store_->add_operator_message(again, "docs", done); });
  ASSERT_TRUE(resent.has_value());
  EXPECT_FALSE(resent->inserted);
  EXPECT_EQ(resent->msg.id, "m2");
}

TEST_F(StoreTest, APageIsBoundedInBytesAndKeepsItsNewestMessages) {
  open();
  // The largest page a visitor can ask for: 200 messages of 32 KiB, some 6.5 MB.
  const std::string long_text(32 * 1024, 'x');
  ASSERT_TRUE(start("c1", "u1", user_message("m0", "", 1, "k0", long_text)));
  for (int i = 1; i < 200; ++i)
    ASSERT_TRUE(
        add(user_message("m" + std::to_string(i), "c1", i + 1, "k" + std::to_string(i), long_text),
            "u1"));
  auto newest = page("c1", std::nullopt, 200);
  ASSERT_TRUE(newest.has_value());
  EXPECT_TRUE(newest->has_more);
  EXPECT_GE(newest->messages.size(), 6u);
  EXPECT_LE(newest->messages.size() * long_text.size(), max_page_bytes);
  EXPECT_EQ(newest->messages.back().id, "m199");  // the newest stay; older ones are a page back
  auto older = page("c1", newest->messages.front().id, 200);
  ASSERT_TRUE(older.has_value());
  EXPECT_EQ(older->messages.back().seq, newest->messages.front().seq - 1);
  // A resume of all of it is more than a replay carries: the hub answers RESUME_GAP.
  auto replay = after("c1", 0, 500);
  ASSERT_TRUE(replay.has_value());
  EXPECT_TRUE(replay->has_more);
  EXPECT_LE(replay->messages.size() * long_text.size(), max_replay_bytes);
}

TEST_F(StoreTest, TheNewestMessageComesEvenWhenItAloneIsOverThePageBytes) {
  open();
  ASSERT_TRUE(start("c1", "u1", user_message("m1", "", 1, "k1")));
  ASSERT_FALSE(save(
      reply("r1", "c1", 2, message_status::complete, std::string(limits::max_reply_bytes, 'y'))));
  auto newest = page("c1", std::nullopt, 50);
  ASSERT_TRUE(newest.has_value());
  ASSERT_EQ(ids_of(newest->messages), std::vector<std::string>{"r1"});
  EXPECT_TRUE(newest->has_more);
}

TEST_F(StoreTest, OpenReportsAnUnusablePath) {
  auto o = options();
  const std::string path = (dir_ / "no" / "such" / "dir" / "x.db").string();
  o.path = path;
  auto opened = store::open(std::move(o));
  ASSERT_FALSE(opened.has_value());
  EXPECT_NE(opened.error().find(path), std::string::npos) << opened.error();
}

TEST_F(StoreTest, GetConversationReturnsItsOwnership) {
  open();
  ASSERT_TRUE(start("c1", "u1", user_message("m1", "", 1, "k1"), "docs"));
  auto row = get_conversation("c1");
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(row->site_id, "docs");
  EXPECT_EQ(row->owner_id, "u1");
  EXPECT_EQ(row->conv.agent, "support");
  EXPECT_EQ(row->conv.last_seq, 1);
  EXPECT_EQ(get_conversation("nope").error(), store_errc::not_found);
}

TEST_F(StoreTest, SavedAsksAreOpenUntilAnsweredAndSurviveAReopen) {
  open();
  ASSERT_TRUE(start("c1", "u1", user_message("m1", "", 1, "k1"), "docs"));
  const ask_frame free_text = question("q1", "c1", 3, {});
  const ask_frame plan = question("q2", "c1", 5);
  // Saved out of seq order: read back in seq order.
  EXPECT_FALSE(save_ask(plan));
  EXPECT_FALSE(save_ask(free_text));
  EXPECT_EQ(get_conversation("c1")->conv.last_seq, 5);  // an ask is an event with a seq
  EXPECT_EQ(save_ask(question("q1", "c1", 9)), store_errc::conflict);
  EXPECT_EQ(get_conversation("c1")->conv.last_seq, 5);  // the refused one raised nothing
  EXPECT_EQ(save_ask(question("q3", "nope", 1)), store_errc::not_found);
  EXPECT_EQ(with_asks("c1")->open_asks, (std::vector<ask_frame>{free_text, plan}));

  auto found = get_ask("q2");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->ask, plan);
  EXPECT_EQ(found->site_id, "docs");
  EXPECT_EQ(found->owner_id, "u1");
  EXPECT_FALSE(found->answered);
  EXPECT_EQ(get_ask("nope").error(), store_errc::not_found);

  EXPECT_FALSE(answer_ask("q1"));
  EXPECT_EQ(answer_ask("q1"), store_errc::conflict);
  EXPECT_EQ(answer_ask("nope"), store_errc::not_found);
  EXPECT_TRUE(get_ask("q1")->answered);
  EXPECT_EQ(count("SELECT answered_at FROM asks WHERE request_id = 'q1'"), now_.load());
  EXPECT_EQ(with_asks("c1")->open_asks, std::vector<ask_frame>{plan});

  reopen();
  EXPECT_EQ(with_asks("c1")->open_asks, std::vector<ask_frame>{plan});
  EXPECT_TRUE(get_ask("q1")->answered);
  EXPECT_EQ(get_ask("q2")->ask, plan);
  EXPECT_EQ(with_asks("nope").error(), store_errc::not_found);
}

TEST_F(StoreTest, HistoryPagesGoBackFromTheNewest) {
  open();
  ASSERT_TRUE(start("c1", "u1", user_message("m1", "", 1, "k1")));
  ASSERT_TRUE(add(user_message("m2", "c1", 2, "k2"), "u1"));
  ASSERT_FALSE(save(reply("m3", "c1", 3, message_status::complete, "answer")));
  ASSERT_TRUE(add(user_message("m4", "c1", 4, "k4"), "u1"));
  ASSERT_FALSE(save(reply("m5", "c1", 5, message_status::complete, "answer 2")));

  auto newest = page("c1", std::nullopt, 2);
  ASSERT_TRUE(newest.has_value());
  EXPECT_EQ(ids_of(newest->messages), (std::vector<std::string>{"m4", "m5"}));
  EXPECT_TRUE(newest->has_more);
  EXPECT_EQ(newest->last_seq, 5);

  auto older = page("c1", newest->messages.front().id, 2);
  ASSERT_TRUE(older.has_value());
  EXPECT_EQ(ids_of(older->messages), (std::vector<std::string>{"m2", "m3"}));
  EXPECT_TRUE(older->has_more);

  auto oldest = page("c1", older->messages.front().id, 2);
  ASSERT_TRUE(oldest.has_value());
  EXPECT_EQ(ids_of(oldest->messages), (std::vector<std::string>{"m1"}));
  EXPECT_FALSE(oldest->has_more);

  auto all = page("c1", std::nullopt, 50);
  ASSERT_TRUE(all.has_value());
  EXPECT_EQ(all->messages.size(), 5u);
  EXPECT_FALSE(all->has_more);

  EXPECT_EQ(page("c1", std::string("m999"), 2).error(), store_errc::not_found);
  EXPECT_EQ(page("nope", std::nullopt, 2).error(), store_errc::not_found);
}

TEST_F(StoreTest, HistoryFollowsCreationOrderEvenWhenTimestampsTie) {
  open();
  ASSERT_TRUE(start("c1", "u1", user_message("zz", "", 1, "k1")));
  auto second = reply("aa", "c1", 2, message_status::complete, "x");
  second.created_at = 1001;  // same as the first
  ASSERT_FALSE(save(second));
  auto newest = page("c1", std::nullopt, 10);
  ASSERT_TRUE(newest.has_value());
  EXPECT_EQ(ids_of(newest->messages), (std::vector<std::string>{"zz", "aa"}));
}

TEST_F(StoreTest, ConversationListsAreNewestFirstPerOwnerOrSite) {
  open();
  for (int i = 1; i <= 3; ++i) {
    now_ = 1'700'000'000'000 + i * 1000;
    const std::string id = "c" + std::to_string(i);
    ASSERT_TRUE(start(id, "u1", user_message("m" + std::to_string(i), "", 1, id)));
  }
  ASSERT_TRUE(start("other_owner", "u2", user_message("mx", "", 1, "kx")));
  ASSERT_TRUE(start("other_site", "u1", user_message("my", "", 1, "ky"), "shop"));
  // Activity moves a conversation to the top.
  now_ = 1'700'000'100'000;
  ASSERT_TRUE(add(user_message("m1b", "c1", 2, "k1b"), "u1"));

  auto first = conversations("docs", std::string("u1"), 2, std::nullopt);
  ASSERT_TRUE(first.has_value());
  ASSERT_EQ(first->conversations.size(), 2u);
  EXPECT_EQ(first->conversations[0].conv.id, "c1");
  EXPECT_EQ(first->conversations[1].conv.id, "c3");
  EXPECT_TRUE(first->has_more);
  ASSERT_TRUE(first->next.has_value());

  auto second = conversations("docs", std::string("u1"), 2, first->next);
  ASSERT_TRUE(second.has_value());
  ASSERT_EQ(second->conversations.size(), 1u);
  EXPECT_EQ(second->conversations[0].conv.id, "c2");
  EXPECT_FALSE(second->has_more);
  EXPECT_FALSE(second->next.has_value());

  auto site = conversations("docs", std::nullopt, 50, std::nullopt);
  ASSERT_TRUE(site.has_value());
  EXPECT_EQ(site->conversations.size(), 4u);
  for (const auto& row : site->conversations)
    EXPECT_EQ(row.site_id, "docs");
}

TEST_F(StoreTest, AResentClientMsgIdIsStoredOnce) {
  open();
  auto first = start("c1", "u1", user_message("m1", "", 1, "k1", "start"));
  ASSERT_TRUE(first.has_value());
  EXPECT_TRUE(first->inserted);

  auto added = add(user_message("m2", "c1", 2, "k2", "again"), "u1");
  ASSERT_TRUE(added.has_value());
  EXPECT_TRUE(added->inserted);
  EXPECT_EQ(added->conv.last_seq, 2);

  // The resend gets a fresh id and seq from the hub; the store answers with the original.
  auto resent = add(user_message("m2_retry", "c1", 3, "k2", "again"), "u1");
  ASSERT_TRUE(resent.has_value());
  EXPECT_FALSE(resent->inserted);
  EXPECT_EQ(resent->msg, added->msg);
  EXPECT_EQ(resent->conv.last_seq, 2);  // nothing was written
  EXPECT_EQ(count("SELECT count(*) FROM messages WHERE client_msg_id = 'k2'"), 1);

  // A resent conversation-starting message creates no second conversation.
  auto restarted = start("c1_retry", "u1", user_message("m1_retry", "", 1, "k1", "start"));
  ASSERT_TRUE(restarted.has_value());
  EXPECT_FALSE(restarted->inserted);
  EXPECT_EQ(restarted->msg.id, "m1");
  EXPECT_EQ(restarted->conv.id, "c1");
  EXPECT_EQ(count("SELECT count(*) FROM conversations"), 1);

  // client_msg_id is unique per identity, not globally.
  auto other = start("c2", "u2", user_message("m3", "", 1, "k2"));
  ASSERT_TRUE(other.has_value());
  EXPECT_TRUE(other->inserted);
}

TEST_F(StoreTest, AddUserMessageOnlyIntoTheOwnersConversation) {
  open();
  ASSERT_TRUE(start("c1", "u1", user_message("m1", "", 1, "k1")));
  EXPECT_EQ(add(user_message("m2", "c1", 2, "k2"), "intruder").error(), store_errc::not_found);
  EXPECT_EQ(add(user_message("m3", "missing", 2, "k3"), "u1").error(), store_errc::not_found);
  EXPECT_EQ(count("SELECT count(*) FROM messages"), 1);
  EXPECT_EQ(get_conversation("c1")->conv.last_seq, 1);
}

TEST_F(StoreTest, SaveMessageUpsertsAndRaisesLastSeq) {
  open();
  ASSERT_TRUE(start("c1", "u1", user_message("m1", "", 1, "k1")));
  EXPECT_FALSE(save(reply("r1", "c1", 2, message_status::streaming, "")));
  EXPECT_EQ(get_conversation("c1")->conv.last_seq, 2);

  now_ += 5000;
  EXPECT_FALSE(save(reply("r1", "c1", 40, message_status::streaming, "Open Settings, ")));
  auto streaming = get_conversation("c1");
  EXPECT_EQ(streaming->conv.last_seq, 40);
  EXPECT_EQ(streaming->conv.updated_at, now_.load());

  auto done = reply("r1", "c1", 45, message_status::complete, "Open Settings, then Security.");
  done.created_at = 1002;  // as first saved: created_at never changes
  done.buttons = {{"yes", "Helpful"}, {"no", "Not helpful"}};
  ASSERT_FALSE(call<error_code>([&](auto cb) {
    store_->save_message(done, usage{412, 11, 423}, cb);
  }));
  EXPECT_EQ(count("SELECT count(*) FROM messages WHERE id = 'r1'"), 1);
  auto stored = get_message("r1");
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->msg, done);
  EXPECT_EQ(stored->tokens, (usage{412, 11, 423}));
  EXPECT_EQ(stored->owner_id, "u1");
  EXPECT_EQ(get_conversation("c1")->conv.last_seq, 45);

  // A later save without usage keeps the recorded usage.
  auto edited = done;
  edited.seq = 46;
  edited.text = "Edited.";
  ASSERT_FALSE(save(edited));
  EXPECT_EQ(get_message("r1")->tokens, (usage{412, 11, 423}));

  // Saves never go back in seq, and a deleted conversation takes no more saves.
  EXPECT_EQ(save(reply("r1", "c1", 44, message_status::streaming, "old")), store_errc::conflict);
  EXPECT_EQ(get_message("r1")->msg.text, "Edited.");
  EXPECT_EQ(get_conversation("c1")->conv.last_seq, 46);
  EXPECT_EQ(save(reply("r2", "gone", 50, message_status::streaming, "")), store_errc::not_found);
  ASSERT_TRUE(start("c2", "u1", user_message("m2", "", 1, "k2")));
  EXPECT_EQ(save(reply("r1", "c2", 50, message_status::complete, "moved")), store_errc::conflict);
  EXPECT_EQ(get_message("r1")->msg.conversation_id, "c1");
  EXPECT_EQ(get_conversation("c2")->conv.last_seq, 1);
}

TEST_F(StoreTest, MessagesAfterIsWhatAResumingClientMissed) {
  open();
  ASSERT_TRUE(start("c1", "u1", user_message("m1", "", 1, "k1")));
  ASSERT_FALSE(save(reply("r1", "c1", 5, message_status::complete, "first")));
  ASSERT_TRUE(add(user_message("m2", "c1", 6, "k2"), "u1"));
  ASSERT_FALSE(save(reply("r2", "c1", 9, message_status::streaming, "par")));
  // An old message edited later moves after the ones it now follows in seq.
  ASSERT_FALSE(save(reply("r1", "c1", 10, message_status::complete, "first, edited")));

  auto missed = after("c1", 5, 10);
  ASSERT_TRUE(missed.has_value());
  EXPECT_EQ(ids_of(missed->messages), (std::vector<std::string>{"m2", "r2", "r1"}));
  EXPECT_FALSE(missed->has_more);
  EXPECT_EQ(missed->last_seq, 10);

  auto too_many = after("c1", 0, 2);
  ASSERT_TRUE(too_many.has_value());
  EXPECT_EQ(too_many->messages.size(), 2u);
  EXPECT_TRUE(too_many->has_more);

  EXPECT_TRUE(after("c1", 10, 10)->messages.empty());
  EXPECT_EQ(after("nope", 0, 10).error(), store_errc::not_found);
}

TEST_F(StoreTest, ReadsSeeEveryEarlierWriteWithoutWaiting) {
  open();
  store_->create_conversation(make_conversation("c1", now_), "docs", "u1");
  store_->save_message(reply("r1", "c1", 3, message_status::streaming, "partial"));
  auto row = get_message("r1");  // queued behind the writes, not waited for separately
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(row->msg.text, "partial");
}

TEST_F(StoreTest, CreateConversationRefusesATakenId) {
  open();
  auto create = [&](const std::string& owner) {
    return call<error_code>([&](auto done) {
      store_->create_conversation(make_conversation("c1", now_), "docs", owner, done);
    });
  };
  EXPECT_FALSE(create("u1"));
  EXPECT_EQ(create("u2"), store_errc::conflict);
  EXPECT_EQ(get_conversation("c1")->owner_id, "u1");
}

TEST_F(StoreTest, AThousandWritesCommitInAFewTransactionsAndAckAfterCommit) {
  auto o = options();
  o.commit_interval = std::chrono::milliseconds(50);  // a generous tick, so the count is stable
  open(std::move(o));
  ASSERT_TRUE(start("c1", "u1", user_message("m0", "", 1, "k0")));
  const auto before = store_->stats();

  // Another connection: what it sees in a callback is committed, not just written.
  SQLite::Database observer(path_, SQLite::OPEN_READONLY);
  SQLite::Statement visible(observer, "SELECT count(*) FROM messages WHERE id = ?1");
  const auto test_thread = std::this_thread::get_id();
  std::atomic<int> acked{0}, unseen{0}, failed{0}, on_caller_thread{0};

  constexpr int writes = 1000;
  for (int i = 1; i <= writes; ++i) {
    const std::string id = "w" + std::to_string(i);
    auto m = user_message(id, "c1", 1 + i, "client_" + id);
    store_->add_user_message(m, "u1", [&, id](store::outcome<added_message> result) {
      if (!result || !result->inserted) ++failed;
      if (std::this_thread::get_id() == test_thread) ++on_caller_thread;
      visible.reset();
      visible.bind(1, id);
      if (!visible.executeStep() || visible.getColumn(0).getInt() != 1) ++unseen;
      visible.reset();
      ++acked;
    });
  }
  flush();

  EXPECT_EQ(acked, writes);
  EXPECT_EQ(failed, 0);
  EXPECT_EQ(unseen, 0) << "a callback ran before its write was committed";
  EXPECT_EQ(on_caller_thread, 0);
  const auto after_stats = store_->stats();
  const auto commits = after_stats.commits - before.commits;
  EXPECT_GE(commits, 2u);  // max_batch is 512
  EXPECT_LE(commits, 10u) << "group commit should batch 1000 writes";
  EXPECT_GE(after_stats.requests - before.requests, std::uint64_t{writes});
  std::uint64_t in_buckets = 0;
  for (auto n : after_stats.commit_latency)
    in_buckets += n;
  EXPECT_EQ(in_buckets, after_stats.commits);
  EXPECT_EQ(after_stats.failed_commits, 0u);
  EXPECT_EQ(get_conversation("c1")->conv.last_seq, 1 + writes);
}

TEST_F(StoreTest, AFailedRequestLeavesTheRestOfItsBatchCommitted) {
  auto o = options();
  o.commit_interval = std::chrono::milliseconds(50);  // all of the below in one transaction
  open(std::move(o));
  ASSERT_TRUE(start("c1", "u1", user_message("m1", "", 1, "k1")));
  const auto commits_before = store_->stats().commits;

  std::promise<error_code> good_a, good_b;
  std::promise<store::outcome<added_message>> taken_id;
  store_->save_message(reply("a", "c1", 2, message_status::complete, "a"),
                       [&](error_code ec) { good_a.set_value(ec); });
  // Same message id as m1: the insert hits the unique constraint after the conversation's
  // last_seq was already raised to 99, which must be undone with it.
  store_->add_user_message(user_message("m1", "c1", 99, "k_new"), "u1",
                           [&](auto r) { taken_id.set_value(std::move(r)); });
  store_->save_message(reply("b", "c1", 3, message_status::complete, "b"),
                       [&](error_code ec) { good_b.set_value(ec); });

  EXPECT_FALSE(good_a.get_future().get());
  EXPECT_EQ(taken_id.get_future().get().error(), store_errc::conflict);
  EXPECT_FALSE(good_b.get_future().get());
  EXPECT_EQ(store_->stats().commits - commits_before, 1u);
  EXPECT_EQ(count("SELECT count(*) FROM messages WHERE id IN ('a', 'b')"), 2);
  EXPECT_EQ(get_conversation("c1")->conv.last_seq, 3);
}

TEST_F(StoreTest, RestartInterruptsStreamingRepliesAboveEverySentSeq) {
  open();
  ASSERT_TRUE(start("c1", "u1", user_message("m1", "", 1, "k1")));
  ASSERT_FALSE(save(reply("r1", "c1", 3, message_status::streaming, "Open Set")));
  ASSERT_TRUE(start("quiet", "u1", user_message("q1", "", 1, "kq")));
  ASSERT_FALSE(save(reply("q2", "quiet", 2, message_status::complete, "done")));
  const auto old_last_seq = get_conversation("c1")->conv.last_seq;
  ASSERT_EQ(old_last_seq, 3);

  now_ += 60'000;
  reopen();
  auto interrupted = get_message("r1");
  ASSERT_TRUE(interrupted.has_value());
  EXPECT_EQ(interrupted->msg.status, message_status::interrupted);
  EXPECT_EQ(interrupted->msg.text, "Open Set");
  EXPECT_EQ(interrupted->msg.seq, old_last_seq + unsaved_seq_margin);
  auto conv = get_conversation("c1");
  EXPECT_EQ(conv->conv.last_seq, interrupted->msg.seq);
  EXPECT_EQ(conv->conv.updated_at, now_.load());
  // A client that saw deltas up to old_last_seq + margin - 1 still gets the final state.
  auto missed = after("c1", old_last_seq + unsaved_seq_margin - 1, 10);
  EXPECT_EQ(ids_of(missed->messages), (std::vector<std::string>{"r1"}));
  // After a clean shutdown, a conversation with nothing in flight keeps its seq.
  EXPECT_EQ(get_conversation("quiet")->conv.last_seq, 2);

  // Recovery is done once: a second restart changes nothing.
  reopen();
  EXPECT_EQ(get_message("r1")->msg.seq, old_last_seq + unsaved_seq_margin);
  EXPECT_EQ(get_conversation("c1")->conv.last_seq, old_last_seq + unsaved_seq_margin);
}

TEST_F(StoreTest, TwoStreamingRepliesInOneConversationGetDistinctSeqs) {
  open();
  ASSERT_TRUE(start("c1", "u1", user_message("m1", "", 1, "k1")));
  ASSERT_FALSE(save(reply("r1", "c1", 2, message_status::streaming, "a")));
  ASSERT_FALSE(save(reply("r2", "c1", 3, message_status::streaming, "b")));
  reopen();
  const auto s1 = get_message("r1")->msg.seq;
  const auto s2 = get_message("r2")->msg.seq;
  EXPECT_EQ(s1, 3 + unsaved_seq_margin);
  EXPECT_EQ(s2, s1 + 1);
  EXPECT_EQ(get_conversation("c1")->conv.last_seq, s2);
}

TEST_F(StoreTest, AfterACrashEveryConversationsSeqIsRaised) {
  // The child process opens the store, writes, and dies without shutting down.
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto opened = store::open(options());
    if (!opened) ::_exit(2);
    store_ = std::move(*opened);
    if (!start("c1", "u1", user_message("m1", "", 1, "k1"))) ::_exit(3);
    if (!start("c2", "u1", user_message("m2", "", 7, "k2"))) ::_exit(3);
    if (save(reply("r2", "c2", 8, message_status::streaming, "x"))) ::_exit(4);
    ::_exit(0);  // no destructor: the shutdown is not recorded as clean
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);

  open();
  EXPECT_EQ(get_conversation("c1")->conv.last_seq, 1 + unsaved_seq_margin);
  // Raised once, not twice, where a reply was also streaming.
  EXPECT_EQ(get_conversation("c2")->conv.last_seq, 8 + unsaved_seq_margin);
  EXPECT_EQ(get_message("r2")->msg.status, message_status::interrupted);
  std::lock_guard lock(log_mutex_);
  ASSERT_FALSE(log_.empty());
  EXPECT_NE(log_.front().find("did not shut down cleanly"), std::string::npos) << log_.front();
}

TEST_F(StoreTest, FeedbackIsOnePerMessageAndOwnerAndTheLatestWins) {
  open();
  ASSERT_TRUE(start("c1", "u1", user_message("m1", "", 1, "k1")));
  ASSERT_FALSE(save(reply("r1", "c1", 2, message_status::complete, "answer")));

  EXPECT_FALSE(feedback("r1", "u1", 1));
  EXPECT_EQ(get_message("r1")->msg.rating, 1);
  EXPECT_FALSE(feedback("r1", "u1", -1, "The link in step 2 is broken."));
  EXPECT_EQ(count("SELECT count(*) FROM feedback"), 1);
  EXPECT_EQ(count("SELECT rating FROM feedback WHERE message_id = 'r1'"), -1);
  SQLite::Database raw(path_, SQLite::OPEN_READONLY);
  EXPECT_EQ(raw.execAndGet("SELECT comment FROM feedback").getString(),
            "The link in step 2 is broken.");

  auto history = page("c1", std::nullopt, 10);
  ASSERT_TRUE(history.has_value());
  ASSERT_EQ(history->messages.size(), 2u);
  EXPECT_FALSE(history->messages[0].rating.has_value());
  EXPECT_EQ(history->messages[1].rating, -1);

  // Someone else's message is not found, exactly like a missing one.
  EXPECT_EQ(feedback("r1", "intruder", 1), store_errc::not_found);
  EXPECT_EQ(feedback("missing", "u1", 1), store_errc::not_found);
  EXPECT_EQ(feedback("r1", "u1", 0), store_errc::conflict);
  EXPECT_EQ(count("SELECT count(*) FROM feedback"), 1);
}

TEST_F(StoreTest, DeletingAConversationDeletesItsMessagesFeedbackAndAsks) {
  open();
  ASSERT_TRUE(start("c1", "u1", user_message("m1", "", 1, "k1")));
  ASSERT_FALSE(save(reply("r1", "c1", 2, message_status::complete, "answer")));
  ASSERT_FALSE(feedback("r1", "u1", 1));
  ASSERT_FALSE(save_ask(question("q1", "c1", 3)));
  ASSERT_FALSE(save_ask(question("q2", "c1", 4)));
  ASSERT_FALSE(answer_ask("q2"));
  ASSERT_TRUE(start("c2", "u1", user_message("m2", "", 1, "k2")));
  ASSERT_FALSE(save_ask(question("q3", "c2", 2)));

  EXPECT_EQ(remove("c1", std::string("intruder")), store_errc::not_found);
  EXPECT_TRUE(get_conversation("c1").has_value());
  EXPECT_FALSE(remove("c1", std::string("u1")));
  EXPECT_EQ(get_conversation("c1").error(), store_errc::not_found);
  EXPECT_EQ(count("SELECT count(*) FROM messages WHERE conversation_id = 'c1'"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM feedback"), 0);
  EXPECT_EQ(get_message("r1").error(), store_errc::not_found);
  EXPECT_EQ(count("SELECT count(*) FROM asks WHERE conversation_id = 'c1'"), 0);
  EXPECT_EQ(get_ask("q1").error(), store_errc::not_found);
  EXPECT_EQ(get_ask("q3")->ask.conversation_id, "c2");
  EXPECT_EQ(remove("c1", std::nullopt), store_errc::not_found);
  EXPECT_EQ(page("c2", std::nullopt, 10)->messages.size(), 1u);
  // The client_msg_id of a deleted message may be used again.
  EXPECT_TRUE(start("c3", "u1", user_message("m3", "", 1, "k1"))->inserted);
}

TEST_F(StoreTest, EverythingSurvivesAReopen) {
  open();
  auto first = user_message("m1", "", 1, "k1", "How do I reset my password?");
  first.attachments = {{"f1", "screen.png", "image/png", 12345, "/files/f1"}};
  first.metadata = *canonical_json_object(R"({"page":"/pricing","n":[1,2]})");
  auto started = start("c1", "u1", first);
  ASSERT_TRUE(started.has_value());
  auto answer = reply("r1", "c1", 5, message_status::complete, "Open Settings.");
  answer.author = "Dana";
  answer.author_role = role::operator_;
  answer.buttons = {{"ok", "Thanks"}};
  ASSERT_FALSE(save(answer));
  ASSERT_FALSE(feedback("r1", "u1", 1));
  store_->touch_visitor("u1", "docs");
  flush();

  reopen();
  auto history = page("c1", std::nullopt, 10);
  ASSERT_TRUE(history.has_value());
  ASSERT_EQ(history->messages.size(), 2u);
  EXPECT_EQ(history->messages[0], started->msg);
  EXPECT_EQ(history->messages[0].attachments, first.attachments);
  EXPECT_EQ(history->messages[0].metadata, first.metadata);
  answer.rating = 1;
  EXPECT_EQ(history->messages[1], answer);
  EXPECT_EQ(history->last_seq, 5);
  EXPECT_EQ(get_conversation("c1")->owner_id, "u1");
  EXPECT_EQ(count("SELECT count(*) FROM visitors WHERE id = 'u1' AND site_id = 'docs'"), 1);
}

TEST_F(StoreTest, TouchVisitorKeepsTheFirstSightingAndTheLatest) {
  open();
  const auto first_seen = now_.load();
  store_->touch_visitor("u1", "docs");
  flush();  // "now" is read when the request runs
  now_ += 10'000;
  store_->touch_visitor("u1", "docs");
  flush();
  EXPECT_EQ(count("SELECT created_at FROM visitors WHERE id = 'u1'"), first_seen);
  EXPECT_EQ(count("SELECT last_seen_at FROM visitors WHERE id = 'u1'"), now_.load());
}

TEST_F(StoreTest, DestroyingTheStoreRunsWhatIsQueued) {
  open();
  ASSERT_TRUE(start("c1", "u1", user_message("m1", "", 1, "k1")));
  std::atomic<int> acked{0};
  for (int i = 0; i < 100; ++i)
    store_->save_message(reply("r" + std::to_string(i), "c1", 2 + i, message_status::complete, "x"),
                         [&](error_code ec) {
                           if (!ec) ++acked;
                         });
  store_.reset();
  EXPECT_EQ(acked, 100);
  EXPECT_EQ(count("SELECT count(*) FROM messages"), 101);
}

}  // namespace
}  // namespace palaver::server
