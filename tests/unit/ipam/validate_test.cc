// Validation of IPAM.Config entries with Docker 28's daemon messages
// (api/types/network/ipam.go ValidateIPAM, docker-network.md §2.6).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ipam/ipam.h"

namespace berth::ipam {
namespace {

ConfigRequest req(std::string subnet, std::string ip_range = "", std::string gateway = "",
                  std::map<std::string, std::string> aux = {}) {
  return ConfigRequest{std::move(subnet), std::move(ip_range), std::move(gateway), std::move(aux)};
}

// The message of a validation failure, checking that it is InvalidArgument.
std::string error_of(const std::vector<ConfigRequest>& reqs) {
  Result<std::vector<Config>> r = validate(reqs);
  if (r.ok()) return "<ok>";
  EXPECT_EQ(r.error().kind(), ErrorKind::kInvalidArgument);
  return r.error().message();
}

std::string one(const std::string& line) { return "invalid network config:\n" + line; }

Ipv4 ip(const char* s) { return *parse_ipv4(s); }

TEST(Validate, EmptyIsValid) {
  Result<std::vector<Config>> r = validate({});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());
}

TEST(Validate, ValidConfigIsReturnedCanonical) {
  Result<std::vector<Config>> r =
      validate({req("10.0.0.0/8", "10.10.0.0/16", "10.10.0.1",
                    {{"DefaultGatewayIPv4", "10.10.0.1"}, {"host1", "10.0.0.5"}})});
  ASSERT_TRUE(r.ok()) << r.error().message();
  ASSERT_EQ(r->size(), 1u);
  const Config& c = r->front();
  EXPECT_EQ(to_string(c.subnet), "10.0.0.0/8");
  ASSERT_TRUE(c.ip_range.has_value());
  EXPECT_EQ(to_string(*c.ip_range), "10.10.0.0/16");
  ASSERT_TRUE(c.gateway.has_value());
  EXPECT_EQ(*c.gateway, ip("10.10.0.1"));
  ASSERT_EQ(c.aux_addresses.size(), 2u);
  EXPECT_EQ(c.aux_addresses.at("DefaultGatewayIPv4"), ip("10.10.0.1"));
  EXPECT_EQ(c.aux_addresses.at("host1"), ip("10.0.0.5"));
}

TEST(Validate, SubnetOnly) {
  Result<std::vector<Config>> r = validate({req("172.200.0.0/16")});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(to_string(r->front().subnet), "172.200.0.0/16");
  EXPECT_FALSE(r->front().ip_range.has_value());
  EXPECT_FALSE(r->front().gateway.has_value());
  EXPECT_TRUE(r->front().aux_addresses.empty());
}

TEST(Validate, RangeEqualToSubnetAndSlash32Range) {
  EXPECT_EQ(error_of({req("10.1.0.0/16", "10.1.0.0/16")}), "<ok>");
  EXPECT_EQ(error_of({req("10.1.0.0/16", "10.1.200.7/32")}), "<ok>");
  EXPECT_EQ(error_of({req("10.1.0.0/32", "", "10.1.0.0")}), "<ok>");
}

TEST(Validate, GatewayMayBeNetworkOrBroadcast) {
  // Not the validator's business: the allocator refuses them later.
  EXPECT_EQ(error_of({req("10.1.0.0/16", "", "10.1.0.0")}), "<ok>");
  EXPECT_EQ(error_of({req("10.1.0.0/16", "", "10.1.255.255")}), "<ok>");
}

TEST(Validate, InvalidSubnet) {
  EXPECT_EQ(error_of({req("foobar")}), one("invalid subnet foobar: invalid CIDR block notation"));
  EXPECT_EQ(error_of({req("10.0.0.0")}),
            one("invalid subnet 10.0.0.0: invalid CIDR block notation"));
  EXPECT_EQ(error_of({req("10.0.0.0/33")}),
            one("invalid subnet 10.0.0.0/33: invalid CIDR block notation"));
  EXPECT_EQ(error_of({req("256.0.0.0/8")}),
            one("invalid subnet 256.0.0.0/8: invalid CIDR block notation"));
  EXPECT_EQ(error_of({req("010.0.0.0/8")}),
            one("invalid subnet 010.0.0.0/8: invalid CIDR block notation"));
  EXPECT_EQ(error_of({req(" 10.0.0.0/8")}),
            one("invalid subnet  10.0.0.0/8: invalid CIDR block notation"));
}

TEST(Validate, InvalidSubnetSkipsTheRestOfTheEntry) {
  // Docker `continue`s after a bad subnet: range and gateway are not looked at.
  EXPECT_EQ(error_of({req("foo", "bar", "baz", {{"a", "b"}})}),
            one("invalid subnet foo: invalid CIDR block notation"));
}

TEST(Validate, SubnetWithHostBits) {
  EXPECT_EQ(error_of({req("10.10.10.0/8")}),
            one("invalid subnet 10.10.10.0/8: it should be 10.0.0.0/8"));
  EXPECT_EQ(error_of({req("172.20.0.1/16")}),
            one("invalid subnet 172.20.0.1/16: it should be 172.20.0.0/16"));
}

TEST(Validate, IpRangeInvalidNotation) {
  EXPECT_EQ(error_of({req("10.10.10.0/24", "foobar")}),
            one("invalid ip-range foobar: invalid CIDR block notation"));
  EXPECT_EQ(error_of({req("10.10.10.0/24", "10.10.10.0")}),
            one("invalid ip-range 10.10.10.0: invalid CIDR block notation"));
}

TEST(Validate, IpRangeOfTheOtherFamily) {
  EXPECT_EQ(error_of({req("10.10.10.0/24", "fd00::/64")}),
            one("invalid ip-range fd00::/64: parent subnet is an IPv4 block"));
}

TEST(Validate, IpRangeBiggerThanSubnet) {
  EXPECT_EQ(error_of({req("10.10.10.0/24", "10.0.0.0/8")}),
            one("invalid ip-range 10.0.0.0/8: CIDR block is bigger than its parent subnet "
                "10.10.10.0/24"));
}

TEST(Validate, IpRangeWithHostBits) {
  EXPECT_EQ(error_of({req("10.0.0.0/8", "10.10.10.0/16")}),
            one("invalid ip-range 10.10.10.0/16: it should be 10.10.0.0/16"));
}

TEST(Validate, IpRangeOutsideSubnet) {
  EXPECT_EQ(error_of({req("10.0.0.0/8", "11.0.0.0/16")}),
            one("invalid ip-range 11.0.0.0/16: parent subnet 10.0.0.0/8 doesn't contain ip-range"));
}

TEST(Validate, IpRangeBiggerAndOutside) {
  EXPECT_EQ(error_of({req("10.10.10.0/24", "11.0.0.0/8")}),
            "invalid network config:\n"
            "* invalid ip-range 11.0.0.0/8: CIDR block is bigger than its parent subnet "
            "10.10.10.0/24\n"
            "* invalid ip-range 11.0.0.0/8: parent subnet 10.10.10.0/24 doesn't contain ip-range");
}

TEST(Validate, GatewayErrors) {
  EXPECT_EQ(error_of({req("10.10.10.0/24", "", "barbaz")}),
            one("invalid gateway barbaz: invalid address"));
  EXPECT_EQ(error_of({req("10.10.10.0/24", "", "1001.10.5.3")}),
            one("invalid gateway 1001.10.5.3: invalid address"));
  EXPECT_EQ(error_of({req("10.10.10.0/24", "", "10.10.10.1/24")}),
            one("invalid gateway 10.10.10.1/24: invalid address"));
  EXPECT_EQ(error_of({req("10.10.10.0/24", "", "fd00::1")}),
            one("invalid gateway fd00::1: parent subnet is an IPv4 block"));
  EXPECT_EQ(error_of({req("10.10.10.0/24", "", "10.10.11.1")}),
            one("invalid gateway 10.10.11.1: parent subnet 10.10.10.0/24 doesn't contain this "
                "address"));
}

TEST(Validate, AuxAddressErrors) {
  EXPECT_EQ(error_of({req("10.10.10.0/24", "", "", {{"DefaultGatewayIPv4", "dummy"}})}),
            one("invalid auxiliary address DefaultGatewayIPv4: invalid address"));
  EXPECT_EQ(error_of({req("10.10.10.0/24", "", "", {{"h", "::1"}})}),
            one("invalid auxiliary address h: parent subnet is an IPv4 block"));
  EXPECT_EQ(error_of({req("10.10.10.0/24", "", "", {{"h", "10.10.11.1"}})}),
            one("invalid auxiliary address h: parent subnet 10.10.10.0/24 doesn't contain this "
                "address"));
  EXPECT_EQ(error_of({req("10.10.10.0/24", "", "", {{"h", ""}})}),
            one("invalid auxiliary address h: invalid address"));
}

TEST(Validate, SeveralProblemsAreListed) {
  // Docker's own test case "Invalid data".
  EXPECT_EQ(
      error_of({req("10.10.10.0/24", "foobar", "1001.10.5.3", {{"DefaultGatewayIPv4", "dummy"}})}),
      "invalid network config:\n"
      "* invalid ip-range foobar: invalid CIDR block notation\n"
      "* invalid gateway 1001.10.5.3: invalid address\n"
      "* invalid auxiliary address DefaultGatewayIPv4: invalid address");
}

TEST(Validate, OutOfRangePrefixAndAddresses) {
  // Docker's own test case "Out of range prefix & addresses".
  EXPECT_EQ(error_of({req("10.0.0.0/8", "192.168.0.1/24", "192.168.0.1",
                          {{"DefaultGatewayIPv4", "192.168.0.1"}})}),
            "invalid network config:\n"
            "* invalid ip-range 192.168.0.1/24: it should be 192.168.0.0/24\n"
            "* invalid ip-range 192.168.0.1/24: parent subnet 10.0.0.0/8 doesn't contain ip-range\n"
            "* invalid gateway 192.168.0.1: parent subnet 10.0.0.0/8 doesn't contain this address\n"
            "* invalid auxiliary address DefaultGatewayIPv4: parent subnet 10.0.0.0/8 doesn't "
            "contain this address");
}

TEST(Validate, HostBitsPrintedSubnetInLaterMessages) {
  // Docker prints the subnet as parsed (host bits kept) in the other lines.
  EXPECT_EQ(error_of({req("10.0.0.1/24", "", "10.0.1.1")}),
            "invalid network config:\n"
            "* invalid subnet 10.0.0.1/24: it should be 10.0.0.0/24\n"
            "* invalid gateway 10.0.1.1: parent subnet 10.0.0.1/24 doesn't contain this address");
}

TEST(Validate, ProblemsOfSeveralEntriesAreJoined) {
  EXPECT_EQ(error_of({req("foo"), req("10.0.0.1/8")}),
            "invalid network config:\n"
            "* invalid subnet foo: invalid CIDR block notation\n"
            "* invalid subnet 10.0.0.1/8: it should be 10.0.0.0/8");
}

TEST(Validate, AuxAddressesInNameOrder) {
  EXPECT_EQ(error_of({req("10.0.0.0/24", "", "", {{"b", "x"}, {"a", "y"}, {"c", "10.0.0.9"}})}),
            "invalid network config:\n"
            "* invalid auxiliary address a: invalid address\n"
            "* invalid auxiliary address b: invalid address");
}

TEST(Validate, EmptySubnet) {
  EXPECT_EQ(error_of({req("", "10.0.0.0/24")}),
            one("every ip-range or gateway must have a corresponding subnet"));
  EXPECT_EQ(error_of({req("", "", "10.0.0.1")}),
            one("every ip-range or gateway must have a corresponding subnet"));
  EXPECT_EQ(error_of({req("", "", "", {{"h", "10.0.0.9"}})}),
            one("no matching subnet for aux-address 10.0.0.9"));
  EXPECT_EQ(error_of({req("")}), one("invalid subnet : invalid CIDR block notation"));
}

TEST(Validate, MultipleIpv4Subnets) {
  // Docker's bridge driver answers 403 (types.ForbiddenErrorf).
  auto r = validate({req("10.1.0.0/16"), req("10.2.0.0/16")});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), ErrorKind::kForbidden);
  EXPECT_EQ(r.error().message(), "bridge driver doesn't support multiple subnets");
}

TEST(Validate, Ipv6Subnet) {
  std::string msg = error_of({req("2001:db8::/64")});
  EXPECT_NE(msg.find("IPv6 networks are not supported by berth yet"), std::string::npos) << msg;
  msg = error_of({req("10.1.0.0/16"), req("fd00:1::/64", "fd00:1::/80", "fd00:1::1")});
  EXPECT_NE(msg.find("IPv6 networks are not supported by berth yet"), std::string::npos) << msg;
}

TEST(Validate, Ipv4ProblemsComeBeforeIpv6Refusal) {
  EXPECT_EQ(error_of({req("10.1.0.1/16"), req("fd00::/64")}),
            one("invalid subnet 10.1.0.1/16: it should be 10.1.0.0/16"));
}

TEST(Validate, BrokenIpv6LikeTextIsInvalidNotation) {
  EXPECT_EQ(error_of({req("fd00::zz/64")}),
            one("invalid subnet fd00::zz/64: invalid CIDR block notation"));
}

}  // namespace
}  // namespace berth::ipam
