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

VethSpec veth(const std::string& host, const std::string& peer, const std::string& bridge) {
  VethSpec v;
  v.host_ifname = host;
  v.peer_ifname = peer;
  v.mtu = 1450;
  v.alias = "berth:" + host;
  v.bridge = bridge;
  return v;
}

TEST(FakeNetlinkTest, CreateVethShowsBothEndsAndAttachesTheHostEnd) {
  FakeNetlink nl;
  ASSERT_TRUE(nl.create_bridge(spec("br-a", 0x0a000001, 24)).ok());
  ASSERT_TRUE(nl.create_veth(veth("veth1a2b3c4", "veth9999999", "br-a")).ok());
  ASSERT_EQ(nl.created_veths.size(), 1u);
  const LinkInfo* host = nl.link("veth1a2b3c4");
  const LinkInfo* peer = nl.link("veth9999999");
  ASSERT_NE(host, nullptr);
  ASSERT_NE(peer, nullptr);
  EXPECT_EQ(host->kind, "veth");
  EXPECT_EQ(host->alias, "berth:veth1a2b3c4");
  EXPECT_EQ(host->mtu, 1450);
  EXPECT_TRUE(host->up);
  EXPECT_EQ(host->master_index, nl.link("br-a")->index);
  EXPECT_FALSE(peer->up);
  EXPECT_EQ(peer->master_index, 0);
}

TEST(FakeNetlinkTest, CreateVethConflictsAndMissingBridgeCreateNothing) {
  FakeNetlink nl;
  ASSERT_TRUE(nl.create_bridge(spec("br-a", 0x0a000001, 24)).ok());
  ASSERT_TRUE(nl.create_veth(veth("veth1a2b3c4", "veth9999999", "br-a")).ok());
  Status taken = nl.create_veth(veth("veth1a2b3c4", "veth8888888", "br-a"));
  ASSERT_FALSE(taken.ok());
  EXPECT_EQ(taken.error().kind(), ErrorKind::kConflict);
  EXPECT_EQ(taken.error().message(), "create veth veth1a2b3c4: File exists");
  Status no_bridge = nl.create_veth(veth("veth2222222", "veth8888888", "br-none"));
  ASSERT_FALSE(no_bridge.ok());
  EXPECT_EQ(no_bridge.error().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(nl.links.size(), 3u);
  EXPECT_EQ(nl.create_veth_calls, 3);
  EXPECT_EQ(nl.created_veths.size(), 1u);
}

TEST(FakeNetlinkTest, MovedPeerLeavesAndDeletingAnEndDeletesThePair) {
  FakeNetlink nl;
  ASSERT_TRUE(nl.create_bridge(spec("br-a", 0x0a000001, 24)).ok());
  ASSERT_TRUE(nl.create_veth(veth("veth1111111", "veth9999999", "br-a")).ok());
  ASSERT_TRUE(nl.create_veth(veth("veth2222222", "veth8888888", "br-a")).ok());
  ASSERT_TRUE(nl.move_link_to_netns("veth9999999", "/run/berth/netns/c1").ok());
  ASSERT_TRUE(nl.move_link_to_netns_fd("veth8888888", 7).ok());
  ASSERT_EQ(nl.moved_links.size(), 2u);
  EXPECT_EQ(nl.moved_links[0].link, "veth9999999");
  EXPECT_EQ(nl.moved_links[0].netns, "/run/berth/netns/c1");
  EXPECT_EQ(nl.moved_links[1].netns, "fd 7");
  EXPECT_EQ(nl.link("veth9999999"), nullptr);
  Status gone = nl.move_link_to_netns("veth9999999", "/x");
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().kind(), ErrorKind::kNotFound);

  ASSERT_TRUE(nl.delete_link("veth1111111").ok());
  ASSERT_TRUE(nl.create_veth(veth("veth3333333", "veth7777777", "br-a")).ok());
  ASSERT_TRUE(nl.delete_link("veth7777777").ok());  // the peer end takes the host end
  EXPECT_EQ(nl.link("veth3333333"), nullptr);
  ASSERT_EQ(nl.links.size(), 2u);  // br-a, veth2222222
}

TEST(FakeNetlinkTest, InjectedVethAndMoveErrorsFireOnce) {
  FakeNetlink nl;
  nl.fail_next_create_veth(unavailable("create veth veth1111111: Operation not permitted"));
  EXPECT_FALSE(nl.create_veth(veth("veth1111111", "veth9999999", "")).ok());
  EXPECT_TRUE(nl.links.empty());
  ASSERT_TRUE(nl.create_veth(veth("veth1111111", "veth9999999", "")).ok());
  nl.fail_next_move_link(conflict("move link veth9999999: File exists"));
  EXPECT_FALSE(nl.move_link_to_netns("veth9999999", "/x").ok());
  EXPECT_NE(nl.link("veth9999999"), nullptr);
  EXPECT_TRUE(nl.move_link_to_netns("veth9999999", "/x").ok());
}

}  // namespace
}  // namespace berth::netlink
