#include <gtest/gtest.h>

#include "daemon/config.h"

namespace berth::daemon {
namespace {

TEST(DaemonConfig, FileKeysAreApplied) {
  DaemonConfig c;
  ASSERT_TRUE(merge_config_file(R"({"bip":"10.1.0.1/24","mtu":1400,"iptables":false,
    "default-address-pools":[{"base":"10.80.0.0/16","size":24}],"dns":["10.0.0.2"],
    "hosts":["unix:///tmp/x.sock"],"userland-proxy":false})",
                                {}, c)
                  .ok());
  ASSERT_TRUE(finalize(c).ok());
  EXPECT_EQ(c.bip_prefix.len, 24);
  EXPECT_EQ(c.mtu, 1400);
  EXPECT_FALSE(c.iptables);
  EXPECT_EQ(c.userland_proxy, "false");
  ASSERT_EQ(c.pools.size(), 1u);
  EXPECT_EQ(c.pools[0].size, 24);
  EXPECT_EQ(c.socket_path, "/tmp/x.sock");
}

TEST(DaemonConfig, KeyBothInFileAndFlagIsRefused) {
  DaemonConfig c;
  c.config_file = "/etc/berth/daemon.json";
  auto st = merge_config_file(R"({"mtu":1400})", {"mtu"}, c);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message().find(
                "the following directives are specified both as a flag and in the configuration "
                "file: mtu"),
            std::string::npos);
}

TEST(DaemonConfig, UnknownKeysAndBadTypesAreRefused) {
  DaemonConfig c;
  auto unknown = merge_config_file(R"({"colour":"red"})", {}, c);
  EXPECT_NE(unknown.error().message().find(
                "the following directives don't match any configuration option: colour"),
            std::string::npos);
  EXPECT_FALSE(merge_config_file(R"({"mtu":"big"})", {}, c).ok());
  EXPECT_FALSE(merge_config_file(R"([1,2])", {}, c).ok());
  EXPECT_FALSE(merge_config_file(R"({"hosts":"unix:///x"})", {}, c).ok());
}

TEST(DaemonConfig, FinalizeValidates) {
  DaemonConfig c;
  EXPECT_TRUE(finalize(c).ok());
  EXPECT_EQ(c.socket_path, "/run/berth/berth.sock");
  for (auto mut : std::vector<std::function<void(DaemonConfig&)>>{
           [](DaemonConfig& d) { d.host = "tcp://0.0.0.0:2375"; },
           [](DaemonConfig& d) { d.bip = "172.17.0.0/16"; },  // network address, not a host
           [](DaemonConfig& d) { d.bip = "nonsense"; },
           [](DaemonConfig& d) { d.mtu = 10; },
           [](DaemonConfig& d) { d.userland_proxy = "sometimes"; },
           [](DaemonConfig& d) { d.dns = {"x.y"}; },
           [](DaemonConfig& d) { d.data_root = "relative"; },
           [](DaemonConfig& d) { d.default_address_pools = {"base=10.0.0.0/8"}; },
       }) {
    DaemonConfig d;
    mut(d);
    EXPECT_FALSE(finalize(d).ok());
  }
}

}  // namespace
}  // namespace berth::daemon
