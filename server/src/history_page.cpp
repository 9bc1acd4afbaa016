// See history_page.hpp.
#include "history_page.hpp"

#include "palaver/codec.hpp"

namespace palaver::server {

history_frame within_frame_limit(history_frame page) {
  // The page without messages: its type, ids and numbers, well under this.
  constexpr std::size_t envelope = 1024;
  std::vector<std::size_t> sizes;
  std::size_t total = envelope;
  for (const message& m : page.messages) {
    sizes.push_back(encode(m).size() + 1);  // and its comma
    total += sizes.back();
  }
  std::size_t drop = 0;
  while (total > limits::max_server_frame_bytes && drop < sizes.size())
    total -= sizes[drop++];
  if (drop > 0) {
    page.messages.erase(page.messages.begin(),
                        page.messages.begin() + static_cast<std::ptrdiff_t>(drop));
    page.has_more = true;
  }
  return page;
}

}  // namespace palaver::server
