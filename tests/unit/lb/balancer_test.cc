#include "lb/balancer.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <thread>

using namespace berth::lb;

namespace {
std::vector<std::shared_ptr<PeerState>> peers(std::vector<int> weights, int backups = 0) {
  std::vector<std::shared_ptr<PeerState>> v;
  for (size_t i = 0; i < weights.size(); ++i) {
    auto p = std::make_shared<PeerState>();
    p->id = static_cast<uint32_t>(i);
    p->weight = weights[i];
    p->name = std::string(1, static_cast<char>('a' + i));
    p->backup = static_cast<int>(i) >= static_cast<int>(weights.size()) - backups;
    v.push_back(p);
  }
  return v;
}
struct Ctx {
  std::atomic<uint64_t> rr{0}, rrb{0};
  PickContext make(int64_t now = 0) {
    PickContext c;
    c.rr = &rr;
    c.rr_backup = &rrb;
    c.now_ms = now;
    return c;
  }
};
}  // namespace

// nginx's documented sequence for weights 5,1,1 (ngx_http_upstream_round_robin.c)
TEST(LbBalancer, SmoothWrrMatchesNginx) {
  auto cyc = smooth_wrr_cycle({5, 1, 1});
  std::string s;
  for (auto i : cyc) s += static_cast<char>('a' + i);
  EXPECT_EQ(s, "aabacaa");
  auto snap = PoolSnapshot::make(peers({5, 1, 1}));
  Ctx c;
  std::string got;
  for (int i = 0; i < 14; ++i) {
    auto pc = c.make();
    got += pick(Policy::kRoundRobin, *snap, pc)->name;
  }
  EXPECT_EQ(got, "aabacaaaabacaa");
}

TEST(LbBalancer, ExactFairnessAcrossThreads) {
  auto snap = PoolSnapshot::make(peers({1, 1, 1}));
  Ctx c;
  std::vector<std::map<std::string, int>> counts(4);
  std::vector<std::thread> th;
  for (int t = 0; t < 4; ++t)
    th.emplace_back([&, t] {
      for (int i = 0; i < 30000; ++i) {
        auto pc = c.make();
        counts[t][pick(Policy::kRoundRobin, *snap, pc)->name]++;
      }
    });
  for (auto& x : th) x.join();
  std::map<std::string, int> total;
  for (auto& m : counts)
    for (auto& [k, v] : m) total[k] += v;
  EXPECT_EQ(total["a"], 40000);
  EXPECT_EQ(total["b"], 40000);
  EXPECT_EQ(total["c"], 40000);
}

TEST(LbBalancer, PassiveHealthAndBackup) {
  auto ps = peers({1, 1, 1}, 1);  // c is a backup
  ps[0]->max_fails = 2;
  ps[0]->fail_timeout_ms = 1000;
  auto snap = PoolSnapshot::make(ps);
  Ctx c;
  ps[0]->record_failure(100);
  auto pc = c.make(100);
  EXPECT_TRUE(ps[0]->available(100));  // one failure of two
  ps[0]->record_failure(100);
  EXPECT_FALSE(ps[0]->available(500));
  EXPECT_TRUE(ps[0]->available(1101));  // fail_timeout over
  for (int i = 0; i < 4; ++i) {
    pc = c.make(500);
    EXPECT_EQ(pick(Policy::kRoundRobin, *snap, pc)->name, "b");
  }
  ps[1]->healthy = false;
  pc = c.make(500);
  EXPECT_EQ(pick(Policy::kRoundRobin, *snap, pc)->name, "c");  // only the backup is left
  ps[2]->down = true;
  pc = c.make(500);
  EXPECT_EQ(pick(Policy::kRoundRobin, *snap, pc), nullptr);
}

TEST(LbBalancer, TriedPeersAreSkipped) {
  auto snap = PoolSnapshot::make(peers({1, 1, 1}));
  Ctx c;
  auto pc = c.make();
  std::set<std::string> seen;
  for (int i = 0; i < 3; ++i) {
    PeerState* p = pick(Policy::kRoundRobin, *snap, pc);
    ASSERT_TRUE(p);
    seen.insert(p->name);
    pc.tried |= 1u << p->id;
  }
  EXPECT_EQ(seen.size(), 3u);
  EXPECT_EQ(pick(Policy::kRoundRobin, *snap, pc), nullptr);
}

TEST(LbBalancer, LeastConn) {
  auto ps = peers({1, 1, 1});
  auto snap = PoolSnapshot::make(ps);
  ps[0]->active = 3;
  ps[1]->active = 1;
  ps[2]->active = 2;
  Ctx c;
  for (int i = 0; i < 5; ++i) {
    auto pc = c.make();
    EXPECT_EQ(pick(Policy::kLeastConn, *snap, pc)->name, "b");
  }
}

TEST(LbBalancer, IpHashIsStickyPerSlash24) {
  auto snap = PoolSnapshot::make(peers({1, 1, 1}));
  Ctx c;
  std::map<std::string, int> spread;
  for (uint32_t net = 0; net < 300; ++net) {
    auto pc = c.make();
    pc.client_ip = (10u << 24) | (net << 8) | 1;
    std::string first = pick(Policy::kIpHash, *snap, pc)->name;
    spread[first]++;
    for (uint32_t host = 2; host < 6; ++host) {
      auto q = c.make();
      q.client_ip = (10u << 24) | (net << 8) | host;
      EXPECT_EQ(pick(Policy::kIpHash, *snap, q)->name, first);
    }
  }
  EXPECT_EQ(spread.size(), 3u);
  for (auto& [k, v] : spread) EXPECT_GT(v, 50) << k;
}

TEST(LbBalancer, RandomTwoPrefersIdle) {
  auto ps = peers({1, 1});
  auto snap = PoolSnapshot::make(ps);
  ps[0]->active = 10;
  Ctx c;
  int b = 0;
  uint64_t r = 88172645463325252ull;
  for (int i = 0; i < 1000; ++i) {
    r ^= r << 13;
    r ^= r >> 7;
    r ^= r << 17;
    auto pc = c.make();
    pc.random = r;
    b += pick(Policy::kRandomTwo, *snap, pc)->name == "b";
  }
  EXPECT_GT(b, 700);  // a wins only when both draws are a (~1/4)
  EXPECT_LT(b, 800);
}
