// The store's SQLite schema: every migration in order, and the code that applies them.
// Runs on the opening thread only, on the connection it is given.
#include "store_schema.hpp"

#include <SQLiteCpp/SQLiteCpp.h>
#include <array>
#include <exception>
#include <string_view>

namespace palaver::server::schema {
namespace {

// migrations[i] takes the database from user_version i to i + 1.
//
// Version 1, the tables:
// - Sites are configuration, not rows: a site is just the site_id text on what belongs to it.
// - Identities (owner_id) are strings unique across sites; the auth layer qualifies
//   host-supplied user ids so that two sites' "alice" differ.
// - messages.ord (the rowid) is creation order: pages follow it, because created_at can tie
//   and ids are not ordered. messages.owner_id is set only on a message with a
//   client_msg_id, so the partial unique index can dedupe resends per identity (version 3:
//   per author — an operator's key is "o:" and the conversation's id).
// - Deleting a conversation deletes its messages and their feedback (ON DELETE CASCADE):
//   a deleted conversation is gone, not hidden.
// - store_state.clean_shutdown tells start-up recovery whether the last run ended in order.
constexpr std::array<std::string_view, current_version> migrations = {
    R"sql(
CREATE TABLE visitors (
  id           TEXT PRIMARY KEY,
  site_id      TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL
);

CREATE TABLE conversations (
  id         TEXT PRIMARY KEY,
  site_id    TEXT NOT NULL,
  owner_id   TEXT NOT NULL,
  title      TEXT NOT NULL DEFAULT '',
  agent      TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  last_seq   INTEGER NOT NULL DEFAULT 0
);
-- A visitor's list, most recently active first; and a whole site's, for operators.
CREATE INDEX conversations_by_owner ON conversations (site_id, owner_id, updated_at, id);
CREATE INDEX conversations_by_site ON conversations (site_id, updated_at, id);

CREATE TABLE messages (
  ord               INTEGER PRIMARY KEY,
  id                TEXT NOT NULL UNIQUE,
  conversation_id   TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  role              TEXT NOT NULL,
  text              TEXT NOT NULL,
  status            TEXT NOT NULL,
  seq               INTEGER NOT NULL,
  created_at        INTEGER NOT NULL,
  updated_at        INTEGER NOT NULL,
  owner_id          TEXT,
  client_msg_id     TEXT,
  author            TEXT NOT NULL DEFAULT '',
  prompt_tokens     INTEGER,
  completion_tokens INTEGER,
  total_tokens      INTEGER,
  metadata          TEXT NOT NULL DEFAULT '',
  buttons           TEXT NOT NULL DEFAULT '[]',
  attachments       TEXT NOT NULL DEFAULT '[]'
);
-- History pages (newest first, by creation) and the FK's child lookup on delete.
CREATE INDEX messages_by_conversation ON messages (conversation_id, ord);
-- Resume: a conversation's messages changed after a seq.
CREATE INDEX messages_by_seq ON messages (conversation_id, seq);
-- Idempotent send: one message per (identity, client_msg_id).
CREATE UNIQUE INDEX messages_by_client_msg_id ON messages (owner_id, client_msg_id)
  WHERE client_msg_id IS NOT NULL;
-- Start-up recovery finds unfinished replies without a table scan.
CREATE INDEX messages_streaming ON messages (conversation_id) WHERE status = 'streaming';

CREATE TABLE feedback (
  message_id TEXT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  owner_id   TEXT NOT NULL,
  rating     INTEGER NOT NULL CHECK (rating IN (-1, 1)),
  comment    TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  PRIMARY KEY (message_id, owner_id)
) WITHOUT ROWID;

CREATE TABLE store_state (
  key   TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO store_state (key, value) VALUES ('clean_shutdown', 1);
)sql",

    // Version 2: an agent's questions to the visitor (`ask`), so that an open one survives a
    // restart and a conversation need not stay in memory while it waits. answered_at is NULL
    // while the question is open; choices is a JSON array of strings.
    R"sql(
CREATE TABLE asks (
  request_id      TEXT PRIMARY KEY,
  conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  seq             INTEGER NOT NULL,
  question        TEXT NOT NULL,
  choices         TEXT NOT NULL DEFAULT '[]',
  created_at      INTEGER NOT NULL,
  answered_at     INTEGER
);
-- A conversation's open asks in seq order (answered_at IS NULL), and the FK's child lookup.
CREATE INDEX asks_by_conversation ON asks (conversation_id, answered_at, seq);
)sql",

    // Version 3: operators' messages are deduplicated among the operators' ids in their
    // conversation, not under the visitor's identity, where a visitor's message reusing the
    // id was taken for a resend of the operator's and lost. Unique before (one owner per
    // conversation), so unique after.
    R"sql(
UPDATE messages SET owner_id = 'o:' || conversation_id
  WHERE role = 'operator' AND client_msg_id IS NOT NULL;
)sql",
};

}  // namespace

boost::system::result<void, std::string> migrate(SQLite::Database& db, int target) {
  if (target < 0 || target > current_version)
    return "no schema version " + std::to_string(target) + " in this build";
  try {
    const int found = db.execAndGet("PRAGMA user_version").getInt();
    if (found > current_version)
      return std::string("database schema version ") + std::to_string(found) +
             " is newer than this build's (" + std::to_string(current_version) +
             "); run a newer palaver or restore a backup";
    if (found < 0) return std::string("database has a negative schema version");
    for (int version = found; version < target; ++version) {
      SQLite::Transaction transaction(db, SQLite::TransactionBehavior::IMMEDIATE);
      db.exec(std::string(migrations[static_cast<std::size_t>(version)]));
      db.exec("PRAGMA user_version = " + std::to_string(version + 1));
      transaction.commit();
    }
    return {};
  } catch (const std::exception& e) {
    return std::string("schema migration failed: ") + e.what();
  }
}

}  // namespace palaver::server::schema
