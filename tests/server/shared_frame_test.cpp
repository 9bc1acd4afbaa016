// shared_frame: the text is the codec's, copies share it, and a released buffer is reused, so
// serializing a delta allocates nothing once the pool holds buffers.
#include "shared_frame.hpp"

#include <thread>

#include "palaver/codec.hpp"

#include <gtest/gtest.h>

#include "counting_new.hpp"

namespace palaver::server {
namespace {

server_frame delta(seq_t seq, std::string text) {
  return delta_frame{"c_conversation", "m_message", seq, std::move(text)};
}

TEST(SharedFrame, HoldsTheCodecsTextSharedByEveryCopy) {
  const shared_frame frame(delta(7, "Hello"));
  EXPECT_EQ(frame.text(), encode(delta(7, "Hello")));
  EXPECT_EQ(frame.size(), frame.text().size());
  shared_frame copy = frame;
  EXPECT_EQ(copy.text().data(), frame.text().data());  // one buffer, not two
  const shared_frame moved = std::move(copy);
  EXPECT_EQ(moved.text().data(), frame.text().data());
  EXPECT_FALSE(shared_frame());
  EXPECT_TRUE(moved);
}

TEST(SharedFrame, TheLastHolderGivesTheBufferBackWhateverItsThread) {
  const std::size_t pooled = pooled_frame_buffers();
  shared_frame frame(delta(1, "a"));
  shared_frame on_socket = frame;
  EXPECT_EQ(pooled_frame_buffers(), pooled == 0 ? 0 : pooled - 1);
  frame = shared_frame();
  EXPECT_EQ(on_socket.text(), encode(delta(1, "a")));  // still held by the socket
  std::thread([held = std::move(on_socket)]() mutable { held = shared_frame(); }).join();
  EXPECT_EQ(pooled_frame_buffers(), pooled == 0 ? 1 : pooled);
}

TEST(SharedFrame, ADeltaAllocatesNothingOnceThePoolHasBuffers) {
  { const shared_frame warm(delta(1, "warm-up text of a typical delta")); }
  std::size_t allocations = 0;
  for (seq_t seq = 2; seq < 1000; ++seq) {
    const server_frame event = delta(seq, "token ");
    const std::size_t before = test::allocations_on_this_thread();
    const shared_frame frame(event);
    allocations += test::allocations_on_this_thread() - before;
    ASSERT_EQ(frame.text(), encode(event));
  }
  EXPECT_EQ(allocations, 0u);
}

}  // namespace
}  // namespace palaver::server
