// The screen-reader mirror of the open conversation: which nodes the off-screen ARIA log
// (role "log", aria-live polite) must gain, change or lose so that it shows the open
// conversation's messages, one node per message, as plain text. A streaming reply joins when
// it is done, not per delta. No browser in here: the platform carries out the operations.
// One owner, one thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "palaver/model.hpp"

#include "catalogue.hpp"
#include "view_model.hpp"

namespace palaver::web {

struct log_operation {
  enum class kind { put, remove };
  kind what = kind::put;
  std::string id;         // the message's id (the node's data-id)
  std::string role;       // put: data-role ("user", "assistant", "operator", "system")
  std::string text;       // put: the node's whole text, "<who>:\n<message as plain text>"
  std::string before_id;  // put of a new node: insert before this one; "": last
  friend bool operator==(const log_operation&, const log_operation&) = default;
};

// "You:", "Assistant:", an operator's name, "Notice:", in `words`' language.
std::string log_prefix(const message& m, const catalogue& words);
// The text a message's node holds: the prefix line, then the text (replies as plain text).
std::string log_text(const message& m, const catalogue& words);

class aria_log {
 public:
  // `words` (null: English) outlives the log.
  explicit aria_log(const catalogue* words = nullptr) : words_(words) {}

  // What to do to the log so that it mirrors `model` now; empty when nothing changed.
  std::vector<log_operation> update(const view_model& model);

 private:
  struct shown {
    std::string id;
    seq_t seq = 0;
  };
  const catalogue* words_;
  std::string conversation_id_;
  std::vector<shown> shown_;
};

}  // namespace palaver::web
