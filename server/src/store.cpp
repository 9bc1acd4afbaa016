// The store: the SQLite connection, its prepared statements, and the one thread that runs
// every request against them (group commit). The connection is touched by open() on the
// caller's thread until the store's thread starts, and by that thread only afterwards.
//
// Sections: error category · row codecs · the connection · requests (SQL) · start-up
// (open, recovery) · the request API · the store's thread (batches, commit, callbacks).
#include "store.hpp"

#include <SQLiteCpp/SQLiteCpp.h>
#include <algorithm>
#include <cstdio>
#include <exception>
#include <limits>
#include <sqlite3.h>
#include <stdexcept>
#include <utility>

#include "palaver/codec.hpp"

#include <boost/json.hpp>

#include "store_schema.hpp"

namespace palaver::server {

// ---- Error category ----

namespace {

class store_category_impl final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "palaver.store"; }
  std::string message(int value) const override {
    switch (static_cast<store_errc>(value)) {
      case store_errc::not_found:
        return "no such conversation or message for this owner";
      case store_errc::conflict:
        return "conflicts with what is stored";
      case store_errc::failed:
        return "the database failed";
    }
    return "unknown store error";
  }
};

}  // namespace

const boost::system::error_category& store_category() noexcept {
  static const store_category_impl category;
  return category;
}

boost::system::error_code make_error_code(store_errc e) noexcept {
  return {static_cast<int>(e), store_category()};
}

namespace {

using boost::system::error_code;

// Another process (a backup, the sqlite3 shell) may hold the write lock for a moment.
constexpr int busy_timeout_ms = 5000;

timestamp_ms system_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// ---- Row codecs: model values to and from columns ----
//
// Metadata is stored as the codec's canonical text. Buttons and attachments are stored as JSON
// arrays with the protocol's field names, so a row reads like the wire form; the codec has no
// public encoder for them alone, and this storage form is private to the store.

std::string buttons_json(const std::vector<button>& buttons) {
  if (buttons.empty()) return "[]";
  boost::json::array array;
  array.reserve(buttons.size());
  for (const button& b : buttons)
    array.push_back(boost::json::object{{"id", b.id}, {"label", b.label}});
  return boost::json::serialize(array);
}

std::string attachments_json(const std::vector<attachment>& attachments) {
  if (attachments.empty()) return "[]";
  boost::json::array array;
  array.reserve(attachments.size());
  for (const attachment& a : attachments)
    array.push_back(boost::json::object{{"id", a.id},
                                        {"name", a.name},
                                        {"mime_type", a.mime_type},
                                        {"size", a.size},
                                        {"url", a.url}});
  return boost::json::serialize(array);
}

std::string strings_json(const std::vector<std::string>& strings) {
  if (strings.empty()) return "[]";
  boost::json::array array(strings.begin(), strings.end());
  return boost::json::serialize(array);
}

std::string string_field(const boost::json::object& object, std::string_view key) {
  return std::string(object.at(key).as_string());
}

// Throws on a malformed column: the request fails rather than return half a message.
std::vector<button> buttons_from_json(const std::string& text) {
  std::vector<button> buttons;
  if (text.empty() || text == "[]") return buttons;
  const boost::json::value parsed = boost::json::parse(text);  // outlives the loop
  for (const boost::json::value& v : parsed.as_array()) {
    const auto& o = v.as_object();
    buttons.push_back({string_field(o, "id"), string_field(o, "label")});
  }
  return buttons;
}

std::vector<std::string> strings_from_json(const std::string& text) {
  std::vector<std::string> strings;
  if (text.empty() || text == "[]") return strings;
  const boost::json::value parsed = boost::json::parse(text);  // outlives the loop
  for (const boost::json::value& v : parsed.as_array())
    strings.emplace_back(v.as_string());
  return strings;
}

std::vector<attachment> attachments_from_json(const std::string& text) {
  std::vector<attachment> attachments;
  if (text.empty() || text == "[]") return attachments;
  const boost::json::value parsed = boost::json::parse(text);  // outlives the loop
  for (const boost::json::value& v : parsed.as_array()) {
    const auto& o = v.as_object();
    attachments.push_back({string_field(o, "id"), string_field(o, "name"),
                           string_field(o, "mime_type"), o.at("size").to_number<std::int64_t>(),
                           string_field(o, "url")});
  }
  return attachments;
}

std::optional<std::string> non_empty(const std::string& text) {
  if (text.empty()) return std::nullopt;
  return text;
}

void bind_value(SQLite::Statement& s, int i, std::int64_t v) {
  s.bind(i, v);
}
void bind_value(SQLite::Statement& s, int i, int v) {
  s.bind(i, v);
}
void bind_value(SQLite::Statement& s, int i, const std::string& v) {
  s.bind(i, v);
}
void bind_value(SQLite::Statement& s, int i, std::string_view v) {
  s.bind(i, std::string(v));
}
void bind_value(SQLite::Statement& s, int i, std::nullopt_t) {
  s.bind(i);
}
template <class T>
void bind_value(SQLite::Statement& s, int i, const std::optional<T>& v) {
  if (v)
    bind_value(s, i, *v);
  else
    s.bind(i);
}

// Binds ?1, ?2, … in order. Every use binds every parameter, so no stale value survives.
template <class... Args>
void bind_all(SQLite::Statement& s, const Args&... args) {
  int i = 0;
  (bind_value(s, ++i, args), ...);
}

// A cached statement for the length of one request: reset afterwards, so that it holds no
// read snapshot between requests (which would stall WAL checkpoints) and can be bound afresh.
class in_use {
 public:
  explicit in_use(SQLite::Statement& s) : s_(s) { s_.tryReset(); }
  ~in_use() { s_.tryReset(); }
  in_use(const in_use&) = delete;
  in_use& operator=(const in_use&) = delete;
  SQLite::Statement* operator->() { return &s_; }
  SQLite::Statement& operator*() { return s_; }

 private:
  SQLite::Statement& s_;
};

// The column lists the readers below expect, in this order.
constexpr const char* conversation_columns =
    "id, title, agent, created_at, updated_at, last_seq, site_id, owner_id";
constexpr const char* message_select =
    "SELECT m.id, m.conversation_id, m.role, m.text, m.status, m.seq, m.created_at, m.buttons,"
    " m.attachments, m.metadata, m.client_msg_id, m.author, f.rating, m.prompt_tokens,"
    " m.completion_tokens, m.total_tokens, c.site_id, c.owner_id"
    " FROM messages m JOIN conversations c ON c.id = m.conversation_id"
    " LEFT JOIN feedback f ON f.message_id = m.id AND f.owner_id = c.owner_id ";

constexpr const char* ask_select =
    "SELECT a.request_id, a.conversation_id, a.seq, a.question, a.choices,"
    " a.answered_at IS NOT NULL, c.site_id, c.owner_id"
    " FROM asks a JOIN conversations c ON c.id = a.conversation_id ";

conversation_row read_conversation(const SQLite::Statement& s) {
  conversation_row row;
  row.conv.id = s.getColumn(0).getString();
  row.conv.title = s.getColumn(1).getString();
  row.conv.agent = s.getColumn(2).getString();
  row.conv.created_at = s.getColumn(3).getInt64();
  row.conv.updated_at = s.getColumn(4).getInt64();
  row.conv.last_seq = s.getColumn(5).getInt64();
  row.site_id = s.getColumn(6).getString();
  row.owner_id = s.getColumn(7).getString();
  return row;
}

message_row read_message(const SQLite::Statement& s) {
  message_row row;
  message& m = row.msg;
  m.id = s.getColumn(0).getString();
  m.conversation_id = s.getColumn(1).getString();
  const auto role_name = s.getColumn(2).getString();
  const auto r = role_from_string(role_name);
  if (!r) throw std::runtime_error("message " + m.id + ": unknown role '" + role_name + "'");
  m.author_role = *r;
  m.text = s.getColumn(3).getString();
  const auto status_name = s.getColumn(4).getString();
  const auto status = message_status_from_string(status_name);
  if (!status)
    throw std::runtime_error("message " + m.id + ": unknown status '" + status_name + "'");
  m.status = *status;
  m.seq = s.getColumn(5).getInt64();
  m.created_at = s.getColumn(6).getInt64();
  m.buttons = buttons_from_json(s.getColumn(7).getString());
  m.attachments = attachments_from_json(s.getColumn(8).getString());
  if (const auto metadata = s.getColumn(9).getString(); !metadata.empty()) {
    auto canonical = canonical_json_object(metadata);
    if (!canonical) throw std::runtime_error("message " + m.id + ": bad metadata");
    m.metadata = std::move(*canonical);
  }
  m.client_msg_id = s.getColumn(10).getString();  // NULL reads as ""
  m.author = s.getColumn(11).getString();
  if (!s.isColumnNull(12)) m.rating = s.getColumn(12).getInt();
  if (!s.isColumnNull(15))
    row.tokens =
        usage{s.getColumn(13).getInt64(), s.getColumn(14).getInt64(), s.getColumn(15).getInt64()};
  row.site_id = s.getColumn(16).getString();
  row.owner_id = s.getColumn(17).getString();
  return row;
}

ask_row read_ask(const SQLite::Statement& s) {
  ask_row row;
  row.ask.request_id = s.getColumn(0).getString();
  row.ask.conversation_id = s.getColumn(1).getString();
  row.ask.seq = s.getColumn(2).getInt64();
  row.ask.question = s.getColumn(3).getString();
  row.ask.choices = strings_from_json(s.getColumn(4).getString());
  row.answered = s.getColumn(5).getInt() != 0;
  row.site_id = s.getColumn(6).getString();
  row.owner_id = s.getColumn(7).getString();
  return row;
}

std::size_t clamp_page(std::size_t limit) {
  return std::clamp<std::size_t>(limit, 1, max_page_rows);
}

// About what a message row weighs once sent: its text, metadata, buttons and attachments as
// stored (columns 3, 7, 8, 9 of message_select), and a fixed part for its ids and numbers.
std::size_t message_bytes(const SQLite::Statement& s) {
  constexpr std::size_t fixed = 256;
  std::size_t bytes = fixed;
  for (const int column : {3, 7, 8, 9})
    bytes += static_cast<std::size_t>(s.getColumn(column).getBytes());
  return bytes;
}

// Reads the messages `q` steps through into `out`, at most `limit` of them and within
// `max_bytes` (but always the first): true if more were left unread.
bool read_messages(SQLite::Statement& q, std::size_t limit, std::size_t max_bytes,
                   std::vector<message>& out) {
  std::size_t bytes = 0;
  while (q.executeStep()) {
    bytes += message_bytes(q);
    if (out.size() == limit || (!out.empty() && bytes > max_bytes)) return true;
    out.push_back(read_message(q).msg);
  }
  return false;
}

// LIMIT takes an int64; one extra row tells whether there are more.
std::int64_t limit_plus_one(std::size_t limit) {
  constexpr auto most = static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max() - 1);
  return static_cast<std::int64_t>(std::min(limit, most)) + 1;
}

// ---- The connection ----

// Opens and configures the database and brings its schema up to date; throws with a reason.
SQLite::Database open_database(const std::string& path) {
  // NOMUTEX: one thread at a time uses the connection (open(), then the store's thread).
  SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_NOMUTEX,
                      busy_timeout_ms);
  // WAL: readers (a backup, the sqlite3 shell) never block the writer. synchronous=FULL:
  // COMMIT returns only once the WAL is on disk, which is what an ack promises.
  const std::string mode = db.execAndGet("PRAGMA journal_mode = WAL").getString();
  if (mode != "wal") throw std::runtime_error("cannot use WAL journal mode (got '" + mode + "')");
  db.exec("PRAGMA synchronous = FULL");
  db.exec("PRAGMA foreign_keys = ON");
  if (db.execAndGet("PRAGMA foreign_keys").getInt() != 1)
    throw std::runtime_error("this SQLite does not enforce foreign keys");
  if (auto migrated = schema::migrate(db); !migrated) throw std::runtime_error(migrated.error());
  return db;
}

// The connection and every statement the requests use, prepared once. Declared after `db`,
// the statements are finalized before the connection closes.
struct database {
  database(const std::string& path, std::function<timestamp_ms()> clock)
      : db(open_database(path)), now(std::move(clock)) {}

  SQLite::Database db;
  std::function<timestamp_ms()> now;

  SQLite::Statement begin{db, "BEGIN IMMEDIATE"};
  SQLite::Statement commit{db, "COMMIT"};
  SQLite::Statement rollback{db, "ROLLBACK"};
  // Each write request runs inside a savepoint, so one failing request is undone alone and
  // the rest of its batch still commits.
  SQLite::Statement savepoint{db, "SAVEPOINT request"};
  SQLite::Statement release{db, "RELEASE request"};
  SQLite::Statement rollback_to{db, "ROLLBACK TO request"};

  SQLite::Statement insert_conversation{
      db,
      "INSERT INTO conversations (id, site_id, owner_id, title, agent, created_at, updated_at,"
      " last_seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (id) DO NOTHING"};
  SQLite::Statement select_conversation{
      db, std::string("SELECT ") + conversation_columns + " FROM conversations WHERE id = ?1"};
  SQLite::Statement bump_conversation{
      db,
      "UPDATE conversations SET last_seq = max(last_seq, ?2), updated_at = max(updated_at, ?3)"
      " WHERE id = ?1"};
  SQLite::Statement delete_conversation{
      db, "DELETE FROM conversations WHERE id = ?1 AND (?2 IS NULL OR owner_id = ?2)"};
  // Keyset pagination on (updated_at, id): stable while conversations keep changing.
  SQLite::Statement owner_conversations{
      db, std::string("SELECT ") + conversation_columns +
              " FROM conversations WHERE site_id = ?1 AND owner_id = ?2"
              " AND (updated_at, id) < (?3, ?4) ORDER BY updated_at DESC, id DESC LIMIT ?5"};
  SQLite::Statement site_conversations{
      db, std::string("SELECT ") + conversation_columns +
              " FROM conversations WHERE site_id = ?1"
              " AND (updated_at, id) < (?2, ?3) ORDER BY updated_at DESC, id DESC LIMIT ?4"};

  SQLite::Statement message_by_id{db, std::string(message_select) + "WHERE m.id = ?1"};
  SQLite::Statement message_by_client_id{
      db, std::string(message_select) + "WHERE m.owner_id = ?1 AND m.client_msg_id = ?2"};
  SQLite::Statement message_ord{db,
                                "SELECT ord FROM messages WHERE id = ?1 AND conversation_id = ?2"};
  SQLite::Statement message_page{
      db, std::string(message_select) +
              "WHERE m.conversation_id = ?1 AND m.ord < ?2 ORDER BY m.ord DESC LIMIT ?3"};
  SQLite::Statement messages_after{
      db, std::string(message_select) +
              "WHERE m.conversation_id = ?1 AND m.seq > ?2 ORDER BY m.seq, m.ord LIMIT ?3"};
  SQLite::Statement insert_message{
      db,
      "INSERT INTO messages (id, conversation_id, role, text, status, seq, created_at,"
      " updated_at, owner_id, client_msg_id, author, prompt_tokens, completion_tokens,"
      " total_tokens, metadata, buttons, attachments)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)"};
  // The WHERE keeps a save from going back in seq or moving a message between conversations.
  SQLite::Statement upsert_message{
      db,
      "INSERT INTO messages (id, conversation_id, role, text, status, seq, created_at,"
      " updated_at, owner_id, client_msg_id, author, prompt_tokens, completion_tokens,"
      " total_tokens, metadata, buttons, attachments)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)"
      " ON CONFLICT (id) DO UPDATE SET text = excluded.text, status = excluded.status,"
      " seq = excluded.seq, updated_at = excluded.updated_at, author = excluded.author,"
      " prompt_tokens = coalesce(excluded.prompt_tokens, prompt_tokens),"
      " completion_tokens = coalesce(excluded.completion_tokens, completion_tokens),"
      " total_tokens = coalesce(excluded.total_tokens, total_tokens),"
      " metadata = excluded.metadata, buttons = excluded.buttons,"
      " attachments = excluded.attachments"
      " WHERE messages.conversation_id = excluded.conversation_id"
      " AND excluded.seq >= messages.seq"};
  // Only into a conversation the rater owns: nothing is inserted otherwise.
  SQLite::Statement upsert_feedback{
      db,
      "INSERT INTO feedback (message_id, owner_id, rating, comment, created_at)"
      " SELECT m.id, ?2, ?3, ?4, ?5 FROM messages m JOIN conversations c"
      " ON c.id = m.conversation_id WHERE m.id = ?1 AND c.owner_id = ?2"
      " ON CONFLICT (message_id, owner_id) DO UPDATE SET rating = excluded.rating,"
      " comment = excluded.comment, created_at = excluded.created_at"};
  SQLite::Statement upsert_visitor{
      db,
      "INSERT INTO visitors (id, site_id, created_at, last_seen_at) VALUES (?1, ?2, ?3, ?3)"
      " ON CONFLICT (id) DO UPDATE SET last_seen_at = max(last_seen_at, excluded.last_seen_at)"};
  SQLite::Statement insert_ask{
      db,
      "INSERT INTO asks (request_id, conversation_id, seq, question, choices, created_at)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (request_id) DO NOTHING"};
  SQLite::Statement answer_ask{
      db, "UPDATE asks SET answered_at = ?2 WHERE request_id = ?1 AND answered_at IS NULL"};
  SQLite::Statement ask_by_id{db, std::string(ask_select) + "WHERE a.request_id = ?1"};
  SQLite::Statement open_asks{
      db, std::string(ask_select) +
              "WHERE a.conversation_id = ?1 AND a.answered_at IS NULL ORDER BY a.seq"};
  SQLite::Statement set_clean_shutdown{
      db, "UPDATE store_state SET value = ?1 WHERE key = 'clean_shutdown'"};
};

// ---- Requests: the SQL of each, run on the store's thread inside the batch's transaction ----

std::optional<conversation_row> find_conversation(database& d, const std::string& id) {
  in_use q(d.select_conversation);
  bind_all(*q, id);
  if (!q->executeStep()) return std::nullopt;
  return read_conversation(*q);
}

// The message with `client_msg_id` among those deduplicated under `dedupe_key`.
std::optional<message_row> find_sent_message(database& d, const std::string& dedupe_key,
                                             const std::string& client_msg_id) {
  in_use q(d.message_by_client_id);
  bind_all(*q, dedupe_key, client_msg_id);
  if (!q->executeStep()) return std::nullopt;
  return read_message(*q);
}

std::optional<message_row> find_message(database& d, const std::string& id) {
  in_use q(d.message_by_id);
  bind_all(*q, id);
  if (!q->executeStep()) return std::nullopt;
  return read_message(*q);
}

std::optional<ask_row> find_ask(database& d, const std::string& request_id) {
  in_use q(d.ask_by_id);
  bind_all(*q, request_id);
  if (!q->executeStep()) return std::nullopt;
  return read_ask(*q);
}

bool bump_conversation(database& d, const std::string& id, seq_t seq) {
  in_use q(d.bump_conversation);
  bind_all(*q, id, seq, d.now());
  return q->exec() > 0;
}

// The conversation to create along with a first message.
struct new_conversation {
  const conversation& conv;
  const std::string& site_id;
};

// Who posts a message. A visitor posts into their own conversations, and a resend is found
// among their own client_msg_ids; a site's operator posts into any conversation of the site,
// and a resend is found among the operators' ids in that conversation: never a visitor's.
struct sender {
  bool operator_ = false;
  std::string id;  // the visitor's owner_id, or the operator's site_id

  std::string dedupe_key(const message& m) const {
    return operator_ ? "o:" + m.conversation_id : id;
  }
  bool may_post(const conversation_row& c) const {
    return operator_ ? c.site_id == id : c.owner_id == id;
  }
};

store::outcome<added_message> add_message(database& d, message m, const sender& from,
                                          std::optional<new_conversation> create) {
  if (create) m.conversation_id = create->conv.id;
  const std::string dedupe_key = from.dedupe_key(m);
  if (!m.client_msg_id.empty()) {
    if (auto prior = find_sent_message(d, dedupe_key, m.client_msg_id)) {
      auto conv = find_conversation(d, prior->msg.conversation_id);
      if (!conv) return store_errc::failed;  // the foreign key makes this impossible
      return added_message{std::move(prior->msg), std::move(conv->conv), false};
    }
  }
  if (create) {
    const conversation& c = create->conv;
    in_use q(d.insert_conversation);
    bind_all(*q, c.id, create->site_id, from.id, c.title, c.agent, c.created_at, c.updated_at,
             c.last_seq);
    if (q->exec() == 0) return store_errc::conflict;
  } else {
    auto conv = find_conversation(d, m.conversation_id);
    if (!conv || !from.may_post(*conv)) return store_errc::not_found;
  }
  if (!bump_conversation(d, m.conversation_id, m.seq)) return store_errc::not_found;
  {
    in_use q(d.insert_message);
    const auto client_msg_id = non_empty(m.client_msg_id);
    // owner_id only with a client_msg_id: it exists for the dedupe index.
    const auto dedupe_owner = client_msg_id ? std::optional<std::string>(dedupe_key) : std::nullopt;
    bind_all(*q, m.id, m.conversation_id, to_string(m.author_role), m.text, to_string(m.status),
             m.seq, m.created_at, d.now(), dedupe_owner, client_msg_id, m.author, std::nullopt,
             std::nullopt, std::nullopt, m.metadata.text(), buttons_json(m.buttons),
             attachments_json(m.attachments));
    q->exec();
  }
  auto conv = find_conversation(d, m.conversation_id);
  if (!conv) return store_errc::failed;
  m.rating.reset();
  return added_message{std::move(m), std::move(conv->conv), true};
}

error_code save_message(database& d, const message& m, const std::optional<usage>& tokens) {
  if (!bump_conversation(d, m.conversation_id, m.seq)) return store_errc::not_found;
  in_use q(d.upsert_message);
  std::optional<std::int64_t> prompt, completion, total;
  if (tokens) {
    prompt = tokens->prompt_tokens;
    completion = tokens->completion_tokens;
    total = tokens->total_tokens;
  }
  bind_all(*q, m.id, m.conversation_id, to_string(m.author_role), m.text, to_string(m.status),
           m.seq, m.created_at, d.now(), std::nullopt, non_empty(m.client_msg_id), m.author, prompt,
           completion, total, m.metadata.text(), buttons_json(m.buttons),
           attachments_json(m.attachments));
  // No change: the upsert's WHERE refused it (the caller's savepoint undoes the bump).
  if (q->exec() == 0) return store_errc::conflict;
  return {};
}

error_code save_ask(database& d, const ask_frame& ask) {
  if (!bump_conversation(d, ask.conversation_id, ask.seq)) return store_errc::not_found;
  in_use q(d.insert_ask);
  bind_all(*q, ask.request_id, ask.conversation_id, ask.seq, ask.question,
           strings_json(ask.choices), d.now());
  // Taken: the caller's savepoint undoes the bump.
  if (q->exec() == 0) return store_errc::conflict;
  return {};
}

error_code answer_ask(database& d, const std::string& request_id) {
  in_use q(d.answer_ask);
  bind_all(*q, request_id, d.now());
  if (q->exec() > 0) return {};
  return find_ask(d, request_id) ? store_errc::conflict : store_errc::not_found;
}

store::outcome<conversation_with_asks> conversation_with_open_asks(database& d,
                                                                   const std::string& id) {
  auto row = find_conversation(d, id);
  if (!row) return store_errc::not_found;
  conversation_with_asks found{std::move(*row), {}};
  in_use q(d.open_asks);
  bind_all(*q, id);
  while (q->executeStep())
    found.open_asks.push_back(read_ask(*q).ask);
  return found;
}

store::outcome<conversation_page> list_conversations(
    database& d, const std::string& site_id, const std::optional<std::string>& owner_id,
    std::size_t limit, const std::optional<conversation_cursor>& before) {
  limit = clamp_page(limit);
  // No cursor: start above every real row.
  const timestamp_ms updated_at =
      before ? before->updated_at : std::numeric_limits<timestamp_ms>::max();
  const std::string id = before ? before->id : std::string();
  in_use q(owner_id ? d.owner_conversations : d.site_conversations);
  if (owner_id)
    bind_all(*q, site_id, *owner_id, updated_at, id, limit_plus_one(limit));
  else
    bind_all(*q, site_id, updated_at, id, limit_plus_one(limit));
  conversation_page page;
  while (q->executeStep()) {
    if (page.conversations.size() == limit) {
      page.has_more = true;
      break;
    }
    page.conversations.push_back(read_conversation(*q));
  }
  if (page.has_more) {
    const conversation& last = page.conversations.back().conv;
    page.next = conversation_cursor{last.updated_at, last.id};
  }
  return page;
}

store::outcome<message_page> list_messages(database& d, const std::string& conversation_id,
                                           const std::optional<std::string>& before_id,
                                           std::size_t limit) {
  limit = clamp_page(limit);
  const auto conv = find_conversation(d, conversation_id);
  if (!conv) return store_errc::not_found;
  std::int64_t before_ord = std::numeric_limits<std::int64_t>::max();
  if (before_id) {
    in_use q(d.message_ord);
    bind_all(*q, *before_id, conversation_id);
    if (!q->executeStep()) return store_errc::not_found;
    before_ord = q->getColumn(0).getInt64();
  }
  message_page page;
  page.last_seq = conv->conv.last_seq;
  in_use q(d.message_page);
  bind_all(*q, conversation_id, before_ord, limit_plus_one(limit));
  page.has_more = read_messages(*q, limit, max_page_bytes, page.messages);
  std::reverse(page.messages.begin(), page.messages.end());  // read newest first
  return page;
}

store::outcome<message_replay> messages_after(database& d, const std::string& conversation_id,
                                              seq_t after, std::size_t max) {
  const auto conv = find_conversation(d, conversation_id);
  if (!conv) return store_errc::not_found;
  message_replay replay;
  replay.last_seq = conv->conv.last_seq;
  in_use q(d.messages_after);
  bind_all(*q, conversation_id, after, limit_plus_one(max));
  replay.has_more = read_messages(*q, max, max_replay_bytes, replay.messages);
  return replay;
}

// ---- Start-up recovery ----

// Marks every reply still `streaming` as `interrupted` and moves seqs past anything the
// previous run may have sent without saving (see unsaved_seq_margin). After a crash (no clean
// shutdown recorded) every conversation is raised: any of them may have had an event sent
// before its write committed. Runs in one transaction; returns what it did, for the log.
std::string recover(SQLite::Database& db, timestamp_ms now) {
  SQLite::Transaction transaction(db, SQLite::TransactionBehavior::IMMEDIATE);
  const bool clean =
      db.execAndGet("SELECT value FROM store_state WHERE key = 'clean_shutdown'").getInt() != 0;
  std::string report;
  if (!clean) {
    // Conversations with a streaming reply are raised below, from their own numbers.
    SQLite::Statement raise(
        db,
        "UPDATE conversations SET last_seq = last_seq + ?1 WHERE NOT EXISTS (SELECT 1 FROM"
        " messages m WHERE m.conversation_id = conversations.id AND m.status = 'streaming')");
    raise.bind(1, unsaved_seq_margin);
    raise.exec();
    report = "the previous run did not shut down cleanly: seqs raised by " +
             std::to_string(unsaved_seq_margin);
  }

  // Unfinished replies, grouped by conversation, in creation order.
  std::vector<std::pair<std::string, std::vector<std::int64_t>>> streaming;
  {
    SQLite::Statement q(db,
                        "SELECT conversation_id, ord FROM messages WHERE status = 'streaming'"
                        " ORDER BY conversation_id, ord");
    while (q.executeStep()) {
      std::string conversation_id = q.getColumn(0).getString();
      if (streaming.empty() || streaming.back().first != conversation_id)
        streaming.emplace_back(std::move(conversation_id), std::vector<std::int64_t>{});
      streaming.back().second.push_back(q.getColumn(1).getInt64());
    }
  }
  SQLite::Statement highest(db,
                            "SELECT max(c.last_seq, coalesce((SELECT max(seq) FROM messages"
                            " WHERE conversation_id = c.id), 0)) FROM conversations c"
                            " WHERE c.id = ?1");
  SQLite::Statement interrupt(db,
                              "UPDATE messages SET status = 'interrupted', seq = ?2,"
                              " updated_at = max(updated_at, ?3) WHERE ord = ?1");
  SQLite::Statement set_last(db,
                             "UPDATE conversations SET last_seq = ?2,"
                             " updated_at = max(updated_at, ?3) WHERE id = ?1");
  std::size_t interrupted = 0;
  for (const auto& [conversation_id, ords] : streaming) {
    highest.reset();
    highest.bind(1, conversation_id);
    if (!highest.executeStep()) continue;  // cannot happen: the foreign key holds
    // Each interrupted message is a new event: it gets a seq of its own above the margin.
    seq_t seq = highest.getColumn(0).getInt64() + unsaved_seq_margin;
    for (std::size_t i = 0; i < ords.size(); ++i) {
      if (i > 0) ++seq;
      interrupt.reset();
      bind_all(interrupt, ords[i], seq, now);
      interrupt.exec();
      ++interrupted;
    }
    set_last.reset();
    bind_all(set_last, conversation_id, seq, now);
    set_last.exec();
  }
  if (interrupted > 0) {
    if (!report.empty()) report += "; ";
    report += std::to_string(interrupted) + " unfinished repl" + (interrupted == 1 ? "y" : "ies") +
              " marked interrupted";
  }
  // Until the destructor says otherwise, this run counts as a crash.
  db.exec("UPDATE store_state SET value = 0 WHERE key = 'clean_shutdown'");
  transaction.commit();
  return report;
}

// ---- Outcomes, generically ----

bool is_failure(const error_code& ec) {
  return static_cast<bool>(ec);
}
template <class U>
bool is_failure(const boost::system::result<U>& r) {
  return r.has_error();
}

template <class T>
T failure(error_code ec) {
  if constexpr (std::is_same_v<T, error_code>)
    return ec;
  else
    return T(boost::system::in_place_error, ec);
}

}  // namespace

// The connection, as the store's members know it.
struct store::connection : database {
  using database::database;
};

// One request in the queue. run() and complete() are called on the store's thread.
class store::job {
 public:
  job(const char* name, bool writes)
      : name(name), writes(writes), queued(std::chrono::steady_clock::now()) {}
  virtual ~job() = default;
  // Runs the request. False: it failed and its changes must be undone. May throw (SQLite,
  // JSON, allocation): the batch catches at the boundary and calls fail().
  virtual bool run(connection& db) = 0;
  virtual void fail(error_code ec) = 0;
  // Hands the outcome to the callback: only once the batch's fate (commit or not) is known.
  virtual void complete() = 0;

  const char* const name;
  const bool writes;
  const std::chrono::steady_clock::time_point queued;
};

template <class T>
class store::typed_job final : public store::job {
 public:
  typed_job(const char* name, bool writes, std::function<T(connection&)> work, callback<T> done)
      : job(name, writes), work_(std::move(work)), done_(std::move(done)) {}

  bool run(connection& db) override {
    outcome_.emplace(work_(db));
    return !is_failure(*outcome_);
  }
  void fail(error_code ec) override { outcome_.emplace(failure<T>(ec)); }
  void complete() override {
    if (!done_) return;
    if (!outcome_) outcome_.emplace(failure<T>(store_errc::failed));
    done_(std::move(*outcome_));
  }

 private:
  std::function<T(connection&)> work_;
  callback<T> done_;
  std::optional<T> outcome_;
};

// ---- Start-up ----

boost::system::result<std::unique_ptr<store>, std::string> store::open(options opts) {
  if (!opts.clock) opts.clock = system_now;
  opts.max_batch = std::max<std::size_t>(opts.max_batch, 1);
  std::unique_ptr<connection> db;
  std::string report;
  try {
    db = std::make_unique<connection>(opts.path, opts.clock);
    report = recover(db->db, opts.clock());
  } catch (const std::exception& e) {
    return "cannot open the database " + opts.path + ": " + e.what();
  }
  std::unique_ptr<store> opened(new store(std::move(opts), std::move(db)));
  if (!report.empty()) opened->log(report);
  return opened;
}

store::store(options opts, std::unique_ptr<connection> db)
    : options_(std::move(opts)), db_(std::move(db)), thread_([this] { run(); }) {}

store::~store() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void store::log(std::string_view what) const {
  if (options_.log) {
    options_.log(what);
    return;
  }
  std::fprintf(stderr, "palaver store: %.*s\n", static_cast<int>(what.size()), what.data());
}

// ---- The request API: each packages its SQL as a job for the store's thread ----

template <class T, class Work>
void store::submit(const char* name, bool writes, Work&& work, callback<T> done) {
  enqueue(std::make_unique<typed_job<T>>(
      name, writes, std::function<T(connection&)>(std::forward<Work>(work)), std::move(done)));
}

void store::create_conversation(conversation conv, std::string site_id, std::string owner_id,
                                done_callback done) {
  submit<error_code>(
      "create_conversation", true,
      [conv = std::move(conv), site_id = std::move(site_id),
       owner_id = std::move(owner_id)](connection& d) -> error_code {
        in_use q(d.insert_conversation);
        bind_all(*q, conv.id, site_id, owner_id, conv.title, conv.agent, conv.created_at,
                 conv.updated_at, conv.last_seq);
        if (q->exec() == 0) return store_errc::conflict;
        return {};
      },
      std::move(done));
}

void store::start_conversation(conversation conv, std::string site_id, std::string owner_id,
                               message first, callback<outcome<added_message>> done) {
  submit<outcome<added_message>>(
      "start_conversation", true,
      [conv = std::move(conv), site_id = std::move(site_id), owner_id = std::move(owner_id),
       first = std::move(first)](connection& d) {
        return add_message(d, first, sender{false, owner_id}, new_conversation{conv, site_id});
      },
      std::move(done));
}

void store::add_user_message(message m, std::string owner_id,
                             callback<outcome<added_message>> done) {
  submit<outcome<added_message>>(
      "add_user_message", true,
      [m = std::move(m), owner_id = std::move(owner_id)](connection& d) {
        return add_message(d, m, sender{false, owner_id}, std::nullopt);
      },
      std::move(done));
}

void store::add_operator_message(message m, std::string site_id,
                                 callback<outcome<added_message>> done) {
  submit<outcome<added_message>>(
      "add_operator_message", true,
      [m = std::move(m), site_id = std::move(site_id)](connection& d) {
        return add_message(d, m, sender{true, site_id}, std::nullopt);
      },
      std::move(done));
}

void store::save_message(message m, done_callback done) {
  submit<error_code>(
      "save_message", true,
      [m = std::move(m)](connection& d) { return server::save_message(d, m, std::nullopt); },
      std::move(done));
}

void store::save_message(message m, usage tokens, done_callback done) {
  submit<error_code>(
      "save_message", true,
      [m = std::move(m), tokens](connection& d) { return server::save_message(d, m, tokens); },
      std::move(done));
}

void store::delete_conversation(std::string id, std::optional<std::string> owner_id,
                                done_callback done) {
  submit<error_code>(
      "delete_conversation", true,
      [id = std::move(id), owner_id = std::move(owner_id)](connection& d) -> error_code {
        in_use q(d.delete_conversation);
        bind_all(*q, id, owner_id);
        if (q->exec() == 0) return store_errc::not_found;
        return {};
      },
      std::move(done));
}

void store::set_feedback(std::string message_id, std::string owner_id, int rating,
                         std::string comment, done_callback done) {
  submit<error_code>(
      "set_feedback", true,
      [message_id = std::move(message_id), owner_id = std::move(owner_id), rating,
       comment = std::move(comment)](connection& d) -> error_code {
        if (rating != 1 && rating != -1) return store_errc::conflict;
        in_use q(d.upsert_feedback);
        bind_all(*q, message_id, owner_id, rating, comment, d.now());
        if (q->exec() == 0) return store_errc::not_found;
        return {};
      },
      std::move(done));
}

void store::touch_visitor(std::string visitor_id, std::string site_id, done_callback done) {
  submit<error_code>(
      "touch_visitor", true,
      [visitor_id = std::move(visitor_id), site_id = std::move(site_id)](connection& d) {
        in_use q(d.upsert_visitor);
        bind_all(*q, visitor_id, site_id, d.now());
        q->exec();
        return error_code{};
      },
      std::move(done));
}

void store::save_ask(ask_frame ask, done_callback done) {
  submit<error_code>(
      "save_ask", true, [ask = std::move(ask)](connection& d) { return server::save_ask(d, ask); },
      std::move(done));
}

void store::answer_ask(std::string request_id, done_callback done) {
  submit<error_code>(
      "answer_ask", true,
      [request_id = std::move(request_id)](connection& d) {
        return server::answer_ask(d, request_id);
      },
      std::move(done));
}

void store::get_conversation(std::string id, callback<outcome<conversation_row>> done) {
  submit<outcome<conversation_row>>(
      "get_conversation", false,
      [id = std::move(id)](connection& d) -> outcome<conversation_row> {
        auto row = find_conversation(d, id);
        if (!row) return store_errc::not_found;
        return std::move(*row);
      },
      std::move(done));
}

void store::get_conversation_with_asks(std::string id,
                                       callback<outcome<conversation_with_asks>> done) {
  submit<outcome<conversation_with_asks>>(
      "get_conversation_with_asks", false,
      [id = std::move(id)](connection& d) { return conversation_with_open_asks(d, id); },
      std::move(done));
}

void store::get_message(std::string id, callback<outcome<message_row>> done) {
  submit<outcome<message_row>>(
      "get_message", false,
      [id = std::move(id)](connection& d) -> outcome<message_row> {
        auto row = find_message(d, id);
        if (!row) return store_errc::not_found;
        return std::move(*row);
      },
      std::move(done));
}

void store::get_sent_message(std::string owner_id, std::string client_msg_id,
                             callback<outcome<message_row>> done) {
  submit<outcome<message_row>>(
      "get_sent_message", false,
      [owner_id = std::move(owner_id),
       client_msg_id = std::move(client_msg_id)](connection& d) -> outcome<message_row> {
        auto row = find_sent_message(d, owner_id, client_msg_id);
        if (!row) return store_errc::not_found;
        return std::move(*row);
      },
      std::move(done));
}

void store::get_ask(std::string request_id, callback<outcome<ask_row>> done) {
  submit<outcome<ask_row>>(
      "get_ask", false,
      [request_id = std::move(request_id)](connection& d) -> outcome<ask_row> {
        auto row = find_ask(d, request_id);
        if (!row) return store_errc::not_found;
        return std::move(*row);
      },
      std::move(done));
}

void store::list_conversations(std::string site_id, std::optional<std::string> owner_id,
                               std::size_t limit, std::optional<conversation_cursor> before,
                               callback<outcome<conversation_page>> done) {
  submit<outcome<conversation_page>>(
      "list_conversations", false,
      [site_id = std::move(site_id), owner_id = std::move(owner_id), limit,
       before = std::move(before)](connection& d) {
        return server::list_conversations(d, site_id, owner_id, limit, before);
      },
      std::move(done));
}

void store::list_messages(std::string conversation_id, std::optional<std::string> before_id,
                          std::size_t limit, callback<outcome<message_page>> done) {
  submit<outcome<message_page>>(
      "list_messages", false,
      [conversation_id = std::move(conversation_id), before_id = std::move(before_id), limit](
          connection& d) { return server::list_messages(d, conversation_id, before_id, limit); },
      std::move(done));
}

void store::messages_after(std::string conversation_id, seq_t after, std::size_t max,
                           callback<outcome<message_replay>> done) {
  submit<outcome<message_replay>>(
      "messages_after", false,
      [conversation_id = std::move(conversation_id), after, max](connection& d) {
        return server::messages_after(d, conversation_id, after, max);
      },
      std::move(done));
}

void store::flush(std::function<void()> done) {
  // A write, so that it waits for (and rides in) the transaction of what came before it.
  submit<error_code>(
      "flush", true, [](connection&) { return error_code{}; },
      [done = std::move(done)](error_code) {
        if (done) done();
      });
}

store_stats store::stats() const {
  store_stats s;
  s.requests = requests_.load(std::memory_order_relaxed);
  s.batches = batches_.load(std::memory_order_relaxed);
  s.commits = commits_.load(std::memory_order_relaxed);
  s.failed_commits = failed_commits_.load(std::memory_order_relaxed);
  s.queue_depth = queue_depth_.load(std::memory_order_relaxed);
  for (std::size_t i = 0; i < s.commit_latency.size(); ++i)
    s.commit_latency[i] = commit_latency_[i].load(std::memory_order_relaxed);
  s.commit_latency_sum_us = commit_latency_sum_us_.load(std::memory_order_relaxed);
  return s;
}

// ---- The store's thread ----

void store::enqueue(std::unique_ptr<job> request) {
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    // Wake the thread when it may be idle (first request) or lingering on a full batch.
    wake = queue_.empty() || queue_.size() + 1 >= options_.max_batch;
    if (request->writes) ++queued_writes_;
    queue_.push_back(std::move(request));
    queue_depth_.store(queue_.size(), std::memory_order_relaxed);
  }
  if (wake) wake_.notify_one();
}

void store::run() {
  std::vector<std::unique_ptr<job>> batch;
  batch.reserve(options_.max_batch);
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) break;  // stopping, and nothing left to do
      // Group commit: give the writes of this tick time to join one transaction. The tick is
      // measured from the oldest request, so under load (when requests queued up during the
      // last COMMIT) there is no extra wait at all.
      if (queued_writes_ > 0 && !stopping_ && queue_.size() < options_.max_batch) {
        const auto deadline = queue_.front()->queued + options_.commit_interval;
        wake_.wait_until(lock, deadline,
                         [&] { return stopping_ || queue_.size() >= options_.max_batch; });
      }
      const std::size_t n = std::min(queue_.size(), options_.max_batch);
      for (std::size_t i = 0; i < n; ++i) {
        if (queue_.front()->writes) --queued_writes_;
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      queue_depth_.store(queue_.size(), std::memory_order_relaxed);
    }
    run_batch(batch);
    complete(batch);
    batch.clear();
  }
  // Every request has run and committed: the next open() need not assume lost seqs. Not so
  // if a write was lost: the hub may have sent seqs for it.
  if (writes_lost_) return;
  try {
    in_use q(db_->set_clean_shutdown);
    bind_all(*q, 1);
    q->exec();
  } catch (const std::exception& e) {
    log(std::string("cannot record the clean shutdown: ") + e.what());
  }
}

void store::run_batch(std::vector<std::unique_ptr<job>>& batch) {
  connection& d = *db_;
  const bool writes =
      std::any_of(batch.begin(), batch.end(), [](const auto& j) { return j->writes; });
  requests_.fetch_add(batch.size(), std::memory_order_relaxed);
  batches_.fetch_add(1, std::memory_order_relaxed);

  const auto fail_range = [&](std::size_t from, std::size_t to) {
    for (std::size_t k = from; k < to; ++k) {
      batch[k]->fail(store_errc::failed);
      if (batch[k]->writes) writes_lost_ = true;
    }
  };
  // The first request of the open transaction: if the transaction is lost, so are they.
  std::size_t first_in_transaction = 0;
  const auto begin = [&](std::size_t from) {
    try {
      in_use(d.begin)->exec();
      first_in_transaction = from;
      return true;
    } catch (const std::exception& e) {
      log(std::string("cannot begin a transaction: ") + e.what());
      return false;
    }
  };
  if (writes && !begin(0)) {
    fail_range(0, batch.size());
    failed_commits_.fetch_add(1, std::memory_order_relaxed);
    return;
  }

  for (std::size_t i = 0; i < batch.size(); ++i) {
    job& j = *batch[i];
    const bool savepoint = writes && j.writes;
    try {
      if (savepoint) in_use(d.savepoint)->exec();
      const bool ok = j.run(d);
      if (savepoint) {
        if (!ok) in_use(d.rollback_to)->exec();
        in_use(d.release)->exec();
      }
      continue;
    } catch (const SQLite::Exception& e) {
      // A constraint is a conflict with stored data, not a broken database.
      const bool constraint = (e.getExtendedErrorCode() & 0xff) == SQLITE_CONSTRAINT;
      if (!constraint) log(std::string(j.name) + " failed: " + e.what());
      j.fail(constraint ? store_errc::conflict : store_errc::failed);
      if (!constraint && j.writes) writes_lost_ = true;
    } catch (const std::exception& e) {
      log(std::string(j.name) + " failed: " + e.what());
      j.fail(store_errc::failed);
      if (j.writes) writes_lost_ = true;
    }
    if (!writes) continue;
    // Undo the failed request alone, if SQLite has not already rolled everything back
    // (it does after I/O errors, a full disk or running out of memory).
    if (savepoint && !sqlite3_get_autocommit(d.db.getHandle())) {
      try {
        in_use(d.rollback_to)->exec();
        in_use(d.release)->exec();
      } catch (const std::exception& e) {
        log(std::string("cannot undo a failed request: ") + e.what());
        try {
          in_use(d.rollback)->exec();
        } catch (const std::exception&) {
          // Nothing more to try: autocommit mode is checked below.
        }
      }
    }
    if (sqlite3_get_autocommit(d.db.getHandle())) {
      // The transaction is gone, and with it the requests before this one that shared it.
      fail_range(first_in_transaction, i);
      failed_commits_.fetch_add(1, std::memory_order_relaxed);
      if (!begin(i + 1)) {
        fail_range(i + 1, batch.size());
        return;
      }
    }
  }

  if (!writes) return;
  const auto started = std::chrono::steady_clock::now();
  try {
    in_use(d.commit)->exec();
    record_commit(std::chrono::steady_clock::now() - started);
  } catch (const std::exception& e) {
    log(std::string("commit failed: ") + e.what());
    failed_commits_.fetch_add(1, std::memory_order_relaxed);
    try {
      if (!sqlite3_get_autocommit(d.db.getHandle())) in_use(d.rollback)->exec();
    } catch (const std::exception& rollback_error) {
      log(std::string("rollback failed: ") + rollback_error.what());
    }
    fail_range(first_in_transaction, batch.size());
  }
}

void store::complete(std::vector<std::unique_ptr<job>>& batch) {
  for (auto& j : batch) {
    // A throwing callback is a caller's bug; it must not take the store's thread down.
    try {
      j->complete();
    } catch (const std::exception& e) {
      log(std::string("a store callback threw: ") + e.what());
    } catch (...) {
      log("a store callback threw");
    }
  }
}

void store::record_commit(std::chrono::steady_clock::duration took) {
  commits_.fetch_add(1, std::memory_order_relaxed);
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(took).count();
  commit_latency_sum_us_.fetch_add(static_cast<std::uint64_t>(us), std::memory_order_relaxed);
  const auto& bounds = store_stats::commit_bounds_us;
  const auto bucket =
      static_cast<std::size_t>(std::lower_bound(bounds.begin(), bounds.end(), us) - bounds.begin());
  commit_latency_[bucket].fetch_add(1, std::memory_order_relaxed);
}

}  // namespace palaver::server
