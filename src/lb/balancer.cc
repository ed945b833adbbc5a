#include "lb/balancer.h"

namespace berth::lb {
namespace {

bool tried(const PickContext& c, const PeerState& p) { return (c.tried >> (p.id % 64)) & 1; }

PeerState* round_robin(const std::vector<std::shared_ptr<PeerState>>& peers, const std::vector<uint32_t>& cycle,
                       std::atomic<uint64_t>* counter, PickContext& ctx) {
  if (cycle.empty()) return nullptr;
  size_t n = cycle.size();
  for (size_t k = 0; k < n; ++k) {
    uint64_t i = counter->fetch_add(1, std::memory_order_relaxed);
    PeerState* p = peers[cycle[i % n]].get();
    if (p->available(ctx.now_ms) && !tried(ctx, *p)) return p;
  }
  return nullptr;
}

// Fewest requests in flight per weight; ties go to the round-robin order.
PeerState* least_conn(const PoolSnapshot& s, PickContext& ctx) {
  PeerState* best = nullptr;
  size_t n = s.primary.size();
  if (n == 0) return nullptr;
  uint64_t start = ctx.rr->fetch_add(1, std::memory_order_relaxed);
  for (size_t k = 0; k < n; ++k) {
    PeerState* p = s.primary[(start + k) % n].get();
    if (!p->available(ctx.now_ms) || tried(ctx, *p)) continue;
    if (!best || int64_t{p->active.load(std::memory_order_relaxed)} * best->weight <
                     int64_t{best->active.load(std::memory_order_relaxed)} * p->weight)
      best = p;
  }
  return best;
}

// nginx's ip_hash: the first three octets of the client address.
PeerState* ip_hash(const PoolSnapshot& s, PickContext& ctx) {
  if (s.primary.empty() || s.primary_total_weight == 0) return nullptr;
  uint32_t hash = 89;
  uint8_t oct[3] = {static_cast<uint8_t>(ctx.client_ip >> 24), static_cast<uint8_t>(ctx.client_ip >> 16),
                    static_cast<uint8_t>(ctx.client_ip >> 8)};
  for (int tries = 0; tries < 20; ++tries) {
    for (uint8_t o : oct) hash = (hash * 113 + o) % 6271;
    int w = static_cast<int>(hash % static_cast<uint32_t>(s.primary_total_weight));
    size_t i = 0;
    while (w >= s.primary[i]->weight) {
      w -= s.primary[i]->weight;
      ++i;
    }
    PeerState* p = s.primary[i].get();
    if (p->available(ctx.now_ms) && !tried(ctx, *p)) return p;
  }
  return round_robin(s.primary, s.primary_cycle, ctx.rr, ctx);
}

// Two weighted random choices, the one with fewer requests in flight wins.
PeerState* random_two(const PoolSnapshot& s, PickContext& ctx) {
  if (s.primary_total_weight == 0) return nullptr;
  auto draw = [&](uint64_t r) -> PeerState* {
    int w = static_cast<int>(r % static_cast<uint64_t>(s.primary_total_weight));
    size_t i = 0;
    while (w >= s.primary[i]->weight) {
      w -= s.primary[i]->weight;
      ++i;
    }
    PeerState* p = s.primary[i].get();
    return (p->available(ctx.now_ms) && !tried(ctx, *p)) ? p : nullptr;
  };
  PeerState* a = draw(ctx.random & 0xffffffff);
  PeerState* b = draw(ctx.random >> 32);
  if (a && b) {
    return int64_t{b->active.load(std::memory_order_relaxed)} * a->weight <
                   int64_t{a->active.load(std::memory_order_relaxed)} * b->weight
               ? b
               : a;
  }
  if (a || b) return a ? a : b;
  return least_conn(s, ctx);
}

}  // namespace

std::vector<uint32_t> smooth_wrr_cycle(const std::vector<int>& weights) {
  int64_t total = 0;
  for (int w : weights) total += w;
  std::vector<uint32_t> out;
  if (total <= 0) return out;
  out.reserve(static_cast<size_t>(total));
  std::vector<int64_t> current(weights.size(), 0);
  for (int64_t step = 0; step < total; ++step) {
    size_t best = 0;
    bool have = false;
    for (size_t i = 0; i < weights.size(); ++i) {
      current[i] += weights[i];
      if (!have || current[i] > current[best]) {
        best = i;
        have = true;
      }
    }
    current[best] -= total;
    out.push_back(static_cast<uint32_t>(best));
  }
  return out;
}

std::shared_ptr<const PoolSnapshot> PoolSnapshot::make(std::vector<std::shared_ptr<PeerState>> peers) {
  auto s = std::make_shared<PoolSnapshot>();
  for (auto& p : peers) (p->backup ? s->backup : s->primary).push_back(std::move(p));
  std::vector<int> w;
  for (const auto& p : s->primary) {
    w.push_back(p->weight);
    s->primary_total_weight += p->weight;
  }
  s->primary_cycle = smooth_wrr_cycle(w);
  w.clear();
  for (const auto& p : s->backup) w.push_back(p->weight);
  s->backup_cycle = smooth_wrr_cycle(w);
  return s;
}

PeerState* pick(Policy policy, const PoolSnapshot& s, PickContext& ctx) {
  PeerState* p = nullptr;
  switch (policy) {
    case Policy::kRoundRobin: p = round_robin(s.primary, s.primary_cycle, ctx.rr, ctx); break;
    case Policy::kLeastConn: p = least_conn(s, ctx); break;
    case Policy::kIpHash: p = ip_hash(s, ctx); break;
    case Policy::kRandomTwo: p = random_two(s, ctx); break;
  }
  if (!p && !s.backup.empty()) p = round_robin(s.backup, s.backup_cycle, ctx.rr_backup, ctx);
  return p;
}

}  // namespace berth::lb
