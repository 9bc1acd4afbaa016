// Framing, flushing and teardown of the coalescing write layer. See coalescing_stream.hpp.
#include "coalescing_stream.hpp"

#include <boost/asio/error.hpp>
#include <boost/asio/write.hpp>

#include "metrics.hpp"

namespace palaver::server {

namespace {

// An idle socket should be small: after a burst, a buffer that grew past this gives its
// memory back instead of keeping it for good.
constexpr std::size_t kept_buffer_bytes = 4 * 1024;

void release_if_large(std::string& buffer) {
  if (buffer.capacity() > kept_buffer_bytes) std::string().swap(buffer);
}

}  // namespace

bool coalescing_stream::admit(std::size_t bytes) {
  const std::size_t waiting = backlog();
  if (waiting == 0 || waiting + bytes <= backlog_limit_) return true;
  // A peer this far behind would grow memory without bound; nobody else waits for it. It does
  // not read, so no close frame would reach it: the connection just ends.
  overflowed_ = true;
  error_ = boost::asio::error::no_buffer_space;
  pending_.clear();
  error_code ignored;
  next_.close(ignored);
  return false;
}

bool coalescing_stream::append_frame(std::uint8_t opcode, std::string_view payload) {
  constexpr std::uint8_t fin = 0x80;
  constexpr std::size_t max_header_bytes = 10;
  if (error_ || !admit(max_header_bytes + payload.size())) return false;
  char header[10];
  std::size_t header_size = 2;
  const std::uint64_t size = payload.size();
  header[0] = static_cast<char>(fin | opcode);
  if (size < 126) {
    header[1] = static_cast<char>(size);
  } else if (size <= 0xFFFF) {
    header[1] = 126;
    header[2] = static_cast<char>(size >> 8);
    header[3] = static_cast<char>(size);
    header_size = 4;
  } else {
    header[1] = 127;
    for (int i = 0; i < 8; ++i)
      header[2 + i] = static_cast<char>(size >> (56 - 8 * i));
    header_size = 10;
  }
  pending_.append(header, header_size);
  pending_.append(payload);
  return true;
}

void coalescing_stream::flush() {
  if (in_flight_ || pending_.empty() || error_) return;
  auto owner = owner_.lock();
  if (!owner) return;  // being destroyed: nobody is left to write for
  pending_.swap(writing_);
  in_flight_ = true;
  if (stats_) stats_->socket_write();
  boost::asio::async_write(
      next_, boost::asio::buffer(writing_),
      [this, owner = std::move(owner)](error_code ec, std::size_t) { on_written(ec); });
}

void coalescing_stream::on_written(error_code ec) {
  in_flight_ = false;
  writing_.clear();
  release_if_large(writing_);
  if (ec) {
    error_ = ec;
    pending_.clear();
  }
  if (!pending_.empty()) return flush();
  release_if_large(pending_);
  teardown_when_written();
}

void coalescing_stream::release_idle_buffers() {
  if (in_flight_ || !pending_.empty()) return;
  std::string().swap(pending_);
  std::string().swap(writing_);
}

void coalescing_stream::teardown_when_written() {
  if (!teardown_) return;
  flush();
  if (in_flight_ && !error_) return;
  auto teardown = std::move(*teardown_);
  teardown_.reset();
  std::move(teardown)();
}

}  // namespace palaver::server
