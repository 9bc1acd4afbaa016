// The store: Palaver's SQLite database (visitors, conversations, messages, feedback, the
// agents' questions) and the one thread that owns its connection. Requests run on that thread
// in the order they were made; the writes queued during one tick share one transaction
// (group commit).
// Any thread may make requests. Every callback runs later on the store's thread, after the
// COMMIT that made the request's write durable: post onward to your strand, never block there.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <vector>

#include "palaver/frames.hpp"
#include "palaver/model.hpp"

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

namespace palaver::server {

// How far start-up recovery raises a conversation's last_seq when the previous run may have
// sent events the database never saw. The hub hands out seqs in memory and saves a streaming
// reply periodically, so a crash can lose the tail of a reply whose deltas clients already
// got. The hub must therefore save a streaming reply (save_message) at least once every
// unsaved_seq_margin events of its conversation; then every seq handed out before the crash
// is at most last_seq + unsaved_seq_margin, and seqs after recovery stay above all of them.
inline constexpr seq_t unsaved_seq_margin = 1024;

// The most rows one page read returns, whatever the caller asks for.
inline constexpr std::size_t max_page_rows = 200;
// And the most bytes of messages (text, metadata, buttons, attachments; the newest message
// always comes, whatever its size): 200 messages of 32 KiB would be 6 MB read, held and sent
// for a client that asks and may never read. What a `history` frame or a REST page carries.
inline constexpr std::size_t max_page_bytes = 256 * 1024;
// The same for what a resume replays; more than that is a RESUME_GAP (reload by pages).
inline constexpr std::size_t max_replay_bytes = 1024 * 1024;

// Why a request failed. Details of `failed` (the SQLite message) go to options::log.
enum class store_errc {
  not_found = 1,  // no such conversation/message, or not the given owner's (report NOT_FOUND)
  conflict,       // contradicts what is stored: a taken id, a save older than the stored one
  failed,         // the database failed (I/O, full disk, a corrupt row); the write is not stored
};
const boost::system::error_category& store_category() noexcept;
boost::system::error_code make_error_code(store_errc e) noexcept;

// A conversation with who it belongs to. Callers check ownership against owner_id (and
// site_id) and answer NOT_FOUND for someone else's conversation.
struct conversation_row {
  conversation conv;
  std::string site_id;
  std::string owner_id;
};

// A conversation with its agent's unanswered questions, oldest (lowest seq) first: what the
// hub needs to take a conversation up again.
struct conversation_with_asks {
  conversation_row row;
  std::vector<ask_frame> open_asks;
};

// An agent's question with its conversation's owner, and whether the visitor answered it.
struct ask_row {
  ask_frame ask;
  std::string site_id;
  std::string owner_id;
  bool answered = false;
};

// A message with its conversation's owner and the reply's token usage, if it was recorded.
struct message_row {
  message msg;
  std::string site_id;
  std::string owner_id;
  std::optional<usage> tokens;
};

// Where a conversation list page ends: pass it back to get the next (older) page.
struct conversation_cursor {
  timestamp_ms updated_at = 0;
  std::string id;
  friend bool operator==(const conversation_cursor&, const conversation_cursor&) = default;
};

// Conversations most recently updated first.
struct conversation_page {
  std::vector<conversation_row> conversations;
  bool has_more = false;                    // older ones exist
  std::optional<conversation_cursor> next;  // set when has_more
};

// A history page: messages oldest first, as a `history` frame wants them.
struct message_page {
  std::vector<message> messages;
  bool has_more = false;  // older messages exist before messages.front()
  seq_t last_seq = 0;     // the conversation's stored last_seq (the hub's live seq may be higher)
};

// What resume replays: the messages whose seq is above a given one, in seq order.
struct message_replay {
  std::vector<message> messages;
  bool has_more = false;  // more than `max` matched: too far behind to replay
  seq_t last_seq = 0;     // the conversation's stored last_seq
};

// The outcome of storing a visitor's message.
struct added_message {
  message msg;            // as stored: the new one, or the earlier one with its client_msg_id
  conversation conv;      // the message's conversation after the write
  bool inserted = false;  // false: a resend; nothing was written, ack it again with msg
};

// Counters for /metrics. Written only by the store's thread, read by anyone.
struct store_stats {
  // Upper bounds (µs) of the commit-latency buckets; one more bucket holds the slower ones.
  static constexpr std::array<std::int64_t, 12> commit_bounds_us = {
      100, 250, 500, 1'000, 2'500, 5'000, 10'000, 25'000, 50'000, 100'000, 250'000, 1'000'000};

  std::uint64_t requests = 0;        // requests run
  std::uint64_t batches = 0;         // batches run (a batch with writes is one transaction)
  std::uint64_t commits = 0;         // transactions committed
  std::uint64_t failed_commits = 0;  // transactions that could not commit (writes lost)
  std::uint64_t queue_depth = 0;     // requests waiting now
  // commit_latency[i]: commits whose COMMIT took at most commit_bounds_us[i] µs (and more than
  // the bound before); the last counts the rest. Not cumulative: a Prometheus histogram sums.
  std::array<std::uint64_t, commit_bounds_us.size() + 1> commit_latency{};
  std::uint64_t commit_latency_sum_us = 0;
};

class store {
 public:
  struct options {
    std::string path;  // the database file; created if missing
    // The longest a request waits for others to join its transaction: the group-commit tick.
    // 0 commits as soon as the thread is free (requests queued meanwhile still share one).
    std::chrono::milliseconds commit_interval{2};
    std::size_t max_batch = 512;          // requests per transaction at most
    std::function<timestamp_ms()> clock;  // "now" for updated_at etc.; empty: system clock
    // Failure details and recovery reports; empty: stderr. Called on the store's thread, and
    // by open() on its caller's.
    std::function<void(std::string_view)> log;
  };

  template <class T>
  using callback = std::function<void(T)>;
  template <class T>
  using outcome = boost::system::result<T>;  // the value, or a store_errc error_code
  using done_callback = callback<boost::system::error_code>;

  // Opens (creating if needed) the database, migrates its schema, recovers replies cut short
  // by the previous run, and starts the store's thread. Error: why, for a start-up message.
  static boost::system::result<std::unique_ptr<store>, std::string> open(options opts);

  // Runs every request already made, commits, and joins the thread. Must not be called from
  // a store callback. Marks the shutdown clean, so the next open() raises fewer seqs.
  ~store();
  store(const store&) = delete;
  store& operator=(const store&) = delete;

  // ---- Writes. `done` runs after COMMIT, with success or a store_errc. ----

  // A new, empty conversation of `owner_id` on `site_id`. conflict: the id is taken.
  void create_conversation(conversation conv, std::string site_id, std::string owner_id,
                           done_callback done = {});

  // A visitor's message that starts a conversation: both are stored in one step, so a resend
  // (same owner_id and first.client_msg_id) finds the first message and creates nothing.
  // first.conversation_id is set to conv.id. last_seq becomes at least first.seq.
  void start_conversation(conversation conv, std::string site_id, std::string owner_id,
                          message first, callback<outcome<added_message>> done);

  // A visitor's message in their conversation m.conversation_id. Deduplicated on
  // (owner_id, m.client_msg_id) when client_msg_id is set: a resend returns the stored message
  // with inserted = false (even if it was sent to another conversation). not_found: the
  // conversation does not exist or is not owner_id's. Raises last_seq to m.seq.
  void add_user_message(message m, std::string owner_id, callback<outcome<added_message>> done);

  // A human operator's message (role operator) in conversation m.conversation_id of site_id.
  // Deduplicated on (m.conversation_id, m.client_msg_id) among operators' messages, never
  // against a visitor's ids. not_found: no such conversation on that site. Raises last_seq.
  void add_operator_message(message m, std::string site_id, callback<outcome<added_message>> done);

  // Upserts a message by id: inserts it, or replaces its text, status, seq, author, buttons,
  // attachments and metadata (id, conversation, role, created_at and client_msg_id stay).
  // For replies, while streaming and when done. Raises the conversation's last_seq to m.seq
  // and its updated_at to now. `tokens`, when given, records the reply's usage.
  // not_found: no such conversation (deleted mid-reply). conflict: m.seq is below the stored
  // seq (saves must not go back), or the id belongs to another conversation.
  void save_message(message m, done_callback done = {});
  void save_message(message m, usage tokens, done_callback done = {});

  // Deletes a conversation with its messages and their feedback. With owner_id, only that
  // owner's: anyone else's is not_found, like a missing one.
  void delete_conversation(std::string id, std::optional<std::string> owner_id,
                           done_callback done = {});

  // Records owner_id's rating (+1 or -1) of a message, replacing their earlier one.
  // not_found: no such message in a conversation of owner_id's. conflict: another rating
  // (the codec refuses those before they get here).
  void set_feedback(std::string message_id, std::string owner_id, int rating, std::string comment,
                    done_callback done = {});

  // Records that a visitor was seen now (creating them on first sight).
  void touch_visitor(std::string visitor_id, std::string site_id, done_callback done = {});

  // An agent's question in conversation ask.conversation_id, open until answer_ask. Raises
  // the conversation's last_seq to ask.seq. not_found: no such conversation. conflict: the
  // request_id is taken.
  void save_ask(ask_frame ask, done_callback done = {});

  // Closes a question: the visitor's answer is stored. not_found: no such ask. conflict:
  // already answered.
  void answer_ask(std::string request_id, done_callback done = {});

  // ---- Reads. They run in queue order, so they see every earlier request's write. ----
  // Messages come with `rating` set to the conversation owner's feedback.

  void get_conversation(std::string id, callback<outcome<conversation_row>> done);
  void get_conversation_with_asks(std::string id, callback<outcome<conversation_with_asks>> done);
  void get_message(std::string id, callback<outcome<message_row>> done);
  // The message owner_id sent with client_msg_id (what a resend is matched with).
  // not_found: none.
  void get_sent_message(std::string owner_id, std::string client_msg_id,
                        callback<outcome<message_row>> done);
  // Open or answered; callers check ownership as for a conversation.
  void get_ask(std::string request_id, callback<outcome<ask_row>> done);

  // owner_id: that identity's conversations; nullopt: the whole site's. `before`: the page
  // after that cursor (older). limit is clamped to 1 … max_page_rows.
  void list_conversations(std::string site_id, std::optional<std::string> owner_id,
                          std::size_t limit, std::optional<conversation_cursor> before,
                          callback<outcome<conversation_page>> done);

  // The newest `limit` messages created before before_id (nullopt: the newest page), oldest
  // first, within max_page_bytes. not_found: no such conversation, or before_id is not one
  // of its messages. limit is clamped to 1 … max_page_rows.
  void list_messages(std::string conversation_id, std::optional<std::string> before_id,
                     std::size_t limit, callback<outcome<message_page>> done);

  // The messages whose seq is above `after`, at most `max` of them and max_replay_bytes, in
  // seq order (what a resuming client missed). has_more: more than that; the hub answers
  // RESUME_GAP.
  void messages_after(std::string conversation_id, seq_t after, std::size_t max,
                      callback<outcome<message_replay>> done);

  // Runs `done` once every request made before it has run and been committed.
  void flush(std::function<void()> done);

  // A consistent-enough snapshot of the counters; any thread.
  store_stats stats() const;

 private:
  struct connection;
  class job;
  template <class T>
  class typed_job;

  store(options opts, std::unique_ptr<connection> db);
  template <class T, class Work>
  void submit(const char* name, bool writes, Work&& work, callback<T> done);
  void enqueue(std::unique_ptr<job> request);
  void run();
  void run_batch(std::vector<std::unique_ptr<job>>& batch);
  void complete(std::vector<std::unique_ptr<job>>& batch);
  void record_commit(std::chrono::steady_clock::duration took);
  void log(std::string_view what) const;

  const options options_;
  std::unique_ptr<connection> db_;  // only the store's thread (open() hands it over)

  std::mutex mutex_;  // guards queue_, queued_writes_ and stopping_
  std::condition_variable wake_;
  std::deque<std::unique_ptr<job>> queue_;
  std::size_t queued_writes_ = 0;
  bool stopping_ = false;
  bool writes_lost_ = false;  // only the store's thread: a write failed, so no clean shutdown

  std::atomic<std::uint64_t> requests_{0}, batches_{0}, commits_{0}, failed_commits_{0};
  std::atomic<std::uint64_t> queue_depth_{0}, commit_latency_sum_us_{0};
  std::array<std::atomic<std::uint64_t>, store_stats::commit_bounds_us.size() + 1>
      commit_latency_{};

  std::thread thread_;  // last: it starts once everything it uses exists
};

}  // namespace palaver::server

template <>
struct boost::system::is_error_code_enum<palaver::server::store_errc> : std::true_type {};
