// The limits every connection shares: connections open at once per client address and over
// the whole server, and new visitors per address per minute.
#include "server_context.hpp"

#include <gtest/gtest.h>

namespace palaver::server {
namespace {

session_limits small_limits() {
  session_limits limits;
  limits.max_connections = 3;
  limits.max_connections_per_address = 2;
  limits.new_visitors_per_minute_per_address = 2;
  return limits;
}

TEST(AddressLimits, OneAddressMayHoldOnlySoManyConnectionsAndGetsThemBackOnClose) {
  address_limits limits;
  const session_limits cap = small_limits();
  auto first = limits.open("10.0.0.1", cap);
  auto second = limits.open("10.0.0.1", cap);
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->address(), "10.0.0.1");
  EXPECT_FALSE(limits.open("10.0.0.1", cap));
  EXPECT_TRUE(limits.open("10.0.0.2", cap));  // another address is not held back (and closes)
  second.reset();
  EXPECT_TRUE(limits.open("10.0.0.1", cap));
}

TEST(AddressLimits, TheWholeServerHoldsOnlySoManyConnections) {
  address_limits limits;
  const session_limits cap = small_limits();
  auto a = limits.open("10.0.0.1", cap);
  auto b = limits.open("10.0.0.2", cap);
  auto c = limits.open("10.0.0.3", cap);
  ASSERT_TRUE(a && b && c);
  EXPECT_FALSE(limits.open("10.0.0.4", cap));
  c.reset();
  EXPECT_TRUE(limits.open("10.0.0.4", cap));
}

TEST(AddressLimits, NewVisitorsPerAddressAreLimitedPerMinute) {
  address_limits limits;
  const session_limits cap = small_limits();
  EXPECT_TRUE(limits.admit_new_visitor("10.0.0.1", cap));
  EXPECT_TRUE(limits.admit_new_visitor("10.0.0.1", cap));
  EXPECT_FALSE(limits.admit_new_visitor("10.0.0.1", cap));
  EXPECT_TRUE(limits.admit_new_visitor("10.0.0.2", cap));
}

}  // namespace
}  // namespace palaver::server
