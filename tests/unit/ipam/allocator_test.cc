// The per-subnet allocator: lowest free address, reservations, ip-range,
// exhaustion, and a randomized comparison against a std::set model.
#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>
#include <vector>

#include "ipam/ipam.h"

namespace berth::ipam {
namespace {

Ipv4 ip(const char* s) {
  std::optional<Ipv4> a = parse_ipv4(s);
  EXPECT_TRUE(a.has_value()) << s;
  return a.value_or(Ipv4{});
}

Prefix cidr(const char* s) {
  std::optional<Prefix> p = parse_cidr(s);
  EXPECT_TRUE(p.has_value()) << s;
  return p.value_or(Prefix{});
}

std::string next(Allocator& a) {
  Result<Ipv4> r = a.allocate_any();
  if (!r.ok()) return "error: " + r.error().message();
  return to_string(*r);
}

TEST(Allocator, LowestFreeFromDotOne) {
  Allocator a(cidr("172.18.0.0/16"));
  EXPECT_EQ(next(a), "172.18.0.1");  // the gateway when none is given
  EXPECT_EQ(next(a), "172.18.0.2");
  EXPECT_EQ(next(a), "172.18.0.3");
  EXPECT_EQ(a.allocated_count(), 3u);
}

TEST(Allocator, NetworkAndBroadcastAreReserved) {
  Allocator a(cidr("10.0.0.0/24"));
  EXPECT_TRUE(a.is_allocated(ip("10.0.0.0")));
  EXPECT_TRUE(a.is_allocated(ip("10.0.0.255")));
  EXPECT_FALSE(a.is_allocated(ip("10.0.0.1")));
  EXPECT_EQ(a.allocated_count(), 0u);
  Status s = a.allocate(ip("10.0.0.0"));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind(), ErrorKind::kConflict);
  EXPECT_EQ(s.error().message(), "Address already in use");
  EXPECT_FALSE(a.allocate(ip("10.0.0.255")).ok());
  // Releasing them does not make them allocatable.
  a.release(ip("10.0.0.0"));
  a.release(ip("10.0.0.255"));
  EXPECT_TRUE(a.is_allocated(ip("10.0.0.0")));
  EXPECT_EQ(next(a), "10.0.0.1");
}

TEST(Allocator, FreedAddressIsNextAgain) {
  // 08-ip-reuse.txt: removing .3 makes the next container get .3, the one
  // after gets the next never-used address.
  Allocator a(cidr("172.18.0.0/16"));
  for (int i = 1; i <= 8; ++i) ASSERT_TRUE(a.allocate_any().ok());
  a.release(ip("172.18.0.3"));
  EXPECT_FALSE(a.is_allocated(ip("172.18.0.3")));
  EXPECT_EQ(next(a), "172.18.0.3");
  EXPECT_EQ(next(a), "172.18.0.9");
  a.release(ip("172.18.0.2"));
  EXPECT_EQ(next(a), "172.18.0.2");
  EXPECT_EQ(next(a), "172.18.0.10");
}

TEST(Allocator, LowestOfSeveralFreed) {
  Allocator a(cidr("10.0.0.0/24"));
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(a.allocate_any().ok());
  a.release(ip("10.0.0.77"));
  a.release(ip("10.0.0.5"));
  a.release(ip("10.0.0.64"));
  EXPECT_EQ(next(a), "10.0.0.5");
  EXPECT_EQ(next(a), "10.0.0.64");
  EXPECT_EQ(next(a), "10.0.0.77");
  EXPECT_EQ(next(a), "10.0.0.101");
}

TEST(Allocator, SpecificAddressAnywhereInSubnet) {
  Allocator a(cidr("10.1.0.0/16"));
  ASSERT_TRUE(a.allocate(ip("10.1.0.1")).ok());  // user gateway
  ASSERT_TRUE(a.allocate(ip("10.1.200.7")).ok());
  EXPECT_TRUE(a.is_allocated(ip("10.1.200.7")));
  EXPECT_EQ(next(a), "10.1.0.2");
  EXPECT_EQ(a.allocated_count(), 3u);
}

TEST(Allocator, SpecificAddressTwiceIsConflict) {
  Allocator a(cidr("10.1.0.0/16"));
  ASSERT_TRUE(a.allocate(ip("10.1.0.9")).ok());
  Status s = a.allocate(ip("10.1.0.9"));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind(), ErrorKind::kConflict);
  EXPECT_EQ(s.error().message(), "Address already in use");
  EXPECT_EQ(a.allocated_count(), 1u);
}

TEST(Allocator, SpecificAddressOutsideSubnet) {
  Allocator a(cidr("10.1.0.0/16"));
  Status s = a.allocate(ip("10.9.9.9"));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind(), ErrorKind::kInvalidArgument);
  EXPECT_EQ(s.error().message(),
            "invalid address 10.9.9.9: It does not belong to any of this network's subnets");
  EXPECT_FALSE(a.is_allocated(ip("10.9.9.9")));
}

TEST(Allocator, AllocatedAddressSkippedByAny) {
  Allocator a(cidr("10.1.0.0/24"));
  ASSERT_TRUE(a.allocate(ip("10.1.0.1")).ok());
  ASSERT_TRUE(a.allocate(ip("10.1.0.2")).ok());
  ASSERT_TRUE(a.allocate(ip("10.1.0.4")).ok());
  EXPECT_EQ(next(a), "10.1.0.3");
  EXPECT_EQ(next(a), "10.1.0.5");
}

TEST(Allocator, ReleaseOfFreeOrForeignIsNoOp) {
  Allocator a(cidr("10.1.0.0/24"));
  a.release(ip("10.1.0.7"));
  a.release(ip("192.168.1.1"));
  EXPECT_EQ(a.allocated_count(), 0u);
  ASSERT_TRUE(a.allocate_any().ok());
  a.release(ip("10.1.0.1"));
  a.release(ip("10.1.0.1"));
  EXPECT_EQ(a.allocated_count(), 0u);
  EXPECT_EQ(next(a), "10.1.0.1");
}

TEST(Allocator, IpRangeFirstAddressIsAllocatable) {
  // docker/for-linux#170: with subnet 10.243.0.0/16 and range 10.243.3.0/24
  // the first container gets 10.243.3.0.
  Allocator a(cidr("10.243.0.0/16"), cidr("10.243.3.0/24"));
  EXPECT_EQ(next(a), "10.243.3.0");
  EXPECT_EQ(next(a), "10.243.3.1");
}

TEST(Allocator, IpRangeLimitsAnyButNotSpecific) {
  Allocator a(cidr("10.1.0.0/16"), cidr("10.1.5.0/30"));
  ASSERT_TRUE(a.allocate(ip("10.1.0.1")).ok());  // gateway outside the range
  ASSERT_TRUE(a.allocate(ip("10.1.9.9")).ok());  // static --ip outside the range
  EXPECT_EQ(next(a), "10.1.5.0");
  EXPECT_EQ(next(a), "10.1.5.1");
  ASSERT_TRUE(a.allocate(ip("10.1.5.2")).ok());  // static --ip inside the range
  EXPECT_EQ(next(a), "10.1.5.3");
  Result<Ipv4> r = a.allocate_any();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), ErrorKind::kUnavailable);
  EXPECT_EQ(r.error().message(), "no available IPv4 addresses");
  // The rest of the subnet is free but not for allocate_any.
  EXPECT_FALSE(a.is_allocated(ip("10.1.5.4")));
  a.release(ip("10.1.5.1"));
  EXPECT_EQ(next(a), "10.1.5.1");
}

TEST(Allocator, IpRangeAtEndOfSubnetExcludesBroadcast) {
  Allocator a(cidr("10.1.0.0/24"), cidr("10.1.0.252/30"));
  EXPECT_EQ(next(a), "10.1.0.252");
  EXPECT_EQ(next(a), "10.1.0.253");
  EXPECT_EQ(next(a), "10.1.0.254");
  EXPECT_EQ(next(a), "error: no available IPv4 addresses");
}

TEST(Allocator, IpRangeAtStartExcludesNetwork) {
  Allocator a(cidr("10.1.0.0/24"), cidr("10.1.0.0/30"));
  EXPECT_EQ(next(a), "10.1.0.1");
  EXPECT_EQ(next(a), "10.1.0.2");
  EXPECT_EQ(next(a), "10.1.0.3");
  EXPECT_EQ(next(a), "error: no available IPv4 addresses");
}

TEST(Allocator, IpRangeEqualToSubnet) {
  Allocator a(cidr("10.1.0.0/30"), cidr("10.1.0.0/30"));
  EXPECT_EQ(next(a), "10.1.0.1");
  EXPECT_EQ(next(a), "10.1.0.2");
  EXPECT_EQ(next(a), "error: no available IPv4 addresses");
}

TEST(Allocator, IpRangeOutsideSubnetGivesNothing) {
  // Contract violation (validate() rejects it): nothing to hand out, no crash.
  Allocator a(cidr("10.1.0.0/24"), cidr("10.2.0.0/24"));
  EXPECT_EQ(next(a), "error: no available IPv4 addresses");
  EXPECT_TRUE(a.allocate(ip("10.1.0.1")).ok());
}

TEST(Allocator, SlashThirtyOneUsesBothAddresses) {
  Allocator a(cidr("10.0.0.4/31"));
  EXPECT_FALSE(a.is_allocated(ip("10.0.0.4")));
  EXPECT_EQ(next(a), "10.0.0.4");
  EXPECT_EQ(next(a), "10.0.0.5");
  EXPECT_EQ(next(a), "error: no available IPv4 addresses");
  a.release(ip("10.0.0.4"));
  EXPECT_EQ(next(a), "10.0.0.4");
  EXPECT_EQ(a.allocated_count(), 2u);
}

TEST(Allocator, SlashThirtyTwoHasOneAddress) {
  Allocator a(cidr("10.0.0.7/32"));
  EXPECT_EQ(next(a), "10.0.0.7");
  EXPECT_EQ(next(a), "error: no available IPv4 addresses");
  EXPECT_FALSE(a.allocate(ip("10.0.0.7")).ok());
  EXPECT_FALSE(a.allocate(ip("10.0.0.8")).ok());
  a.release(ip("10.0.0.7"));
  EXPECT_TRUE(a.allocate(ip("10.0.0.7")).ok());
}

TEST(Allocator, SlashThirtyHasTwoHosts) {
  Allocator a(cidr("10.0.0.8/30"));
  EXPECT_EQ(next(a), "10.0.0.9");
  EXPECT_EQ(next(a), "10.0.0.10");
  EXPECT_EQ(next(a), "error: no available IPv4 addresses");
}

TEST(Allocator, SubnetIsCanonical) {
  Allocator a(cidr("10.0.0.77/24"));
  EXPECT_EQ(to_string(a.subnet()), "10.0.0.0/24");
  EXPECT_EQ(next(a), "10.0.0.1");
}

TEST(Allocator, ExhaustsSlashTwentyFour) {
  Allocator a(cidr("192.168.5.0/24"));
  for (int i = 1; i <= 254; ++i) {
    Result<Ipv4> r = a.allocate_any();
    ASSERT_TRUE(r.ok()) << i;
    EXPECT_EQ(r->v, ip("192.168.5.0").v + static_cast<uint32_t>(i));
  }
  EXPECT_EQ(a.allocated_count(), 254u);
  EXPECT_EQ(next(a), "error: no available IPv4 addresses");
  a.release(ip("192.168.5.128"));
  EXPECT_EQ(next(a), "192.168.5.128");
  EXPECT_EQ(next(a), "error: no available IPv4 addresses");
}

TEST(Allocator, ExhaustsSlashSixteen) {
  Allocator a(cidr("172.18.0.0/16"));
  const uint32_t base = ip("172.18.0.0").v;
  for (uint32_t i = 1; i <= 65534; ++i) {
    Result<Ipv4> r = a.allocate_any();
    ASSERT_TRUE(r.ok()) << i;
    ASSERT_EQ(r->v, base + i);
  }
  EXPECT_EQ(a.allocated_count(), 65534u);
  EXPECT_EQ(next(a), "error: no available IPv4 addresses");
  // Freed addresses come back lowest first, across word and node borders.
  for (const char* s : {"172.18.200.1", "172.18.16.0", "172.18.15.255", "172.18.0.64"}) {
    a.release(ip(s));
  }
  EXPECT_EQ(next(a), "172.18.0.64");
  EXPECT_EQ(next(a), "172.18.15.255");
  EXPECT_EQ(next(a), "172.18.16.0");
  EXPECT_EQ(next(a), "172.18.200.1");
  EXPECT_EQ(next(a), "error: no available IPv4 addresses");
}

TEST(Allocator, LargeSubnetsAreSparse) {
  Allocator a(cidr("10.0.0.0/8"));
  EXPECT_EQ(next(a), "10.0.0.1");
  ASSERT_TRUE(a.allocate(ip("10.255.255.254")).ok());
  ASSERT_TRUE(a.allocate(ip("10.128.0.0")).ok());
  EXPECT_TRUE(a.is_allocated(ip("10.255.255.255")));
  EXPECT_FALSE(a.is_allocated(ip("10.200.0.0")));
  EXPECT_EQ(next(a), "10.0.0.2");

  Allocator all(cidr("0.0.0.0/0"));
  EXPECT_EQ(next(all), "0.0.0.1");
  ASSERT_TRUE(all.allocate(ip("255.255.255.254")).ok());
  EXPECT_FALSE(all.allocate(ip("255.255.255.255")).ok());
  EXPECT_TRUE(all.allocate(ip("128.0.0.0")).ok());
  EXPECT_EQ(all.allocated_count(), 3u);

  Allocator ranged(cidr("0.0.0.0/0"), cidr("200.1.2.0/24"));
  EXPECT_EQ(next(ranged), "200.1.2.0");
}

TEST(Allocator, IpRangeDeepInsideLargeSubnet) {
  Allocator a(cidr("10.0.0.0/8"), cidr("10.77.3.128/25"));
  for (int i = 0; i < 128; ++i) {
    Result<Ipv4> r = a.allocate_any();
    ASSERT_TRUE(r.ok()) << i;
    EXPECT_EQ(r->v, ip("10.77.3.128").v + static_cast<uint32_t>(i));
  }
  EXPECT_EQ(next(a), "error: no available IPv4 addresses");
}

TEST(Allocator, MoveKeepsState) {
  Allocator a(cidr("10.0.0.0/24"));
  ASSERT_TRUE(a.allocate_any().ok());
  Allocator b(std::move(a));
  EXPECT_EQ(next(b), "10.0.0.2");
  Allocator c(cidr("10.9.0.0/24"));
  c = std::move(b);
  EXPECT_EQ(to_string(c.subnet()), "10.0.0.0/24");
  EXPECT_EQ(next(c), "10.0.0.3");
  EXPECT_EQ(c.allocated_count(), 3u);
}

// A trivially correct model: the set of free addresses of the subnet.
class Model {
 public:
  Model(Prefix subnet, std::optional<Prefix> range) : subnet_(subnet.canonical()) {
    first_ = subnet_.network().v;
    last_ = subnet_.broadcast().v;
    win_first_ = range ? std::max(first_, range->network().v) : first_;
    win_last_ = range ? std::min(last_, range->broadcast().v) : last_;
    for (uint64_t a = first_; a <= last_; ++a) free_.insert(static_cast<uint32_t>(a));
    if (subnet_.len < 31) {
      free_.erase(first_);
      free_.erase(last_);
    }
  }
  std::optional<uint32_t> allocate_any() {
    auto it = free_.lower_bound(win_first_);
    if (it == free_.end() || *it > win_last_) return std::nullopt;
    uint32_t a = *it;
    free_.erase(it);
    ++count_;
    return a;
  }
  bool allocate(uint32_t a) {
    if (!subnet_.contains(Ipv4{a}) || !free_.erase(a)) return false;
    ++count_;
    return true;
  }
  void release(uint32_t a) {
    if (!subnet_.contains(Ipv4{a})) return;
    if (subnet_.len < 31 && (a == first_ || a == last_)) return;
    if (free_.insert(a).second) --count_;
  }
  bool is_allocated(uint32_t a) const { return subnet_.contains(Ipv4{a}) && !free_.count(a); }
  uint64_t count() const { return count_; }

 private:
  Prefix subnet_;
  uint32_t first_, last_, win_first_, win_last_;
  std::set<uint32_t> free_;
  uint64_t count_ = 0;
};

// Random allocate_any / allocate / release / is_allocated against the model;
// `any_pct` of the operations are allocate_any (high values fill up).
void run_random(const char* subnet_text, const char* range_text, uint32_t seed, int ops,
                uint32_t any_pct = 45) {
  SCOPED_TRACE(std::string(subnet_text) + " range " + (range_text ? range_text : "-") + " seed " +
               std::to_string(seed));
  Prefix subnet = cidr(subnet_text);
  std::optional<Prefix> range;
  if (range_text) range = cidr(range_text);
  Allocator alloc(subnet, range);
  Model model(subnet, range);
  std::mt19937 rng(seed);
  const uint32_t first = subnet.network().v;
  const uint64_t size = subnet.size();
  // Addresses a bit outside the subnet too, to exercise the foreign paths.
  auto any_address = [&] {
    uint64_t off = rng() % (size + 4);
    return static_cast<uint32_t>(first + off - 2);
  };
  std::vector<uint32_t> held;
  for (int i = 0; i < ops; ++i) {
    // Other operations: 15 allocate, 30 release, 10 is_allocated in 55.
    const bool take_any = rng() % 100 < any_pct;
    const uint32_t op = take_any ? 0 : 45 + rng() % 55;
    if (take_any) {
      Result<Ipv4> got = alloc.allocate_any();
      std::optional<uint32_t> want = model.allocate_any();
      ASSERT_EQ(got.ok(), want.has_value()) << "op " << i;
      if (want) {
        ASSERT_EQ(got->v, *want) << "op " << i;
        held.push_back(*want);
      }
    } else if (op < 60) {
      uint32_t a = any_address();
      Status got = alloc.allocate(Ipv4{a});
      ASSERT_EQ(got.ok(), model.allocate(a)) << "op " << i << " " << to_string(Ipv4{a});
      if (got.ok()) held.push_back(a);
    } else if (op < 90) {
      uint32_t a;
      if (!held.empty() && op < 85) {
        size_t k = rng() % held.size();
        a = held[k];
        held[k] = held.back();
        held.pop_back();
      } else {
        a = any_address();
      }
      alloc.release(Ipv4{a});
      model.release(a);
    } else {
      uint32_t a = any_address();
      ASSERT_EQ(alloc.is_allocated(Ipv4{a}), model.is_allocated(a)) << to_string(Ipv4{a});
    }
    ASSERT_EQ(alloc.allocated_count(), model.count()) << "op " << i;
  }
  for (uint64_t off = 0; off < size; ++off) {
    uint32_t a = static_cast<uint32_t>(first + off);
    ASSERT_EQ(alloc.is_allocated(Ipv4{a}), model.is_allocated(a)) << to_string(Ipv4{a});
  }
}

TEST(AllocatorRandom, MatchesSetModel) {
  struct Case {
    const char* subnet;
    const char* range;
    int ops;
  };
  const Case cases[] = {
      {"10.0.0.0/32", nullptr, 200},  {"10.0.0.0/31", nullptr, 200},
      {"10.0.0.0/30", nullptr, 500},  {"10.0.0.0/29", "10.0.0.4/30", 500},
      {"10.0.0.0/26", nullptr, 2000}, {"10.0.0.0/25", "10.0.0.64/26", 2000},
      {"10.0.0.0/24", nullptr, 5000}, {"10.0.0.0/23", "10.0.1.0/24", 5000},
      {"10.0.0.0/22", nullptr, 5000}, {"10.0.0.0/20", "10.0.4.0/22", 5000},
      {"10.0.0.0/19", nullptr, 5000}, {"172.18.0.0/16", "172.18.64.0/18", 5000},
  };
  for (const Case& c : cases) {
    for (uint32_t seed = 1; seed <= 5; ++seed) run_random(c.subnet, c.range, seed, c.ops);
  }
}

TEST(AllocatorRandom, MatchesSetModelNearlyFull) {
  // Mostly allocate_any: the subnets fill up and stay full while addresses
  // come and go, and ranges span several bottom nodes (4096 addresses each).
  struct Case {
    const char* subnet;
    const char* range;
    int ops;
  };
  const Case cases[] = {
      {"10.0.0.0/28", nullptr, 500},          {"10.0.0.0/24", "10.0.0.60/30", 1000},
      {"10.0.0.0/22", "10.0.1.0/24", 3000},   {"10.0.0.0/18", "10.0.32.0/19", 30000},
      {"10.0.0.0/17", "10.0.12.0/22", 10000},
  };
  for (const Case& c : cases) {
    for (uint32_t seed = 1; seed <= 3; ++seed) run_random(c.subnet, c.range, seed, c.ops, 85);
  }
}

TEST(AllocatorRandom, DenseFillOfSlashSixteen) {
  // Fill a /16 almost completely at random, then the remaining holes must
  // come out of allocate_any() in ascending order.
  Allocator a(cidr("172.20.0.0/16"));
  Model m(cidr("172.20.0.0/16"), std::nullopt);
  std::mt19937 rng(42);
  const uint32_t base = ip("172.20.0.0").v;
  for (int i = 0; i < 60000; ++i) {
    uint32_t addr = base + rng() % 65536;
    ASSERT_EQ(a.allocate(Ipv4{addr}).ok(), m.allocate(addr));
  }
  std::vector<uint32_t> holes;
  for (uint32_t off = 0; off < 65536; ++off) {
    if (!m.is_allocated(base + off)) holes.push_back(base + off);
  }
  ASSERT_GT(holes.size(), 1000u);
  for (uint32_t want : holes) {
    Result<Ipv4> got = a.allocate_any();
    ASSERT_TRUE(got.ok());
    ASSERT_EQ(got->v, want);
  }
  EXPECT_FALSE(a.allocate_any().ok());
  EXPECT_EQ(a.allocated_count(), 65534u);
}

}  // namespace
}  // namespace berth::ipam
