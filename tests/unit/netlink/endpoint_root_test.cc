// Root tests for container endpoints (setup_endpoint, teardown_endpoint,
// set_default_route, create_veth) against the real kernel. Nothing touches the
// machine's own network namespace: berthd's side is a NetnsThread with a
// fresh namespace and a bridge br-ep 10.88.0.1/24; each "container" is a
// network namespace bind-mounted onto a file in a temporary directory, as
// berthd keeps them. Assertions use `ip -j`, `ping` and `nsenter --net=FILE`
// (`ip -n` wants names under /run/netns), started from the thread in the
// namespace to look at.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/unique_fd.h"
#include "netlink/netlink.h"
#include "netns_test_support.h"

namespace berth::netlink {
namespace {

using namespace nltest;  // NOLINT: the test helpers, as if defined here

constexpr const char* kBridge = "br-ep";

ipam::Ipv4 ip(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return ipam::Ipv4{(uint32_t{a} << 24) | (uint32_t{b} << 16) | (uint32_t{c} << 8) | d};
}

// A temporary directory, removed (when empty) at the end.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/berth-ep-test-XXXXXX";
    if (::mkdtemp(tmpl) != nullptr) path_ = tmpl;
  }
  ~TempDir() {
    if (!path_.empty()) ::rmdir(path_.c_str());
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A network namespace that outlives the thread that made it: a short-lived
// thread unshares it and bind-mounts /proc/self/task/<tid>/ns/net onto
// `dir/name`, as berthd keeps a container's namespace.
class ContainerNetns {
 public:
  ContainerNetns(const std::string& dir, const std::string& name) : path_(dir + "/" + name) {
    int fd = ::open(path_.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
      error_ = "create " + path_ + ": " + std::strerror(errno);
      return;
    }
    ::close(fd);
    created_ = true;
    std::thread([this] {
      if (::unshare(CLONE_NEWNET) != 0) {
        error_ = std::string("unshare: ") + std::strerror(errno);
        return;
      }
      std::string self = "/proc/self/task/" + std::to_string(::syscall(SYS_gettid)) + "/ns/net";
      if (::mount(self.c_str(), path_.c_str(), nullptr, MS_BIND, nullptr) != 0) {
        error_ = "bind mount " + self + ": " + std::strerror(errno);
        return;
      }
      mounted_ = true;
    }).join();
  }
  ~ContainerNetns() {
    if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
    if (created_) ::unlink(path_.c_str());
  }
  ContainerNetns(const ContainerNetns&) = delete;
  ContainerNetns& operator=(const ContainerNetns&) = delete;

  const std::string& path() const { return path_; }
  const std::string& error() const { return error_; }

  // `args` run inside this namespace.
  Output run_in(std::vector<std::string> args) const {
    args.insert(args.begin(), {"nsenter", "--net=" + path_});
    return run(args);
  }
  json ip_json_in(std::vector<std::string> args) const {
    args.insert(args.begin(), {"nsenter", "--net=" + path_, "ip", "-j"});
    Output o = run(args);
    EXPECT_EQ(o.exit_code, 0) << o.err;
    if (o.exit_code != 0 || o.out.empty()) return json::array();
    return json::parse(o.out);
  }
  std::vector<std::string> link_names() const {
    std::vector<std::string> names;
    for (const auto& l : ip_json_in({"link", "show"}))
      names.push_back(l["ifname"].get<std::string>());
    std::sort(names.begin(), names.end());
    return names;
  }

 private:
  std::string path_;
  std::string error_;
  bool created_ = false;
  bool mounted_ = false;
};

EndpointSpec endpoint(const std::string& host_ifname, const ContainerNetns& c, uint8_t last) {
  EndpointSpec s;
  s.host_ifname = host_ifname;
  s.alias = "berth:ep-" + host_ifname.substr(4);
  s.bridge = kBridge;
  s.netns_path = c.path();
  s.container_ifname = "eth0";
  s.address = ip(10, 88, 0, last);
  s.mac = {0x02, 0x42, 10, 88, 0, last};
  s.prefix_len = 24;
  s.default_gateway = ip(10, 88, 0, 1);
  return s;
}

json one(const json& list) {
  EXPECT_EQ(list.size(), 1u) << list.dump();
  return list.empty() ? json::object() : list[0];
}

// ---- fixture ----------------------------------------------------------------

class EndpointRootTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) {
      GTEST_SKIP() << "SKIPPED: needs root (creates links in network namespaces of its own)";
    }
    host_ = std::make_unique<NetnsThread>();
    if (host_->unshare_errno() != 0) {
      GTEST_SKIP() << "SKIPPED: cannot unshare a network namespace: "
                   << std::strerror(host_->unshare_errno());
    }
    ASSERT_FALSE(dir_.path().empty()) << "mkdtemp: " << std::strerror(errno);
    c1_ = std::make_unique<ContainerNetns>(dir_.path(), "c1");
    c2_ = std::make_unique<ContainerNetns>(dir_.path(), "c2");
    ASSERT_EQ(c1_->error(), "");
    ASSERT_EQ(c2_->error(), "");
    host_->run([] {
      auto nl = open_here();
      ASSERT_TRUE(nl);
      Status st = nl->create_bridge(bridge(kBridge, "10.88.0.1", 24));
      ASSERT_TRUE(st.ok()) << st.error().message();
    });
  }

  void TearDown() override {
    c1_.reset();
    c2_.reset();
    host_.reset();
  }

  // Runs `body` in berthd's (the test's) namespace with a Netlink opened there.
  void on_host(const std::function<void(Netlink&)>& body) {
    host_->run([&] {
      auto nl = open_here();
      ASSERT_TRUE(nl);
      body(*nl);
    });
  }

  TempDir dir_;
  std::unique_ptr<NetnsThread> host_;
  std::unique_ptr<ContainerNetns> c1_;
  std::unique_ptr<ContainerNetns> c2_;
};

// ---- setup_endpoint -----------------------------------------------------------

TEST_F(EndpointRootTest, SetupWiresBothEndsAsIpShowsThem) {
  on_host([&](Netlink& nl) {
    EndpointSpec spec = endpoint("veth0a58002", *c1_, 2);
    spec.mtu = 1450;
    Status st = setup_endpoint(nl, spec);
    ASSERT_TRUE(st.ok()) << st.error().message();

    // Container side: lo and eth0 only (the temporary name is gone).
    EXPECT_EQ(c1_->link_names(), (std::vector<std::string>{"eth0", "lo"}));
    json eth0 = one(c1_->ip_json_in({"-d", "link", "show", "eth0"}));
    EXPECT_EQ(eth0["address"], "02:42:0a:58:00:02");
    EXPECT_EQ(eth0["mtu"], 1450);
    EXPECT_EQ(eth0["linkinfo"]["info_kind"], "veth");
    EXPECT_TRUE(has_flag(eth0, "UP")) << eth0.dump();
    EXPECT_TRUE(has_flag(eth0, "LOWER_UP")) << eth0.dump();  // carrier: the host end is up
    json lo = one(c1_->ip_json_in({"link", "show", "lo"}));
    EXPECT_TRUE(has_flag(lo, "UP")) << lo.dump();

    json addrs = one(c1_->ip_json_in({"-4", "addr", "show", "dev", "eth0"}));
    ASSERT_EQ(addrs["addr_info"].size(), 1u) << addrs.dump();
    EXPECT_EQ(addrs["addr_info"][0]["local"], "10.88.0.2");
    EXPECT_EQ(addrs["addr_info"][0]["prefixlen"], 24);
    EXPECT_EQ(addrs["addr_info"][0]["broadcast"], "10.88.0.255");

    json route = one(c1_->ip_json_in({"-4", "route", "show", "default"}));
    EXPECT_EQ(route["gateway"], "10.88.0.1");
    EXPECT_EQ(route["dev"], "eth0");

    // Host side: the host end on the bridge, marked, up, same MTU; no peer.
    EXPECT_EQ(ip_link_names(), (std::vector<std::string>{"br-ep", "lo", "veth0a58002"}));
    json host = one(ip_json({"-d", "link", "show", "veth0a58002"}));
    EXPECT_EQ(host["master"], kBridge);
    EXPECT_EQ(host.value("ifalias", ""), "berth:ep-0a58002");
    EXPECT_EQ(host["mtu"], 1450);
    EXPECT_EQ(host["linkinfo"]["info_kind"], "veth");
    EXPECT_EQ(host["linkinfo"]["info_slave_kind"], "bridge");
    EXPECT_EQ(host["linkinfo"]["info_slave_data"]["hairpin"], false);
    EXPECT_TRUE(has_flag(host, "UP")) << host.dump();

    auto info = nl.find_link("veth0a58002");
    ASSERT_TRUE(info.ok() && info->has_value());
    auto br = nl.find_link(kBridge);
    ASSERT_TRUE(br.ok() && br->has_value());
    EXPECT_EQ((*info)->master_index, (*br)->index);
    EXPECT_EQ((*info)->alias, "berth:ep-0a58002");
  });
}

TEST_F(EndpointRootTest, ContainersOnTheBridgeReachEachOtherAndTheGateway) {
  on_host([&](Netlink& nl) {
    Status a = setup_endpoint(nl, endpoint("veth0a58002", *c1_, 2));
    ASSERT_TRUE(a.ok()) << a.error().message();
    Status b = setup_endpoint(nl, endpoint("veth0a58003", *c2_, 3));
    ASSERT_TRUE(b.ok()) << b.error().message();

    Output p1 = c1_->run_in({"ping", "-c1", "-W1", "10.88.0.3"});
    EXPECT_EQ(p1.exit_code, 0) << p1.out << p1.err;
    Output p2 = c2_->run_in({"ping", "-c1", "-W1", "10.88.0.2"});
    EXPECT_EQ(p2.exit_code, 0) << p2.out << p2.err;
    Output p3 = c1_->run_in({"ping", "-c1", "-W1", "10.88.0.1"});
    EXPECT_EQ(p3.exit_code, 0) << p3.out << p3.err;
  });
}

// The announcement itself, captured on the bridge right after setup (before
// any traffic): an ARP request for 10.88.0.2 from 02:42:0a:58:00:02, sender
// and target address equal, target MAC zero, to the broadcast address.
TEST_F(EndpointRootTest, GratuitousArpIsBroadcastOnJoin) {
  on_host([&](Netlink& nl) {
    UniqueFd cap(::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, htons(ETH_P_ARP)));
    ASSERT_TRUE(cap.valid()) << std::strerror(errno);
    sockaddr_ll at{};
    at.sll_family = AF_PACKET;
    at.sll_protocol = htons(ETH_P_ARP);
    at.sll_ifindex = static_cast<int>(::if_nametoindex(kBridge));
    ASSERT_GT(at.sll_ifindex, 0);
    ASSERT_EQ(::bind(cap.get(), reinterpret_cast<sockaddr*>(&at), sizeof(at)), 0)
        << std::strerror(errno);

    Status st = setup_endpoint(nl, endpoint("veth0a58002", *c1_, 2));
    ASSERT_TRUE(st.ok()) << st.error().message();

    const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    const uint8_t mac[6] = {0x02, 0x42, 0x0a, 0x58, 0x00, 0x02};
    const uint8_t addr[4] = {10, 88, 0, 2};
    const uint8_t zero[6] = {};
    bool seen = false;
    int frames = 0;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (!seen && std::chrono::steady_clock::now() < deadline) {
      pollfd p{cap.get(), POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      uint8_t f[128];
      ssize_t n = ::recv(cap.get(), f, sizeof(f), 0);
      if (n < 14 + 28) continue;
      ++frames;
      const uint8_t* arp = f + 14;
      const uint8_t arp_head[8] = {0, 1, 0x08, 0, 6, 4, 0, 1};  // Ethernet, IPv4, request
      bool ether = std::memcmp(f, bcast, 6) == 0 && std::memcmp(f + 6, mac, 6) == 0 &&
                   f[12] == 0x08 && f[13] == 0x06;  // ethertype ARP
      seen = ether && std::memcmp(arp, arp_head, 8) == 0 && std::memcmp(arp + 8, mac, 6) == 0 &&
             std::memcmp(arp + 14, addr, 4) == 0 && std::memcmp(arp + 18, zero, 6) == 0 &&
             std::memcmp(arp + 24, addr, 4) == 0;
    }
    EXPECT_TRUE(seen) << frames << " ARP frame(s) seen on " << kBridge << ", none the announcement";
  });
}

// What the announcement is for: a neighbour holding a stale MAC for a reused
// address takes the new one at once, with the kernel's default arp_accept=0.
//
// Two things would flush the bridge's neighbour table, stale entry included,
// and are kept out of the way first: the bridge's own carrier going off (a
// new bridge's first carrier change reaches the neighbour code up to a second
// later, NETDEV_CHANGE → neigh_carrier_down), and its MAC changing
// (NETDEV_CHANGEADDR → neigh_changeaddr), which a bridge whose MAC was never
// set does whenever a port with a lower MAC joins. So the network already has
// a container, and the bridge a MAC of its own, as Docker gives it
// (setup_device.go).
TEST_F(EndpointRootTest, GratuitousArpReplacesAStaleNeighbourEntry) {
  on_host([&](Netlink& nl) {
    ASSERT_EQ(run({"ip", "link", "set", "dev", kBridge, "address", "02:42:0a:58:00:01"}).exit_code,
              0);
    ASSERT_TRUE(setup_endpoint(nl, endpoint("veth0a58002", *c1_, 2)).ok());
    ASSERT_EQ(run({"ip", "neigh", "replace", "10.88.0.3", "lladdr", "02:00:00:00:00:99", "dev",
                   kBridge, "nud", "stale"})
                  .exit_code,
              0);
    Status st = setup_endpoint(nl, endpoint("veth0a58003", *c2_, 3));
    ASSERT_TRUE(st.ok()) << st.error().message();
    std::string lladdr;
    // The frame crosses the pair and the bridge in softirq context: allow
    // it a moment after setup_endpoint returns.
    for (int i = 0; i < 100 && lladdr != "02:42:0a:58:00:03"; ++i) {
      if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
      json n = ip_json({"neigh", "show", "10.88.0.3", "dev", kBridge});
      lladdr = n.empty() ? "" : n[0].value("lladdr", "");
    }
    EXPECT_EQ(lladdr, "02:42:0a:58:00:03") << ip_json({"neigh", "show"}).dump();
  });
}

TEST_F(EndpointRootTest, HairpinModeIsSetWhenAsked) {
  on_host([&](Netlink& nl) {
    EndpointSpec spec = endpoint("veth0a58002", *c1_, 2);
    spec.hairpin = true;
    Status st = setup_endpoint(nl, spec);
    ASSERT_TRUE(st.ok()) << st.error().message();
    json host = one(ip_json({"-d", "link", "show", "veth0a58002"}));
    EXPECT_EQ(host["linkinfo"]["info_slave_data"]["hairpin"], true) << host.dump();
  });
}

// ---- failures leave nothing behind ---------------------------------------------

TEST_F(EndpointRootTest, TakenHostNameFailsAndLeavesNoNewLinks) {
  on_host([&](Netlink& nl) {
    ASSERT_TRUE(setup_endpoint(nl, endpoint("veth0a58002", *c1_, 2)).ok());
    std::vector<std::string> host_before = ip_link_names();
    std::vector<std::string> c1_before = c1_->link_names();
    std::vector<std::string> c2_before = c2_->link_names();

    Status st = setup_endpoint(nl, endpoint("veth0a58002", *c2_, 3));
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().kind(), ErrorKind::kConflict);
    EXPECT_EQ(st.error().message(), "create veth veth0a58002: File exists");
    EXPECT_EQ(ip_link_names(), host_before);
    EXPECT_EQ(c1_->link_names(), c1_before);
    EXPECT_EQ(c2_->link_names(), c2_before);
    EXPECT_EQ(c2_before, std::vector<std::string>{"lo"});
    // The first endpoint is untouched.
    json host = one(ip_json({"-d", "link", "show", "veth0a58002"}));
    EXPECT_EQ(host.value("ifalias", ""), "berth:ep-0a58002");
  });
}

TEST_F(EndpointRootTest, MissingNetnsFailsAndCreatesNothing) {
  on_host([&](Netlink& nl) {
    EndpointSpec spec = endpoint("veth0a58002", *c1_, 2);
    spec.netns_path = dir_.path() + "/no-such-netns";
    Status st = setup_endpoint(nl, spec);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().kind(), ErrorKind::kNotFound);
    EXPECT_EQ(st.error().message(),
              "open network namespace " + spec.netns_path + ": No such file or directory");
    EXPECT_EQ(ip_link_names(), (std::vector<std::string>{"br-ep", "lo"}));
  });
}

// A step inside the container fails after the pair exists and the peer has
// moved (eth0 is taken there): the pair is deleted from both namespaces.
TEST_F(EndpointRootTest, FailureInsideTheContainerDeletesThePair) {
  on_host([&](Netlink& nl) {
    ASSERT_TRUE(setup_endpoint(nl, endpoint("veth0a58002", *c1_, 2)).ok());
    std::vector<std::string> host_before = ip_link_names();
    std::vector<std::string> c1_before = c1_->link_names();

    EndpointSpec second = endpoint("veth0a58004", *c1_, 4);  // also "eth0"
    second.default_gateway.reset();
    Status st = setup_endpoint(nl, second);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().kind(), ErrorKind::kConflict);
    const std::string& m = st.error().message();
    EXPECT_EQ(
        m.rfind("configure eth0 in network namespace " + c1_->path() + ": rename link veth", 0), 0u)
        << m;
    EXPECT_NE(m.find(" to eth0: File exists"), std::string::npos) << m;
    EXPECT_EQ(ip_link_names(), host_before);
    EXPECT_EQ(c1_->link_names(), c1_before);
    // The first endpoint still works.
    EXPECT_EQ(c1_->run_in({"ping", "-c1", "-W1", "10.88.0.1"}).exit_code, 0);
  });
}

// The gateway is not on any link of the container: the route step fails last
// but one, after rename, MAC, address and up; all of it goes with the pair.
TEST_F(EndpointRootTest, UnreachableGatewayFailsAndDeletesThePair) {
  on_host([&](Netlink& nl) {
    EndpointSpec spec = endpoint("veth0a58002", *c1_, 2);
    spec.default_gateway = ip(10, 99, 0, 1);
    Status st = setup_endpoint(nl, spec);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().message().rfind("configure eth0 in network namespace " + c1_->path() +
                                             ": set default route via 10.99.0.1 dev eth0: ",
                                         0),
              0u)
        << st.error().message();
    std::cout << "unreachable gateway reads: " << st.error().message() << "\n";
    EXPECT_EQ(ip_link_names(), (std::vector<std::string>{"br-ep", "lo"}));
    EXPECT_EQ(c1_->link_names(), std::vector<std::string>{"lo"});
  });
}

TEST_F(EndpointRootTest, InvalidSpecIsRejectedBeforeAnythingExists) {
  on_host([&](Netlink& nl) {
    EndpointSpec multicast = endpoint("veth0a58002", *c1_, 2);
    multicast.mac[0] = 0x03;
    Status st = setup_endpoint(nl, multicast);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().kind(), ErrorKind::kInvalidArgument);
    EXPECT_EQ(st.error().message(),
              "setup endpoint veth0a58002: MAC address 03:42:0a:58:00:02 is not unicast");

    EndpointSpec long_name = endpoint("veth0a58002-too-long", *c1_, 2);
    st = setup_endpoint(nl, long_name);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().kind(), ErrorKind::kInvalidArgument);

    EndpointSpec no_bridge = endpoint("veth0a58002", *c1_, 2);
    no_bridge.bridge = "br-none";
    st = setup_endpoint(nl, no_bridge);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().kind(), ErrorKind::kNotFound);
    EXPECT_EQ(st.error().message(), "create veth veth0a58002: bridge br-none not found");

    EXPECT_EQ(ip_link_names(), (std::vector<std::string>{"br-ep", "lo"}));
    EXPECT_EQ(c1_->link_names(), std::vector<std::string>{"lo"});
  });
}

// ---- teardown_endpoint -----------------------------------------------------------

TEST_F(EndpointRootTest, TeardownRemovesBothEnds) {
  on_host([&](Netlink& nl) {
    ASSERT_TRUE(setup_endpoint(nl, endpoint("veth0a58002", *c1_, 2)).ok());
    Status st = teardown_endpoint(nl, "veth0a58002");
    ASSERT_TRUE(st.ok()) << st.error().message();
    EXPECT_EQ(ip_link_names(), (std::vector<std::string>{"br-ep", "lo"}));
    EXPECT_EQ(c1_->link_names(), std::vector<std::string>{"lo"});
    EXPECT_TRUE(c1_->ip_json_in({"-4", "route", "show", "default"}).empty());
    // Again: already gone is success.
    Status again = teardown_endpoint(nl, "veth0a58002");
    EXPECT_TRUE(again.ok()) << again.error().message();
    // The address can be used again at once.
    ASSERT_TRUE(setup_endpoint(nl, endpoint("veth0a58012", *c1_, 2)).ok());
    EXPECT_EQ(c1_->run_in({"ping", "-c1", "-W1", "10.88.0.1"}).exit_code, 0);
  });
}

// ---- set_default_route ---------------------------------------------------------

TEST_F(EndpointRootTest, SetDefaultRouteReplacesAndRemoves) {
  on_host([&](Netlink& nl) {
    EndpointSpec spec = endpoint("veth0a58002", *c1_, 2);
    spec.default_gateway.reset();
    ASSERT_TRUE(setup_endpoint(nl, spec).ok());
  });
  EXPECT_TRUE(c1_->ip_json_in({"-4", "route", "show", "default"}).empty());

  Status st = set_default_route(c1_->path(), ip(10, 88, 0, 1), "eth0");
  ASSERT_TRUE(st.ok()) << st.error().message();
  json r = one(c1_->ip_json_in({"-4", "route", "show", "default"}));
  EXPECT_EQ(r["gateway"], "10.88.0.1");
  EXPECT_EQ(r["dev"], "eth0");

  st = set_default_route(c1_->path(), ip(10, 88, 0, 254), "eth0");  // replaces
  ASSERT_TRUE(st.ok()) << st.error().message();
  r = one(c1_->ip_json_in({"-4", "route", "show", "default"}));
  EXPECT_EQ(r["gateway"], "10.88.0.254");

  // Removing routes of another device leaves this one.
  ASSERT_TRUE(set_default_route(c1_->path(), std::nullopt, "lo").ok());
  EXPECT_EQ(c1_->ip_json_in({"-4", "route", "show", "default"}).size(), 1u);

  st = set_default_route(c1_->path(), std::nullopt, "eth0");
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_TRUE(c1_->ip_json_in({"-4", "route", "show", "default"}).empty());
  // None left: still success. Any device:
  EXPECT_TRUE(set_default_route(c1_->path(), std::nullopt, "eth0").ok());
  ASSERT_TRUE(set_default_route(c1_->path(), ip(10, 88, 0, 1), "eth0").ok());
  ASSERT_TRUE(set_default_route(c1_->path(), std::nullopt, "").ok());
  EXPECT_TRUE(c1_->ip_json_in({"-4", "route", "show", "default"}).empty());
  // The subnet route of eth0 is not a default route and stays.
  EXPECT_EQ(c1_->ip_json_in({"-4", "route", "show", "10.88.0.0/24"}).size(), 1u);

  Status missing_dev = set_default_route(c1_->path(), ip(10, 88, 0, 1), "eth9");
  ASSERT_FALSE(missing_dev.ok());
  EXPECT_EQ(missing_dev.error().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(missing_dev.error().message(),
            "set default route via 10.88.0.1 dev eth9: no such link");
  Status missing_ns = set_default_route(dir_.path() + "/nothere", ip(10, 88, 0, 1), "eth0");
  ASSERT_FALSE(missing_ns.ok());
  EXPECT_EQ(missing_ns.error().kind(), ErrorKind::kNotFound);
}

// ---- create_veth / move_link_to_netns directly -------------------------------------

TEST_F(EndpointRootTest, CreateVethThenMoveByPath) {
  on_host([&](Netlink& nl) {
    VethSpec v;
    v.host_ifname = "veth1111111";
    v.peer_ifname = "veth2222222";
    v.mtu = 1400;
    Status st = nl.create_veth(v);  // no bridge, no alias
    ASSERT_TRUE(st.ok()) << st.error().message();
    json host = one(ip_json({"-d", "link", "show", "veth1111111"}));
    EXPECT_EQ(host["mtu"], 1400);
    EXPECT_FALSE(host.contains("master"));
    json peer = one(ip_json({"-d", "link", "show", "veth2222222"}));
    EXPECT_EQ(peer["mtu"], 1400);
    EXPECT_FALSE(has_flag(peer, "UP"));

    Status taken_peer = nl.create_veth(VethSpec{"veth3333333", "veth2222222", 1500, "", "", false});
    ASSERT_FALSE(taken_peer.ok());
    EXPECT_EQ(taken_peer.error().kind(), ErrorKind::kConflict);
    Status bad_mtu = nl.create_veth(VethSpec{"veth3333333", "veth4444444", 10, "", "", false});
    ASSERT_FALSE(bad_mtu.ok());
    EXPECT_EQ(bad_mtu.error().kind(), ErrorKind::kInvalidArgument);

    st = nl.move_link_to_netns("veth2222222", c2_->path());
    ASSERT_TRUE(st.ok()) << st.error().message();
    EXPECT_EQ(ip_link_names(), (std::vector<std::string>{"br-ep", "lo", "veth1111111"}));
    EXPECT_EQ(c2_->link_names(), (std::vector<std::string>{"lo", "veth2222222"}));

    Status gone = nl.move_link_to_netns("veth2222222", c2_->path());
    ASSERT_FALSE(gone.ok());
    EXPECT_EQ(gone.error().kind(), ErrorKind::kNotFound);
    EXPECT_EQ(gone.error().message(),
              "move link veth2222222 to network namespace " + c2_->path() + ": no such link");
    Status no_ns = nl.move_link_to_netns("veth1111111", dir_.path() + "/nothere");
    ASSERT_FALSE(no_ns.ok());
    EXPECT_EQ(no_ns.error().kind(), ErrorKind::kNotFound);

    ASSERT_TRUE(nl.delete_link("veth1111111").ok());
    EXPECT_EQ(c2_->link_names(), std::vector<std::string>{"lo"});
  });
}

}  // namespace
}  // namespace berth::netlink
