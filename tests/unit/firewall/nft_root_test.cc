// NftFirewall against the real kernel. Every test runs on a dedicated thread
// that unshared a fresh network namespace; nft is spawned from that thread and
// so inherits it. Nothing here can touch the machine's own namespace, and the
// namespace vanishes with the thread. Skips (visibly) unless run as root.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "firewall/firewall.h"
#include "firewall/nft_exec.h"
#include "unit/firewall/golden_cases.h"

namespace berth::firewall {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

// Runs fn on a new thread inside a new network namespace.
void in_fresh_netns(const std::function<void()>& fn) {
  std::thread t([&] {
    if (::unshare(CLONE_NEWNET) != 0) {
      ADD_FAILURE() << "unshare(CLONE_NEWNET): " << std::strerror(errno);
      return;
    }
    fn();
  });
  t.join();
}

class NftRootTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "SKIPPED: needs root (creates network namespaces)";
    auto r = exec_capture("nft", {"--version"}, "");
    if (!r.ok() || r->exit_code != 0) GTEST_SKIP() << "SKIPPED: the nft program is not installed";
  }

  NftFirewall fw_;
};

std::string read_file(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::vector<std::filesystem::path> golden_files() {
  std::vector<std::filesystem::path> v;
  for (const auto& e : std::filesystem::directory_iterator(BERTH_GOLDEN_DIR)) {
    if (e.path().extension() == ".nft") v.push_back(e.path());
  }
  std::sort(v.begin(), v.end());
  return v;
}

// Objects of one kind ("chain", "rule", "map", "set") in `nft -j list` output.
std::vector<json> objects(const std::string& listing, const std::string& kind) {
  std::vector<json> out;
  json j = json::parse(listing);
  for (const auto& o : j.at("nftables")) {
    if (o.contains(kind)) out.push_back(o.at(kind));
  }
  return out;
}

std::set<std::string> chain_names(const std::string& listing) {
  std::set<std::string> s;
  for (const auto& c : objects(listing, "chain")) s.insert(c.at("name").get<std::string>());
  return s;
}

std::string nft_text(const std::vector<std::string>& args) {
  auto r = exec_capture("nft", args, "");
  EXPECT_TRUE(r.ok());
  if (!r.ok()) return "";
  EXPECT_EQ(r->exit_code, 0) << r->err;
  return r->out;
}

TEST_F(NftRootTest, EveryGoldenFileChecksAndApplies) {
  auto files = golden_files();
  ASSERT_GE(files.size(), 7u) << "golden files missing in " << BERTH_GOLDEN_DIR;
  for (const auto& f : files) {
    SCOPED_TRACE(f.filename().string());
    in_fresh_netns([&] {
      std::string script = read_file(f);
      auto st = fw_.check(script);
      ASSERT_TRUE(st.ok()) << st.error().message();
      // -c changed nothing.
      auto none = fw_.list_json();
      ASSERT_FALSE(none.ok());
      EXPECT_EQ(none.error().kind(), ErrorKind::kNotFound);
      st = fw_.apply(script);
      ASSERT_TRUE(st.ok()) << st.error().message();
      auto l = fw_.list_json();
      ASSERT_TRUE(l.ok()) << l.error().message();
      EXPECT_TRUE(chain_names(*l).count("filter-forward"));
    });
  }
}

TEST_F(NftRootTest, ApplyTwiceReplacesInsteadOfDuplicating) {
  in_fresh_netns([&] {
    const Ruleset three = testing::golden_case("three_networks");
    ASSERT_EQ(three.networks.size(), 3u);
    ASSERT_TRUE(fw_.apply(render(three)).ok());
    auto once = fw_.list_json();
    ASSERT_TRUE(once.ok());
    ASSERT_TRUE(fw_.apply(render(three)).ok());
    auto twice = fw_.list_json();
    ASSERT_TRUE(twice.ok());
    EXPECT_EQ(objects(*once, "rule").size(), objects(*twice, "rule").size());
    EXPECT_EQ(objects(*once, "chain").size(), objects(*twice, "chain").size());
    EXPECT_EQ(objects(*once, "map").size(), objects(*twice, "map").size());

    // A smaller ruleset removes the chains of networks that are gone.
    ASSERT_TRUE(fw_.apply(render(Ruleset{{testing::default_bridge()}})).ok());
    auto small = fw_.list_json();
    ASSERT_TRUE(small.ok());
    for (const auto& name : chain_names(*small)) {
      EXPECT_THAT(name, ::testing::Not(HasSubstr("br-"))) << "left over from the old ruleset";
    }
  });
}

TEST_F(NftRootTest, ListingShowsTheExpectedChains) {
  Ruleset rs{{testing::default_bridge(), testing::user_network("", "br-x", "172.18.0.0/16")}};
  rs.networks[1].internal = true;
  in_fresh_netns([&] {
    ASSERT_TRUE(fw_.apply(render(rs)).ok());
    auto l = fw_.list_json();
    ASSERT_TRUE(l.ok());
    EXPECT_EQ(chain_names(*l),
              (std::set<std::string>{"filter-forward", "nat-prerouting", "nat-output",
                                     "nat-postrouting", "nat-ports", "filter-forward-in__berth0",
                                     "filter-forward-out__berth0", "nat-postrouting-out__berth0",
                                     "filter-forward-in__br-x", "filter-forward-out__br-x",
                                     "raw-prerouting"}));
    std::map<std::string, std::string> hooks;
    for (const auto& c : objects(*l, "chain")) {
      EXPECT_EQ(c.at("table"), "berth");
      EXPECT_EQ(c.at("family"), "ip");
      if (c.contains("hook")) {
        hooks[c.at("name").get<std::string>()] = c.at("hook").get<std::string>();
        EXPECT_EQ(c.at("policy"), "accept") << c.dump();
      }
    }
    EXPECT_EQ(hooks, (std::map<std::string, std::string>{{"filter-forward", "forward"},
                                                         {"nat-prerouting", "prerouting"},
                                                         {"nat-output", "output"},
                                                         {"nat-postrouting", "postrouting"},
                                                         {"raw-prerouting", "prerouting"}}));
    // The internal network has no masquerade: berth0's own and hairpin
    // rules, and the loopback-source rule of published ports.
    int masq = 0;
    for (const auto& r : objects(*l, "rule")) {
      if (r.dump().find("\"masquerade\"") != std::string::npos) {
        ++masq;
        EXPECT_NE(r.at("chain"), "nat-postrouting-out__br-x");
      }
    }
    EXPECT_EQ(masq, 3);
    // The verdict maps dispatch to the per-bridge chains.
    std::string text = nft_text({"list", "map", "ip", "berth", "filter-forward-in-jumps"});
    EXPECT_THAT(text, HasSubstr("\"berth0\" : jump filter-forward-in__berth0"));
    EXPECT_THAT(text, HasSubstr("\"br-x\" : jump filter-forward-in__br-x"));
  });
}

TEST_F(NftRootTest, DeleteRemovesTheTableAndIsIdempotent) {
  in_fresh_netns([&] {
    ASSERT_TRUE(fw_.apply(render(Ruleset{{testing::default_bridge()}})).ok());
    ASSERT_TRUE(fw_.list_json().ok());
    auto st = fw_.apply(render_delete());
    ASSERT_TRUE(st.ok()) << st.error().message();
    auto l = fw_.list_json();
    ASSERT_FALSE(l.ok());
    EXPECT_EQ(l.error().kind(), ErrorKind::kNotFound);
    st = fw_.apply(render_delete());  // no table: still fine
    EXPECT_TRUE(st.ok()) << st.error().message();
    EXPECT_EQ(nft_text({"list", "ruleset"}), "");
  });
}

TEST_F(NftRootTest, OtherTablesAreUntouched) {
  // Another program's tables, including one in the same family with a drop
  // rule and one named like ours in another family.
  const std::string other =
      "table inet other {\n"
      "\tset blocked { type ipv4_addr; elements = { 192.0.2.7 } }\n"
      "\tchain input { type filter hook input priority 0; policy accept;\n"
      "\t\tip saddr @blocked drop\n\t}\n"
      "}\n"
      "table ip filter {\n"
      "\tchain forward { type filter hook forward priority 0; policy accept;\n"
      "\t\tiifname \"eth9\" counter drop\n\t}\n"
      "}\n"
      "table ip6 berth {\n"
      "\tchain c { }\n"
      "}\n";
  in_fresh_netns([&] {
    ASSERT_TRUE(fw_.apply(other).ok());
    const std::string before = nft_text({"list", "ruleset"});
    ASSERT_THAT(before, HasSubstr("table inet other"));
    auto three = testing::golden_case("three_networks");
    ASSERT_TRUE(fw_.apply(render(three)).ok());
    ASSERT_TRUE(fw_.apply(render(three)).ok());
    for (const char* t : {"inet other", "ip filter", "ip6 berth"}) {
      SCOPED_TRACE(t);
      std::string family = std::string(t).substr(0, std::string(t).find(' '));
      std::string name = std::string(t).substr(std::string(t).find(' ') + 1);
      EXPECT_NE(nft_text({"list", "table", family, name}), "");
    }
    ASSERT_TRUE(fw_.apply(render_delete()).ok());
    EXPECT_EQ(nft_text({"list", "ruleset"}), before);
  });
}

TEST_F(NftRootTest, FailedApplyChangesNothingAndReportsNftsMessage) {
  in_fresh_netns([&] {
    ASSERT_TRUE(fw_.apply(render(Ruleset{{testing::default_bridge()}})).ok());
    auto before = fw_.list_json();
    ASSERT_TRUE(before.ok());
    // A valid replacement with a broken rule at the end: one transaction, so
    // the old table must survive whole.
    std::string bad = render(testing::golden_case("three_networks"));
    bad += "add rule ip berth nat-ports tcp dport 80 bogus\n";
    auto st = fw_.apply(bad);
    ASSERT_FALSE(st.ok());
    EXPECT_THAT(st.error().message(), HasSubstr("nft -f: "));
    EXPECT_THAT(st.error().message(), HasSubstr("Error"));
    auto after = fw_.list_json();
    ASSERT_TRUE(after.ok());
    EXPECT_EQ(chain_names(*before), chain_names(*after));

    // nft merges a repeated chain block and a repeated set element instead of
    // failing, so a duplicate bridge would silently double its rules:
    // validate() is the only guard, and must be called.
    Ruleset dup{{testing::default_bridge(), testing::default_bridge()}};
    EXPECT_FALSE(validate(dup).ok());
    ASSERT_TRUE(fw_.apply(render(dup)).ok());
    std::string in = nft_text({"list", "chain", "ip", "berth", "filter-forward-in__berth0"});
    size_t icc = 0;
    for (size_t p = in.find("comment \"ICC\""); p != std::string::npos;
         p = in.find("comment \"ICC\"", p + 1)) {
      ++icc;
    }
    EXPECT_EQ(icc, 2u) << in;
  });
}

}  // namespace
}  // namespace berth::firewall

namespace berth::firewall {
namespace {

// Published ports change by element deltas: the rules and chains stay, only
// map elements come and go; deleting a missing element fails as a whole.
TEST_F(NftRootTest, PortDeltasAddAndRemoveMapElementsOnly) {
  in_fresh_netns([&] {
    Ruleset rs{{testing::default_bridge()}, ProxyMode::kTrue, {}};
    ASSERT_TRUE(fw_.apply(render(rs)).ok());
    auto before = fw_.list_json();
    ASSERT_TRUE(before.ok());
    const auto ports = testing::published_ports();
    auto st = fw_.apply(render_ports_add(ports));
    ASSERT_TRUE(st.ok()) << st.error().message();
    auto after = fw_.list_json();
    ASSERT_TRUE(after.ok());
    EXPECT_EQ(objects(*before, "rule").size(), objects(*after, "rule").size());
    size_t elems = 0;
    for (const auto& m : objects(*after, "map")) {
      if (m.contains("elem")) elems += m.at("elem").size();
    }
    EXPECT_EQ(elems, 4u + 3u);  // four ports + the three jump maps' berth0
    ASSERT_TRUE(fw_.apply(render_ports_delete(ports)).ok());
    auto gone = fw_.list_json();
    ASSERT_TRUE(gone.ok());
    EXPECT_EQ(json::parse(*gone), json::parse(*before));
    EXPECT_FALSE(fw_.apply(render_ports_delete(ports)).ok());
  });
}

}  // namespace
}  // namespace berth::firewall
