// See history_page.hpp.
#include "history_page.hpp"

#include "palaver/codec.hpp"

namespace palaver::server {

bool fit_page(std::vector<message>& messages, std::size_t budget) {
  std::vector<std::size_t> sizes;
  std::size_t total = 0;
  for (const message& m : messages) {
    sizes.push_back(encode(m).size() + 1);  // and its comma
    total += sizes.back();
  }
  std::size_t drop = 0;
  while (total > budget && drop + 1 < sizes.size())
    total -= sizes[drop++];
  messages.erase(messages.begin(), messages.begin() + static_cast<std::ptrdiff_t>(drop));
  return drop > 0;
}

history_frame within_page_limit(history_frame page) {
  if (fit_page(page.messages)) page.has_more = true;
  return page;
}

}  // namespace palaver::server
