#include "cli/network_format.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace berth::cli {
namespace {

ojson networks() {
  return ojson::parse(R"([
{"Name":"netlb","Id":"471bd587ce6e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f80aaaa","Created":"2026-11-28T02:04:55.940668344Z","Scope":"local","Driver":"bridge","EnableIPv4":true,"EnableIPv6":false,"Internal":false,"Labels":{"zeta":"1","com.example.a":"x<y>&z"}},
{"Name":"bridge","Id":"5f0481616f45aaaa","Created":"2026-11-27T10:00:00Z","Scope":"local","Driver":"bridge","EnableIPv4":true,"Labels":{}},
{"Name":"none","Id":"sha256:64bdde571690abcdef","Created":"2026-11-27T10:00:00.123456Z","Scope":"local","Driver":"null"},
{"Name":"host","Id":"cce1ab37271c0000","Created":"2026-11-27T10:00:00.1Z","Scope":"local","Driver":"host"}])");
}

TEST(NetworkFormat, TruncateId) {
  EXPECT_EQ(truncate_id("471bd587ce6e1f2a3b4c"), "471bd587ce6e");
  EXPECT_EQ(truncate_id("sha256:64bdde571690abcdef"), "64bdde571690");
  EXPECT_EQ(truncate_id("abc"), "abc");
}

TEST(NetworkFormat, NaturalSort) {
  std::vector<std::string> v = {"net10", "net2", "net02", "Net1", "a", "1net", "net001", "_x", ""};
  std::stable_sort(v.begin(), v.end(),
                   [](const std::string& a, const std::string& b) { return natural_less(a, b); });
  EXPECT_EQ(v, (std::vector<std::string>{"", "1net", "Net1", "_x", "a", "net001", "net2", "net02",
                                         "net10"}));
}

TEST(NetworkFormat, DefaultTable) {
  auto out = render_network_list(networks(), "", false, false);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out,
            "NETWORK ID     NAME      DRIVER    SCOPE\n"
            "5f0481616f45   bridge    bridge    local\n"
            "cce1ab37271c   host      host      local\n"
            "471bd587ce6e   netlb     bridge    local\n"
            "64bdde571690   none      null      local\n");
}

TEST(NetworkFormat, QuietAndNoTrunc) {
  EXPECT_EQ(*render_network_list(networks(), "", true, false),
            "5f0481616f45\ncce1ab37271c\n471bd587ce6e\n64bdde571690\n");
  EXPECT_EQ(*render_network_list(networks(), "table", true, true),
            "5f0481616f45aaaa\ncce1ab37271c0000\n"
            "471bd587ce6e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f80aaaa\n"
            "sha256:64bdde571690abcdef\n");
  // A custom format wins over -q.
  EXPECT_EQ(*render_network_list(networks(), "{{.Name}}", true, false),
            "bridge\nhost\nnetlb\nnone\n");
}

TEST(NetworkFormat, JsonRowsAreSortedAndHtmlEscaped) {
  auto out = render_network_list(networks(), "json", false, false);
  ASSERT_TRUE(out.ok());
  std::string netlb_line = out->substr(out->find("{\"CreatedAt\":\"2026-11-28"));
  netlb_line = netlb_line.substr(0, netlb_line.find('\n'));
  EXPECT_EQ(
      netlb_line,
      R"({"CreatedAt":"2026-11-28 02:04:55.940668344 +0000 UTC","Driver":"bridge","ID":"471bd587ce6e","IPv4":"true","IPv6":"false","Internal":"false","Labels":"com.example.a=x\u003cy\u003e\u0026z,zeta=1","Name":"netlb","Scope":"local"})");
}

TEST(NetworkFormat, CustomTableHeadersAndLabel) {
  auto out = render_network_list(
      networks(), "table {{.Name}}\\t{{.IPv6}}\\t{{.Label \"com.example.a\"}}\\t{{.CreatedAt}}",
      false, false);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out,
            "NAME      IPV6      a         CREATED AT\n"
            "bridge    false               2026-11-27 10:00:00 +0000 UTC\n"
            "host      false               2026-11-27 10:00:00.1 +0000 UTC\n"
            "netlb     false     x<y>&z    2026-11-28 02:04:55.940668344 +0000 UTC\n"
            "none      false               2026-11-27 10:00:00.123456 +0000 UTC\n");
}

TEST(NetworkFormat, RawFormat) {
  auto out = render_network_list(ojson::array({networks()[1]}), "raw", false, false);
  EXPECT_EQ(*out, "network_id: 5f0481616f45\nname: bridge\ndriver: bridge\nscope: local\n\n");
}

TEST(NetworkFormat, TemplateErrors) {
  auto bad = render_network_list(networks(), "table {{.Name}} {{.Foo}}", false, false);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(),
            "template parsing error: template: :1:12: executing \"\" at <.Foo>: can't evaluate "
            "field Foo in type *network.networkContext");
  EXPECT_EQ(render_network_list(networks(), "{{.Name", false, false).error().message(),
            "template parsing error: template: :1: unclosed action");
}

TEST(NetworkFormat, EmptyListStillPrintsTheHeader) {
  EXPECT_EQ(*render_network_list(ojson::array(), "", false, false),
            "NETWORK ID   NAME      DRIVER    SCOPE\n");
  EXPECT_EQ(*render_network_list(ojson::array(), "", true, false), "");
}

TEST(NetworkInspectType, GoFieldNamesAndStructPrinting) {
  ojson n = ojson::parse(R"({"Name":"netlb","Id":"abc","Created":"2026-11-28T02:04:55.9Z",
    "IPAM":{"Driver":"default","Options":{},"Config":[{"Subnet":"172.200.1.0/24","Gateway":"172.200.1.1"}]},
    "ConfigFrom":{"Network":""},"Containers":{},"Labels":{}})");
  auto t = GoTemplate::parse(
      "{{.ID}}|{{.IPAM}}|{{.Created}}|{{.ConfigFrom}}|{{.Peers}}|{{index .Labels \"x\"}}");
  ASSERT_TRUE(t.ok());
  auto out = t->render(n, &network_inspect_type());
  ASSERT_TRUE(out.ok()) << out.error().message();
  EXPECT_EQ(*out,
            "abc|{default map[] [{172.200.1.0/24  172.200.1.1 map[]}]}|2026-11-28 02:04:55.9 +0000 "
            "UTC|{}|[]|");
}

}  // namespace
}  // namespace berth::cli
