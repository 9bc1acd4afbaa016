// Test-only: a message of conversation "c1" with the fields tests vary, for the shared suite
// and the widget's tests. Header-only; no state.
#pragma once

#include <string>

#include "palaver/model.hpp"

namespace palaver::test {

inline message make_message(std::string id, role author, std::string text, message_status status,
                            seq_t seq, std::string client_msg_id = "") {
  message m;
  m.id = std::move(id);
  m.conversation_id = "c1";
  m.author_role = author;
  m.text = std::move(text);
  m.status = status;
  m.seq = seq;
  m.created_at = 1000;
  m.client_msg_id = std::move(client_msg_id);
  return m;
}

}  // namespace palaver::test
