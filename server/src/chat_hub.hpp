// The chat hub: conversations, the sockets subscribed to them and the replies streaming into
// them. It orders every event of a conversation by seq, stores what must survive (user
// messages before their ack, replies periodically and at their end), fans each frame out
// serialized once, and replays what a resuming socket missed.
// Threading: every public function may be called from any thread; the hub's state lives on
// its own strand. It holds no lock while a socket writes: deliver() only queues.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "palaver/frames.hpp"

#include <boost/system/result.hpp>

#include "agent.hpp"
#include "hub_client.hpp"
#include "shared_frame.hpp"

namespace boost::asio {
class io_context;
}

namespace palaver::server {

class metrics;
class store;

class chat_hub : public std::enable_shared_from_this<chat_hub> {
 public:
  struct options {
    std::size_t history_page = 50;            // messages in the page `subscribe` answers with
    std::size_t replay_limit = 500;           // more missed messages than this: RESUME_GAP
    std::size_t replay_memory_frames = 4096;  // recent frames per conversation kept for resume
    std::size_t agent_history_window = 20;    // messages an agent sees
    int messages_per_minute_per_socket = 20;
    int messages_per_minute_per_identity = 60;
    // A streaming reply is saved at its first delta (sent once stored), then at least this
    // often (events) —
    // below the store's unsaved_seq_margin, so seqs stay unique across a crash — and at least
    // every interval: what a crash can take from the stored text of a reply.
    int save_every_events = 64;
    std::chrono::milliseconds save_interval{250};
    // Per site: the agents its visitors may pick, the first being the default.
    std::map<std::string, std::vector<std::string>, std::less<>> site_agents;
  };

  using agent_map = std::map<std::string, std::shared_ptr<agent>, std::less<>>;

  // The hub's sinks hold it weakly: make it with create().
  static std::shared_ptr<chat_hub> create(boost::asio::io_context& io, store& db, agent_map agents,
                                          options opts, std::shared_ptr<metrics> stats);
  chat_hub(boost::asio::io_context& io, store& db, agent_map agents, options opts,
           std::shared_ptr<metrics> stats);
  ~chat_hub();

  void connect(std::shared_ptr<hub_client> client);
  void disconnect(std::uint64_t client_id);
  // Every frame but auth and ping (the session answers those itself).
  void handle(std::shared_ptr<hub_client> client, client_frame frame);
  // Delivers a notification to every socket subscribed to a conversation of `site_id` (the
  // push of a site's backend). `done(false)`: no such conversation on that site.
  void notify(std::string site_id, notification_frame frame, std::function<void(bool)> done);
  // A human operator's message (role `operator`, with m.conversation_id, client_msg_id, text
  // and author set) into a conversation of `site_id`, shown live to its subscribers; `done`
  // gets the stored message (the earlier one for a resend of its client_msg_id), or
  // store_errc::not_found (no such conversation on that site).
  using operator_done = std::function<void(boost::system::result<message>)>;
  void add_operator_message(std::string site_id, message m, operator_done done);
  // Deletes a conversation (its owner was checked): a streaming reply stops, subscribed
  // sockets get NOT_FOUND for it, then the store deletes it and `done` runs.
  void delete_conversation(std::string id, std::function<void(boost::system::error_code)> done);
  // Ends every streaming reply as `interrupted`, saves it, closes every socket with 1001 and
  // calls `done` (on the store's thread) once the store has committed everything.
  void shutdown(std::function<void()> done);

 private:
  struct state;
  class sink;
  std::unique_ptr<state> state_;
};

}  // namespace palaver::server
