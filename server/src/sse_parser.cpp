// The SSE parser: a byte-at-a-time state machine (BOM, CR/LF pairing) around a line splitter
// that copies a line only when it straddles two calls. No shared state; see sse_parser.hpp.
#include "sse_parser.hpp"

#include <limits>

namespace palaver::server {

namespace {

constexpr std::string_view utf8_bom = "\xEF\xBB\xBF";

}  // namespace

bool sse_parser::fits(std::size_t more) const {
  return line_.size() + data_.size() + more <= max_event_bytes_;
}

bool sse_parser::mid_event() const {
  return !dispatched_ &&
         (!line_.empty() || !data_.empty() || !type_.empty() || (at_start_ && bom_matched_ > 0));
}

void sse_parser::reset() {
  line_.clear();
  data_.clear();
  type_.clear();
  id_.clear();
  retry_.reset();
  bom_matched_ = 0;
  at_start_ = true;
  skip_lf_ = false;
  dispatched_ = false;
  failed_ = false;
}

sse_parser::status sse_parser::next(std::string_view& input, sse_event& out) {
  if (failed_) return status::too_large;
  if (dispatched_) {
    // The caller is done with the last event's views: its buffers may be reused now.
    dispatched_ = false;
    data_.clear();
    type_.clear();
  }

  // One U+FEFF may open the stream; its three bytes can arrive in separate calls.
  while (at_start_ && !input.empty()) {
    if (input.front() == utf8_bom[bom_matched_]) {
      input.remove_prefix(1);
      if (++bom_matched_ == utf8_bom.size()) at_start_ = false;
    } else {
      // Not a BOM after all: the bytes taken for one belong to the first line.
      line_.append(utf8_bom.substr(0, bom_matched_));
      at_start_ = false;
    }
  }

  while (!input.empty()) {
    if (skip_lf_) {
      skip_lf_ = false;
      if (input.front() == '\n') {
        input.remove_prefix(1);
        continue;
      }
    }
    const std::size_t end = input.find_first_of("\r\n");
    if (end == std::string_view::npos) {
      if (!fits(input.size())) {
        failed_ = true;
        return status::too_large;
      }
      line_.append(input);
      input = {};
      return status::need_more;
    }
    if (!fits(end)) {
      failed_ = true;
      return status::too_large;
    }
    std::string_view line = input.substr(0, end);
    if (!line_.empty()) {
      line_.append(line);
      line = line_;
    }
    skip_lf_ = input[end] == '\r';
    input.remove_prefix(end + 1);
    const bool dispatch = process_line(line);
    line_.clear();
    if (failed_) return status::too_large;
    if (dispatch) {
      data_.pop_back();  // the '\n' that followed the last data line
      out.type = type_.empty() ? std::string_view("message") : std::string_view(type_);
      out.data = data_;
      out.id = id_;
      dispatched_ = true;
      return status::event;
    }
  }
  return status::need_more;
}

bool sse_parser::process_line(std::string_view line) {
  if (line.empty()) {
    // A blank line ends the event; one without data is dropped, with its type.
    if (!data_.empty()) return true;
    type_.clear();
    return false;
  }
  if (line.front() == ':') return false;  // a comment, e.g. a keep-alive

  std::string_view field = line;
  std::string_view value;
  if (const std::size_t colon = line.find(':'); colon != std::string_view::npos) {
    field = line.substr(0, colon);
    value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }

  if (field == "data") {
    // The line is whole now (line_ may still hold it, if it straddled reads): only data counts.
    if (data_.size() + value.size() + 1 > max_event_bytes_) {
      failed_ = true;
      return false;
    }
    data_.append(value);
    data_.push_back('\n');
  } else if (field == "event") {
    type_.assign(value);
  } else if (field == "id") {
    if (value.find('\0') == std::string_view::npos) id_.assign(value);
  } else if (field == "retry") {
    if (value.empty()) return false;
    std::uint64_t ms = 0;
    for (const char c : value) {
      if (c < '0' || c > '9') return false;
      if (ms > (std::numeric_limits<std::uint64_t>::max() - 9) / 10) return false;
      ms = ms * 10 + static_cast<std::uint64_t>(c - '0');
    }
    retry_ = ms;
  }
  // Any other field is ignored, as the spec says.
  return false;
}

}  // namespace palaver::server
