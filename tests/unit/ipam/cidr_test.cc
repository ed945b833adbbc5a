// IPv4 text parsing and printing, IPv6 recognition, and prefix arithmetic.
#include <gtest/gtest.h>

#include <string>

#include "ipam/ipam.h"

namespace berth::ipam {
namespace {

Ipv4 ip(const char* s) {
  std::optional<Ipv4> a = parse_ipv4(s);
  EXPECT_TRUE(a.has_value()) << s;
  return a.value_or(Ipv4{});
}

Prefix cidr(const char* s) {
  std::optional<Prefix> p = parse_cidr(s);
  EXPECT_TRUE(p.has_value()) << s;
  return p.value_or(Prefix{});
}

TEST(ParseIpv4, AcceptsDottedQuads) {
  EXPECT_EQ(parse_ipv4("0.0.0.0")->v, 0u);
  EXPECT_EQ(parse_ipv4("255.255.255.255")->v, 0xffffffffu);
  EXPECT_EQ(parse_ipv4("172.17.0.1")->v, 0xac110001u);
  EXPECT_EQ(parse_ipv4("10.0.0.0")->v, 0x0a000000u);
  EXPECT_EQ(parse_ipv4("1.2.3.4")->v, 0x01020304u);
  EXPECT_EQ(parse_ipv4("192.168.100.200")->v, 0xc0a864c8u);
}

TEST(ParseIpv4, RejectsLeadingZeros) {
  // netip.ParseAddr rejects them: "010" could be read as octal.
  EXPECT_FALSE(parse_ipv4("010.0.0.1"));
  EXPECT_FALSE(parse_ipv4("10.00.0.1"));
  EXPECT_FALSE(parse_ipv4("10.0.0.01"));
  EXPECT_FALSE(parse_ipv4("10.0.0.001"));
  EXPECT_FALSE(parse_ipv4("00.0.0.0"));
}

TEST(ParseIpv4, RejectsOutOfRangeOctets) {
  EXPECT_FALSE(parse_ipv4("256.0.0.0"));
  EXPECT_FALSE(parse_ipv4("1.2.3.256"));
  EXPECT_FALSE(parse_ipv4("1.2.3.999"));
  EXPECT_FALSE(parse_ipv4("1.2.3.1000"));
  EXPECT_FALSE(parse_ipv4("1001.10.5.3"));
}

TEST(ParseIpv4, RejectsMissingOrExtraParts) {
  EXPECT_FALSE(parse_ipv4(""));
  EXPECT_FALSE(parse_ipv4("1"));
  EXPECT_FALSE(parse_ipv4("1.2"));
  EXPECT_FALSE(parse_ipv4("1.2.3"));
  EXPECT_FALSE(parse_ipv4("1.2.3."));
  EXPECT_FALSE(parse_ipv4(".1.2.3"));
  EXPECT_FALSE(parse_ipv4("1..2.3"));
  EXPECT_FALSE(parse_ipv4("1.2.3.4."));
  EXPECT_FALSE(parse_ipv4("1.2.3.4.5"));
  EXPECT_FALSE(parse_ipv4("...."));
  EXPECT_FALSE(parse_ipv4("..."));
}

TEST(ParseIpv4, RejectsSpacesSignsAndOtherText) {
  EXPECT_FALSE(parse_ipv4(" 1.2.3.4"));
  EXPECT_FALSE(parse_ipv4("1.2.3.4 "));
  EXPECT_FALSE(parse_ipv4("1.2. 3.4"));
  EXPECT_FALSE(parse_ipv4("1.2.3.4\n"));
  EXPECT_FALSE(parse_ipv4("+1.2.3.4"));
  EXPECT_FALSE(parse_ipv4("1.-2.3.4"));
  EXPECT_FALSE(parse_ipv4("0x1.2.3.4"));
  EXPECT_FALSE(parse_ipv4("a.b.c.d"));
  EXPECT_FALSE(parse_ipv4("1.2.3.4/24"));
  EXPECT_FALSE(parse_ipv4("1.2.3.4%eth0"));
  EXPECT_FALSE(parse_ipv4("::1"));
  EXPECT_FALSE(parse_ipv4("::ffff:1.2.3.4"));
  EXPECT_FALSE(parse_ipv4("localhost"));
  EXPECT_FALSE(parse_ipv4(std::string("1.2.3.4\0", 8)));
}

TEST(Ipv4ToString, PrintsDottedQuad) {
  EXPECT_EQ(to_string(Ipv4{0}), "0.0.0.0");
  EXPECT_EQ(to_string(Ipv4{0xffffffffu}), "255.255.255.255");
  EXPECT_EQ(to_string(Ipv4{0xac110002u}), "172.17.0.2");
  EXPECT_EQ(to_string(Ipv4{0x0a0b0c0du}), "10.11.12.13");
}

TEST(Ipv4ToString, RoundTrips) {
  for (uint32_t v : {0u, 1u, 0x7f000001u, 0xc0a80001u, 0xdeadbeefu, 0xffffffffu}) {
    EXPECT_EQ(parse_ipv4(to_string(Ipv4{v}))->v, v);
  }
}

TEST(Ipv4, OrdersByValue) {
  EXPECT_LT(ip("10.0.0.1"), ip("10.0.0.2"));
  EXPECT_LT(ip("9.255.255.255"), ip("10.0.0.0"));
  EXPECT_EQ(ip("1.2.3.4"), ip("1.2.3.4"));
}

TEST(ParseCidr, AcceptsPrefixes) {
  Prefix p = cidr("172.17.0.0/16");
  EXPECT_EQ(p.addr, ip("172.17.0.0"));
  EXPECT_EQ(p.len, 16);
  EXPECT_EQ(cidr("0.0.0.0/0").len, 0);
  EXPECT_EQ(cidr("1.2.3.4/32").len, 32);
  EXPECT_EQ(cidr("10.0.0.0/8").len, 8);
}

TEST(ParseCidr, KeepsHostBits) {
  Prefix p = cidr("172.20.0.1/16");
  EXPECT_EQ(p.addr, ip("172.20.0.1"));
  EXPECT_FALSE(p.is_canonical());
  EXPECT_EQ(to_string(p), "172.20.0.1/16");
  EXPECT_EQ(to_string(p.canonical()), "172.20.0.0/16");
}

TEST(ParseCidr, RejectsBadLengths) {
  EXPECT_FALSE(parse_cidr("10.0.0.0/33"));
  EXPECT_FALSE(parse_cidr("10.0.0.0/64"));
  EXPECT_FALSE(parse_cidr("10.0.0.0/100"));
  EXPECT_FALSE(parse_cidr("10.0.0.0/"));
  EXPECT_FALSE(parse_cidr("10.0.0.0/-1"));
  EXPECT_FALSE(parse_cidr("10.0.0.0/+8"));
  EXPECT_FALSE(parse_cidr("10.0.0.0/08"));  // Go 1.22+ rejects leading zeros
  EXPECT_FALSE(parse_cidr("10.0.0.0/00"));
  EXPECT_FALSE(parse_cidr("10.0.0.0/8 "));
  EXPECT_FALSE(parse_cidr("10.0.0.0 /8"));
  EXPECT_FALSE(parse_cidr("10.0.0.0/ 8"));
  EXPECT_FALSE(parse_cidr("10.0.0.0/8/8"));
  EXPECT_FALSE(parse_cidr("10.0.0.0/255.0.0.0"));
  EXPECT_FALSE(parse_cidr("10.0.0.0/x"));
}

TEST(ParseCidr, RejectsBadAddresses) {
  EXPECT_FALSE(parse_cidr(""));
  EXPECT_FALSE(parse_cidr("/8"));
  EXPECT_FALSE(parse_cidr("10.0.0.0"));
  EXPECT_FALSE(parse_cidr("10.0.0/8"));
  EXPECT_FALSE(parse_cidr("10.0.0.256/24"));
  EXPECT_FALSE(parse_cidr("010.0.0.0/8"));
  EXPECT_FALSE(parse_cidr("foobar"));
  EXPECT_FALSE(parse_cidr("10.0.0.0%eth0/8"));
}

TEST(ParseCidr, RejectsIpv6) {
  EXPECT_FALSE(parse_cidr("2001:db8::/32"));
  EXPECT_FALSE(parse_cidr("::/0"));
  EXPECT_FALSE(parse_cidr("::ffff:10.0.0.0/104"));
}

TEST(LooksLikeIpv6, Addresses) {
  for (const char* s : {"::", "::1", "1::", "fe80::1", "2001:db8::1", "2001:DB8:0:0:0:0:0:1",
                        "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8", "::ffff:1.2.3.4",
                        "1:2:3:4:5:6:1.2.3.4", "fe80::1%eth0", "0000::ffff"}) {
    EXPECT_TRUE(looks_like_ipv6(s)) << s;
  }
  for (const char* s : {"",
                        ":",
                        ":::",
                        "1",
                        "1.2.3.4",
                        "1:2:3:4:5:6:7",
                        "1:2:3:4:5:6:7:8:9",
                        "1:2:3:4:5:6:7:8::",
                        "1::2::3",
                        ":1::",
                        "1:",
                        "1::2:",
                        "12345::",
                        "g::1",
                        "::1%",
                        "1:2:3:4:5:6:7:1.2.3.4",
                        "::1.2.3",
                        "::01.2.3.4",
                        "1.2.3.4::",
                        " ::1",
                        "::1 "}) {
    EXPECT_FALSE(looks_like_ipv6(s)) << s;
  }
}

TEST(LooksLikeIpv6, Prefixes) {
  EXPECT_TRUE(looks_like_ipv6_cidr("2001:db8::/32"));
  EXPECT_TRUE(looks_like_ipv6_cidr("::/0"));
  EXPECT_TRUE(looks_like_ipv6_cidr("fd00::/128"));
  EXPECT_TRUE(looks_like_ipv6_cidr("::ffff:10.0.0.0/104"));
  EXPECT_FALSE(looks_like_ipv6_cidr("fd00::/129"));
  EXPECT_FALSE(looks_like_ipv6_cidr("fd00::/064"));
  EXPECT_FALSE(looks_like_ipv6_cidr("fd00::"));
  EXPECT_FALSE(looks_like_ipv6_cidr("fe80::1%eth0/64"));
  EXPECT_FALSE(looks_like_ipv6_cidr("10.0.0.0/8"));
  EXPECT_FALSE(looks_like_ipv6_cidr("foobar"));
}

TEST(Prefix, NetworkBroadcastSize) {
  Prefix p = cidr("172.20.5.9/16");
  EXPECT_EQ(p.network(), ip("172.20.0.0"));
  EXPECT_EQ(p.broadcast(), ip("172.20.255.255"));
  EXPECT_EQ(p.size(), 65536u);

  Prefix all = cidr("1.2.3.4/0");
  EXPECT_EQ(all.network(), ip("0.0.0.0"));
  EXPECT_EQ(all.broadcast(), ip("255.255.255.255"));
  EXPECT_EQ(all.size(), uint64_t{1} << 32);

  Prefix host = cidr("1.2.3.4/32");
  EXPECT_EQ(host.network(), ip("1.2.3.4"));
  EXPECT_EQ(host.broadcast(), ip("1.2.3.4"));
  EXPECT_EQ(host.size(), 1u);

  Prefix p31 = cidr("10.0.0.3/31");
  EXPECT_EQ(p31.network(), ip("10.0.0.2"));
  EXPECT_EQ(p31.broadcast(), ip("10.0.0.3"));
  EXPECT_EQ(p31.size(), 2u);

  Prefix p20 = cidr("192.168.16.0/20");
  EXPECT_EQ(p20.broadcast(), ip("192.168.31.255"));
  EXPECT_EQ(p20.size(), 4096u);

  Prefix p1 = cidr("200.0.0.0/1");
  EXPECT_EQ(p1.network(), ip("128.0.0.0"));
  EXPECT_EQ(p1.broadcast(), ip("255.255.255.255"));
}

TEST(Prefix, CanonicalForms) {
  EXPECT_TRUE(cidr("10.0.0.0/8").is_canonical());
  EXPECT_FALSE(cidr("10.10.10.0/8").is_canonical());
  EXPECT_EQ(cidr("10.10.10.0/8").canonical(), cidr("10.0.0.0/8"));
  EXPECT_TRUE(cidr("0.0.0.0/0").is_canonical());
  EXPECT_FALSE(cidr("0.0.0.1/0").is_canonical());
  EXPECT_TRUE(cidr("1.2.3.4/32").is_canonical());
}

TEST(Prefix, ContainsAddress) {
  Prefix p = cidr("10.243.0.0/16");
  EXPECT_TRUE(p.contains(ip("10.243.0.0")));
  EXPECT_TRUE(p.contains(ip("10.243.255.255")));
  EXPECT_TRUE(p.contains(ip("10.243.3.7")));
  EXPECT_FALSE(p.contains(ip("10.242.255.255")));
  EXPECT_FALSE(p.contains(ip("10.244.0.0")));
  EXPECT_TRUE(cidr("0.0.0.0/0").contains(ip("255.255.255.255")));
  EXPECT_TRUE(cidr("1.2.3.4/32").contains(ip("1.2.3.4")));
  EXPECT_FALSE(cidr("1.2.3.4/32").contains(ip("1.2.3.5")));
  // Host bits of the prefix do not matter.
  EXPECT_TRUE(cidr("10.243.9.9/16").contains(ip("10.243.0.1")));
}

TEST(Prefix, ContainsPrefix) {
  Prefix p = cidr("10.0.0.0/8");
  EXPECT_TRUE(p.contains(cidr("10.0.0.0/8")));
  EXPECT_TRUE(p.contains(cidr("10.10.0.0/16")));
  EXPECT_TRUE(p.contains(cidr("10.255.255.255/32")));
  EXPECT_FALSE(p.contains(cidr("10.0.0.0/7")));
  EXPECT_FALSE(p.contains(cidr("11.0.0.0/16")));
  EXPECT_FALSE(cidr("10.10.0.0/16").contains(p));
  EXPECT_TRUE(cidr("0.0.0.0/0").contains(p));
}

TEST(Prefix, Overlaps) {
  EXPECT_TRUE(cidr("10.0.0.0/8").overlaps(cidr("10.1.0.0/16")));
  EXPECT_TRUE(cidr("10.1.0.0/16").overlaps(cidr("10.0.0.0/8")));
  EXPECT_TRUE(cidr("10.1.0.0/16").overlaps(cidr("10.1.0.0/16")));
  EXPECT_FALSE(cidr("10.1.0.0/16").overlaps(cidr("10.2.0.0/16")));
  EXPECT_FALSE(cidr("172.16.0.0/16").overlaps(cidr("172.17.0.0/16")));
  EXPECT_TRUE(cidr("172.20.0.0/14").overlaps(cidr("172.23.255.255/32")));
  EXPECT_FALSE(cidr("172.20.0.0/14").overlaps(cidr("172.24.0.0/32")));
  EXPECT_TRUE(cidr("0.0.0.0/0").overlaps(cidr("8.8.8.8/32")));
  EXPECT_TRUE(cidr("10.1.2.3/16").overlaps(cidr("10.1.200.0/24")));  // host bits ignored
}

TEST(PrefixToString, PrintsAddrAsStored) {
  EXPECT_EQ(to_string(Prefix{ip("10.0.0.0"), 8}), "10.0.0.0/8");
  EXPECT_EQ(to_string(Prefix{ip("10.0.0.1"), 8}), "10.0.0.1/8");
  EXPECT_EQ(to_string(Prefix{ip("0.0.0.0"), 0}), "0.0.0.0/0");
  EXPECT_EQ(to_string(cidr("192.168.240.0/20")), "192.168.240.0/20");
}

}  // namespace
}  // namespace berth::ipam
