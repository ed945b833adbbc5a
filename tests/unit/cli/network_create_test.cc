#include "cli/network_create.h"

#include <gtest/gtest.h>

#include "common/go_json.h"

namespace berth::cli {
namespace {

std::string body(const NetworkCreateOptions& o) {
  auto b = network_create_body(o);
  if (!b.ok()) return "ERROR: " + b.error().message();
  return go_json(*b);
}

NetworkCreateOptions named(std::string name) {
  NetworkCreateOptions o;
  o.name = std::move(name);
  return o;
}

// The bodies below were captured from the docker CLI 28.2.2.
TEST(NetworkCreateBody, LectureNetwork) {
  auto o = named("netlb");
  o.subnets = {"172.200.1.0/24"};
  o.ip_ranges = {"172.200.1.0/24"};
  o.gateways = {"172.200.1.1"};
  EXPECT_EQ(
      body(o),
      R"({"Driver":"bridge","Scope":"","IPAM":{"Driver":"default","Options":{},"Config":[{"Subnet":"172.200.1.0/24","IPRange":"172.200.1.0/24","Gateway":"172.200.1.1"}]},"Internal":false,"Attachable":false,"Ingress":false,"ConfigOnly":false,"ConfigFrom":null,"Options":{},"Labels":{},"Name":"netlb"})"
      "\n");
}

TEST(NetworkCreateBody, Defaults) {
  EXPECT_EQ(
      body(named("x")),
      R"({"Driver":"bridge","Scope":"","IPAM":{"Driver":"default","Options":{},"Config":[]},"Internal":false,"Attachable":false,"Ingress":false,"ConfigOnly":false,"ConfigFrom":null,"Options":{},"Labels":{},"Name":"x"})"
      "\n");
}

TEST(NetworkCreateBody, EveryOption) {
  auto o = named("y");
  o.ipv6 = true;
  o.ipv4 = false;
  o.internal = o.attachable = o.ingress = o.config_only = true;
  o.scope = "local";
  o.ipam_driver = "foo";
  o.ipam_opts = {"a=b"};
  o.driver_opts = {"x=y", "com.docker.network.bridge.name=br1"};
  o.labels = {"l1=v1", "l2"};
  o.aux_addresses = {"host1=10.1.0.5"};
  o.subnets = {"10.1.0.0/16", "fd00::/64"};
  o.gateways = {"fd00::1"};
  EXPECT_EQ(
      body(o),
      R"({"Driver":"bridge","Scope":"local","EnableIPv4":false,"EnableIPv6":true,"IPAM":{"Driver":"foo","Options":{"a":"b"},"Config":[{"Subnet":"10.1.0.0/16","AuxiliaryAddresses":{"host1":"10.1.0.5"}},{"Subnet":"fd00::/64","Gateway":"fd00::1"}]},"Internal":true,"Attachable":true,"Ingress":true,"ConfigOnly":true,"ConfigFrom":null,"Options":{"com.docker.network.bridge.name":"br1","x":"y"},"Labels":{"l1":"v1","l2":""},"Name":"y"})"
      "\n");
}

TEST(NetworkCreateBody, ConfigFromAndEscaping) {
  auto o = named("z");
  o.config_from = "base";
  o.labels = {"a=<b>&"};
  EXPECT_EQ(
      body(o),
      R"({"Driver":"bridge","Scope":"","IPAM":{"Driver":"default","Options":{},"Config":[]},"Internal":false,"Attachable":false,"Ingress":false,"ConfigOnly":false,"ConfigFrom":{"Network":"base"},"Options":{},"Labels":{"a":"\u003cb\u003e\u0026"},"Name":"z"})"
      "\n");
}

struct PreCheck {
  std::vector<std::string> subnets, ranges, gateways, aux;
  std::string error;
};

TEST(NetworkCreateBody, CliPreChecks) {
  const PreCheck cases[] = {
      {{}, {}, {"10.0.0.1"}, {}, "every ip-range or gateway must have a corresponding subnet"},
      {{}, {"10.0.0.0/24"}, {}, {}, "every ip-range or gateway must have a corresponding subnet"},
      {{"10.0.0.0/16", "10.0.1.0/24"},
       {},
       {},
       {},
       "multiple overlapping subnet configuration is not supported"},
      {{"10.0.0.0/16"},
       {"10.0.1.0/24", "10.0.2.0/24"},
       {},
       {},
       "every ip-range or gateway must have a corresponding subnet"},
      {{"10.0.0.0/16", "10.5.0.0/16"},
       {"10.0.1.0/24", "10.0.2.0/24"},
       {},
       {},
       "cannot configure multiple ranges (10.0.2.0/24, 10.0.1.0/24) on the same subnet "
       "(10.0.0.0/16)"},
      {{"10.0.0.0/16", "10.5.0.0/16"},
       {},
       {"10.0.0.1", "10.0.0.2"},
       {},
       "cannot configure multiple gateways (10.0.0.2, 10.0.0.1) for the same subnet (10.0.0.0/16)"},
      {{"10.0.0.0/16"}, {"10.1.1.0/24"}, {}, {}, "no matching subnet for range 10.1.1.0/24"},
      {{"10.0.0.0/16"}, {}, {"10.1.0.1"}, {}, "no matching subnet for gateway 10.1.0.1"},
      {{"10.0.0.0/16"}, {}, {"10.0.0.300"}, {}, "no matching subnet for gateway 10.0.0.300"},
      {{"10.0.0.0/16"}, {}, {}, {"a=10.1.0.1"}, "no matching subnet for aux-address 10.1.0.1"},
      {{"10.0.0.0/16"}, {}, {}, {"a"}, "no matching subnet for aux-address "},
      {{"10.0.0.0/16"}, {"10.0.1.300/24"}, {}, {}, "invalid CIDR address: 10.0.1.300/24"},
      // The bad subnet is the data of the second check, so no "invalid subnet:".
      {{"10.0.0.300/16", "10.1.0.0/16"}, {}, {}, {}, "invalid CIDR address: 10.0.0.300/16"},
      {{"10.1.0.0/16", "10.0.0.300/16"},
       {},
       {},
       {},
       "invalid subnet: invalid CIDR address: 10.0.0.300/16"},
      {{"10.0.0.0/16"}, {}, {"fd00::1"}, {}, "no matching subnet for gateway fd00::1"},
  };
  for (const auto& c : cases) {
    auto o = named("n");
    o.subnets = c.subnets;
    o.ip_ranges = c.ranges;
    o.gateways = c.gateways;
    o.aux_addresses = c.aux;
    EXPECT_EQ(body(o), "ERROR: " + c.error) << c.error;
  }
}

TEST(NetworkCreateBody, WhatTheCliLetsThrough) {
  // Checked only by the daemon: a lone bad subnet, host bits, a bare address.
  for (const char* s : {"10.0.0.300/16", "10.0.0.5/16", "10.0.0.0"}) {
    auto o = named("n");
    o.subnets = {s};
    EXPECT_EQ(body(o).rfind("{", 0), 0u) << s;
  }
  auto o = named("n");
  o.subnets = {"10.0.0.5/16"};
  o.gateways = {"10.0.0.1"};
  EXPECT_NE(body(o).find(R"("Config":[{"Subnet":"10.0.0.5/16","Gateway":"10.0.0.1"}])"),
            std::string::npos);
}

TEST(SubnetMatches, GoNetSemantics) {
  EXPECT_TRUE(*subnet_matches("10.0.0.0/8", "10.1.2.3"));
  EXPECT_TRUE(*subnet_matches("10.0.0.0/8", "10.1.0.0/16"));
  EXPECT_FALSE(*subnet_matches("10.0.0.0/16", "10.1.0.0/16"));
  EXPECT_TRUE(*subnet_matches("fd00::/64", "fd00::1"));
  EXPECT_FALSE(*subnet_matches("fd00::/64", "10.0.0.1"));
  EXPECT_FALSE(*subnet_matches("10.0.0.0/8", "fd00::1"));
  EXPECT_TRUE(*subnet_matches("10.0.0.0/8", "::ffff:10.0.0.1"));
  EXPECT_FALSE(*subnet_matches("10.0.0.0/8", "010.0.0.1"));  // Go rejects leading zeros
  EXPECT_FALSE(subnet_matches("10.0.0.0/33", "10.0.0.1").ok());
  EXPECT_FALSE(subnet_matches("10.0.0.0", "10.0.0.1").ok());
}

TEST(ValidateLabel, EmptyName) {
  EXPECT_EQ(validate_label(""), "invalid label '': empty name");
  EXPECT_EQ(validate_label("=v"), "invalid label '=v': empty name");
  EXPECT_EQ(validate_label("k"), std::nullopt);
}

}  // namespace
}  // namespace berth::cli
