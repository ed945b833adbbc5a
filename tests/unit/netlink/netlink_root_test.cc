// Root tests for NlNetlink against the real kernel. Nothing here touches the
// machine's own network namespace: each test body runs on a dedicated thread
// that first unshares a fresh network namespace (only "lo", down), opens
// NlNetlink there, and checks the result with the tools a user would use
// (`ip -j`), started from that thread so that they see the same namespace.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <functional>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "netlink/netlink.h"
#include "netns_test_support.h"

namespace berth::netlink {
namespace {

using namespace nltest;  // NOLINT: the test helpers, as if defined here

// ---- fixture ----------------------------------------------------------------

class NetlinkRootTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) {
      GTEST_SKIP() << "SKIPPED: needs root (creates links in a network namespace of its own)";
    }
    NetnsThread probe;
    if (probe.unshare_errno() != 0) {
      GTEST_SKIP() << "SKIPPED: cannot unshare a network namespace: "
                   << std::strerror(probe.unshare_errno());
    }
  }

  // Runs `body` in a fresh network namespace on a thread of its own.
  static void in_fresh_netns(const std::function<void()>& body) {
    NetnsThread ns;
    ASSERT_EQ(ns.unshare_errno(), 0);
    ns.run(body);
  }
};

// ---- create_bridge ----------------------------------------------------------

TEST_F(NetlinkRootTest, CreateBridgeIsSeenByIp) {
  in_fresh_netns([] {
    auto nl = open_here();
    ASSERT_TRUE(nl);
    BridgeSpec spec = bridge("br-1a2b3c", "10.99.0.1", 24);
    spec.mtu = 1450;
    Status st = nl->create_bridge(spec);
    ASSERT_TRUE(st.ok()) << st.error().message();

    json links = ip_json({"-d", "link", "show", "br-1a2b3c"});
    ASSERT_EQ(links.size(), 1u);
    const json& l = links[0];
    EXPECT_EQ(l["linkinfo"]["info_kind"], "bridge");
    EXPECT_EQ(l["mtu"], 1450);
    EXPECT_EQ(l.value("ifalias", ""), "berth:1a2b3c");
    EXPECT_TRUE(has_flag(l, "UP")) << l.dump();

    json addrs = ip_json({"addr", "show", "dev", "br-1a2b3c"});
    ASSERT_EQ(addrs.size(), 1u);
    bool found = false;
    for (const auto& a : addrs[0]["addr_info"]) {
      if (a["family"] != "inet") continue;
      found = true;
      EXPECT_EQ(a["local"], "10.99.0.1");
      EXPECT_EQ(a["prefixlen"], 24);
      EXPECT_EQ(a["broadcast"], "10.99.0.255");
    }
    EXPECT_TRUE(found) << addrs.dump();

    auto ra = read_sysctl("net/ipv6/conf/br-1a2b3c/accept_ra");
    if (ra.ok()) {
      EXPECT_EQ(*ra, "0");
    }

    auto info = nl->find_link("br-1a2b3c");
    ASSERT_TRUE(info.ok()) << info.error().message();
    ASSERT_TRUE(info->has_value());
    EXPECT_EQ((*info)->kind, "bridge");
    EXPECT_EQ((*info)->alias, "berth:1a2b3c");
    EXPECT_EQ((*info)->mtu, 1450);
    EXPECT_TRUE((*info)->up);
    EXPECT_EQ((*info)->index, l["ifindex"].get<int>());
  });
}

TEST_F(NetlinkRootTest, CreateWithoutAddressAssignsNone) {
  in_fresh_netns([] {
    auto nl = open_here();
    ASSERT_TRUE(nl);
    BridgeSpec spec = bridge("br-noaddr", "10.98.0.1", 24);
    spec.assign_address = false;
    Status st = nl->create_bridge(spec);
    ASSERT_TRUE(st.ok()) << st.error().message();
    json addrs = ip_json({"-4", "addr", "show", "dev", "br-noaddr"});
    for (const auto& a : addrs) EXPECT_TRUE(a["addr_info"].empty()) << a.dump();
    auto routes = nl->onlink_routes_v4();
    ASSERT_TRUE(routes.ok());
    EXPECT_TRUE(routes->empty());
  });
}

TEST_F(NetlinkRootTest, CreateTwiceIsConflictAndKeepsTheFirst) {
  in_fresh_netns([] {
    auto nl = open_here();
    ASSERT_TRUE(nl);
    ASSERT_TRUE(nl->create_bridge(bridge("br-twice", "10.99.1.1", 24)).ok());
    BridgeSpec second = bridge("br-twice", "10.99.2.1", 24);
    second.alias = "berth:other";
    Status st = nl->create_bridge(second);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().kind(), ErrorKind::kConflict);
    EXPECT_EQ(st.error().message(), "create bridge br-twice: File exists");

    json l = ip_json({"-d", "link", "show", "br-twice"});
    ASSERT_EQ(l.size(), 1u);
    EXPECT_EQ(l[0].value("ifalias", ""), "berth:twice");
    EXPECT_TRUE(has_flag(l[0], "UP"));
    json a = ip_json({"-4", "addr", "show", "dev", "br-twice"});
    ASSERT_EQ(a.size(), 1u);
    ASSERT_EQ(a[0]["addr_info"].size(), 1u);
    EXPECT_EQ(a[0]["addr_info"][0]["local"], "10.99.1.1");
  });
}

// libnl copies names into a 16-byte buffer and would silently create
// "br-this-name-is" instead: the name is checked before the kernel is asked.
TEST_F(NetlinkRootTest, TooLongNameIsInvalidAndCreatesNothing) {
  in_fresh_netns([] {
    auto nl = open_here();
    ASSERT_TRUE(nl);
    Status st = nl->create_bridge(bridge("br-this-name-is-too-long", "10.99.3.1", 24));
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().kind(), ErrorKind::kInvalidArgument);
    EXPECT_EQ(st.error().message().rfind("create bridge br-this-name-is-too-long: ", 0), 0u)
        << st.error().message();
    EXPECT_EQ(ip_link_names(), std::vector<std::string>{"lo"});
  });
}

// The kernel refuses the MTU at creation: its errno and extended-ack text
// make the message; nothing is left behind.
TEST_F(NetlinkRootTest, KernelRefusalCarriesTheReason) {
  in_fresh_netns([] {
    auto nl = open_here();
    ASSERT_TRUE(nl);
    BridgeSpec spec = bridge("br-mtu", "10.99.4.1", 24);
    spec.mtu = 70000;
    Status st = nl->create_bridge(spec);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().message().rfind("create bridge br-mtu: Invalid argument", 0), 0u)
        << st.error().message();
    std::cout << "kernel refusal reads: " << st.error().message() << "\n";
    EXPECT_EQ(ip_link_names(), std::vector<std::string>{"lo"});
  });
}

// A step after the link exists fails (accept_ra, with /proc/sys read-only in
// a private mount namespace): create_bridge deletes the link it made.
TEST_F(NetlinkRootTest, FailedLaterStepDeletesTheLink) {
  NetnsThread ns(CLONE_NEWNS);
  ASSERT_EQ(ns.unshare_errno(), 0);
  ns.run([] {
    if (::access("/proc/sys/net/ipv6/conf/lo/accept_ra", F_OK) != 0) {
      GTEST_SKIP() << "SKIPPED: IPv6 is off, create_bridge has no accept_ra step to fail";
    }
    ASSERT_EQ(::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr), 0)
        << std::strerror(errno);
    ASSERT_EQ(::mount("/proc/sys", "/proc/sys", nullptr, MS_BIND | MS_REC, nullptr), 0)
        << std::strerror(errno);
    ASSERT_EQ(::mount(nullptr, "/proc/sys", nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr), 0)
        << std::strerror(errno);

    auto nl = open_here();
    ASSERT_TRUE(nl);
    Status st = nl->create_bridge(bridge("br-undo", "10.99.5.1", 24));
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().kind(), ErrorKind::kUnavailable);
    EXPECT_EQ(st.error().message(),
              "create bridge br-undo: write sysctl net/ipv6/conf/br-undo/accept_ra=0: "
              "Read-only file system");
    EXPECT_EQ(ip_link_names(), std::vector<std::string>{"lo"});
    auto found = nl->find_link("br-undo");
    ASSERT_TRUE(found.ok());
    EXPECT_FALSE(found->has_value());
  });
}

// ---- delete_link ------------------------------------------------------------

TEST_F(NetlinkRootTest, DeleteRemovesTheLinkAndItsRoute) {
  in_fresh_netns([] {
    auto nl = open_here();
    ASSERT_TRUE(nl);
    ASSERT_TRUE(nl->create_bridge(bridge("br-del", "10.99.6.1", 24)).ok());
    Status st = nl->delete_link("br-del");
    ASSERT_TRUE(st.ok()) << st.error().message();
    EXPECT_EQ(ip_link_names(), std::vector<std::string>{"lo"});
    EXPECT_NE(run({"ip", "link", "show", "br-del"}).exit_code, 0);
    auto found = nl->find_link("br-del");
    ASSERT_TRUE(found.ok());
    EXPECT_FALSE(found->has_value());
    auto routes = nl->onlink_routes_v4();
    ASSERT_TRUE(routes.ok());
    EXPECT_TRUE(routes->empty());
  });
}

TEST_F(NetlinkRootTest, DeleteMissingIsNotFound) {
  in_fresh_netns([] {
    auto nl = open_here();
    ASSERT_TRUE(nl);
    Status st = nl->delete_link("br-missing");
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().kind(), ErrorKind::kNotFound);
    EXPECT_EQ(st.error().message(), "delete link br-missing: no such link");
  });
}

// ---- list_links / find_link -------------------------------------------------

TEST_F(NetlinkRootTest, ListLinksSeesUnmarkedBridgeAndPorts) {
  in_fresh_netns([] {
    ASSERT_EQ(run({"ip", "link", "add", "br-plain", "type", "bridge"}).exit_code, 0);
    ASSERT_EQ(run({"ip", "link", "add", "vp0", "type", "veth", "peer", "name", "vp1"}).exit_code,
              0);
    ASSERT_EQ(run({"ip", "link", "set", "vp0", "master", "br-plain"}).exit_code, 0);
    auto nl = open_here();
    ASSERT_TRUE(nl);
    auto links = nl->list_links();
    ASSERT_TRUE(links.ok()) << links.error().message();
    auto by_name = [&](const std::string& n) -> const LinkInfo* {
      for (const auto& l : *links) {
        if (l.name == n) return &l;
      }
      return nullptr;
    };
    ASSERT_EQ(links->size(), 4u);
    const LinkInfo* lo = by_name("lo");
    ASSERT_NE(lo, nullptr);
    EXPECT_EQ(lo->index, 1);
    EXPECT_EQ(lo->kind, "");
    EXPECT_FALSE(lo->up);

    const LinkInfo* br = by_name("br-plain");
    ASSERT_NE(br, nullptr);
    EXPECT_EQ(br->kind, "bridge");
    EXPECT_EQ(br->alias, "");
    EXPECT_FALSE(br->up);
    EXPECT_EQ(br->master_index, 0);

    const LinkInfo* port = by_name("vp0");
    ASSERT_NE(port, nullptr);
    EXPECT_EQ(port->kind, "veth");
    EXPECT_EQ(port->master_index, br->index);
    const LinkInfo* peer = by_name("vp1");
    ASSERT_NE(peer, nullptr);
    EXPECT_EQ(peer->master_index, 0);

    auto found = nl->find_link("br-plain");
    ASSERT_TRUE(found.ok());
    ASSERT_TRUE(found->has_value());
    EXPECT_EQ((*found)->index, br->index);
    auto missing = nl->find_link("br-nothere");
    ASSERT_TRUE(missing.ok()) << missing.error().message();
    EXPECT_FALSE(missing->has_value());
  });
}

// ---- onlink_routes_v4 -------------------------------------------------------

TEST_F(NetlinkRootTest, OnlinkRoutesSeeTheBridgeSubnet) {
  in_fresh_netns([] {
    auto nl = open_here();
    ASSERT_TRUE(nl);
    auto before = nl->onlink_routes_v4();
    ASSERT_TRUE(before.ok()) << before.error().message();
    EXPECT_TRUE(before->empty());

    ASSERT_TRUE(nl->create_bridge(bridge("br-route", "10.77.1.1", 24)).ok());
    // Routes that are not scope link nor in the main table do not count.
    ASSERT_EQ(run({"ip", "route", "add", "10.5.0.0/16", "via", "10.77.1.254"}).exit_code, 0);
    ASSERT_EQ(
        run({"ip", "route", "add", "10.6.0.0/16", "dev", "br-route", "table", "100"}).exit_code, 0);
    ASSERT_EQ(run({"ip", "route", "add", "192.168.50.0/24", "dev", "br-route"}).exit_code, 0);

    auto after = nl->onlink_routes_v4();
    ASSERT_TRUE(after.ok()) << after.error().message();
    std::vector<ipam::Prefix> want = {
        ipam::Prefix{ipam::Ipv4{(10u << 24) | (77u << 16) | (1u << 8)}, 24},
        ipam::Prefix{ipam::Ipv4{(192u << 24) | (168u << 16) | (50u << 8)}, 24},
    };
    EXPECT_EQ(*after, want);
  });
}

// ---- descriptors -------------------------------------------------------------

// Descriptors of this process that a spawned program would inherit.
std::vector<int> inheritable_fds() {
  std::vector<int> fds;
  for (int fd = 0; fd < 1024; ++fd) {
    int flags = ::fcntl(fd, F_GETFD);
    if (flags >= 0 && (flags & FD_CLOEXEC) == 0) fds.push_back(fd);
  }
  return fds;
}

TEST_F(NetlinkRootTest, OpenLeavesNoInheritableDescriptor) {
  in_fresh_netns([] {
    std::vector<int> before = inheritable_fds();
    auto nl = open_here();
    ASSERT_TRUE(nl);
    ASSERT_TRUE(nl->list_links().ok());
    EXPECT_EQ(inheritable_fds(), before);
  });
}

// ---- sysctl -----------------------------------------------------------------

TEST_F(NetlinkRootTest, SysctlsAreThoseOfTheThreadsNamespace) {
  in_fresh_netns([] {
    auto v = read_sysctl("net/ipv4/ip_forward");
    ASSERT_TRUE(v.ok()) << v.error().message();
    EXPECT_EQ(*v, "0");  // a new namespace starts with forwarding off
    ASSERT_TRUE(write_sysctl("net/ipv4/ip_forward", "1").ok());
    EXPECT_EQ(*read_sysctl("net/ipv4/ip_forward"), "1");

    Status missing = write_sysctl("net/ipv4/conf/nothere/forwarding", "1");
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().kind(), ErrorKind::kNotFound);
    Status bad_value = write_sysctl("net/ipv4/ip_forward", "banana");
    ASSERT_FALSE(bad_value.ok());
    EXPECT_EQ(bad_value.error().kind(), ErrorKind::kInvalidArgument);
    for (const char* p : {"../etc/passwd", "/net/ipv4/ip_forward", "net//ipv4", "net/./x", ""}) {
      auto r = read_sysctl(p);
      ASSERT_FALSE(r.ok()) << p;
      EXPECT_EQ(r.error().kind(), ErrorKind::kInvalidArgument) << p;
    }
  });
}

// ---- run_in_netns / open_netlink_in -----------------------------------------

TEST_F(NetlinkRootTest, RunInNetnsEntersTheOtherNamespaceOnly) {
  NetnsThread a;
  ASSERT_EQ(a.unshare_errno(), 0);
  a.run([] { ASSERT_EQ(run({"ip", "link", "add", "br-in-a", "type", "bridge"}).exit_code, 0); });

  // From a second fresh namespace (so a mistake lands in a throwaway one).
  in_fresh_netns([&] {
    struct stat before {};
    ASSERT_EQ(::stat("/proc/thread-self/ns/net", &before), 0);
    std::vector<std::string> seen;
    Status st = run_in_netns(a.path(), [&]() -> Status {
      seen = ip_link_names();
      return ok_status();
    });
    ASSERT_TRUE(st.ok()) << st.error().message();
    EXPECT_EQ(seen, (std::vector<std::string>{"br-in-a", "lo"}));
    struct stat after {};
    ASSERT_EQ(::stat("/proc/thread-self/ns/net", &after), 0);
    EXPECT_EQ(before.st_ino, after.st_ino);
    EXPECT_EQ(ip_link_names(), std::vector<std::string>{"lo"});

    // fn's status is passed through.
    Status fn_err = run_in_netns(a.path(), [] { return Status(conflict("from fn")); });
    ASSERT_FALSE(fn_err.ok());
    EXPECT_EQ(fn_err.error().message(), "from fn");

    Status missing = run_in_netns("/run/netns/berth-no-such-ns", [] { return ok_status(); });
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().kind(), ErrorKind::kNotFound);
    Status not_ns = run_in_netns("/dev/null", [] { return ok_status(); });
    ASSERT_FALSE(not_ns.ok());
    EXPECT_EQ(not_ns.error().kind(), ErrorKind::kInvalidArgument) << not_ns.error().message();
  });
}

// A Netlink opened inside namespace A and used from a thread in namespace B
// creates its bridge in A, including the accept_ra sysctl, which /proc/sys
// resolves by the calling thread's namespace, not the socket's.
TEST_F(NetlinkRootTest, NetlinkOpenedInAnotherNamespaceWorksThere) {
  NetnsThread a;
  ASSERT_EQ(a.unshare_errno(), 0);
  in_fresh_netns([&] {
    auto nl = open_netlink_in(a.path());
    ASSERT_TRUE(nl.ok()) << nl.error().message();
    Status st = (*nl)->create_bridge(bridge("br-remote", "10.99.7.1", 24));
    ASSERT_TRUE(st.ok()) << st.error().message();
    EXPECT_EQ(ip_link_names(), std::vector<std::string>{"lo"});  // not here
  });
  a.run([] {
    EXPECT_EQ(ip_link_names(), (std::vector<std::string>{"br-remote", "lo"}));
    auto ra = read_sysctl("net/ipv6/conf/br-remote/accept_ra");
    if (ra.ok()) {
      EXPECT_EQ(*ra, "0");
    }
  });
}

}  // namespace
}  // namespace berth::netlink
