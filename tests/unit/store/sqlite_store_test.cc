#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "store/store.h"
#include "temp_store.h"

namespace berth::store {
namespace {

class StoreTest : public TempStoreTest {
 protected:

  static NetworkRecord net(const std::string& id, const std::string& name, int64_t first,
                           int64_t last) {
    NetworkRecord n;
    n.id = id;
    n.name = name;
    n.driver = "bridge";
    n.bridge = "br-" + id.substr(0, 12);
    n.subnet_first = first;
    n.subnet_last = last;
    n.labels = {{"a", "b"}};
    return n;
  }

};

TEST_F(StoreTest, MigratesToTheLatestVersion) { EXPECT_EQ(store_->schema_version(), 5); }

TEST_F(StoreTest, RoundTripsEveryField) {
  NetworkRecord n = net("aaaaaaaaaaaa1", "n1", 100, 200);
  n.internal = true;
  n.icc = false;
  n.mtu = 1400;
  n.aux_addresses = {{"h", "10.0.0.5"}};
  n.options = {{"com.docker.network.bridge.name", "x"}};
  n.ipam_options_null = true;
  ASSERT_TRUE(store_->insert_network(n).ok());
  auto got = store_->get_network(n.id);
  ASSERT_TRUE(got.ok());
  ASSERT_TRUE(got->has_value());
  const NetworkRecord& g = **got;
  EXPECT_EQ(g.name, "n1");
  EXPECT_TRUE(g.internal);
  EXPECT_FALSE(g.icc);
  EXPECT_EQ(g.mtu, 1400);
  EXPECT_EQ(g.aux_addresses.at("h"), "10.0.0.5");
  EXPECT_EQ(g.labels.at("a"), "b");
  EXPECT_TRUE(g.ipam_options_null);
  EXPECT_EQ(g.options.at("com.docker.network.bridge.name"), "x");
}

TEST_F(StoreTest, DuplicateNameIsAConflict) {
  ASSERT_TRUE(store_->insert_network(net("aaaaaaaaaaaa1", "same", 100, 200)).ok());
  auto st = store_->insert_network(net("bbbbbbbbbbbb2", "same", 300, 400));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind(), ErrorKind::kConflict);
  EXPECT_EQ(st.error().message(), "network with name same already exists");
}

TEST_F(StoreTest, OverlappingSubnetIsForbidden) {
  ASSERT_TRUE(store_->insert_network(net("aaaaaaaaaaaa1", "a", 100, 200)).ok());
  for (auto [f, l] : {std::pair{150, 160}, {50, 100}, {200, 300}, {0, 1000}}) {
    auto st = store_->insert_network(net("bbbbbbbbbbbb2", "b", f, l));
    ASSERT_FALSE(st.ok()) << f << ".." << l;
    EXPECT_EQ(st.error().kind(), ErrorKind::kForbidden);
    EXPECT_EQ(st.error().message(),
              "invalid pool request: Pool overlaps with other one on this address space");
  }
  EXPECT_TRUE(store_->insert_network(net("bbbbbbbbbbbb2", "b", 201, 300)).ok());
}

TEST_F(StoreTest, NetworksWithoutSubnetNeverOverlap) {
  EXPECT_TRUE(store_->insert_network(net("aaaaaaaaaaaa1", "host", -1, -1)).ok());
  auto none = net("bbbbbbbbbbbb2", "none", -1, -1);
  none.bridge.clear();
  auto host = net("cccccccccccc3", "other", -1, -1);
  host.bridge.clear();
  EXPECT_TRUE(store_->insert_network(none).ok());
  EXPECT_TRUE(store_->insert_network(host).ok());  // two NULL bridges are fine
}

TEST_F(StoreTest, DeleteAndNotFound) {
  ASSERT_TRUE(store_->insert_network(net("aaaaaaaaaaaa1", "a", 1, 2)).ok());
  EXPECT_TRUE(store_->delete_network("aaaaaaaaaaaa1").ok());
  auto st = store_->delete_network("aaaaaaaaaaaa1");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind(), ErrorKind::kNotFound);
  EXPECT_TRUE(store_->list_networks()->empty());
}

// Two connections racing to insert overlapping subnets: BEGIN IMMEDIATE makes
// the check and the insert atomic, so exactly one wins.
TEST_F(StoreTest, ConcurrentOverlappingInsertsAdmitExactlyOne) {
  auto other = SqliteStore::open(dir_ + "/berth.db");
  ASSERT_TRUE(other.ok());
  for (int round = 0; round < 50; ++round) {
    const int64_t base = round * 1000;
    std::atomic<int> wins{0};
    auto insert = [&](SqliteStore* s, const std::string& id) {
      // The round leads the id so each round's bridge name is fresh.
      const std::string rid = std::to_string(round) + id;
      if (s->insert_network(net(rid, "n" + rid, base, base + 10)).ok()) {
        ++wins;
      }
    };
    std::thread a(insert, store_.get(), "aaaaaaaaaaaaa");
    std::thread b(insert, other->get(), "bbbbbbbbbbbbb");
    a.join();
    b.join();
    EXPECT_EQ(wins.load(), 1) << "round " << round;
  }
}

TEST_F(StoreTest, ReopenKeepsData) {
  ASSERT_TRUE(store_->insert_network(net("aaaaaaaaaaaa1", "a", 1, 2)).ok());
  store_.reset();
  auto s = SqliteStore::open(dir_ + "/berth.db");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ((*s)->list_networks()->size(), 1u);
  EXPECT_EQ((*s)->schema_version(), 5);
}

TEST_F(StoreTest, DumpListsRows) {
  ASSERT_TRUE(store_->insert_network(net("aaaaaaaaaaaa1", "dumped", 1, 2)).ok());
  auto d = store_->dump();
  ASSERT_TRUE(d.ok());
  EXPECT_NE(d->find("dumped"), std::string::npos);
}

}  // namespace
}  // namespace berth::store

namespace berth::store {
namespace {

class ContainerStoreTest : public StoreTest {};

ContainerRecord ctr(const std::string& id, const std::string& name) {
  ContainerRecord c;
  c.id = id;
  c.name = name;
  c.image = "host";
  c.config_json = "{}";
  c.host_config_json = "{}";
  c.networking_json = "{}";
  return c;
}

EndpointRecord ep(const std::string& id, const std::string& ctr_id, const std::string& net,
                  int64_t ip, const std::string& veth) {
  EndpointRecord e;
  e.id = id;
  e.container_id = ctr_id;
  e.network_id = net;
  e.ifname = "eth0";
  e.host_ifname = veth;
  e.ip_int = ip;
  e.ip = std::to_string(ip);
  return e;
}

TEST_F(ContainerStoreTest, NameInUseIsDockersConflict) {
  ASSERT_TRUE(store_->insert_container(ctr("c1", "web")).ok());
  auto st = store_->insert_container(ctr("c2", "web"));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind(), ErrorKind::kConflict);
  EXPECT_EQ(st.error().message(),
            "Conflict. The container name \"/web\" is already in use by container \"c1\". You "
            "have to remove (or rename) that container to be able to reuse that name.");
}

TEST_F(ContainerStoreTest, AnAddressCannotBeAllocatedTwiceOnOneNetwork) {
  ASSERT_TRUE(store_->insert_network(net("n1aaaaaaaaaaa", "n1", 100, 200)).ok());
  ASSERT_TRUE(store_->insert_container(ctr("c1", "a")).ok());
  ASSERT_TRUE(store_->insert_container(ctr("c2", "b")).ok());
  ASSERT_TRUE(store_->insert_endpoints({ep("e1", "c1", "n1aaaaaaaaaaa", 150, "veth1")}).ok());
  auto st = store_->insert_endpoints({ep("e2", "c2", "n1aaaaaaaaaaa", 150, "veth2")});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message(), "Address already in use");
  // All or nothing: a batch with one bad endpoint inserts none.
  ASSERT_TRUE(store_->insert_network(net("n2aaaaaaaaaaa", "n2", 300, 400)).ok());
  EXPECT_FALSE(store_->insert_endpoints({ep("e3", "c2", "n2aaaaaaaaaaa", 310, "veth3"),
                                         ep("e4", "c2", "n1aaaaaaaaaaa", 150, "veth4")})
                   .ok());
  EXPECT_EQ(store_->list_endpoints()->size(), 1u);
}

TEST_F(ContainerStoreTest, UpdateKeepsEndpointsAndDeleteRemovesThem) {
  ASSERT_TRUE(store_->insert_network(net("n1aaaaaaaaaaa", "n1", 100, 200)).ok());
  auto c = ctr("c1", "a");
  ASSERT_TRUE(store_->insert_container(c).ok());
  ASSERT_TRUE(store_->insert_endpoints({ep("e1", "c1", "n1aaaaaaaaaaa", 150, "veth1")}).ok());
  c.status = "running";
  c.pid = 42;
  ASSERT_TRUE(store_->update_container(c).ok());
  EXPECT_EQ(store_->list_endpoints()->size(), 1u);
  EXPECT_EQ((*store_->get_container("c1"))->pid, 42);
  ASSERT_TRUE(store_->delete_container("c1").ok());
  EXPECT_TRUE(store_->list_endpoints()->empty());
  EXPECT_EQ(store_->update_container(c).error().kind(), ErrorKind::kNotFound);
}

TEST_F(ContainerStoreTest, DeleteEndpointRemovesOnlyThatOne) {
  ASSERT_TRUE(store_->insert_network(net("n1aaaaaaaaaaa", "n1", 100, 200)).ok());
  ASSERT_TRUE(store_->insert_network(net("n2aaaaaaaaaaa", "n2", 300, 400)).ok());
  ASSERT_TRUE(store_->insert_container(ctr("c1", "a")).ok());
  auto second = ep("e2", "c1", "n2aaaaaaaaaaa", 310, "veth2");
  second.ifname = "eth1";
  ASSERT_TRUE(store_->insert_endpoints({ep("e1", "c1", "n1aaaaaaaaaaa", 150, "veth1"), second}).ok());
  ASSERT_TRUE(store_->delete_endpoint("e1").ok());
  auto left = store_->list_endpoints();
  ASSERT_EQ(left->size(), 1u);
  EXPECT_EQ((*left)[0].id, "e2");
  // The freed address can be taken again.
  EXPECT_TRUE(store_->insert_endpoints({ep("e3", "c1", "n1aaaaaaaaaaa", 150, "veth3")}).ok());
}

TEST_F(ContainerStoreTest, ManuallyStoppedFlagPersistsAndGoesWithTheContainer) {
  ASSERT_TRUE(store_->insert_container(ctr("c1", "a")).ok());
  EXPECT_FALSE(*store_->manually_stopped("c1"));
  ASSERT_TRUE(store_->set_manually_stopped("c1", true).ok());
  EXPECT_TRUE(*store_->manually_stopped("c1"));
  store_.reset();
  auto s = SqliteStore::open(dir_ + "/berth.db");
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(*(*s)->manually_stopped("c1"));
  ASSERT_TRUE((*s)->set_manually_stopped("c1", false).ok());
  EXPECT_FALSE(*(*s)->manually_stopped("c1"));
  ASSERT_TRUE((*s)->set_manually_stopped("c1", true).ok());
  ASSERT_TRUE((*s)->delete_container("c1").ok());
  EXPECT_FALSE(*(*s)->manually_stopped("c1"));
  EXPECT_FALSE((*s)->set_manually_stopped("nope", true).ok());  // foreign key
}

}  // namespace
}  // namespace berth::store
