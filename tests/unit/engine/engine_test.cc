// The engine against a real SQLite store and fake kernel interfaces: what it
// asks of the kernel, and that a failure at any step leaves nothing behind.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "engine/engine.h"
#include "fakes/fake_firewall.h"
#include "fakes/fake_netlink.h"

namespace berth::engine {
namespace {

using netlink::FakeNetlink;
using testing::FakeFirewall;

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-engine-test.XXXXXX";
    dir_ = mkdtemp(tmpl);
    std::ofstream(dir_ + "/resolv.conf") << "nameserver 10.99.0.53\n";
    open_store();
    cfg_.data_root = dir_;
    cfg_.resolv_conf = dir_ + "/resolv.conf";
    cfg_.ip_forward = false;  // never touch this process's sysctls in a unit test
    engine_ = std::make_unique<Engine>(cfg_, *store_, nl_, fw_);
    ASSERT_TRUE(engine_->start().ok());
  }
  void TearDown() override {
    engine_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void open_store() {
    auto s = store::SqliteStore::open(dir_ + "/berth.db");
    ASSERT_TRUE(s.ok());
    store_ = std::move(*s);
  }

  static NetworkCreateRequest req(const std::string& name, const std::string& subnet = "",
                                  const std::string& gateway = "") {
    NetworkCreateRequest r;
    r.name = name;
    if (!subnet.empty()) r.ipam_config.push_back({subnet, "", gateway, {}});
    return r;
  }

  std::string state() { return *store_->dump(); }

  std::string dir_;
  EngineConfig cfg_;
  std::unique_ptr<store::SqliteStore> store_;
  FakeNetlink nl_;
  FakeFirewall fw_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(EngineTest, StartCreatesPredefinedNetworksAndTheDefaultBridge) {
  auto all = engine_->list_networks();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u);
  ASSERT_EQ(nl_.created_bridges.size(), 1u);
  EXPECT_EQ(nl_.created_bridges[0].name, "berth0");
  EXPECT_EQ(ipam::to_string(nl_.created_bridges[0].address), "172.17.0.1");
  EXPECT_EQ(nl_.created_bridges[0].prefix_len, 16);
  EXPECT_EQ(nl_.created_bridges[0].alias.rfind("berth:", 0), 0u);
  ASSERT_EQ(fw_.applied.size(), 1u);
  EXPECT_NE(fw_.applied[0].find("berth0"), std::string::npos);
}

TEST_F(EngineTest, CreateMakesBridgeAndFirewallAndRecord) {
  auto n = engine_->create_network(req("netlb", "172.200.1.0/24", "172.200.1.1"));
  ASSERT_TRUE(n.ok()) << n.error().message();
  EXPECT_EQ(n->bridge, "br-" + n->id.substr(0, 12));
  const auto& spec = nl_.created_bridges.back();
  EXPECT_EQ(spec.name, n->bridge);
  EXPECT_EQ(spec.alias, "berth:" + n->id);
  EXPECT_EQ(ipam::to_string(spec.address), "172.200.1.1");
  EXPECT_EQ(spec.prefix_len, 24);
  EXPECT_NE(fw_.applied.back().find("172.200.1.0/24"), std::string::npos);
  EXPECT_EQ(engine_->find_network("netlb")->id, n->id);
}

TEST_F(EngineTest, AutomaticSubnetsFollowDockersOrderAndReuse) {
  auto a = engine_->create_network(req("a"));
  auto b = engine_->create_network(req("b"));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->subnet, "172.18.0.0/16");
  EXPECT_EQ(a->gateway, "172.18.0.1");
  EXPECT_EQ(b->subnet, "172.19.0.0/16");
  ASSERT_TRUE(engine_->remove_network("a").ok());
  EXPECT_EQ(engine_->create_network(req("c"))->subnet, "172.18.0.0/16");
}

TEST_F(EngineTest, AutomaticSubnetsAvoidOnlinkRoutesAndNameservers) {
  nl_.onlink_routes.push_back(*ipam::parse_cidr("172.18.3.0/24"));
  std::ofstream(dir_ + "/resolv.conf") << "nameserver 172.19.0.53\n";
  EXPECT_EQ(engine_->create_network(req("a"))->subnet, "172.20.0.0/16");
}

TEST_F(EngineTest, BridgeFailureLeavesNothing) {
  const std::string before = state();
  const size_t applied = fw_.applied.size();
  nl_.fail_next_create_bridge(unavailable("create bridge: injected"));
  auto n = engine_->create_network(req("x", "10.5.0.0/16"));
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(state(), before);
  EXPECT_EQ(fw_.applied.size(), applied);
  // The subnet and name are free again.
  EXPECT_TRUE(engine_->create_network(req("x", "10.5.0.0/16")).ok());
}

TEST_F(EngineTest, FirewallFailureUndoesTheBridgeAndTheRecord) {
  const std::string before = state();
  fw_.fail_next = true;
  auto n = engine_->create_network(req("y", "10.6.0.0/16"));
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(state(), before);
  ASSERT_EQ(nl_.links.size(), 1u);  // only berth0 is left
  EXPECT_EQ(nl_.links[0].name, "berth0");
}

TEST_F(EngineTest, ValidationErrorsChangeNothing) {
  const std::string before = state();
  const size_t bridges = nl_.created_bridges.size();
  struct Case {
    NetworkCreateRequest r;
    ErrorKind kind;
    std::string message;
  };
  std::vector<Case> cases;
  cases.push_back({req("bridge"), ErrorKind::kForbidden,
                   "operation is not permitted on predefined bridge network "});
  cases.push_back({req("s", "10.0.0.1/8"), ErrorKind::kInvalidArgument,
                   "invalid network config:\ninvalid subnet 10.0.0.1/8: it should be 10.0.0.0/8"});
  auto drv = req("d");
  drv.driver = "overlayx";
  cases.push_back({drv, ErrorKind::kNotFound,
                   "could not find plugin overlayx in v1 plugin registry: plugin not found"});
  auto v6 = req("v6");
  v6.enable_ipv6 = true;
  cases.push_back({v6, ErrorKind::kInvalidArgument, "IPv6 networks are not supported by berth yet"});
  auto longbr = req("lb");
  longbr.options["com.docker.network.bridge.name"] = "a-very-long-bridge-name";
  cases.push_back({longbr, ErrorKind::kInvalidArgument,
                   "bridge name \"a-very-long-bridge-name\" is too long: at most 15 characters "
                   "are allowed"});
  auto mtu = req("m");
  mtu.options["com.docker.network.driver.mtu"] = "12";
  cases.push_back({mtu, ErrorKind::kInvalidArgument, "invalid MTU number: 12 (allowed: 68 to 65535)"});
  cases.push_back({req("bad name"), ErrorKind::kInvalidArgument,
                   "invalid network name \"bad name\": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"});
  auto host = req("h2");
  host.driver = "host";
  cases.push_back({host, ErrorKind::kForbidden, "only one instance of \"host\" network is allowed"});
  cases.push_back({req("ov", "172.17.5.0/24"), ErrorKind::kForbidden,
                   "invalid pool request: Pool overlaps with other one on this address space"});
  for (const auto& c : cases) {
    auto n = engine_->create_network(c.r);
    ASSERT_FALSE(n.ok()) << c.r.name;
    EXPECT_EQ(n.error().kind(), c.kind) << c.r.name;
    EXPECT_EQ(n.error().message(), c.message);
  }
  EXPECT_EQ(state(), before);
  EXPECT_EQ(nl_.created_bridges.size(), bridges);
}

TEST_F(EngineTest, AnUnmarkedLinkOfTheSameNameIsNeverTakenOver) {
  nl_.add_link({"mine0", 0, "bridge", "", 1500, true, 0});
  auto r = req("takeover");
  r.options["com.docker.network.bridge.name"] = "mine0";
  auto n = engine_->create_network(r);
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.error().kind(), ErrorKind::kConflict);
  EXPECT_TRUE(nl_.deleted_links.empty());
}

TEST_F(EngineTest, LookupByNameIdAndPrefixWithDockersAmbiguityRules) {
  auto n = engine_->create_network(req("findme"));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(engine_->find_network(n->id.substr(0, 6))->name, "findme");
  EXPECT_EQ(engine_->find_network(n->id)->name, "findme");
  auto missing = engine_->find_network("nope");
  EXPECT_EQ(missing.error().message(), "network nope not found");
  EXPECT_EQ(missing.error().kind(), ErrorKind::kNotFound);
  // The empty prefix matches every network: ambiguous, never the first one.
  EXPECT_FALSE(engine_->find_network("").ok());
}

TEST_F(EngineTest, RemoveDeletesBridgeAndRefusesPredefined) {
  auto n = engine_->create_network(req("gone"));
  ASSERT_TRUE(n.ok());
  ASSERT_TRUE(engine_->remove_network("gone").ok());
  EXPECT_EQ(nl_.deleted_links.back(), n->bridge);
  EXPECT_EQ(fw_.applied.back().find(n->bridge), std::string::npos);
  auto st = engine_->remove_network("bridge");
  EXPECT_EQ(st.error().message(), "bridge is a pre-defined network and cannot be removed");
  EXPECT_EQ(st.error().kind(), ErrorKind::kForbidden);
}

TEST_F(EngineTest, PruneRemovesSelectedUserNetworksOnly) {
  ASSERT_TRUE(engine_->create_network(req("p1")).ok());
  ASSERT_TRUE(engine_->create_network(req("p2")).ok());
  auto removed = engine_->prune_networks([](const store::NetworkRecord& n) { return n.name != "p2"; });
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, std::vector<std::string>{"p1"});
  EXPECT_EQ(engine_->list_networks()->size(), 4u);
}

TEST_F(EngineTest, RestartReconcilesMarkedLinksOnly) {
  auto n = engine_->create_network(req("kept"));
  ASSERT_TRUE(n.ok());
  nl_.add_link({"br-stale", 0, "bridge", "berth:" + std::string(64, 'f'), 1500, true, 0});
  nl_.add_link({"br-docker", 0, "bridge", "", 1500, true, 0});
  nl_.add_link({"veth1234567", 0, "veth", "", 1500, true, 0});
  // The kept network's bridge vanished behind berthd's back.
  ASSERT_TRUE(nl_.delete_link(n->bridge).ok());
  nl_.deleted_links.clear();
  engine_ = std::make_unique<Engine>(cfg_, *store_, nl_, fw_);
  ASSERT_TRUE(engine_->start().ok());
  EXPECT_EQ(nl_.deleted_links, std::vector<std::string>{"br-stale"});
  EXPECT_NE(nl_.link(n->bridge), nullptr);
  EXPECT_NE(nl_.link("br-docker"), nullptr);
  EXPECT_NE(nl_.link("veth1234567"), nullptr);
}

TEST(ParseGoBool, AcceptsGosSpellings) {
  for (auto s : {"1", "t", "T", "true", "TRUE", "True"}) EXPECT_EQ(parse_go_bool(s), true) << s;
  for (auto s : {"0", "f", "F", "false", "FALSE", "False"}) EXPECT_EQ(parse_go_bool(s), false) << s;
  for (auto s : {"", "yes", "tRUE", "2"}) EXPECT_FALSE(parse_go_bool(s).has_value()) << s;
}

}  // namespace
}  // namespace berth::engine
