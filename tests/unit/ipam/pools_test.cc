// Docker's default pools, --default-address-pool parsing, and the linear
// first-fit subnet choice (docker-network.md §1.4, §1.5).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "ipam/ipam.h"

namespace berth::ipam {
namespace {

Prefix cidr(const char* s) {
  std::optional<Prefix> p = parse_cidr(s);
  EXPECT_TRUE(p.has_value()) << s;
  return p.value_or(Prefix{});
}

std::string pick(const std::vector<PoolSpec>& pools, const std::vector<Prefix>& in_use,
                 const std::vector<Prefix>& reserved = {}) {
  Result<Prefix> r = pick_subnet(pools, in_use, reserved);
  if (!r.ok()) return "error: " + r.error().message();
  return to_string(*r);
}

// The 31 subnets Docker hands out, in order, when nothing else is in use.
std::vector<std::string> expected_default_sequence() {
  std::vector<std::string> out;
  for (int b = 17; b <= 31; ++b) out.push_back("172." + std::to_string(b) + ".0.0/16");
  for (int c = 0; c < 256; c += 16) out.push_back("192.168." + std::to_string(c) + ".0/20");
  return out;
}

TEST(DefaultPools, MatchDocker) {
  std::vector<PoolSpec> pools = docker_default_pools();
  ASSERT_EQ(pools.size(), 7u);
  const char* bases[] = {"172.17.0.0/16", "172.18.0.0/16", "172.19.0.0/16", "172.20.0.0/14",
                         "172.24.0.0/14", "172.28.0.0/14", "192.168.0.0/16"};
  const int sizes[] = {16, 16, 16, 16, 16, 16, 20};
  for (size_t i = 0; i < pools.size(); ++i) {
    EXPECT_EQ(to_string(pools[i].base), bases[i]);
    EXPECT_EQ(pools[i].size, sizes[i]);
  }
}

TEST(PickSubnet, DefaultSequenceThenExhaustion) {
  std::vector<PoolSpec> pools = docker_default_pools();
  std::vector<Prefix> in_use;
  std::vector<std::string> got;
  for (int i = 0; i < 31; ++i) {
    Result<Prefix> r = pick_subnet(pools, in_use, {});
    ASSERT_TRUE(r.ok()) << i << ": " << r.error().message();
    got.push_back(to_string(*r));
    in_use.push_back(*r);
  }
  EXPECT_EQ(got, expected_default_sequence());

  Result<Prefix> r = pick_subnet(pools, in_use, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), ErrorKind::kForbidden);
  EXPECT_EQ(r.error().message(), "all predefined address pools have been fully subnetted");
}

TEST(PickSubnet, FirstThreeAreDocker0ThenUserNetworks) {
  std::vector<PoolSpec> pools = docker_default_pools();
  std::vector<Prefix> in_use;
  for (const char* want : {"172.17.0.0/16", "172.18.0.0/16", "172.19.0.0/16"}) {
    Result<Prefix> r = pick_subnet(pools, in_use, {});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(to_string(*r), want);
    in_use.push_back(*r);
  }
}

TEST(PickSubnet, RemovedSubnetIsReusedFirst) {
  // Docker 27+: unlike 20.10's rotation (09-auto-subnets.txt), the freed
  // subnet is the lowest free one again.
  std::vector<PoolSpec> pools = docker_default_pools();
  std::vector<Prefix> in_use = {cidr("172.17.0.0/16"), cidr("172.18.0.0/16"), cidr("172.19.0.0/16"),
                                cidr("172.20.0.0/16")};
  in_use.erase(in_use.begin() + 1);  // network rm auto1
  EXPECT_EQ(pick(pools, in_use), "172.18.0.0/16");
  in_use.push_back(cidr("172.18.0.0/16"));
  EXPECT_EQ(pick(pools, in_use), "172.21.0.0/16");
}

TEST(PickSubnet, ReusesFreedSlashTwenty) {
  std::vector<PoolSpec> pools = docker_default_pools();
  std::vector<Prefix> in_use;
  for (int i = 0; i < 31; ++i) in_use.push_back(*pick_subnet(pools, in_use, {}));
  in_use.erase(std::find(in_use.begin(), in_use.end(), cidr("192.168.48.0/20")));
  EXPECT_EQ(pick(pools, in_use), "192.168.48.0/20");
}

TEST(PickSubnet, SkipsReservedRoutesAndNameservers) {
  std::vector<PoolSpec> pools = docker_default_pools();
  // A host route on 172.17.0.0/16 (an old docker0) and a nameserver inside
  // 172.18: both /16s are skipped.
  EXPECT_EQ(pick(pools, {}, {cidr("172.17.0.0/16"), cidr("172.18.3.4/32")}), "172.19.0.0/16");
  // A small on-link route blocks the whole /16 around it.
  EXPECT_EQ(pick(pools, {}, {cidr("172.17.200.0/24")}), "172.18.0.0/16");
  // A route covering all of 172.16/12 leaves only 192.168.
  EXPECT_EQ(pick(pools, {}, {cidr("172.16.0.0/12")}), "192.168.0.0/20");
  // A reserved 192.168.0.0/24 (a home LAN) pushes the /20 along.
  std::vector<Prefix> in_use;
  for (int i = 0; i < 15; ++i) in_use.push_back(*pick_subnet(pools, in_use, {}));
  EXPECT_EQ(pick(pools, in_use, {cidr("192.168.0.0/24")}), "192.168.16.0/20");
  EXPECT_EQ(pick(pools, in_use, {cidr("192.168.1.1/32"), cidr("192.168.16.1/32")}),
            "192.168.32.0/20");
}

TEST(PickSubnet, AllReservedIsExhaustion) {
  Result<Prefix> r = pick_subnet(docker_default_pools(), {}, {cidr("0.0.0.0/0")});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "all predefined address pools have been fully subnetted");
}

TEST(PickSubnet, SkipsStaticSubnetsOfOtherNetworks) {
  std::vector<PoolSpec> pools = docker_default_pools();
  // docker network create --subnet 172.17.5.0/24 blocks 172.17.0.0/16.
  EXPECT_EQ(pick(pools, {cidr("172.17.5.0/24")}), "172.18.0.0/16");
  // A static /12 blocks 172.17–172.31.
  EXPECT_EQ(pick(pools, {cidr("172.16.0.0/12")}), "192.168.0.0/20");
  // Non-canonical input is treated as its block.
  EXPECT_EQ(pick(pools, {cidr("172.17.9.9/16")}), "172.18.0.0/16");
}

TEST(PickSubnet, PoolsAreTakenInAddressOrder) {
  std::vector<PoolSpec> pools = {{cidr("10.20.0.0/16"), 24}, {cidr("10.10.0.0/16"), 24}};
  EXPECT_EQ(pick(pools, {}), "10.10.0.0/24");
  EXPECT_EQ(pick(pools, {cidr("10.10.0.0/16")}), "10.20.0.0/24");
}

TEST(PickSubnet, CustomPoolSplitsIntoSize) {
  std::vector<PoolSpec> pools = {{cidr("10.10.0.0/16"), 24}};
  std::vector<Prefix> in_use;
  for (int i = 0; i < 256; ++i) {
    Result<Prefix> r = pick_subnet(pools, in_use, {});
    ASSERT_TRUE(r.ok()) << i;
    EXPECT_EQ(to_string(*r), "10.10." + std::to_string(i) + ".0/24");
    in_use.push_back(*r);
  }
  EXPECT_EQ(pick(pools, in_use), "error: all predefined address pools have been fully subnetted");
}

TEST(PickSubnet, PartialOverlapInsidePool) {
  std::vector<PoolSpec> pools = {{cidr("10.10.0.0/16"), 24}};
  // In use: a /25 in the first /24, a /23 covering the 3rd and 4th.
  std::vector<Prefix> in_use = {cidr("10.10.0.128/25"), cidr("10.10.2.0/23")};
  EXPECT_EQ(pick(pools, in_use), "10.10.1.0/24");
  in_use.push_back(cidr("10.10.1.0/24"));
  EXPECT_EQ(pick(pools, in_use), "10.10.4.0/24");
  // Overlapping in-use entries are fine.
  in_use.push_back(cidr("10.10.0.0/22"));
  in_use.push_back(cidr("10.10.4.7/32"));
  EXPECT_EQ(pick(pools, in_use), "10.10.5.0/24");
}

TEST(PickSubnet, WholePoolAsOneSubnet) {
  std::vector<PoolSpec> pools = {{cidr("10.10.0.0/16"), 16}, {cidr("10.11.0.0/16"), 16}};
  EXPECT_EQ(pick(pools, {}), "10.10.0.0/16");
  EXPECT_EQ(pick(pools, {cidr("10.10.255.0/24")}), "10.11.0.0/16");
}

TEST(PickSubnet, TopOfAddressSpaceDoesNotWrap) {
  std::vector<PoolSpec> pools = {{cidr("255.255.255.0/24"), 28}};
  std::vector<Prefix> in_use;
  for (int i = 0; i < 16; ++i) {
    Result<Prefix> r = pick_subnet(pools, in_use, {});
    ASSERT_TRUE(r.ok()) << i;
    EXPECT_EQ(to_string(*r), "255.255.255." + std::to_string(i * 16) + "/28");
    in_use.push_back(*r);
  }
  EXPECT_FALSE(pick_subnet(pools, in_use, {}).ok());
  EXPECT_EQ(pick(pools, {}, {cidr("255.255.255.255/32")}), "255.255.255.0/28");
  EXPECT_EQ(pick(pools, {cidr("255.255.255.0/25")}, {cidr("255.255.255.128/26")}),
            "255.255.255.192/28");
  EXPECT_EQ(pick(pools, {}, {cidr("255.255.255.0/25")}), "255.255.255.128/28");
}

TEST(PickSubnet, SlashThirtyTwoPools) {
  std::vector<PoolSpec> pools = {{cidr("10.0.0.0/30"), 32}};
  EXPECT_EQ(pick(pools, {cidr("10.0.0.0/32"), cidr("10.0.0.1/32")}), "10.0.0.2/32");
}

TEST(PickSubnet, EmptyPoolListIsExhaustion) {
  EXPECT_EQ(pick({}, {}), "error: all predefined address pools have been fully subnetted");
}

TEST(PickSubnet, SkipsInvalidPools) {
  std::vector<PoolSpec> pools = {
      {cidr("10.0.0.0/16"), 8}, {cidr("10.1.0.0/16"), 33}, {cidr("10.2.0.0/16"), 24}};
  EXPECT_EQ(pick(pools, {}), "10.2.0.0/24");
}

TEST(PickSubnet, ManyInUseStaysFast) {
  // 10.0.0.0/8 split in /24s with the first 60000 taken: the jump over
  // blocked intervals finds the answer without walking each candidate.
  std::vector<PoolSpec> pools = {{cidr("10.0.0.0/8"), 24}};
  std::vector<Prefix> in_use;
  for (uint32_t i = 0; i < 60000; ++i) in_use.push_back(Prefix{Ipv4{0x0a000000u + (i << 8)}, 24});
  EXPECT_EQ(pick(pools, in_use), "10.234.96.0/24");
}

TEST(ParsePoolSpec, Valid) {
  Result<PoolSpec> r = parse_pool_spec("base=10.10.0.0/16,size=24");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(to_string(r->base), "10.10.0.0/16");
  EXPECT_EQ(r->size, 24);

  r = parse_pool_spec("size=20,base=192.168.0.0/16");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(to_string(r->base), "192.168.0.0/16");
  EXPECT_EQ(r->size, 20);

  r = parse_pool_spec("BASE=10.0.0.0/8,Size=8");  // keys are case-insensitive
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->size, 8);

  r = parse_pool_spec("base=10.0.0.0/8,size=32");
  ASSERT_TRUE(r.ok());
}

void expect_pool_error(const char* spec, const std::string& message) {
  Result<PoolSpec> r = parse_pool_spec(spec);
  ASSERT_FALSE(r.ok()) << spec;
  EXPECT_EQ(r.error().kind(), ErrorKind::kInvalidArgument) << spec;
  EXPECT_EQ(r.error().message(), message) << spec;
}

TEST(ParsePoolSpec, Errors) {
  expect_pool_error("", "invalid field '' must be a key=value pair");
  expect_pool_error("base", "invalid field 'base' must be a key=value pair");
  expect_pool_error("base=10.0.0.0/8,", "invalid field '' must be a key=value pair");
  expect_pool_error("base=10.0.0.0/8,size=24,scope=local",
                    "unexpected key 'scope' in 'scope=local'");
  expect_pool_error("base=10.0.0.0/8,size=abc", "invalid size value: \"abc\" (must be integer)");
  expect_pool_error("base=10.0.0.0/8,size=", "invalid size value: \"\" (must be integer)");
  expect_pool_error("base=10.0.0.0/8,size=-1", "invalid size value: \"-1\" (must be integer)");
  expect_pool_error("base=10.0.0.0/33,size=24",
                    "invalid base prefix \"10.0.0.0/33\": invalid CIDR block notation");
  expect_pool_error("base=fd00::/8,size=64",
                    "invalid base prefix \"fd00::/8\": IPv6 address pools are not supported by "
                    "berth yet");
  expect_pool_error("base=10.10.1.0/16,size=24",
                    "invalid base prefix \"10.10.1.0/16\": it should be 10.10.0.0/16");
  expect_pool_error("size=24",
                    "default address pool needs both base=<CIDR> and size=<prefix length>");
  expect_pool_error("base=10.0.0.0/8",
                    "default address pool needs both base=<CIDR> and size=<prefix length>");
  expect_pool_error("base=10.10.0.0/16,size=8",
                    "invalid size 8 for base 10.10.0.0/16: must be between 16 and 32");
  expect_pool_error("base=10.10.0.0/16,size=33",
                    "invalid size 33 for base 10.10.0.0/16: must be between 16 and 32");
}

}  // namespace
}  // namespace berth::ipam
