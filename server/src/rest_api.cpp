// The REST API's routes. See rest_api.hpp and docs/api.md.
//
// Sections: responses · who is asking · the synchronous message · routes.
#include "rest_api.hpp"

#include <charconv>
#include <mutex>
#include <optional>

#include "palaver/codec.hpp"
#include "palaver/transcript.hpp"

#include <boost/asio/steady_timer.hpp>

#include "chat_hub.hpp"
#include "hub_client.hpp"
#include "server_context.hpp"
#include "store.hpp"

namespace palaver::server {
namespace {

using done_fn = std::function<void(rest_response)>;

// How long a synchronous message waits for its whole reply.
constexpr std::chrono::seconds sync_reply_timeout{120};

// ---- responses ----------------------------------------------------------------------------

int status_for(error_code code) {
  switch (code) {
    case error_code::auth_required:
    case error_code::auth_failed:
      return 401;
    case error_code::forbidden:
      return 403;
    case error_code::not_found:
      return 404;
    case error_code::conflict:
      return 409;
    case error_code::too_large:
      return 413;
    case error_code::rate_limited:
      return 429;
    case error_code::upstream_error:
      return 502;
    case error_code::upstream_timeout:
      return 504;
    case error_code::internal:
      return 500;
    default:
      return 400;
  }
}

// Errors have the body of the protocol's `error` frame.
rest_response failure(error_code code, std::string message) {
  return {status_for(code), encode(server_frame{error_frame{code, std::move(message), {}, {}}})};
}

// A body the codec refused: its error frame (field and rule, never the value).
rest_response rejected(const decode_error& error) {
  return {status_for(error.code), encode(server_frame{make_error_frame(error)})};
}

std::string json_list(std::string_view key, const std::vector<std::string>& items) {
  std::string out = "\"" + std::string(key) + "\":[";
  for (std::size_t i = 0; i < items.size(); ++i)
    out += (i ? "," : "") + items[i];
  return out + "]";
}

// ---- who is asking -------------------------------------------------------------------------

struct caller {
  const site_entry* site = nullptr;
  std::optional<identity> who;  // absent: the site's backend (its API key)
  std::string owner;            // owner_id(*who)
};

std::optional<std::string> query_param(std::string_view target, std::string_view name) {
  const auto question = target.find('?');
  if (question == std::string_view::npos) return std::nullopt;
  std::string_view query = target.substr(question + 1);
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    if (pair.starts_with(name) && pair.size() > name.size() && pair[name.size()] == '=')
      return std::string(pair.substr(name.size() + 1));
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
  }
  return std::nullopt;
}

std::size_t limit_param(std::string_view target, std::size_t fallback) {
  const auto text = query_param(target, "limit");
  std::size_t value = 0;
  if (!text || std::from_chars(text->data(), text->data() + text->size(), value).ec != std::errc{})
    return fallback;
  return std::clamp<std::size_t>(value, 1, max_page_rows);
}

// The caller behind the Authorization header: a site's backend (API key) or a visitor/user.
std::variant<caller, rest_response> identify(const server_context& context,
                                             const rest_request& request) {
  const site_entry* site = context.find_site(
      request.site.empty() ? std::nullopt : std::optional<std::string>(request.site));
  if (!site) return failure(error_code::not_found, "no such site");
  constexpr std::string_view bearer = "Bearer ";
  if (!request.authorization.starts_with(bearer))
    return failure(error_code::auth_required, "send Authorization: Bearer <token or API key>");
  const std::string_view token = std::string_view(request.authorization).substr(bearer.size());
  if (api_key_matches(token, site->api_key)) return caller{site, std::nullopt, {}};
  auto who = context.auth->authenticate(site->auth, token);
  if (!who) return failure(error_code::auth_failed, who.error().reason);
  return caller{site, who->who, owner_id(who->who)};
}

bool may_read(const caller& c, const conversation_row& row) {
  return row.site_id == c.site->auth.site_id && (!c.who || row.owner_id == c.owner);
}

// ---- the synchronous message ---------------------------------------------------------------

// The answer to a message sent before with the same client_msg_id: at once, with its reply
// as stored (the first assistant message after it; still streaming, it is as last saved).
// 202 without `reply` while there is none yet.
void answer_repeat(const server_context& context, message sent, done_fn done) {
  const std::string id = sent.conversation_id;
  const seq_t after = sent.seq;
  context.db->messages_after(
      id, after, max_page_rows,
      [sent = std::move(sent), done](store::outcome<message_replay> later) {
        if (!later) return done(failure(error_code::internal, "could not read the reply"));
        std::string body =
            R"({"conversation_id":")" + sent.conversation_id + R"(","message":)" + encode(sent);
        for (const message& m : later->messages)
          if (m.author_role == role::assistant)
            return done({200, body + R"(,"reply":)" + encode(m) + "}"});
        done({202, body + "}"});
      });
}

// Takes part in the hub like a socket would, to post one message and collect its reply.
class sync_message final : public hub_client, public std::enable_shared_from_this<sync_message> {
 public:
  sync_message(std::shared_ptr<server_context> context, identity who, std::string client_msg_id,
               std::optional<std::string> conversation_id, done_fn done)
      : context_(std::move(context)),
        who_(std::move(who)),
        owner_(owner_id(who_)),
        id_(next_client_id()),
        client_msg_id_(std::move(client_msg_id)),
        conversation_id_(std::move(conversation_id)),
        done_(std::move(done)) {}

  void start(message_frame frame, boost::asio::any_io_executor executor) {
    timer_ = std::make_shared<boost::asio::steady_timer>(executor, sync_reply_timeout);
    timer_->async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (!ec) self->finish(failure(error_code::upstream_timeout, "no whole reply in time"));
    });
    context_->hub->connect(shared_from_this());
    context_->hub->handle(shared_from_this(), std::move(frame));
  }

  // Called on the hub's strand, in order.
  void deliver(shared_frame text) override {
    auto frame = decode_server_frame(text.text());
    if (!frame) return;
    std::lock_guard lock(mutex_);
    if (auto* e = std::get_if<error_frame>(&*frame); e && e->ref == client_msg_id_)
      return finish_locked({status_for(e->code), std::string(text.text())});
    if (auto* c = std::get_if<conversation_frame>(&*frame)) conversation_id_ = c->conversation.id;
    if (!conversation_id_) return;
    if (!transcript_) transcript_.emplace(*conversation_id_);
    transcript_->apply(*frame);
    if (auto* ack = std::get_if<ack_frame>(&*frame)) {
      ack_seq_ = ack->seq;
      message_id_ = ack->message_id;
    }
    if (auto* m = std::get_if<message_event_frame>(&*frame);
        m && ack_seq_ && m->message.author_role == role::assistant && m->message.seq > ack_seq_ &&
        reply_id_.empty())
      reply_id_ = m->message.id;
    if (auto* d = std::get_if<done_frame>(&*frame); d && d->message_id == reply_id_) respond();
  }
  // The message was stored before (a repeat that raced its first post past the store
  // look-up): no new reply comes for it, so the answer is the stored exchange, as for any
  // repeat. Called on the hub's strand.
  void acknowledged_resend(const message& sent) override {
    done_fn done;
    {
      std::lock_guard lock(mutex_);
      done = take_done_locked();
    }
    if (done) answer_repeat(*context_, sent, std::move(done));
  }
  void close_going_away() override {
    finish(failure(error_code::internal, "the server is stopping"));
  }
  const identity& who() const override { return who_; }
  const std::string& owner() const override { return owner_; }
  std::uint64_t id() const override { return id_; }

 private:
  void respond() {
    const message* sent = transcript_->find(message_id_);
    const message* reply = transcript_->find(reply_id_);
    if (!sent || !reply) return finish_locked(failure(error_code::internal, "reply lost"));
    finish_locked({200, "{\"conversation_id\":\"" + *conversation_id_ + "\",\"message\":" +
                            encode(*sent) + ",\"reply\":" + encode(*reply) + "}"});
  }

  void finish(rest_response response) {
    std::lock_guard lock(mutex_);
    finish_locked(std::move(response));
  }

  void finish_locked(rest_response response) {
    if (done_fn done = take_done_locked()) done(std::move(response));
  }

  // Ends the wait and leaves the hub; the answer is the caller's to give. Empty if it was
  // already given.
  done_fn take_done_locked() {
    if (finished_) return {};
    finished_ = true;
    if (timer_) timer_->cancel();
    context_->hub->disconnect(id_);
    return std::move(done_);
  }

  std::shared_ptr<server_context> context_;
  identity who_;
  std::string owner_;
  std::uint64_t id_;
  std::string client_msg_id_;
  std::optional<std::string> conversation_id_;
  done_fn done_;
  std::shared_ptr<boost::asio::steady_timer> timer_;

  std::mutex mutex_;  // deliver() on the hub's strand, the timeout on another
  bool finished_ = false;
  std::optional<transcript> transcript_;
  seq_t ack_seq_ = 0;
  std::string message_id_;
  std::string reply_id_;
};

// ---- routes --------------------------------------------------------------------------------

void post_operator_message(const server_context& context, const caller& c, message_frame frame,
                           done_fn done) {
  if (!frame.conversation_id)
    return done(
        failure(error_code::bad_field, "conversation_id: an operator joins a conversation"));
  if (!frame.attachments.empty())
    return done(failure(error_code::bad_field, "attachments: not from an operator"));
  message m;
  m.conversation_id = std::move(*frame.conversation_id);
  m.client_msg_id = std::move(frame.client_msg_id);
  m.text = std::move(frame.text);
  m.author = std::move(frame.author);
  context.hub->add_operator_message(
      c.site->auth.site_id, std::move(m), [done](boost::system::result<message> stored) {
        if (stored) return done({201, encode(*stored)});
        if (stored.error() == store_errc::not_found)
          return done(failure(error_code::not_found, "no such conversation"));
        done(failure(error_code::internal, "could not store the message"));
      });
}

// A visitor's or user's thumbs up or down on a reply in one of their conversations.
void post_feedback(const server_context& context, const caller& c, const rest_request& request,
                   done_fn done) {
  if (!c.who) return done(failure(error_code::forbidden, "rate as a visitor or user"));
  auto frame = decode_client_body("feedback", request.body);
  if (!frame) return done(rejected(frame.error()));
  auto& f = std::get<feedback_frame>(*frame);
  context.db->set_feedback(f.message_id, c.owner, f.rating, f.comment.value_or(""),
                           [done](boost::system::error_code ec) {
                             if (!ec) return done({204, {}});
                             done(ec == store_errc::not_found
                                      ? failure(error_code::not_found, "no such message")
                                      : failure(error_code::internal, "could not store it"));
                           });
}

void create_visitor(server_context& context, const rest_request& request, done_fn done) {
  const site_entry* site = context.find_site(
      request.site.empty() ? std::nullopt : std::optional<std::string>(request.site));
  if (!site) return done(failure(error_code::not_found, "no such site"));
  if (!site->auth.allow_anonymous)
    return done(failure(error_code::forbidden, "this site does not allow anonymous visitors"));
  // Anyone may ask, with no credential: bounded per client address. A visitor costs nothing
  // until it sends a message (the store sees it then), so what gets through is cheap.
  if (!context.addresses.admit_new_visitor(request.peer, context.limits))
    return done(failure(error_code::rate_limited, "too many new visitors from this address"));
  auto visitor = context.auth->new_visitor(site->auth.site_id);
  if (!visitor) return done(failure(error_code::internal, visitor.error().reason));
  // Both values are of safe characters: no escaping needed.
  done({201, "{\"token\":\"" + *visitor->visitor_token + "\",\"user_id\":\"" +
                 visitor->who.user_id + "\"}"});
}

void list_conversations(const server_context& context, const caller& c, const rest_request& request,
                        done_fn done) {
  std::optional<conversation_cursor> before;
  if (auto cursor = query_param(request.target, "before")) {
    const auto dot = cursor->find('.');
    conversation_cursor parsed;
    if (dot == std::string::npos ||
        std::from_chars(cursor->data(), cursor->data() + dot, parsed.updated_at).ec != std::errc{})
      return done(failure(error_code::bad_field, "before: not a cursor from `next`"));
    parsed.id = cursor->substr(dot + 1);
    before = std::move(parsed);
  }
  context.db->list_conversations(
      c.site->auth.site_id, c.who ? std::optional<std::string>(c.owner) : std::nullopt,
      limit_param(request.target, 20), before, [done](store::outcome<conversation_page> page) {
        if (!page) return done(failure(error_code::internal, "could not read conversations"));
        conversation_list list;
        for (conversation_row& row : page->conversations)
          list.conversations.push_back(std::move(row.conv));
        if (page->next) list.next = std::to_string(page->next->updated_at) + "." + page->next->id;
        done({200, encode(list)});
      });
}

// Runs `work` with the conversation if the caller may see it; NOT_FOUND otherwise.
void with_conversation(const server_context& context, const caller& c, const std::string& id,
                       done_fn done, std::function<void(conversation_row)> work) {
  context.db->get_conversation(id, [c, done, work](store::outcome<conversation_row> row) {
    if (!row || !may_read(c, *row))
      return done(failure(error_code::not_found, "no such conversation"));
    work(std::move(*row));
  });
}

void list_messages(const server_context& context, const caller& c, const std::string& id,
                   const rest_request& request, done_fn done) {
  with_conversation(context, c, id, done, [db = context.db, id, request, done](conversation_row) {
    db->list_messages(id, query_param(request.target, "before"), limit_param(request.target, 50),
                      [done](store::outcome<message_page> page) {
                        if (!page)
                          return done(failure(error_code::not_found, "before: no such message"));
                        std::vector<std::string> items;  // newest first
                        for (auto it = page->messages.rbegin(); it != page->messages.rend(); ++it)
                          items.push_back(encode(*it));
                        std::string body = "{" + json_list("messages", items);
                        if (page->has_more && !page->messages.empty())
                          body += ",\"next\":\"" + page->messages.front().id + "\"";
                        done({200, body + "}"});
                      });
  });
}

// A visitor's or user's message, answered synchronously; from the site's backend, a human
// operator's message into the conversation, shown live and not answered by the agent.
void post_message(std::shared_ptr<server_context> context, const caller& c,
                  const rest_request& request, std::optional<std::string> conversation_id,
                  done_fn done) {
  auto frame = decode_client_body("message", request.body);
  if (!frame) return done(rejected(frame.error()));
  auto& message = std::get<message_frame>(*frame);
  if (conversation_id) message.conversation_id = conversation_id;
  if (!c.who) return post_operator_message(*context, c, std::move(message), std::move(done));
  // A repeat (a client that timed out and tries again) is answered from the store: the hub
  // would only acknowledge it again, and no new reply would come to end the wait. (One that
  // passes this look-up while its first post is being stored is told so by the hub.)
  std::string client_msg_id = message.client_msg_id;
  context->db->get_sent_message(
      c.owner, std::move(client_msg_id),
      [context, who = *c.who, message = std::move(message),
       done = std::move(done)](store::outcome<message_row> sent) mutable {
        if (sent) return answer_repeat(*context, std::move(sent->msg), std::move(done));
        if (sent.error() != store_errc::not_found)
          return done(failure(error_code::internal, "could not read the messages"));
        auto poster = std::make_shared<sync_message>(context, who, message.client_msg_id,
                                                     message.conversation_id, std::move(done));
        poster->start(std::move(message), context->executor);
      });
}

// An empty conversation for the caller, with the site's default agent.
void create_conversation(const server_context& context, const caller& c, done_fn done) {
  if (!c.who) return done(failure(error_code::forbidden, "create as a visitor or user"));
  const auto random = generate_secret();  // 256 random bits, base64url
  if (!random) return done(failure(error_code::internal, "no randomness"));
  conversation conv;
  conv.id = "c_" + random->substr(0, 22);
  conv.agent = c.site->default_agent;
  conv.created_at = conv.updated_at = std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count();
  context.db->create_conversation(conv, c.site->auth.site_id, c.owner,
                                  [conv, done](boost::system::error_code ec) {
                                    done(ec ? failure(error_code::internal, "could not create")
                                            : rest_response{201, encode(conv)});
                                  });
}

void push_notification(const server_context& context, const caller& c, const std::string& id,
                       const rest_request& request, done_fn done) {
  if (c.who) return done(failure(error_code::forbidden, "only the site's backend may push"));
  auto frame = decode_server_body("notification", request.body);
  if (!frame) return done(rejected(frame.error()));
  auto& note = std::get<notification_frame>(*frame);
  note.conversation_id = id;
  context.hub->notify(c.site->auth.site_id, std::move(note), [done](bool found) {
    done(found ? rest_response{202, "{}"} : failure(error_code::not_found, "no such conversation"));
  });
}

}  // namespace

bool is_rest_target(std::string_view target) {
  return target.starts_with("/api/v1/");
}

void handle_rest(std::shared_ptr<server_context> context, rest_request request, done_fn done) {
  const std::string path = request.target.substr(0, request.target.find('?'));
  const std::string& method = request.method;
  if (path == "/api/v1/visitors" && method == "POST")
    return create_visitor(*context, request, std::move(done));

  auto who = identify(*context, request);
  if (auto* refused = std::get_if<rest_response>(&who)) return done(std::move(*refused));
  const caller& c = std::get<caller>(who);

  constexpr std::string_view prefix = "/api/v1/conversations";
  if (path == prefix && method == "GET") return list_conversations(*context, c, request, done);
  if (path == prefix && method == "POST") return create_conversation(*context, c, std::move(done));
  if (path == "/api/v1/messages" && method == "POST")
    return post_message(context, c, request, std::nullopt, std::move(done));
  if (path == "/api/v1/feedback" && method == "POST")
    return post_feedback(*context, c, request, std::move(done));
  if (!path.starts_with(std::string(prefix) + "/"))
    return done(failure(error_code::not_found, "no such endpoint"));

  const std::string rest = path.substr(prefix.size() + 1);
  const auto slash = rest.find('/');
  const std::string id = rest.substr(0, slash);
  const std::string tail = slash == std::string::npos ? "" : rest.substr(slash);
  if (tail.empty() && method == "GET")
    return with_conversation(*context, c, id, done, [done](conversation_row row) {
      done({200, encode(row.conv)});
    });
  if (tail.empty() && method == "DELETE")
    return with_conversation(*context, c, id, done, [context, id, done](conversation_row) {
      context->hub->delete_conversation(id, [done](boost::system::error_code ec) {
        done(ec ? failure(error_code::internal, "could not delete") : rest_response{204, {}});
      });
    });
  if (tail == "/messages" && method == "GET")
    return list_messages(*context, c, id, request, std::move(done));
  if (tail == "/messages" && method == "POST")
    return post_message(context, c, request, id, std::move(done));
  if (tail == "/notifications" && method == "POST")
    return push_notification(*context, c, id, request, std::move(done));
  done(failure(error_code::not_found, "no such endpoint"));
}

}  // namespace palaver::server
