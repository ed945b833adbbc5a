#include <gtest/gtest.h>

#include <map>
#include <set>

#include "dns/resolv_conf.h"
#include "dns/resolver.h"
#include "dns_test_util.h"

namespace berth::dns {
namespace {

using testing::decode;
using testing::make_query;

uint32_t ip(int a, int b, int c, int d) {
  return static_cast<uint32_t>(a << 24 | b << 16 | c << 8 | d);
}

// The lecture's section 4: nettest1..3 with alias tg-net on netlb, and a
// container alone on another network.
State lecture_state() {
  State st;
  NetworkSpec netlb{"n1", "netlb", {}};
  for (int i = 1; i <= 3; ++i) {
    netlb.members.push_back({{"nettest" + std::to_string(i), "tg-net", "abcdef00000" + std::to_string(i)},
                             ip(172, 200, 1, 1 + i)});
  }
  netlb.members.push_back({{"client"}, ip(172, 200, 1, 9)});
  NetworkSpec other{"n2", "other", {{{"lonely", "tg-net"}, ip(10, 0, 0, 2)}}};
  st.networks = {netlb, other};
  st.scopes = {{"c-netlb", {"n1"}}, {"c-other", {"n2"}}, {"c-both", {"n2", "n1"}}};
  return st;
}

struct Fixture : ::testing::Test {
  SnapshotBuilder b;
  std::shared_ptr<const Snapshot> snap = b.build(lecture_state());
  uint8_t out[65536];
  Query q;

  testing::Decoded ask(const std::string& scope, const std::vector<uint8_t>& query, bool tcp = false,
                       Action want = Action::kReply) {
    Outcome o = answer(query, snap->scope(scope), snap->ttl, tcp, out, q);
    EXPECT_EQ(o.action, want);
    if (o.action != Action::kReply) return {};
    return decode(out, o.len);
  }
};

TEST_F(Fixture, AliasAnswersAllMembersWithTtl600LikeDig) {
  auto d = ask("c-netlb", make_query("tg-net", kTypeA, 77));
  ASSERT_TRUE(d.ok);
  EXPECT_EQ(d.id, 77);
  EXPECT_EQ(d.flags & 0x8000, 0x8000);  // qr
  EXPECT_EQ(d.flags & 0x0100, 0x0100);  // rd
  EXPECT_EQ(d.flags & 0x0080, 0x0080);  // ra
  EXPECT_EQ(d.flags & 0x0400, 0);       // no aa, as Docker
  EXPECT_EQ(d.rcode, 0);
  ASSERT_EQ(d.answers.size(), 3u);
  std::set<std::string> got;
  for (const auto& a : d.answers) {
    EXPECT_EQ(a.name, "tg-net.");
    EXPECT_EQ(a.type, kTypeA);
    EXPECT_EQ(a.ttl, 600u);
    got.insert(a.data);
  }
  EXPECT_EQ(got, (std::set<std::string>{"172.200.1.2", "172.200.1.3", "172.200.1.4"}));
}

TEST_F(Fixture, RotationIsExact300QueriesEachFirst100Times) {
  std::map<std::string, int> first;
  for (int i = 0; i < 300; ++i) {
    auto d = ask("c-netlb", make_query("tg-net", kTypeA, static_cast<uint16_t>(i)));
    ASSERT_EQ(d.answers.size(), 3u);
    ++first[d.answers[0].data];
    // Other names asked in between do not disturb the rotation.
    (void)ask("c-netlb", make_query("nettest1", kTypeA));
  }
  EXPECT_EQ(first, (std::map<std::string, int>{{"172.200.1.2", 100}, {"172.200.1.3", 100}, {"172.200.1.4", 100}}));
}

TEST_F(Fixture, RotationSurvivesASnapshotWithTheSameName) {
  (void)ask("c-netlb", make_query("tg-net", kTypeA));
  auto before = ask("c-netlb", make_query("tg-net", kTypeA));
  snap = b.build(lecture_state());
  auto after = ask("c-netlb", make_query("tg-net", kTypeA));
  EXPECT_NE(before.answers[0].data, after.answers[0].data);
}

TEST_F(Fixture, NamesAreCaseInsensitiveAndKnownAsNameDotNetwork) {
  auto d = ask("c-netlb", make_query("NetTest2", kTypeA));
  ASSERT_EQ(d.answers.size(), 1u);
  EXPECT_EQ(d.answers[0].data, "172.200.1.3");
  EXPECT_EQ(d.answers[0].name, "nettest2.");
  d = ask("c-netlb", make_query("nettest3.netlb", kTypeA));
  ASSERT_EQ(d.answers.size(), 1u);
  EXPECT_EQ(d.answers[0].data, "172.200.1.4");
  d = ask("c-netlb", make_query("abcdef000001", kTypeA));
  ASSERT_EQ(d.answers.size(), 1u);
}

TEST_F(Fixture, OnlyNetworksTheContainerSharesFirstOneWins) {
  (void)ask("c-other", make_query("nettest1", kTypeA), false, Action::kForward);
  auto d = ask("c-other", make_query("tg-net", kTypeA));
  ASSERT_EQ(d.answers.size(), 1u);
  EXPECT_EQ(d.answers[0].data, "10.0.0.2");
  d = ask("c-both", make_query("tg-net", kTypeA));  // "other" comes first
  ASSERT_EQ(d.answers.size(), 1u);
  (void)ask("nobody", make_query("tg-net", kTypeA), false, Action::kForward);
}

TEST_F(Fixture, AaaaOfAKnownNameIsEmptyNoError) {
  auto d = ask("c-netlb", make_query("tg-net", kTypeAAAA));
  EXPECT_EQ(d.rcode, 0);
  EXPECT_TRUE(d.answers.empty());
  (void)ask("c-netlb", make_query("unknown", kTypeAAAA), false, Action::kForward);
  (void)ask("c-netlb", make_query("tg-net", 16 /*TXT*/), false, Action::kForward);
}

TEST_F(Fixture, PtrGivesNameDotNetwork) {
  auto d = ask("c-netlb", make_query("4.1.200.172.in-addr.arpa", kTypePTR));
  ASSERT_EQ(d.answers.size(), 1u);
  EXPECT_EQ(d.answers[0].type, kTypePTR);
  EXPECT_EQ(d.answers[0].data, "nettest3.netlb.");
  EXPECT_EQ(d.answers[0].ttl, 600u);
  (void)ask("c-other", make_query("4.1.200.172.in-addr.arpa", kTypePTR), false, Action::kForward);
  (void)ask("c-netlb", make_query("9.9.9.9.in-addr.arpa", kTypePTR), false, Action::kForward);
}

TEST_F(Fixture, EdnsIsEchoed) {
  auto d = ask("c-netlb", make_query("tg-net", kTypeA, 1, 1232));
  EXPECT_TRUE(d.has_opt);
  EXPECT_EQ(d.arcount, 1);
  EXPECT_EQ(d.answers.size(), 3u);
  d = ask("c-netlb", make_query("tg-net", kTypeA));
  EXPECT_FALSE(d.has_opt);
}

TEST(DnsResolvConf, NdotsSetFromDnsOptionsElseFromTheHost) {
  EXPECT_FALSE(ndots_set("nameserver 10.0.0.1\n", {}));
  EXPECT_TRUE(ndots_set("nameserver 10.0.0.1\noptions rotate ndots:2\n", {}));
  EXPECT_TRUE(ndots_set("", {"ndots:0"}));  // any explicit value
  EXPECT_TRUE(ndots_set("", {"timeout:1", "ndots:3"}));
  // --dns-option replaces the host's options.
  EXPECT_FALSE(ndots_set("options ndots:2\n", {"timeout:1"}));
  EXPECT_FALSE(ndots_set("# options ndots:2\n", {}));
}

// Docker's ndotsSet: single-label unknown A/AAAA answered empty, not
// forwarded; names with a dot, other types and known names as before.
TEST(DnsResolver, NdotsSetAnswersUnknownSingleLabelsEmpty) {
  State st = lecture_state();
  st.scopes.push_back({"c-ndots", {"n1"}, true});
  SnapshotBuilder b;
  auto snap = b.build(st);
  uint8_t out[4096];
  Query q;
  for (const char* name : {"unknown", "UNKNOWN.", ""}) {
    for (uint16_t type : {kTypeA, kTypeAAAA}) {
      auto query = make_query(name, type, 9, 1232);
      Outcome o = answer(query, snap->scope("c-ndots"), 600, false, out, q);
      ASSERT_EQ(o.action, Action::kReply) << name << " " << type;
      auto d = decode(out, o.len);
      EXPECT_EQ(d.rcode, 0);
      EXPECT_EQ(d.id, 9);
      EXPECT_EQ(d.flags & 0x0080, 0x0080);  // ra
      EXPECT_TRUE(d.answers.empty());
      EXPECT_TRUE(d.has_opt);
      // Without ndots set: forwarded, as before.
      EXPECT_EQ(answer(query, snap->scope("c-netlb"), 600, false, out, q).action, Action::kForward);
    }
  }
  for (auto query : {make_query("unknown.test", kTypeA), make_query("unknown", kTypeMX),
                     make_query("unknown", 16 /*TXT*/)}) {
    EXPECT_EQ(answer(query, snap->scope("c-ndots"), 600, false, out, q).action, Action::kForward);
  }
  Outcome o = answer(make_query("tg-net", kTypeA), snap->scope("c-ndots"), 600, false, out, q);
  ASSERT_EQ(o.action, Action::kReply);
  EXPECT_EQ(decode(out, o.len).answers.size(), 3u);
}

TEST(DnsResolver, LargeGroupsTruncateOnUdpAndFitOnTcp) {
  State st;
  NetworkSpec n{"n", "big", {}};
  for (int i = 0; i < 100; ++i) n.members.push_back({{"m" + std::to_string(i), "all"}, ip(10, 1, 0, 2 + i)});
  st.networks = {n};
  st.scopes = {{"s", {"n"}}};
  SnapshotBuilder b;
  auto snap = b.build(st);
  static uint8_t out[65536];
  Query q;
  auto o = answer(make_query("all", kTypeA), snap->scope("s"), 600, false, out, q);
  ASSERT_EQ(o.action, Action::kReply);
  EXPECT_LE(o.len, 512u);
  auto d = decode(out, o.len);
  EXPECT_TRUE(d.tc);
  EXPECT_EQ(d.answers.size(), (512u - 17u) / 16u);
  o = answer(make_query("all", kTypeA, 1, 4096), snap->scope("s"), 600, false, out, q);
  d = decode(out, o.len);
  EXPECT_FALSE(d.tc);
  EXPECT_EQ(d.answers.size(), 100u);
  EXPECT_TRUE(d.has_opt);
  o = answer(make_query("all", kTypeA), snap->scope("s"), 600, true, out, q);
  d = decode(out, o.len);
  EXPECT_FALSE(d.tc);
  EXPECT_EQ(d.answers.size(), 100u);
}

TEST(DnsResolver, MalformedQueriesGetFormErrOrNothing) {
  SnapshotBuilder b;
  auto snap = b.build(lecture_state());
  uint8_t out[512];
  Query q;
  auto m = make_query("tg-net", kTypeA);
  put16(m.data() + 6, 1);  // an answer record in a query
  auto o = answer(m, snap->scope("c-netlb"), 600, false, out, q);
  ASSERT_EQ(o.action, Action::kReply);
  auto d = decode(out, o.len);
  EXPECT_EQ(d.rcode, kRcodeFormErr);
  std::vector<uint8_t> junk(5, 0xff);
  EXPECT_EQ(answer(junk, snap->scope("c-netlb"), 600, false, out, q).action, Action::kDrop);
}

TEST(DnsResolver, ErrorAnswersEchoTheQuestion) {
  auto m = make_query("x.example", kTypeA, 9, 1232);
  Query q;
  ASSERT_EQ(parse_query(m, q), ParseStatus::kOk);
  uint8_t out[512];
  const size_t n = error_answer(m, q, kRcodeRefused, out);
  auto d = decode(out, n);
  EXPECT_EQ(d.rcode, kRcodeRefused);
  EXPECT_EQ(d.id, 9);
  EXPECT_TRUE(d.has_opt);
}

}  // namespace
}  // namespace berth::dns
