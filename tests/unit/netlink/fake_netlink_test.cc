// The fake the engine's unit tests rely on behaves like the kernel where the
// engine can tell: names are unique, deletion of a missing link is NotFound,
// a bridge's subnet route comes and goes with it, injected errors fire once.
#include "fakes/fake_netlink.h"

#include <gtest/gtest.h>

namespace berth::netlink {
namespace {

BridgeSpec spec(const std::string& name, uint32_t addr, int len) {
  BridgeSpec s;
  s.name = name;
  s.alias = "berth:" + name;
  s.address = ipam::Ipv4{addr};
  s.prefix_len = len;
  return s;
}

TEST(FakeNetlinkTest, CreateRecordsAndShowsTheBridge) {
  FakeNetlink nl;
  ASSERT_TRUE(nl.create_bridge(spec("br-a", 0x0a000001, 24)).ok());
  ASSERT_EQ(nl.created_bridges.size(), 1u);
  EXPECT_EQ(nl.created_bridges[0].name, "br-a");
  auto found = nl.find_link("br-a");
  ASSERT_TRUE(found.ok());
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->kind, "bridge");
  EXPECT_EQ((*found)->alias, "berth:br-a");
  EXPECT_TRUE((*found)->up);
  auto routes = nl.onlink_routes_v4();
  ASSERT_TRUE(routes.ok());
  EXPECT_EQ(*routes, (std::vector<ipam::Prefix>{{ipam::Ipv4{0x0a000000}, 24}}));
}

TEST(FakeNetlinkTest, SecondCreateIsConflict) {
  FakeNetlink nl;
  ASSERT_TRUE(nl.create_bridge(spec("br-a", 0x0a000001, 24)).ok());
  Status st = nl.create_bridge(spec("br-a", 0x0a010001, 24));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind(), ErrorKind::kConflict);
  EXPECT_EQ(nl.created_bridges.size(), 1u);
  EXPECT_EQ(nl.create_bridge_calls, 2);
}

TEST(FakeNetlinkTest, InjectedErrorFiresOnce) {
  FakeNetlink nl;
  nl.fail_next_create_bridge(unavailable("create bridge br-a: Operation not permitted"));
  Status st = nl.create_bridge(spec("br-a", 0x0a000001, 24));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind(), ErrorKind::kUnavailable);
  EXPECT_TRUE(nl.links.empty());
  EXPECT_TRUE(nl.create_bridge(spec("br-a", 0x0a000001, 24)).ok());
}

TEST(FakeNetlinkTest, DeleteRemovesLinkAndRoute) {
  FakeNetlink nl;
  nl.onlink_routes = {{ipam::Ipv4{0xc0a80000}, 16}};
  nl.add_link({.name = "eth0", .up = true});
  ASSERT_TRUE(nl.create_bridge(spec("br-a", 0x0a000001, 24)).ok());
  ASSERT_TRUE(nl.delete_link("br-a").ok());
  EXPECT_EQ(nl.deleted_links, std::vector<std::string>{"br-a"});
  EXPECT_EQ(*nl.onlink_routes_v4(), nl.onlink_routes);
  Status again = nl.delete_link("br-a");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().kind(), ErrorKind::kNotFound);
  ASSERT_EQ(nl.list_links()->size(), 1u);
  EXPECT_EQ(nl.list_links()->front().name, "eth0");
  EXPECT_EQ(nl.list_links()->front().index, 2);
}

}  // namespace
}  // namespace berth::netlink
