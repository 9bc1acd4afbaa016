// The chat hub's state machine. See chat_hub.hpp.
//
// Ordering: a conversation hands out seqs in memory (conversation.last_seq). While a store
// request whose result must come first is in flight (a user message before its ack, a read
// for a resume or a reply's history), the conversation is `busy`: everything else for it —
// agent events included — waits in `deferred` and runs, in order, when the result is in.
// So frames go out in seq order, and a resume read sees exactly what was sent before it.
//
// Sections: state · plumbing · clients and conversations · visitor frames · replies ·
// resume and history · the agent sink · public functions.
#include "chat_hub.hpp"

#include <algorithm>
#include <deque>
#include <optional>
#include <random>
#include <unordered_map>
#include <vector>

#include "palaver/codec.hpp"
#include "palaver/text.hpp"

#include <boost/asio/post.hpp>

#include "io_strand.hpp"
#include "metrics.hpp"
#include "store.hpp"

namespace palaver::server {

namespace asio = boost::asio;
using clock_type = std::chrono::steady_clock;

namespace {

// The client_msg_id of a visitor's answer to an `ask` is this plus the ask's request_id.
constexpr std::string_view answer_prefix = "reply-";

timestamp_ms now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

error_frame error_for(error_code code, std::string message, std::optional<std::string> ref = {},
                      std::optional<std::string> conversation_id = {}) {
  return error_frame{code, std::move(message), std::move(ref), std::move(conversation_id)};
}

// A conversation's title: the start of its first message, on a character boundary.
std::string title_from(std::string_view text) {
  constexpr std::size_t max = 60;
  std::string title(text.substr(0, text.find('\n')));
  if (title.size() > max) {
    title.resize(utf8_prefix_length(title, max));
    title += "…";
  }
  return title;
}

// The times of recent messages, oldest first. A vector, not a deque: an empty one allocates
// nothing, and every connected socket has one.
using message_times = std::vector<clock_type::time_point>;

// True when fewer than `limit` entries fall in the last minute; records this one if so.
bool admit(message_times& recent, int limit, clock_type::time_point now) {
  const auto expired = std::find_if(recent.begin(), recent.end(), [&](clock_type::time_point t) {
    return now - t <= std::chrono::minutes(1);
  });
  recent.erase(recent.begin(), expired);
  if (static_cast<int>(recent.size()) >= limit) return false;
  recent.push_back(now);
  return true;
}

}  // namespace

// ---- the agent sink (declared here, defined after the state it feeds) --------------------

// Carries a reply's events onto the hub's strand, for the reply that made them only.
class chat_hub::sink final : public reply_sink, public std::enable_shared_from_this<sink> {
 public:
  sink(std::weak_ptr<chat_hub> hub, std::string conversation_id, std::uint64_t generation)
      : hub_(std::move(hub)),
        conversation_id_(std::move(conversation_id)),
        generation_(generation) {}

  void progress(std::string step, std::string label) override;
  void delta(std::string_view text) override;
  void ask(std::string question, std::vector<std::string> choices) override;
  void buttons(std::vector<button> buttons) override;
  void finish(finish_reason reason, std::optional<usage> tokens, std::optional<error_code> code,
              std::string message) override;

 private:
  template <class Event>
  void post(Event&& event);

  std::weak_ptr<chat_hub> hub_;
  std::string conversation_id_;
  std::uint64_t generation_;
};

// ---- state --------------------------------------------------------------------------------

struct live_reply {
  message msg;  // the assistant message as streamed so far
  clock_type::time_point started = clock_type::now();
  std::optional<clock_type::duration> first_delta;  // for the latency histograms
  std::shared_ptr<reply_handle> handle;
  std::uint64_t generation = 0;
  std::optional<usage> tokens;
  int unsaved_events = 0;
  clock_type::time_point last_save = clock_type::now();
  // The `delta` frame, kept: each delta only sets its seq and text, reusing the ids and
  // the buffers of the last one.
  server_frame delta_event = delta_frame{};
};

struct conversation_state {
  conversation_row row;  // row.conv.last_seq is the live seq
  std::vector<std::uint64_t> subscribers;
  std::deque<std::pair<seq_t, shared_frame>> recent;  // the latest seq'd frames, for resume
  std::optional<live_reply> reply;
  bool reply_requested = false;  // a message came while a reply streamed: answer it next
  int busy = 0;
  std::deque<std::function<void()>> deferred;
  // By request_id, until answered. The store has them too: a conversation waiting for an
  // answer may be forgotten, and load() brings its open asks back.
  std::unordered_map<std::string, ask_frame> open_asks;
};

struct client_entry {
  std::weak_ptr<hub_client> client;
  message_times recent_messages;
};

struct chat_hub::state {
  state(asio::io_context& io, store& db, agent_map agents, options opts,
        std::shared_ptr<metrics> stats)
      : strand(asio::make_strand(io)),
        db(db),
        stats(std::move(stats)),
        agents(std::move(agents)),
        opts(opts),
        random(std::random_device{}()) {}

  io_strand strand;
  store& db;
  std::shared_ptr<metrics> stats;
  agent_map agents;
  options opts;
  std::weak_ptr<chat_hub> hub;
  std::mt19937_64 random;
  std::uint64_t next_generation = 1;
  bool shutting_down = false;

  std::unordered_map<std::uint64_t, client_entry> clients;
  std::unordered_map<std::string, message_times> identity_messages;
  std::unordered_map<std::string, conversation_state> conversations;
  std::unordered_map<std::string, std::vector<std::function<void(conversation_state*)>>> loading;

  // ---- plumbing ------------------------------------------------------------------------

  // Runs `work` on the hub's strand.
  template <class Work>
  void on_strand(Work&& work) {
    asio::post(strand, std::forward<Work>(work));
  }

  // A fresh id: prefix + 22 base64url characters (128 random bits).
  std::string new_id(std::string_view prefix) {
    static constexpr char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string id(prefix);
    for (int half = 0; half < 2; ++half) {
      std::uint64_t bits = random();
      for (int i = 0; i < 11; ++i, bits >>= 6)
        id += alphabet[bits & 63];
    }
    return id;
  }

  void send(std::uint64_t client_id, shared_frame frame) {
    if (auto it = clients.find(client_id); it != clients.end())
      if (auto client = it->second.client.lock()) client->deliver(std::move(frame));
  }
  void send(const hub_client& client, const server_frame& frame) {
    send(client.id(), shared_frame(frame));
  }

  // Sends a frame to every subscriber; a seq'd one is kept for resume from memory.
  void fan_out(conversation_state& c, const server_frame& frame, seq_t seq = 0) {
    const shared_frame text(frame);
    if (seq > 0) {
      c.recent.emplace_back(seq, text);
      if (c.recent.size() > opts.replay_memory_frames) c.recent.pop_front();
    }
    for (std::uint64_t id : c.subscribers)
      send(id, text);
  }

  seq_t next_seq(conversation_state& c) { return ++c.row.conv.last_seq; }

  // Runs `work` now, or after the store results the conversation waits for.
  // (A template: work run at once, the usual case, costs no std::function.)
  template <class Work>
  void run_or_defer(conversation_state& c, Work&& work) {
    if (c.busy > 0 || !c.deferred.empty())
      c.deferred.emplace_back(std::forward<Work>(work));
    else
      work();
  }

  // A store request whose result the conversation's next events must follow.
  void begin_wait(conversation_state& c) { ++c.busy; }
  void end_wait(const std::string& conversation_id) {
    auto it = conversations.find(conversation_id);
    if (it == conversations.end()) return;
    --it->second.busy;
    // Deferred work may forget the conversation (finish -> maybe_forget): look it up again.
    while ((it = conversations.find(conversation_id)) != conversations.end() &&
           it->second.busy == 0 && !it->second.deferred.empty()) {
      auto work = std::move(it->second.deferred.front());
      it->second.deferred.pop_front();
      work();
    }
    maybe_forget(conversation_id);
  }

  // ---- clients and conversations -----------------------------------------------------------

  // The conversation if `client` owns it; else the client gets NOT_FOUND (also for a
  // conversation that exists but is someone else's: ids cannot be probed).
  void with_conversation(const std::shared_ptr<hub_client>& client, const std::string& id,
                         std::optional<std::string> ref,
                         std::function<void(conversation_state&)> work) {
    load(id, [this, client, id, ref, work = std::move(work)](conversation_state* c) {
      if (c && c->row.owner_id == client->owner() && c->row.site_id == client->who().site_id)
        return work(*c);
      send(*client,
           error_for(error_code::not_found, "conversation_id: no such conversation", ref, id));
      if (c) maybe_forget(id);
    });
  }

  // The conversation, from memory or the store; nullptr when there is no such conversation.
  void load(const std::string& id, std::function<void(conversation_state*)> found) {
    if (auto it = conversations.find(id); it != conversations.end()) return found(&it->second);
    auto& waiters = loading[id];
    waiters.push_back(std::move(found));
    if (waiters.size() > 1) return;  // a load is already on its way
    db.get_conversation_with_asks(id, [this, id](store::outcome<conversation_with_asks> row) {
      on_strand([this, id, row = std::move(row)]() mutable {
        auto waiters = std::move(loading[id]);
        loading.erase(id);
        for (auto& waiter : waiters) {
          // Each waiter looks again: the one before may have forgotten it (NOT_FOUND), and a
          // conversation already in memory keeps its live state.
          conversation_state* c = nullptr;
          if (row) {
            auto [it, fresh] = conversations.try_emplace(id);
            c = &it->second;
            if (fresh) {
              c->row = row->row;
              for (const ask_frame& ask : row->open_asks)
                c->open_asks.emplace(ask.request_id, ask);
            }
          }
          waiter(c);
        }
      });
    });
  }

  void subscribe(conversation_state& c, std::uint64_t client_id) {
    if (!clients.contains(client_id)) return;  // the socket left while the store worked
    if (std::find(c.subscribers.begin(), c.subscribers.end(), client_id) == c.subscribers.end())
      c.subscribers.push_back(client_id);
  }

  // Drops a conversation from memory once nothing needs it; the store keeps it.
  void maybe_forget(const std::string& id) {
    auto it = conversations.find(id);
    if (it == conversations.end()) return;
    const conversation_state& c = it->second;
    if (c.subscribers.empty() && !c.reply && c.busy == 0 && c.deferred.empty())
      conversations.erase(it);
  }

  // ---- visitor frames --------------------------------------------------------------------

  void on_frame(const std::shared_ptr<hub_client>& client, client_frame frame) {
    std::visit([&](auto& f) { on(client, std::move(f)); }, frame);
  }

  void on(const std::shared_ptr<hub_client>&, auth_frame) {}  // the session's business
  void on(const std::shared_ptr<hub_client>&, ping_frame) {}

  // Every frame that can start an agent reply (message, reply, action, regenerate) passes
  // here first: the per-socket and per-identity messages-per-minute limits, so no frame type
  // gets a visitor more upstream LLM calls than the documented rate. Refused: RATE_LIMITED
  // with the frame's ref, and false.
  bool admit_reply_start(const hub_client& client, const std::string& ref,
                         const std::optional<std::string>& conversation_id) {
    const auto found = clients.find(client.id());
    if (found == clients.end()) return false;  // gone (an answer after a store read)
    const auto now = clock_type::now();
    if (admit(found->second.recent_messages, opts.messages_per_minute_per_socket, now) &&
        admit(identity_messages[client.owner()], opts.messages_per_minute_per_identity, now))
      return true;
    send(client,
         error_for(error_code::rate_limited, "too many messages per minute", ref, conversation_id));
    return false;
  }

  void on(const std::shared_ptr<hub_client>& client, message_frame f) {
    if (admit_reply_start(*client, f.client_msg_id, f.conversation_id))
      post_message(client, std::move(f));
  }

  // A visitor's message, admitted: into its conversation, or a new one.
  void post_message(const std::shared_ptr<hub_client>& client, message_frame f) {
    if (!clients.contains(client->id())) return;  // gone while the store read
    if (!f.conversation_id) return start_conversation(client, std::move(f));
    const std::string id = *f.conversation_id;
    with_conversation(client, id, f.client_msg_id, [this, client, f](conversation_state& c) {
      subscribe(c, client->id());
      run_or_defer(c, [this, client, f, id = c.row.conv.id] {
        add_user_message(client, conversations.at(id), user_message(f));
      });
    });
  }

  message user_message(const message_frame& f) {
    message m;
    m.id = new_id("m_");
    m.author_role = role::user;
    m.text = f.text;
    m.status = message_status::complete;
    m.created_at = now_ms();
    m.attachments = f.attachments;
    m.client_msg_id = f.client_msg_id;
    return m;
  }

  void start_conversation(const std::shared_ptr<hub_client>& client, message_frame f) {
    conversation conv;
    conv.id = new_id("c_");
    conv.title = title_from(f.text);
    const auto agent = agent_for(client->who().site_id, f.agent);
    if (!agent)
      return send(*client, error_for(error_code::bad_field, "agent: not available on this site",
                                     f.client_msg_id));
    conv.agent = *agent;
    conv.created_at = conv.updated_at = now_ms();
    message first = user_message(f);
    first.conversation_id = conv.id;
    first.seq = 1;
    db.start_conversation(
        conv, client->who().site_id, client->owner(), first,
        [this, client, ref = f.client_msg_id](store::outcome<added_message> added) {
          on_strand([this, client, ref, added = std::move(added)]() mutable {
            if (!added)
              return send(*client,
                          error_for(error_code::internal, "could not store the message", ref));
            // A visitor is stored with its first conversation, not at its first auth.
            if (added->inserted && client->who().anonymous)
              db.touch_visitor(client->who().user_id, client->who().site_id);
            const std::string id = added->conv.id;
            auto [it, fresh] = conversations.try_emplace(id);
            conversation_state& c = it->second;
            if (fresh)
              c.row = conversation_row{added->conv, client->who().site_id, client->owner()};
            subscribe(c, client->id());
            send(*client, conversation_frame{c.row.conv});
            acknowledge(client, c, *added);
          });
        });
  }

  void add_user_message(const std::shared_ptr<hub_client>& client, conversation_state& c,
                        message m) {
    m.conversation_id = c.row.conv.id;
    m.seq = next_seq(c);
    begin_wait(c);
    std::string ref = m.client_msg_id;
    db.add_user_message(
        std::move(m), client->owner(),
        [this, client, id = c.row.conv.id,
         ref = std::move(ref)](store::outcome<added_message> added) {
          on_strand([this, client, id, ref, added = std::move(added)]() mutable {
            auto it = conversations.find(id);
            if (it != conversations.end()) {
              if (added)
                acknowledge(client, it->second, *added);
              else  // the frame it answers, so the client can mark that message failed
                send(*client,
                     error_for(error_code::internal, "could not store the message", ref, id));
            }
            end_wait(id);
          });
        });
  }

  // After the store committed a visitor's message: the ack, the message to every tab, the
  // reply. A resend (not inserted) is acknowledged again and shown to its sender only.
  void acknowledge(const std::shared_ptr<hub_client>& client, conversation_state& c,
                   const added_message& added) {
    const message& m = added.msg;
    send(*client, ack_frame{m.client_msg_id, m.conversation_id, m.id, m.seq});
    // An answer closes its question; a resend too, in case the run that stored the answer
    // stopped before it could close the question in the store.
    if (m.client_msg_id.starts_with(answer_prefix) &&
        c.open_asks.erase(m.client_msg_id.substr(answer_prefix.size())) > 0)
      db.answer_ask(m.client_msg_id.substr(answer_prefix.size()));
    if (!added.inserted) {
      send(*client, message_event_frame{m});
      return client->acknowledged_resend(m);
    }
    stats->message_stored();
    fan_out(c, message_event_frame{m}, m.seq);
    request_reply(c);
  }

  void on(const std::shared_ptr<hub_client>& client, subscribe_frame f) {
    with_conversation(client, f.conversation_id, {}, [this, client, f](conversation_state& c) {
      run_or_defer(c, [this, client, f] {
        conversation_state& c = conversations.at(f.conversation_id);
        if (f.last_seq)
          resume(client, c, *f.last_seq);
        else
          send_newest_page(client, c);
      });
    });
  }

  void on(const std::shared_ptr<hub_client>& client, unsubscribe_frame f) {
    auto it = conversations.find(f.conversation_id);
    if (it == conversations.end() || std::erase(it->second.subscribers, client->id()) == 0)
      return send(*client, error_for(error_code::not_found, "conversation_id: not subscribed", {},
                                     f.conversation_id));
    maybe_forget(f.conversation_id);
  }

  void on(const std::shared_ptr<hub_client>& client, history_request_frame f) {
    with_conversation(client, f.conversation_id, {}, [this, client, f](conversation_state& c) {
      const std::size_t limit = f.limit ? static_cast<std::size_t>(*f.limit) : opts.history_page;
      if (!f.before_id)  // the newest page: in order with live events, with the live reply
        return run_or_defer(c, [this, client, id = f.conversation_id, limit] {
          send_newest_page(client, conversations.at(id), false, limit);
        });
      db.list_messages(
          f.conversation_id, f.before_id, limit,
          [this, client, f, live_seq = c.row.conv.last_seq](store::outcome<message_page> page) {
            on_strand([this, client, f, live_seq, page = std::move(page)]() mutable {
              if (!page)
                return send(*client,
                            page.error() == store_errc::not_found
                                ? error_for(error_code::not_found, "before_id: no such message", {},
                                            f.conversation_id)
                                : error_for(error_code::internal, "could not read history", {},
                                            f.conversation_id));
              send(*client, history_frame{f.conversation_id, std::move(page->messages), live_seq,
                                          page->has_more, f.before_id});
            });
          });
    });
  }

  void on(const std::shared_ptr<hub_client>& client, cancel_frame f) {
    with_conversation(client, f.conversation_id, {}, [](conversation_state& c) {
      if (c.reply) c.reply->handle->cancel();  // it finishes as `cancelled` by itself
    });
  }

  void on(const std::shared_ptr<hub_client>& client, reply_frame f) {
    // An answer to an `ask`: it continues the conversation as the visitor's next message.
    // The store finds the question, also after a restart; the conversation's state, in order
    // with its other events, tells open from answered.
    if (!admit_reply_start(*client, f.request_id, std::nullopt)) return;
    db.get_ask(f.request_id, [this, client, f](store::outcome<ask_row> row) {
      on_strand([this, client, f, row = std::move(row)] {
        if (!row || row->owner_id != client->owner() || row->site_id != client->who().site_id)
          return send(*client, error_for(error_code::not_found, "request_id: no open question",
                                         f.request_id));
        with_conversation(
            client, row->ask.conversation_id, f.request_id,
            [this, client, f](conversation_state& c) {
              run_or_defer(c, [this, client, f, id = c.row.conv.id] { answer(client, f, id); });
            });
      });
    });
  }

  // Sends an answer to an open question of conversation `id` on as the visitor's message;
  // the question closes once that is stored (acknowledge()).
  void answer(const std::shared_ptr<hub_client>& client, const reply_frame& f,
              const std::string& id) {
    if (!conversations.at(id).open_asks.contains(f.request_id)) {
      send(*client,
           error_for(error_code::conflict, "request_id: already answered", f.request_id, id));
      return maybe_forget(id);
    }
    post_message(
        client,
        message_frame{id, std::string(answer_prefix) + f.request_id, f.text, std::nullopt, {}, {}});
  }

  void on(const std::shared_ptr<hub_client>& client, action_frame f) {
    // A pressed button continues the conversation as the visitor's message: its label.
    if (!admit_reply_start(*client, f.message_id, std::nullopt)) return;
    db.get_message(f.message_id, [this, client, f](store::outcome<message_row> row) {
      on_strand([this, client, f, row = std::move(row)] {
        const button* pressed = nullptr;
        if (row && row->owner_id == client->owner())
          for (const button& b : row->msg.buttons)
            if (b.id == f.action_id) pressed = &b;
        if (!pressed)
          return send(*client, error_for(error_code::not_found, "no such button", f.message_id));
        // One press per button: a second is a resend. Ids stay within max_id_bytes.
        std::string press = "action-" + f.message_id + "-" + f.action_id;
        press.resize(std::min(press.size(), limits::max_id_bytes));
        post_message(
            client,
            message_frame{
                row->msg.conversation_id, std::move(press), pressed->label, std::nullopt, {}, {}});
      });
    });
  }

  void on(const std::shared_ptr<hub_client>& client, feedback_frame f) {
    db.set_feedback(f.message_id, client->owner(), f.rating, f.comment.value_or(""),
                    [this, client, id = f.message_id](boost::system::error_code ec) {
                      if (!ec) return;
                      on_strand([this, client, id, ec] {
                        send(*client, error_for(ec == store_errc::not_found ? error_code::not_found
                                                                            : error_code::internal,
                                                "message_id: no such message", id));
                      });
                    });
  }

  void on(const std::shared_ptr<hub_client>& client, regenerate_frame f) {
    if (!admit_reply_start(*client, f.message_id, std::nullopt)) return;
    db.get_message(f.message_id, [this, client, f](store::outcome<message_row> row) {
      on_strand([this, client, f, row = std::move(row)] {
        if (!row || row->owner_id != client->owner() || row->msg.author_role != role::assistant)
          return send(*client,
                      error_for(error_code::not_found, "message_id: no such reply", f.message_id));
        with_conversation(
            client, row->msg.conversation_id, f.message_id,
            [this, client, f](conversation_state& c) {
              subscribe(c, client->id());
              run_or_defer(c, [this, client, id = c.row.conv.id, ref = f.message_id] {
                conversation_state& c = conversations.at(id);
                if (c.reply)
                  return send(*client, error_for(error_code::conflict,
                                                 "a reply is streaming: cancel it first", ref, id));
                request_reply(c);
              });
            });
      });
    });
  }

  // ---- replies ---------------------------------------------------------------------------

  // The agent a new conversation on `site` gets: the one asked for if the site offers it,
  // else the site's default. nullopt: the one asked for is not offered.
  std::optional<std::string> agent_for(const std::string& site,
                                       const std::optional<std::string>& wanted) const {
    const auto offered = opts.site_agents.find(site);
    if (offered == opts.site_agents.end() || offered->second.empty())
      return wanted && agents.count(*wanted) ? *wanted : std::string("echo");
    if (!wanted) return offered->second.front();
    const auto& list = offered->second;
    if (std::find(list.begin(), list.end(), *wanted) == list.end()) return std::nullopt;
    return *wanted;
  }

  // Starts a reply, or — while one streams — stops it and answers afterwards.
  void request_reply(conversation_state& c) {
    if (shutting_down) return;
    if (c.reply) {
      c.reply_requested = true;
      c.reply->handle->cancel();
      return;
    }
    begin_wait(c);
    db.list_messages(c.row.conv.id, std::nullopt, opts.agent_history_window,
                     [this, id = c.row.conv.id](store::outcome<message_page> page) {
                       on_strand([this, id, page = std::move(page)]() mutable {
                         auto it = conversations.find(id);
                         if (it != conversations.end() && page)
                           start_reply(it->second, std::move(page->messages));
                         end_wait(id);
                       });
                     });
  }

  void start_reply(conversation_state& c, std::vector<message> history) {
    if (shutting_down) return;
    live_reply r;
    r.generation = next_generation++;
    r.msg.id = new_id("m_");
    r.msg.conversation_id = c.row.conv.id;
    r.msg.author_role = role::assistant;
    r.msg.status = message_status::streaming;
    r.msg.created_at = now_ms();
    r.msg.seq = next_seq(c);
    fan_out(c, message_event_frame{r.msg}, r.msg.seq);
    fan_out(c, typing_frame{c.row.conv.id, true});
    db.save_message(r.msg);

    auto agent_it = agents.find(c.row.conv.agent);
    stats->reply_started();
    const std::uint64_t generation = r.generation;
    reply_request request{c.row.conv.id, r.msg.id, std::move(history)};
    c.reply = std::move(r);
    if (agent_it == agents.end())
      return finish(c, finish_reason::error, std::nullopt, error_code::upstream_error,
                    "this conversation's agent is no longer configured");
    c.reply->handle = agent_it->second->start(
        std::move(request), std::make_shared<sink>(hub, c.row.conv.id, generation));
  }

  void save(conversation_state& c, bool final, store::done_callback done = {}) {
    live_reply& r = *c.reply;
    if (final && r.tokens)
      db.save_message(r.msg, *r.tokens, std::move(done));
    else
      db.save_message(r.msg, std::move(done));
    r.unsaved_events = 0;
    r.last_save = clock_type::now();
  }

  void maybe_save(conversation_state& c) {
    live_reply& r = *c.reply;
    if (++r.unsaved_events >= opts.save_every_events ||
        clock_type::now() - r.last_save >= opts.save_interval)
      save(c, false);
  }

  void delta(conversation_state& c, const std::string& text) {
    live_reply& r = *c.reply;
    const bool first = !r.first_delta;
    if (first) r.first_delta = clock_type::now() - r.started;
    stats->delta_sent(text.size());
    r.msg.text += text;
    r.msg.seq = next_seq(c);
    auto& event = std::get<delta_frame>(r.delta_event);
    if (event.message_id.empty()) event = delta_frame{c.row.conv.id, r.msg.id, 0, {}};
    event.seq = r.msg.seq;
    event.text.assign(text);
    if (!first) {
      fan_out(c, r.delta_event, r.msg.seq);
      return maybe_save(c);
    }
    // The first words go out once they are stored, as an ack does: a crash before the first
    // periodic save would otherwise leave the reply empty in the store, though the visitor saw
    // them. Later deltas run ahead of their save by at most save_interval or
    // save_every_events, and a client keeps the longer text it holds (docs/protocol.md §8).
    begin_wait(c);
    save(c, false,
         [this, id = c.row.conv.id, seq = r.msg.seq,
          frame = r.delta_event](boost::system::error_code) {
           on_strand([this, id, seq, frame] {
             if (auto it = conversations.find(id); it != conversations.end())
               fan_out(it->second, frame, seq);
             end_wait(id);
           });
         });
  }

  void progress(conversation_state& c, std::string step, std::string label) {
    fan_out(c, progress_frame{c.row.conv.id, c.reply->msg.id, std::move(step), std::move(label)});
  }

  void ask(conversation_state& c, std::string question, std::vector<std::string> choices) {
    const seq_t seq = next_seq(c);
    ask_frame frame{c.row.conv.id, seq, new_id("q_"), std::move(question), std::move(choices)};
    c.open_asks[frame.request_id] = frame;
    db.save_ask(frame);  // before any `reply` can look it up: store requests run in order
    fan_out(c, frame, seq);
  }

  void finish(conversation_state& c, finish_reason reason, std::optional<usage> tokens,
              std::optional<error_code> code, std::string error_message) {
    live_reply& r = *c.reply;
    stats->reply_finished(reason, r.first_delta, clock_type::now() - r.started);
    r.tokens = tokens;
    r.msg.status = status_after(reason);
    r.msg.seq = next_seq(c);
    const std::string& id = c.row.conv.id;
    fan_out(c, done_frame{id, r.msg.id, r.msg.seq, r.msg.text, reason, tokens, {}}, r.msg.seq);
    if (code) fan_out(c, error_for(*code, std::move(error_message), std::nullopt, id));
    fan_out(c, typing_frame{id, false});
    if (!r.msg.buttons.empty()) {
      // `done` carries no buttons: the whole message, once more, does.
      r.msg.seq = next_seq(c);
      fan_out(c, message_event_frame{r.msg}, r.msg.seq);
    }
    save(c, true);
    c.reply.reset();
    if (c.reply_requested) {
      c.reply_requested = false;
      request_reply(c);
    }
    maybe_forget(std::string(id));  // a copy: forgetting destroys `c`
  }

  // ---- the site's backend ------------------------------------------------------------------

  // A human operator's message into a conversation of `site_id`: stored, then shown live to
  // every subscriber. The agent does not answer it. A resend (same client_msg_id) is answered
  // with the stored message; one that names a visitor's message is a conflict.
  void add_operator_message(const std::string& site_id, message m, operator_done done) {
    const std::string id = m.conversation_id;
    load(id, [this, site_id, m = std::move(m), done = std::move(done)](conversation_state* c) {
      if (!c || c->row.site_id != site_id) {
        if (c) maybe_forget(c->row.conv.id);
        return done(make_error_code(store_errc::not_found));
      }
      run_or_defer(*c, [this, m, done] { store_operator_message(m, done); });
    });
  }

  void store_operator_message(message m, const operator_done& done) {
    conversation_state& c = conversations.at(m.conversation_id);
    m.id = new_id("m_");
    m.author_role = role::operator_;
    m.status = message_status::complete;
    m.created_at = now_ms();
    m.seq = next_seq(c);
    begin_wait(c);
    db.add_operator_message(std::move(m), c.row.site_id,
                            [this, id = c.row.conv.id, done](store::outcome<added_message> added) {
                              on_strand([this, id, done, added = std::move(added)] {
                                auto it = conversations.find(id);
                                if (added && added->inserted && it != conversations.end())
                                  fan_out(it->second, message_event_frame{added->msg},
                                          added->msg.seq);
                                end_wait(id);
                                if (!added) return done(added.error());
                                done(added->msg);
                              });
                            });
  }

  // Before the store deletes a conversation: a streaming reply stops (unsaved), and every
  // socket subscribed to it hears that it is gone.
  void drop(const std::string& id) {
    auto it = conversations.find(id);
    if (it == conversations.end()) return;
    conversation_state& c = it->second;
    if (c.reply) {
      if (c.reply->handle) c.reply->handle->cancel();
      stats->reply_finished(finish_reason::cancelled, c.reply->first_delta,
                            clock_type::now() - c.reply->started);
    }
    fan_out(c, error_for(error_code::not_found, "conversation_id: the conversation was deleted",
                         std::nullopt, id));
    conversations.erase(it);  // late agent events and store results find nothing
  }

  // ---- resume and history -------------------------------------------------------------------

  void resume(const std::shared_ptr<hub_client>& client, conversation_state& c, seq_t last_seq) {
    subscribe(c, client->id());
    if (last_seq >= c.row.conv.last_seq) return;  // nothing missed
    if (!c.recent.empty() && c.recent.front().first <= last_seq + 1) {
      // Everything missed is still in memory: the same frames, byte for byte.
      for (const auto& [seq, frame] : c.recent)
        if (seq > last_seq) send(client->id(), frame);
      return;
    }
    begin_wait(c);
    db.messages_after(
        c.row.conv.id, last_seq, opts.replay_limit,
        [this, client, id = c.row.conv.id, last_seq](store::outcome<message_replay> replay) {
          on_strand([this, client, id, last_seq, replay = std::move(replay)]() mutable {
            auto it = conversations.find(id);
            if (it != conversations.end()) {
              if (!replay || replay->has_more) {
                // Not subscribed after all: the client reloads with `history` first.
                std::erase(it->second.subscribers, client->id());
                send(*client,
                     replay ? error_for(error_code::resume_gap,
                                        "last_seq: older than what can be replayed", {}, id)
                            : error_for(error_code::internal, "could not read history", {}, id));
              } else
                send_in_seq_order(*client, it->second,
                                  with_live_reply(it->second, std::move(replay->messages)),
                                  last_seq);
            }
            end_wait(id);
          });
        });
  }

  // The open questions asked after `seq`, in seq order.
  std::vector<ask_frame> open_asks_after(const conversation_state& c, seq_t seq) const {
    std::vector<ask_frame> asks;
    for (const auto& [request_id, ask] : c.open_asks)
      if (ask.seq > seq) asks.push_back(ask);
    std::sort(asks.begin(), asks.end(),
              [](const ask_frame& a, const ask_frame& b) { return a.seq < b.seq; });
    return asks;
  }

  // What a resuming socket missed, from the store: the messages (in seq order) and the open
  // questions asked after `seq`, interleaved by seq.
  void send_in_seq_order(const hub_client& client, const conversation_state& c,
                         std::vector<message> messages, seq_t seq) {
    const std::vector<ask_frame> asks = open_asks_after(c, seq);
    auto ask = asks.begin();
    for (message& m : messages) {
      for (; ask != asks.end() && ask->seq < m.seq; ++ask)
        send(client, *ask);
      send(client, message_event_frame{std::move(m)});
    }
    for (; ask != asks.end(); ++ask)
      send(client, *ask);
  }

  // Stored messages with the streaming reply as it is now, not as last saved.
  std::vector<message> with_live_reply(const conversation_state& c, std::vector<message> stored) {
    if (!c.reply) return stored;
    bool found = false;
    for (message& m : stored)
      if (m.id == c.reply->msg.id) {
        m = c.reply->msg;
        found = true;
      }
    if (!found) stored.push_back(c.reply->msg);
    std::sort(stored.begin(), stored.end(),
              [](const message& a, const message& b) { return a.seq < b.seq; });
    return stored;
  }

  // The newest page, as things are now (the streaming reply as streamed so far), then the
  // open questions again. With `then_subscribe`, live events follow (`subscribe`).
  void send_newest_page(const std::shared_ptr<hub_client>& client, conversation_state& c,
                        bool then_subscribe = true, std::size_t limit = 0) {
    if (then_subscribe) subscribe(c, client->id());
    begin_wait(c);
    db.list_messages(
        c.row.conv.id, std::nullopt, limit ? limit : opts.history_page,
        [this, client, id = c.row.conv.id](store::outcome<message_page> page) {
          on_strand([this, client, id, page = std::move(page)]() mutable {
            auto it = conversations.find(id);
            if (it != conversations.end() && !page)
              send(*client, error_for(error_code::internal, "could not read history", {}, id));
            if (it != conversations.end() && page) {
              conversation_state& c = it->second;
              send(*client, history_frame{id, with_live_reply(c, std::move(page->messages)),
                                          c.row.conv.last_seq, page->has_more, std::nullopt});
              for (const ask_frame& ask : open_asks_after(c, 0))  // open questions come again
                send(*client, ask);
            }
            end_wait(id);
          });
        });
  }
};

// ---- the agent sink -----------------------------------------------------------------------

void chat_hub::sink::progress(std::string step, std::string label) {
  post([step = std::move(step), label = std::move(label)](state& s, conversation_state& c) {
    s.progress(c, step, label);
  });
}

void chat_hub::sink::delta(std::string_view text) {
  post([text = std::string(text)](state& s, conversation_state& c) { s.delta(c, text); });
}

void chat_hub::sink::ask(std::string question, std::vector<std::string> choices) {
  post([question = std::move(question), choices = std::move(choices)](
           state& s, conversation_state& c) { s.ask(c, question, choices); });
}

void chat_hub::sink::buttons(std::vector<button> buttons) {
  post([buttons = std::move(buttons)](state&, conversation_state& c) {
    c.reply->msg.buttons = buttons;
  });
}

void chat_hub::sink::finish(finish_reason reason, std::optional<usage> tokens,
                            std::optional<error_code> code, std::string message) {
  post([=](state& s, conversation_state& c) { s.finish(c, reason, tokens, code, message); });
}

// Runs `event` on the strand, in the conversation's order, if its reply is still this one.
template <class Event>
void chat_hub::sink::post(Event&& event) {
  auto hub = hub_.lock();
  if (!hub) return;
  state& s = *hub->state_;
  // The sink itself, not a copy of its conversation id, rides along: no allocation per event.
  s.on_strand([hub, &s, self = shared_from_this(), event = std::forward<Event>(event)]() mutable {
    auto it = s.conversations.find(self->conversation_id_);
    if (it == s.conversations.end()) return;
    s.run_or_defer(it->second, [&s, self, event = std::move(event)]() mutable {
      auto it = s.conversations.find(self->conversation_id_);
      if (it == s.conversations.end()) return;
      conversation_state& c = it->second;
      if (c.reply && c.reply->generation == self->generation_) event(s, c);
    });
  });
}

// ---- public functions ---------------------------------------------------------------------

chat_hub::chat_hub(asio::io_context& io, store& db, agent_map agents, options opts,
                   std::shared_ptr<metrics> stats)
    : state_(std::make_unique<state>(io, db, std::move(agents), opts, std::move(stats))) {}

chat_hub::~chat_hub() = default;

std::shared_ptr<chat_hub> chat_hub::create(asio::io_context& io, store& db, agent_map agents,
                                           options opts, std::shared_ptr<metrics> stats) {
  auto hub = std::make_shared<chat_hub>(io, db, std::move(agents), opts, std::move(stats));
  hub->state_->hub = hub;
  return hub;
}

void chat_hub::connect(std::shared_ptr<hub_client> client) {
  state_->on_strand([s = state_.get(), self = shared_from_this(), client = std::move(client)] {
    s->clients[client->id()].client = client;
  });
}

void chat_hub::disconnect(std::uint64_t client_id) {
  state_->on_strand([s = state_.get(), self = shared_from_this(), client_id] {
    if (auto it = s->clients.find(client_id); it != s->clients.end()) {
      // Forget the identity's message times once none is within the last minute.
      if (auto client = it->second.client.lock()) {
        auto times = s->identity_messages.find(client->owner());
        if (times != s->identity_messages.end() &&
            (times->second.empty() ||
             clock_type::now() - times->second.back() > std::chrono::minutes(1)))
          s->identity_messages.erase(times);
      }
    }
    s->clients.erase(client_id);
    std::vector<std::string> left;
    for (auto& [id, c] : s->conversations) {
      std::erase(c.subscribers, client_id);
      left.push_back(id);
    }
    // A disconnect does not cancel: a streaming reply finishes and is stored.
    for (const std::string& id : left)
      s->maybe_forget(id);
  });
}

void chat_hub::handle(std::shared_ptr<hub_client> client, client_frame frame) {
  state_->on_strand(
      [s = state_.get(), self = shared_from_this(), client = std::move(client),
       frame = std::move(frame)]() mutable { s->on_frame(client, std::move(frame)); });
}

void chat_hub::notify(std::string site_id, notification_frame frame,
                      std::function<void(bool)> done) {
  std::string id = frame.conversation_id.value_or("");  // before `frame` moves away
  state_->db.get_conversation(std::move(id), [s = state_.get(), self = shared_from_this(),
                                              site_id = std::move(site_id),
                                              frame = std::move(frame), done = std::move(done)](
                                                 store::outcome<conversation_row> row) {
    const bool found = row && row->site_id == site_id;
    if (found)
      s->on_strand([s, self, frame] {
        if (auto it = s->conversations.find(*frame.conversation_id); it != s->conversations.end())
          s->fan_out(it->second, frame);  // nobody subscribed: nobody to tell
      });
    done(found);
  });
}

void chat_hub::add_operator_message(std::string site_id, message m, operator_done done) {
  state_->on_strand([s = state_.get(), self = shared_from_this(), site_id = std::move(site_id),
                     m = std::move(m),
                     done = std::move(done)] { s->add_operator_message(site_id, m, done); });
}

void chat_hub::delete_conversation(std::string id,
                                   std::function<void(boost::system::error_code)> done) {
  state_->on_strand(
      [s = state_.get(), self = shared_from_this(), id = std::move(id), done = std::move(done)] {
        s->drop(id);
        s->db.delete_conversation(id, std::nullopt, done);
      });
}

void chat_hub::shutdown(std::function<void()> done) {
  state_->on_strand([s = state_.get(), self = shared_from_this(), done = std::move(done)] {
    s->shutting_down = true;
    std::vector<std::string> streaming;
    for (auto& [id, c] : s->conversations)
      if (c.reply) streaming.push_back(id);
    for (const std::string& id : streaming) {
      conversation_state& c = s->conversations.at(id);
      c.reply->handle->cancel();
      s->finish(c, finish_reason::interrupted, c.reply->tokens, std::nullopt, {});
    }
    for (auto& [id, entry] : s->clients)
      if (auto client = entry.client.lock()) client->close_going_away();
    s->db.flush(done);
  });
}

}  // namespace palaver::server
