// coalescing_stream: frames appended by the session and Beast's own frames reach a real Beast
// client over loopback whole and in order, and frames appended together leave in one write.
// The server side runs on its own io_context thread; the client is synchronous on the test's.
#include "coalescing_stream.hpp"

#include <chrono>
#include <future>
#include <limits>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket.hpp>
#include <gtest/gtest.h>

#include "metrics.hpp"

namespace palaver::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

std::uint64_t socket_writes(const metrics& stats) {
  const std::string text = stats.render({});
  const std::string name = "\npalaver_websocket_writes_total ";
  const auto at = text.find(name);
  return at == std::string::npos ? 0 : std::stoull(text.substr(at + name.size()));
}

// A server-side WebSocket over the coalescing layer and a plain Beast client, connected.
class CoalescingStream : public ::testing::Test {
 protected:
  void SetUp() override {
    tcp::acceptor acceptor(server_io_, {asio::ip::make_address("127.0.0.1"), 0});
    client_.next_layer().connect(acceptor.local_endpoint());
    server_.emplace(acceptor.accept(), &stats_, backlog_limit_);
    server_->next_layer().set_owner(owner_);
    std::promise<beast::error_code> accepted;
    server_->async_accept([&](beast::error_code ec) { accepted.set_value(ec); });
    server_thread_ = std::thread([this] { server_io_.run(); });
    client_.handshake("127.0.0.1", "/ws");
    ASSERT_FALSE(accepted.get_future().get());
  }

  void TearDown() override {
    on_server([this] {
      beast::error_code ignored;
      beast::get_lowest_layer(*server_).close(ignored);
    });
    work_.reset();
    server_thread_.join();
  }

  // Runs `work` on the server's thread and waits for it.
  template <class Work>
  void on_server(Work work) {
    std::promise<void> done;
    asio::post(server_io_, [&] {
      work();
      done.set_value();
    });
    done.get_future().wait();
  }

  coalescing_stream& out() { return server_->next_layer(); }

  std::string read_text() {
    beast::flat_buffer buffer;
    client_.read(buffer);
    EXPECT_TRUE(client_.got_text());
    return beast::buffers_to_string(buffer.data());
  }

  std::size_t backlog_limit_ = std::numeric_limits<std::size_t>::max();
  metrics stats_{"test"};
  asio::io_context server_io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_ =
      asio::make_work_guard(server_io_);
  std::shared_ptr<int> owner_ = std::make_shared<int>(0);
  std::optional<websocket::stream<coalescing_stream>> server_;
  std::thread server_thread_;
  asio::io_context client_io_;
  websocket::stream<beast::tcp_stream> client_{client_io_};
};

TEST_F(CoalescingStream, FramesOfEveryLengthEncodingArriveWholeInOneWrite) {
  // 7-bit, 16-bit and 64-bit payload lengths, on either side of each boundary.
  const std::vector<std::size_t> sizes = {0, 1, 125, 126, 127, 65535, 65536, 200000};
  std::vector<std::string> sent;
  for (std::size_t i = 0; i < sizes.size(); ++i)
    sent.push_back(std::string(sizes[i], static_cast<char>('a' + i)));
  const std::uint64_t writes_before = socket_writes(stats_);
  on_server([&] {
    for (const std::string& text : sent)
      out().append_text(text);
    out().flush();
  });
  for (const std::string& text : sent)
    EXPECT_EQ(read_text(), text);
  EXPECT_EQ(socket_writes(stats_) - writes_before, 1u);
  // The client has it all; the write's completion may still be on its way to the server.
  std::size_t backlog = 1;
  for (int tries = 0; backlog > 0 && tries < 1000; ++tries) {
    if (tries) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    on_server([&] { backlog = out().backlog(); });
  }
  EXPECT_EQ(backlog, 0u);
}

TEST_F(CoalescingStream, WhatIsAppendedDuringAWriteLeavesInTheNextOne) {
  // Far more than the socket buffers hold: the first write stays in flight until the client
  // reads, and the 100 frames flushed meanwhile wait for it, then go out together.
  const std::string big(8 * 1024 * 1024, 'x');
  const std::uint64_t writes_before = socket_writes(stats_);
  on_server([&] {
    out().append_text(big);
    out().flush();
    for (int i = 0; i < 100; ++i) {
      out().append_text("small " + std::to_string(i));
      out().flush();
    }
  });
  client_.read_message_max(big.size() + 16);
  EXPECT_EQ(read_text(), big);
  for (int i = 0; i < 100; ++i)
    EXPECT_EQ(read_text(), "small " + std::to_string(i));
  EXPECT_EQ(socket_writes(stats_) - writes_before, 2u);
}

TEST_F(CoalescingStream, BeastsPongAndCloseJoinTheStreamInOrder) {
  std::promise<std::string> received;
  beast::flat_buffer server_buffer;
  on_server([&] {
    out().append_text("before");
    out().append_ping();
    out().flush();
    server_->async_read(server_buffer, [&](beast::error_code ec, std::size_t) {
      received.set_value(ec ? ec.message() : beast::buffers_to_string(server_buffer.data()));
      out().append_text("after");
      out().flush();
      server_->async_close(websocket::close_reason(websocket::close_code::going_away, "bye"),
                           [](beast::error_code) {});
    });
  });
  std::vector<std::string> controls;
  client_.control_callback([&](websocket::frame_type kind, beast::string_view) {
    controls.push_back(kind == websocket::frame_type::ping   ? "ping"
                       : kind == websocket::frame_type::pong ? "pong"
                                                             : "close");
  });
  client_.ping({});  // the server's read answers it through the layer
  client_.write(asio::buffer(std::string("hello")));
  EXPECT_EQ(read_text(), "before");
  EXPECT_EQ(received.get_future().get(), "hello");
  EXPECT_EQ(read_text(), "after");
  beast::flat_buffer rest;
  beast::error_code ec;
  client_.read(rest, ec);
  EXPECT_EQ(ec, websocket::error::closed);
  EXPECT_EQ(client_.reason().code, websocket::close_code::going_away);
  const auto& reason = client_.reason().reason;
  EXPECT_EQ(std::string(reason.data(), reason.size()), "bye");
  EXPECT_EQ(controls, (std::vector<std::string>{"ping", "pong", "close"}));
}

// The same, with a backlog limit of 64 KiB on the server's side.
class CoalescingStreamWithLimit : public CoalescingStream {
 protected:
  CoalescingStreamWithLimit() { backlog_limit_ = 64 * 1024; }
};

TEST_F(CoalescingStreamWithLimit, AFrameThatWouldPassTheLimitClosesTheConnectionInstead) {
  const std::string big(8 * 1024 * 1024, 'x');  // alone it goes: nothing else waits
  bool first = false, second = true;
  on_server([&] {
    first = out().append_text(big);
    out().flush();
    second = out().append_text(std::string(1000, 'y'));  // behind 8 MB the client never read
  });
  EXPECT_TRUE(first);
  EXPECT_FALSE(second);
  on_server([&] {
    EXPECT_TRUE(out().overflowed());
    EXPECT_FALSE(out().append_text("z"));  // a closed connection takes nothing more
  });
}

TEST_F(CoalescingStreamWithLimit, BeastsPongsToAPeerThatDoesNotReadCountAgainstTheLimit) {
  // The attack: pings, and never a read. Each pong waits behind what the peer did not read.
  std::promise<beast::error_code> read_ended;
  beast::flat_buffer server_buffer;
  on_server([&] {
    out().append_text(std::string(8 * 1024 * 1024, 'x'));
    out().flush();
    server_->async_read(server_buffer,
                        [&](beast::error_code ec, std::size_t) { read_ended.set_value(ec); });
  });
  beast::error_code ec;
  for (int i = 0; i < 1000 && !ec; ++i)
    client_.ping(websocket::ping_data(std::string(125, 'p').c_str()), ec);
  auto ended = read_ended.get_future();
  ASSERT_EQ(ended.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_TRUE(ended.get());  // the read failed: the pong could not be queued
  on_server([&] { EXPECT_TRUE(out().overflowed()); });
}

}  // namespace
}  // namespace palaver::server
