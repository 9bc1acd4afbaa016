// The pool behind shared_frame: a free list of buffers under a mutex. See shared_frame.hpp.
#include "shared_frame.hpp"

#include <mutex>
#include <vector>

#include "palaver/codec.hpp"

namespace palaver::server {

namespace {

// Bounds on what the pool keeps: enough buffers for the frames of many replies in flight
// (each conversation also keeps its recent frames for resume), none larger than a typical
// frame, so a burst of big history pages is given back rather than held.
constexpr std::size_t max_pooled_buffers = 4096;
constexpr std::size_t max_pooled_capacity = 1024;

class frame_pool {
 public:
  shared_frame::block* take() {
    {
      std::lock_guard lock(mutex_);
      if (!free_.empty()) {
        shared_frame::block* b = free_.back();
        free_.pop_back();
        b->refs.store(1, std::memory_order_relaxed);
        b->text.clear();
        return b;
      }
    }
    return new shared_frame::block;
  }

  void give_back(shared_frame::block* b) {
    if (b->text.capacity() <= max_pooled_capacity) {
      std::lock_guard lock(mutex_);
      if (free_.size() < max_pooled_buffers) {
        free_.push_back(b);
        return;
      }
    }
    delete b;
  }

  std::size_t size() {
    std::lock_guard lock(mutex_);
    return free_.size();
  }

 private:
  std::mutex mutex_;
  std::vector<shared_frame::block*> free_;
};

// Never destroyed: a frame released by the last socket at exit must still find its pool.
frame_pool& pool() {
  static frame_pool* instance = new frame_pool;
  return *instance;
}

}  // namespace

shared_frame::shared_frame(const server_frame& frame) : block_(pool().take()) {
  encode_to(block_->text, frame);
}

void shared_frame::release() noexcept {
  if (block_ && block_->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) pool().give_back(block_);
  block_ = nullptr;
}

std::size_t pooled_frame_buffers() {
  return pool().size();
}

}  // namespace palaver::server
