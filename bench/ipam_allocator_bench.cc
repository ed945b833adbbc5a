// Cost of the IPAM allocator's operations as the subnet fills up and as it
// grows, to show they stay O(log n): allocate_any()+release() at 0/50/99 %
// fill of a /16 (contiguous fill, as lowest-first allocation produces, and
// random fill, as churn produces), random churn, and subnet sizes from /24
// to /8. A linear scan of a plain bitmap — what libnetwork's bitmap does for
// lowest-free — is included as the baseline the tree replaces.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <vector>

#include "ipam/ipam.h"

namespace berth::ipam {
namespace {

constexpr uint32_t kBase = 0xac120000;  // 172.18.0.0

Prefix subnet_of_len(int len) { return Prefix{Ipv4{0x0a000000}, len}; }  // 10.0.0.0/len

// Takes `fill_percent` of the subnet's usable addresses lowest first, as a
// network that only ever grew would look.
void fill_contiguous(Allocator& a, uint64_t usable, int fill_percent) {
  const uint64_t n = usable * fill_percent / 100;
  for (uint64_t i = 0; i < n; ++i) benchmark::DoNotOptimize(a.allocate_any());
}

// Takes `fill_percent` of the addresses at random places, as long churn
// leaves them; returns the taken ones.
std::vector<Ipv4> fill_random(Allocator& a, int fill_percent, uint32_t seed) {
  const Prefix& s = a.subnet();
  const uint64_t want = (s.size() - 2) * fill_percent / 100;
  std::mt19937 rng(seed);
  std::vector<Ipv4> taken;
  taken.reserve(want);
  while (taken.size() < want) {
    Ipv4 addr{s.network().v + static_cast<uint32_t>(rng() % s.size())};
    if (a.allocate(addr).ok()) taken.push_back(addr);
  }
  return taken;
}

// allocate_any() + release() of the same address at constant fill.
void BM_AllocateAnyRelease_Contiguous(benchmark::State& state) {
  Allocator a(Prefix{Ipv4{kBase}, 16});
  fill_contiguous(a, 65534, static_cast<int>(state.range(0)));
  for (auto _ : state) {
    Result<Ipv4> r = a.allocate_any();
    a.release(*r);
  }
  state.SetLabel("/16 fill " + std::to_string(state.range(0)) + "%");
}
BENCHMARK(BM_AllocateAnyRelease_Contiguous)->Arg(0)->Arg(50)->Arg(99);

void BM_AllocateAnyRelease_Random(benchmark::State& state) {
  Allocator a(Prefix{Ipv4{kBase}, 16});
  (void)fill_random(a, static_cast<int>(state.range(0)), 1);
  for (auto _ : state) {
    Result<Ipv4> r = a.allocate_any();
    a.release(*r);
  }
  state.SetLabel("/16 fill " + std::to_string(state.range(0)) + "%");
}
BENCHMARK(BM_AllocateAnyRelease_Random)->Arg(0)->Arg(50)->Arg(99);

// Churn: free a random address, then take the lowest free one.
void BM_Churn_ReleaseRandomAllocateAny(benchmark::State& state) {
  Allocator a(Prefix{Ipv4{kBase}, 16});
  std::vector<Ipv4> taken = fill_random(a, static_cast<int>(state.range(0)), 2);
  std::mt19937 rng(3);
  for (auto _ : state) {
    size_t k = rng() % taken.size();
    a.release(taken[k]);
    taken[k] = *a.allocate_any();
  }
  state.SetLabel("/16 fill " + std::to_string(state.range(0)) + "%");
}
BENCHMARK(BM_Churn_ReleaseRandomAllocateAny)->Arg(50)->Arg(99);

// Specific-address allocate()+release(), as static --ip and gateways do.
void BM_AllocateSpecificRelease(benchmark::State& state) {
  Allocator a(Prefix{Ipv4{kBase}, 16});
  (void)fill_random(a, 50, 4);
  std::mt19937 rng(5);
  for (auto _ : state) {
    Ipv4 addr{kBase + static_cast<uint32_t>(rng() & 0xffff)};
    if (a.allocate(addr).ok()) a.release(addr);
  }
  state.SetLabel("/16 fill 50%");
}
BENCHMARK(BM_AllocateSpecificRelease);

// The same cycle at 50% random fill across subnet sizes: the cost grows
// with the tree's height (log64 n), not with n.
void BM_AllocateAnyRelease_BySize(benchmark::State& state) {
  Allocator a(subnet_of_len(static_cast<int>(state.range(0))));
  (void)fill_random(a, 50, 6);
  for (auto _ : state) {
    Result<Ipv4> r = a.allocate_any();
    a.release(*r);
  }
  state.SetLabel("/" + std::to_string(state.range(0)) + " fill 50%");
}
BENCHMARK(BM_AllocateAnyRelease_BySize)->Arg(24)->Arg(20)->Arg(16)->Arg(12)->Arg(8);

// Filling a whole subnet from empty, per address.
void BM_FillFromEmpty(benchmark::State& state) {
  const int len = static_cast<int>(state.range(0));
  const uint64_t usable = (uint64_t{1} << (32 - len)) - 2;
  for (auto _ : state) {
    Allocator a(subnet_of_len(len));
    for (uint64_t i = 0; i < usable; ++i) benchmark::DoNotOptimize(a.allocate_any());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * usable));
  state.SetLabel("/" + std::to_string(len));
}
BENCHMARK(BM_FillFromEmpty)->Arg(24)->Arg(16)->Arg(12);

// Baseline: lowest free by scanning a plain bitmap a word at a time.
void BM_LinearScanBaseline(benchmark::State& state) {
  std::vector<uint64_t> words(65536 / 64, 0);
  const uint64_t filled = 65534 * static_cast<uint64_t>(state.range(0)) / 100 + 1;
  for (uint64_t i = 0; i < filled; ++i) words[i / 64] |= uint64_t{1} << (i % 64);
  for (auto _ : state) {
    size_t w = 0;
    while (words[w] == ~uint64_t{0}) ++w;
    const int bit = __builtin_ctzll(~words[w]);
    words[w] |= uint64_t{1} << bit;
    benchmark::DoNotOptimize(words[w]);
    words[w] &= ~(uint64_t{1} << bit);
  }
  state.SetLabel("/16 fill " + std::to_string(state.range(0)) + "%");
}
BENCHMARK(BM_LinearScanBaseline)->Arg(0)->Arg(50)->Arg(99);

}  // namespace
}  // namespace berth::ipam
