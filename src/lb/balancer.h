// Balancing policies over an immutable pool snapshot. Pure: the clock and
// the random source are arguments; peer state is a set of relaxed atomics
// shared by the worker threads (no locks on the request path).
//
// Round robin is nginx's smooth weighted round robin
// (ngx_http_upstream_get_peer): every pick adds each peer's weight to its
// current weight, takes the largest, and subtracts the total from it. The
// whole cycle (length = sum of weights) is computed once per snapshot and
// walked with one atomic counter, so the order is nginx's exactly and the
// shares are exact across threads.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "lb/config.h"

namespace berth::lb {

// Per-server request statistics. Each worker thread keeps its own set (one
// writer, so plain load+store, no cross-thread cache-line traffic); the
// status page adds them up.
enum Counter { kRequests, k2xx, k3xx, k4xx, k5xx, kBytesOut, kInFlight, kCounters };
struct PeerCounters {
  std::atomic<uint64_t> v[kCounters] = {};
  void add(Counter c, uint64_t n) { v[c].store(v[c].load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
};

struct PeerState {
  uint32_t id = 0;       // index in the generation's peer registry
  uint32_t addr = 0;     // IPv4, host order
  uint16_t port = 0;
  int weight = 1;
  int max_fails = 1;
  int fail_timeout_ms = 10000;
  bool backup = false;
  bool down = false;
  std::string name;       // "127.0.0.1:5001"
  // shared, relaxed
  std::atomic<int> fails{0};
  std::atomic<int64_t> failed_until_ms{0};
  std::atomic<bool> healthy{true};  // active health check verdict
  std::atomic<int> active{0};       // requests in flight, kept for least_conn and random two only
  std::atomic<uint64_t> failures{0}, connects{0};
  PeerCounters overflow;  // counters of workers without a slot for this id (thread-safe adds)
  std::atomic<bool> member{true};  // still in the current snapshot

  bool available(int64_t now_ms) const {
    if (down || !healthy.load(std::memory_order_relaxed)) return false;
    if (max_fails > 0 && fails.load(std::memory_order_relaxed) >= max_fails &&
        now_ms < failed_until_ms.load(std::memory_order_relaxed))
      return false;
    return true;
  }
  void record_failure(int64_t now_ms) {
    failures.fetch_add(1, std::memory_order_relaxed);
    int f = fails.fetch_add(1, std::memory_order_relaxed) + 1;
    if (max_fails > 0 && f >= max_fails) failed_until_ms.store(now_ms + fail_timeout_ms, std::memory_order_relaxed);
  }
  void record_success() {
    if (fails.load(std::memory_order_relaxed) != 0) fails.store(0, std::memory_order_relaxed);
  }
};

// nginx's smooth weighted round robin, one full cycle: indexes into weights.
std::vector<uint32_t> smooth_wrr_cycle(const std::vector<int>& weights);

struct PoolSnapshot {
  std::vector<std::shared_ptr<PeerState>> primary, backup;
  std::vector<uint32_t> primary_cycle, backup_cycle;  // indexes into primary/backup
  int primary_total_weight = 0;
  static std::shared_ptr<const PoolSnapshot> make(std::vector<std::shared_ptr<PeerState>> peers);
};

// What the balancer needs beyond the snapshot: the upstream's shared
// counters, and the request's own state.
struct PickContext {
  std::atomic<uint64_t>* rr = nullptr;      // primary cycle position
  std::atomic<uint64_t>* rr_backup = nullptr;
  int64_t now_ms = 0;
  uint32_t client_ip = 0;
  uint64_t random = 0;   // a fresh random number
  uint64_t tried = 0;    // bit (id % 64) of peers already tried for this request
};

PeerState* pick(Policy policy, const PoolSnapshot& snap, PickContext& ctx);

}  // namespace berth::lb
