// render() against the golden files in tests/golden/firewall, plus the
// properties every rendering must have. BERTH_UPDATE_GOLDEN=1 rewrites the
// golden files from the current render() (review the diff before committing).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "firewall/firewall.h"
#include "unit/firewall/golden_cases.h"

namespace berth::firewall {
namespace {

using testing::GoldenCase;
using ::testing::HasSubstr;
using ::testing::Not;

std::string golden_path(const std::string& name) {
  return std::string(BERTH_GOLDEN_DIR) + "/" + name + ".nft";
}

bool update_golden() {
  const char* v = std::getenv("BERTH_UPDATE_GOLDEN");
  return v != nullptr && std::string(v) == "1";
}

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

size_t count(const std::string& s, const std::string& needle) {
  size_t n = 0;
  for (size_t p = s.find(needle); p != std::string::npos; p = s.find(needle, p + 1)) ++n;
  return n;
}

class GoldenTest : public ::testing::TestWithParam<GoldenCase> {};

TEST_P(GoldenTest, RenderMatchesGoldenFile) {
  const auto& c = GetParam();
  ASSERT_TRUE(validate(c.rs).ok()) << validate(c.rs).error().message();
  std::string got = render(c.rs);
  const std::string path = golden_path(c.name);
  if (update_golden()) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << got;
    GTEST_SKIP() << "rewrote " << path;
  }
  std::ifstream probe(path);
  ASSERT_TRUE(probe.good()) << path << " is missing; run with BERTH_UPDATE_GOLDEN=1";
  EXPECT_EQ(got, read_file(path)) << "render() differs from " << path
                                  << "; if intended, rerun with BERTH_UPDATE_GOLDEN=1";
}

TEST_P(GoldenTest, Deterministic) { EXPECT_EQ(render(GetParam().rs), render(GetParam().rs)); }

TEST_P(GoldenTest, ReplacesTheTableAndNeverDropsByPolicy) {
  const auto& c = GetParam();
  std::string s = render(c.rs);
  EXPECT_THAT(s, HasSubstr("\nadd table ip berth\ndelete table ip berth\ntable ip berth {\n"));
  EXPECT_THAT(s, Not(HasSubstr("policy drop")));
  EXPECT_EQ(count(s, "policy accept;"), 5u);
  EXPECT_EQ(count(s, "hook "), 5u);
  // Only `ip berth` is ever named.
  EXPECT_EQ(count(s, "table "), 3u);
  for (const auto& n : c.rs.networks) {
    SCOPED_TRACE(n.bridge);
    const std::string masq = "oifname != \"" + n.bridge + "\" ip saddr " +
                             ipam::to_string(n.subnet) + " counter masquerade";
    EXPECT_EQ(count(s, masq), (n.masquerade && !n.internal) ? 1u : 0u);
    EXPECT_EQ(count(s, "chain filter-forward-in__" + n.bridge + " {"), 1u);
    EXPECT_EQ(count(s, "chain filter-forward-out__" + n.bridge + " {"), 1u);
    EXPECT_EQ(count(s, "iifname \"" + n.bridge + "\" counter accept comment \"ICC\""),
              n.icc ? 1u : 0u);
    EXPECT_EQ(count(s, "iifname \"" + n.bridge + "\" counter drop comment \"ICC DISABLED\""),
              n.icc ? 0u : 1u);
  }
}

std::vector<GoldenCase> cases() { return testing::golden_cases(); }

INSTANTIATE_TEST_SUITE_P(Firewall, GoldenTest, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<GoldenCase>& i) {
                           return i.param.name;
                         });

TEST(RenderTest, DefaultBridgeAndUserNetwork) {
  // The essentials, spelled out once here so a reader need not open a golden.
  Ruleset rs{{testing::default_bridge(), testing::user_network("", "br-x", "172.18.0.0/16")}};
  std::string s = render(rs);
  EXPECT_THAT(s, HasSubstr("oifname != \"br-x\" ip saddr 172.18.0.0/16 counter masquerade"));
  EXPECT_THAT(s, HasSubstr("oifname != \"berth0\" ip saddr 172.17.0.0/16 counter masquerade"));
  EXPECT_THAT(s, HasSubstr("\"br-x\" : jump filter-forward-in__br-x"));
  EXPECT_THAT(s, HasSubstr("\"br-x\" : jump filter-forward-out__br-x"));
  EXPECT_THAT(s, HasSubstr("elements = { \"berth0\",\n\t\t\t     \"br-x\" }"));
  EXPECT_THAT(s, HasSubstr("type nat hook output priority -100;"));
  EXPECT_THAT(s, Not(HasSubstr("comment \"network \"")));  // no id, no comment
}

TEST(RenderTest, InternalNetworkHasNoWayOutAndNoNat) {
  auto n = testing::user_network("", "br-int", "10.9.0.0/24");
  n.internal = true;
  std::string s = render(Ruleset{{n}});
  EXPECT_THAT(s, Not(HasSubstr("masquerade")));
  EXPECT_THAT(s, Not(HasSubstr("ct state established")));
  EXPECT_THAT(s, HasSubstr("chain filter-forward-out__br-int {\n\t\tcounter drop comment "
                           "\"INTERNAL\"\n\t}"));
}

TEST(RenderTest, PortsAreMapElementsAndDeltasNameOnlyThem) {
  const auto ports = testing::published_ports();
  const std::string add = render_ports_add(ports);
  EXPECT_EQ(add,
            "add element ip berth published-ports { 172.17.0.2 . tcp . 80 }\n"
            "add element ip berth port-dnat-any { tcp . 8080 : 172.17.0.2 . 80 }\n"
            "add element ip berth port-dnat { 127.0.0.1 . tcp . 8081 : 172.17.0.2 . 80 }\n"
            "add element ip berth published-ports { 172.17.0.2 . udp . 53 }\n"
            "add element ip berth port-dnat-any { udp . 5353 : 172.17.0.2 . 53 }\n"
            "add element ip berth published-ports { 172.18.0.2 . tcp . 9000 }\n"
            "add element ip berth port-dnat { 192.0.2.1 . tcp . 9000 : 172.18.0.2 . 9000 }\n");
  const std::string del = render_ports_delete(ports);
  EXPECT_THAT(del, HasSubstr("delete element ip berth port-dnat-any { tcp . 8080 }\n"));
  EXPECT_THAT(del, HasSubstr("delete element ip berth port-dnat { 127.0.0.1 . tcp . 8081 }\n"));
  EXPECT_THAT(del, Not(HasSubstr("table")));
  EXPECT_EQ(render_ports_add({}), "");
  // The rules do not grow with the ports: two DNAT rules, whatever the count.
  Ruleset rs{{testing::default_bridge()}, ProxyMode::kTrue, ports};
  for (int i = 0; i < 1000; ++i) {
    rs.ports.push_back({ipam::Ipv4{0}, 6, 20000 + i, *ipam::parse_ipv4("172.17.0.3"), 80});
  }
  EXPECT_EQ(count(render(rs), "dnat ip to "), 2u);
}

TEST(RenderTest, ModesDifferOnlyForLoopback) {
  auto r = [](ProxyMode m) { return render(Ruleset{{testing::default_bridge()}, m, {}}); };
  EXPECT_THAT(r(ProxyMode::kTrue), HasSubstr("\t\tfib daddr type local jump nat-ports\n"));
  EXPECT_THAT(r(ProxyMode::kTrue), HasSubstr("ip saddr 127.0.0.0/8 counter masquerade"));
  EXPECT_EQ(r(ProxyMode::kTrue), r(ProxyMode::kFalse));
  EXPECT_THAT(r(ProxyMode::kAlways),
              HasSubstr("ip daddr != 127.0.0.0/8 fib daddr type local jump nat-ports"));
  EXPECT_THAT(r(ProxyMode::kAlways), HasSubstr("iifname @bridges return"));
  EXPECT_THAT(r(ProxyMode::kAlways), Not(HasSubstr("ip saddr 127.0.0.0/8")));
  for (auto m : {ProxyMode::kTrue, ProxyMode::kAlways}) {
    EXPECT_THAT(r(m), HasSubstr("iifname != \"lo\" ip daddr 127.0.0.0/8 counter drop"));
  }
}

TEST(RenderTest, DeleteScript) {
  EXPECT_EQ(render_delete(), "add table ip berth\ndelete table ip berth\n");
}

TEST(ValidateTest, AcceptsDockerNames) {
  Ruleset rs{{testing::default_bridge(),
              testing::user_network("", "br-1a2b3c4d5e6f", "172.18.0.0/16"),
              testing::user_network("", "my_br.1-x", "10.0.0.0/8")}};
  EXPECT_TRUE(validate(rs).ok());
  EXPECT_TRUE(validate(Ruleset{}).ok());
}

TEST(ValidateTest, RejectsNamesNftCannotCarrySafely) {
  for (const char* bad : {"", "br*", "br\"x", "br x", "br/x", "a\\b", ".", "..",
                          "0123456789abcdef" /* 16 */, "br;drop", "br}"}) {
    SCOPED_TRACE(bad);
    auto st = validate(Ruleset{{testing::user_network("", bad, "10.0.0.0/24")}});
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().kind(), ErrorKind::kInvalidArgument);
    EXPECT_THAT(st.error().message(), HasSubstr("invalid bridge name"));
  }
}

TEST(ValidateTest, RejectsDuplicateBridgeAndNonCanonicalSubnet) {
  auto a = testing::user_network("aaa", "br-a", "10.0.0.0/24");
  auto b = testing::user_network("bbb", "br-a", "10.0.1.0/24");
  auto st = validate(Ruleset{{a, b}});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message(), "network bbb: bridge \"br-a\" is used by another network");

  auto c = testing::user_network("ccc", "br-c", "10.0.0.1/24");
  st = validate(Ruleset{{c}});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message(), "network ccc: subnet 10.0.0.1/24 should be 10.0.0.0/24");
}

TEST(RenderTest, InvalidNamesCannotInjectSyntax) {
  auto n = testing::user_network("x\"; flush ruleset", "br\" } flush ruleset; #*", "10.0.0.0/24");
  std::string s = render(Ruleset{{n}});
  EXPECT_THAT(s, Not(HasSubstr("flush ruleset;")));
  EXPECT_THAT(s, Not(HasSubstr("*")));
  EXPECT_THAT(s, HasSubstr("\"br????flush?ruleset????\""));
  EXPECT_THAT(s, HasSubstr("comment \"network x?; flush ruleset\""));
}

}  // namespace
}  // namespace berth::firewall
