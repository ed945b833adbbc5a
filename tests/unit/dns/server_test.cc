#include <gtest/gtest.h>

#include "dns/server.h"

namespace berth::dns {
namespace {

TEST(DnsGatewayGuard, DropsForeignSourcesPerGateway) {
  const uint32_t gw = (172u << 24) | (200u << 16) | (1u << 8) | 1u;
  const std::string s = render_gateway_guard({{"id", "netlb", gw, gw & 0xffffff00u, 0xffffff00u}});
  EXPECT_EQ(s,
            "add table ip berth_dns\n"
            "delete table ip berth_dns\n"
            "table ip berth_dns {\n"
            "  chain input {\n"
            "    type filter hook input priority filter; policy accept;\n"
            "    ip daddr 172.200.1.1 meta l4proto { tcp, udp } th dport 53 ip saddr != "
            "172.200.1.0/24 fib saddr type != local drop\n"
            "  }\n"
            "}\n");
}

TEST(DnsGatewayGuard, EmptyWithoutGateways) {
  const std::string s = render_gateway_guard({});
  EXPECT_NE(s.find("policy accept;\n  }\n}\n"), std::string::npos);
}

}  // namespace
}  // namespace berth::dns
