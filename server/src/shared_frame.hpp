// A serialized server frame shared by every socket it goes to: immutable text behind an atomic
// reference count. Its buffer comes from a process-wide pool and goes back to it when the last
// holder lets go, so a streaming reply reuses a few buffers instead of allocating per delta.
// Thread-safe: copies of one frame may be held and released on any threads.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "palaver/frames.hpp"

namespace palaver::server {

class shared_frame {
 public:
  shared_frame() = default;
  // Serializes `frame` into a pooled buffer.
  explicit shared_frame(const server_frame& frame);

  shared_frame(const shared_frame& other) noexcept : block_(other.block_) { retain(); }
  shared_frame(shared_frame&& other) noexcept : block_(std::exchange(other.block_, nullptr)) {}
  shared_frame& operator=(shared_frame other) noexcept {
    std::swap(block_, other.block_);
    return *this;
  }
  ~shared_frame() { release(); }

  explicit operator bool() const noexcept { return block_ != nullptr; }
  std::string_view text() const noexcept { return block_ ? block_->text : std::string_view(); }
  std::size_t size() const noexcept { return block_ ? block_->text.size() : 0; }

  struct block {
    std::atomic<std::uint32_t> refs{1};
    std::string text;
  };

 private:
  void retain() const noexcept {
    if (block_) block_->refs.fetch_add(1, std::memory_order_relaxed);
  }
  void release() noexcept;

  block* block_ = nullptr;
};

// How many frame buffers the pool holds for reuse now (for tests and benchmarks).
std::size_t pooled_frame_buffers();

}  // namespace palaver::server
