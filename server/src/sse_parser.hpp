// A Server-Sent Events parser (the WHATWG text/event-stream grammar) that takes its input in
// pieces split anywhere: a line, a CR LF pair or the leading BOM may straddle two calls, and
// the events come out the same. Owns only reusable buffers: after the first events, parsing
// allocates nothing. One parser per stream, used by one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace palaver::server {

// One dispatched event. The views stay valid until the parser's next call.
struct sse_event {
  std::string_view type;  // the `event:` field; "message" when the event had none
  std::string_view data;  // the event's `data:` lines joined with '\n'
  std::string_view id;    // the stream's last `id:` (it carries over to later events)

  // OpenAI's end-of-stream sentinel: `data: [DONE]`.
  bool done() const { return data == "[DONE]"; }
};

class sse_parser {
 public:
  // Bytes one event may hold (its unfinished line plus its data) before the stream is refused:
  // an upstream that never ends a line must not grow memory without bound.
  static constexpr std::size_t default_max_event_bytes = 1024 * 1024;

  explicit sse_parser(std::size_t max_event_bytes = default_max_event_bytes)
      : max_event_bytes_(max_event_bytes) {}

  enum class status {
    need_more,  // `input` is used up; the bytes of an unfinished event are kept
    event,      // an event is complete: `out` holds it
    too_large,  // an event outgrew max_event_bytes; the parser stays failed
  };

  // Consumes bytes from the front of `input` until an event is complete or `input` is empty.
  status next(std::string_view& input, sse_event& out);

  // Calls on_event(const sse_event&) for each event in `bytes`, in order. on_event returns
  // false to stop; the rest of `bytes` is then dropped. Returns false if stopped or too_large.
  template <class OnEvent>
  bool feed(std::string_view bytes, OnEvent&& on_event) {
    sse_event event;
    for (;;) {
      switch (next(bytes, event)) {
        case status::need_more:
          return true;
        case status::too_large:
          return false;
        case status::event:
          if (!on_event(std::as_const(event))) return false;
          break;
      }
    }
  }

  bool failed() const { return failed_; }
  // True while bytes of an event that is not dispatched yet are held: a stream that ends now
  // was cut mid-event (the spec discards such an event).
  bool mid_event() const;
  // The stream's last valid `retry:` field, in milliseconds.
  std::optional<std::uint64_t> retry() const { return retry_; }
  // Forgets everything but the buffers' capacity, for a new stream.
  void reset();

 private:
  bool process_line(std::string_view line);  // true: the line dispatches an event
  bool fits(std::size_t more) const;

  std::size_t max_event_bytes_;
  std::string line_;  // an unfinished line whose start came in an earlier call
  std::string data_;  // the event's data lines, each followed by '\n'
  std::string type_;
  std::string id_;
  std::optional<std::uint64_t> retry_;
  std::size_t bom_matched_ = 0;  // bytes of a leading UTF-8 BOM seen so far
  bool at_start_ = true;         // nothing but a BOM prefix seen yet
  bool skip_lf_ = false;         // the last byte was a CR: a LF right after it is the same line end
  bool dispatched_ = false;      // data_ and type_ still back the event last returned
  bool failed_ = false;
};

}  // namespace palaver::server
