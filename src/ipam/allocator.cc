// The addresses of one subnet, taken or free, with "lowest free address at
// or above X" in a handful of word operations. Docker hands out the lowest
// free address (libnetwork bitmap SetAny with serial=false, docker-network.md
// §2.3) so a freed address is the next one given out again; this is the same
// policy without Docker's linear scan.
//
// The structure is a 64-ary tree over the subnet's host offsets. A node has
// 64 slots and a `full` mask (bit i: slot i has no free address). In bottom
// nodes a slot is a 64-bit word of the bitmap (bit set = taken); in upper
// nodes it is the index of a child node in `nodes`, 0 meaning "never
// touched, all free" (the root is node 0 and never anybody's child). Nodes
// are created on first allocation beneath them and kept afterwards, so
// memory follows the highest use rather than the subnet size: a /16 needs
// at most 17 nodes (~9 KiB), a /8 at most 4161 (~2 MiB), and a sparsely
// used /8 far fewer. A /16 is two levels deep, a /0 five: every operation walks one path
// down (finding may walk one more), i.e. O(log64 n).
#include <algorithm>
#include <bit>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <vector>

#include "ipam/ipam.h"

namespace berth::ipam {

namespace {

constexpr uint64_t kAllOnes = ~uint64_t{0};
constexpr uint64_t kNone = std::numeric_limits<uint64_t>::max();

// Bits at positions strictly above i (i in 0..63).
uint64_t above(unsigned i) { return i == 63 ? 0 : kAllOnes << (i + 1); }

}  // namespace

struct Allocator::Impl {
  struct Node {
    uint64_t full = 0;
    uint64_t slot[64] = {};
  };

  // Address offset bits consumed below a slot of a node at `level` (0 =
  // bottom, whose slots are 64-address words).
  static int slot_shift(int level) { return 6 + 6 * level; }

  Impl(uint64_t size, uint64_t window_first, uint64_t window_last)
      : size(size), window_first(window_first), window_last(window_last) {
    // Smallest height whose root covers `size` addresses: a bottom node
    // covers 2^12, every level above multiplies by 64.
    int bits = std::countr_zero(size);  // size is a power of two
    height = 1;
    while (slot_shift(height - 1) + 6 < bits) ++height;
    nodes.emplace_back();
    // Slots of the root lying past the subnet's end are marked full so that
    // searches never enter them; they never get children.
    Node& root = nodes[0];
    const int shift = slot_shift(height - 1);
    const uint64_t valid_slots = (size + (uint64_t{1} << shift) - 1) >> shift;
    for (uint64_t i = valid_slots; i < 64; ++i) {
      root.full |= uint64_t{1} << i;
      if (height == 1) root.slot[i] = kAllOnes;
    }
    if (height == 1 && size < 64) root.slot[0] = kAllOnes << size;
  }

  // Marks `off` taken; false if it already was.
  bool set(uint64_t off) {
    uint64_t path[8] = {};
    unsigned index[8] = {};
    uint64_t node = 0;
    for (int level = height - 1; level > 0; --level) {
      const unsigned i = (off >> slot_shift(level)) & 63;
      path[level] = node;
      index[level] = i;
      uint64_t child = nodes[node].slot[i];
      if (child == 0) {
        child = nodes.size();
        nodes.emplace_back();  // may move nodes: index, never hold references
        nodes[node].slot[i] = child;
      }
      node = child;
    }
    Node& bottom = nodes[node];
    const unsigned w = (off >> 6) & 63;
    const uint64_t bit = uint64_t{1} << (off & 63);
    if (bottom.slot[w] & bit) return false;
    bottom.slot[w] |= bit;
    if (bottom.slot[w] != kAllOnes) return true;
    bottom.full |= uint64_t{1} << w;
    // A node that just became full makes its slot in the parent full.
    bool became_full = bottom.full == kAllOnes;
    for (int level = 1; level < height && became_full; ++level) {
      Node& n = nodes[path[level]];
      n.full |= uint64_t{1} << index[level];
      became_full = n.full == kAllOnes;
    }
    return true;
  }

  // Marks `off` free; false if it already was.
  bool clear(uint64_t off) {
    uint64_t path[8] = {};
    unsigned index[8] = {};
    uint64_t node = 0;
    for (int level = height - 1; level > 0; --level) {
      const unsigned i = (off >> slot_shift(level)) & 63;
      path[level] = node;
      index[level] = i;
      node = nodes[node].slot[i];
      if (node == 0) return false;
    }
    Node& bottom = nodes[node];
    const unsigned w = (off >> 6) & 63;
    const uint64_t bit = uint64_t{1} << (off & 63);
    if (!(bottom.slot[w] & bit)) return false;
    bottom.slot[w] &= ~bit;
    bottom.full &= ~(uint64_t{1} << w);
    for (int level = 1; level < height; ++level) {
      nodes[path[level]].full &= ~(uint64_t{1} << index[level]);
    }
    return true;
  }

  bool test(uint64_t off) const {
    uint64_t node = 0;
    for (int level = height - 1; level > 0; --level) {
      node = nodes[node].slot[(off >> slot_shift(level)) & 63];
      if (node == 0) return false;
    }
    return nodes[node].slot[(off >> 6) & 63] >> (off & 63) & 1;
  }

  // Lowest free offset >= lo inside the subtree of `node` (at `level`,
  // starting at offset `base`), or kNone. A failed attempt goes down one
  // path, the retry in the next non-full slot down another that cannot fail.
  uint64_t find(uint64_t node, int level, uint64_t base, uint64_t lo) const {
    const Node& n = nodes[node];
    const int shift = slot_shift(level);
    const unsigned i = static_cast<unsigned>((lo - base) >> shift);
    if (level == 0) {
      const uint64_t here = ~n.slot[i] & (kAllOnes << (lo & 63));
      if (here != 0) return base + (uint64_t{i} << 6) + std::countr_zero(here);
      const uint64_t later = ~n.full & above(i);
      if (later == 0) return kNone;
      const unsigned j = std::countr_zero(later);
      return base + (uint64_t{j} << 6) + std::countr_zero(~n.slot[j]);
    }
    if (!(n.full >> i & 1)) {
      const uint64_t child = n.slot[i];
      if (child == 0) return lo;
      const uint64_t r = find(child, level - 1, base + (uint64_t{i} << shift), lo);
      if (r != kNone) return r;
    }
    const uint64_t later = ~n.full & above(i);
    if (later == 0) return kNone;
    const unsigned j = std::countr_zero(later);
    const uint64_t child_base = base + (uint64_t{j} << shift);
    if (n.slot[j] == 0) return child_base;
    return find(n.slot[j], level - 1, child_base, child_base);
  }

  uint64_t find_free(uint64_t lo) const { return find(0, height - 1, 0, lo); }

  uint64_t size;          // addresses in the subnet
  uint64_t window_first;  // allocate_any() window, offsets; empty if first > last
  uint64_t window_last;
  int height = 1;
  std::vector<Node> nodes;
  uint64_t count = 0;  // addresses taken through allocate()/allocate_any()
};

Allocator::Allocator(Prefix subnet, std::optional<Prefix> range)
    : subnet_(subnet.canonical()), range_(range) {
  const uint64_t first = subnet_.network().v;
  const uint64_t last = subnet_.broadcast().v;
  uint64_t window_first = first;
  uint64_t window_last = last;
  if (range_) {
    // Clamped to the subnet; a range outside it leaves nothing to hand out.
    window_first = std::max<uint64_t>(first, range_->network().v);
    window_last = std::min<uint64_t>(last, range_->broadcast().v);
  }
  if (window_last < window_first) {
    impl_ = std::make_unique<Impl>(subnet_.size(), 1, 0);  // empty window
  } else {
    impl_ = std::make_unique<Impl>(subnet_.size(), window_first - first, window_last - first);
  }
  // libnetwork newPoolData: network and broadcast addresses are never handed
  // out, except in /31 (RFC 3021 point-to-point) and /32.
  if (subnet_.len < 31) {
    (void)impl_->set(0);
    (void)impl_->set(subnet_.size() - 1);
  }
}

Allocator::~Allocator() = default;
Allocator::Allocator(Allocator&&) noexcept = default;
Allocator& Allocator::operator=(Allocator&&) noexcept = default;

Result<Ipv4> Allocator::allocate_any() {
  if (impl_->window_first <= impl_->window_last) {
    const uint64_t off = impl_->find_free(impl_->window_first);
    if (off != kNone && off <= impl_->window_last) {
      (void)impl_->set(off);
      ++impl_->count;
      return Ipv4{subnet_.network().v + static_cast<uint32_t>(off)};
    }
  }
  return unavailable("no available IPv4 addresses");
}

Status Allocator::allocate(Ipv4 a) {
  if (!subnet_.contains(a)) {
    return invalid_argument("invalid address " + to_string(a) +
                            ": It does not belong to any of this network's subnets");
  }
  if (!impl_->set(a.v - subnet_.network().v)) return conflict("Address already in use");
  ++impl_->count;
  return ok_status();
}

void Allocator::release(Ipv4 a) {
  if (!subnet_.contains(a)) return;
  if (subnet_.len < 31 && (a == subnet_.network() || a == subnet_.broadcast())) return;
  if (impl_->clear(a.v - subnet_.network().v)) --impl_->count;
}

bool Allocator::is_allocated(Ipv4 a) const {
  return subnet_.contains(a) && impl_->test(a.v - subnet_.network().v);
}

uint64_t Allocator::allocated_count() const { return impl_->count; }

}  // namespace berth::ipam
