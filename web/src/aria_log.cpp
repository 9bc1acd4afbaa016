// The ARIA log's contents. See aria_log.hpp.
#include "aria_log.hpp"

#include <map>

#include "markdown.hpp"

namespace palaver::web {

std::string log_prefix(const message& m, const catalogue& words) {
  switch (m.author_role) {
    case role::user:
      return std::string(words.text(msg::log_you));
    case role::assistant:
      return std::string(words.text(msg::log_assistant));
    case role::operator_:
      return words.format(msg::log_operator_named,
                          {{"name", m.author.empty() ? words.text(msg::log_operator) : m.author}});
    case role::system:
      break;
  }
  return std::string(words.text(msg::log_notice));
}

std::string log_text(const message& m, const catalogue& words) {
  // The visitor's own words stay as typed; everyone else writes markdown.
  return log_prefix(m, words) + "\n" +
         (m.author_role == role::user ? m.text : plain_text(parse_markdown(m.text)));
}

std::vector<log_operation> aria_log::update(const view_model& model) {
  static const catalogue english;
  const catalogue& words = words_ ? *words_ : english;
  std::vector<log_operation> ops;
  std::vector<const message*> wanted;
  if (const transcript* t = model.current())
    for (const message& m : t->messages())
      if (m.status != message_status::streaming) wanted.push_back(&m);

  // Another conversation: the log starts over.
  if (model.current_conversation_id() != conversation_id_) {
    for (const shown& s : shown_)
      ops.push_back({log_operation::kind::remove, s.id, "", "", ""});
    shown_.clear();
    conversation_id_ = model.current_conversation_id();
  }

  // (std::map, not a hash map: the view model already brings its code into the Wasm.)
  std::map<std::string_view, seq_t> before;
  for (const shown& s : shown_)
    before.emplace(s.id, s.seq);
  std::map<std::string_view, bool> still;
  for (const message* m : wanted)
    still.emplace(m->id, true);
  for (const shown& s : shown_)
    if (!still.contains(s.id)) ops.push_back({log_operation::kind::remove, s.id, "", "", ""});

  // A new node goes before the next node already in the log, so that applying the puts in
  // order keeps the log in the conversation's order and appends in order at its end.
  std::vector<log_operation> puts;
  std::string next_shown;
  for (std::size_t i = wanted.size(); i-- > 0;) {
    const message& m = *wanted[i];
    const auto it = before.find(m.id);
    if (it == before.end())
      puts.push_back({log_operation::kind::put, m.id, std::string(to_string(m.author_role)),
                      log_text(m, words), next_shown});
    else if (it->second != m.seq)
      puts.push_back({log_operation::kind::put, m.id, std::string(to_string(m.author_role)),
                      log_text(m, words), ""});
    if (it != before.end()) next_shown = m.id;
  }
  ops.insert(ops.end(), std::make_move_iterator(puts.rbegin()),
             std::make_move_iterator(puts.rend()));

  std::vector<shown> now;
  now.reserve(wanted.size());
  for (const message* m : wanted)
    now.push_back({m->id, m->seq});
  shown_ = std::move(now);
  return ops;
}

}  // namespace palaver::web
