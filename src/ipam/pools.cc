// Where a network's subnet comes from when the user names none: Docker's
// default address pools, dockerd's --default-address-pool syntax, and the
// linear first-fit choice of Docker 27+ (libnetwork/ipams/defaultipam
// address_space.go): pools in address order, the lowest subnet of the pool's
// size that overlaps no other network and no reserved host prefix. A removed
// network's subnet is therefore the next one handed out.
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ipam/ipam.h"

namespace berth::ipam {
namespace {

// An inclusive address interval; 64-bit so that "one past the end" of
// 255.255.255.255 does not wrap.
struct Interval {
  uint64_t first;
  uint64_t last;
};

Interval interval_of(const Prefix& p) { return {p.network().v, p.broadcast().v}; }

// Sorted, disjoint intervals covering everything a candidate must not
// overlap.
std::vector<Interval> merged_blocked(const std::vector<Prefix>& in_use,
                                     const std::vector<Prefix>& reserved) {
  std::vector<Interval> all;
  all.reserve(in_use.size() + reserved.size());
  for (const Prefix& p : in_use) all.push_back(interval_of(p));
  for (const Prefix& p : reserved) all.push_back(interval_of(p));
  std::sort(all.begin(), all.end(),
            [](const Interval& a, const Interval& b) { return a.first < b.first; });
  std::vector<Interval> merged;
  for (const Interval& iv : all) {
    if (!merged.empty() && iv.first <= merged.back().last) {
      merged.back().last = std::max(merged.back().last, iv.last);
    } else {
      merged.push_back(iv);
    }
  }
  return merged;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::vector<PoolSpec> docker_default_pools() {
  // libnetwork/ipamutils/utils.go localScopeDefaultNetworks.
  auto pool = [](uint32_t a, uint32_t b, int len, int size) {
    return PoolSpec{Prefix{Ipv4{(a << 24) | (b << 16)}, len}, size};
  };
  return {
      pool(172, 17, 16, 16), pool(172, 18, 16, 16), pool(172, 19, 16, 16),  pool(172, 20, 14, 16),
      pool(172, 24, 14, 16), pool(172, 28, 14, 16), pool(192, 168, 16, 20),
  };
}

Result<PoolSpec> parse_pool_spec(std::string_view s) {
  // dockerd reads the value as one CSV record of key=value fields with
  // case-insensitive keys (opts/address_pools.go).
  std::optional<Prefix> base;
  std::optional<int> size;
  std::string_view base_text;
  while (true) {
    size_t comma = s.find(',');
    std::string_view field = s.substr(0, comma);
    size_t eq = field.find('=');
    if (eq == std::string_view::npos) {
      return invalid_argument("invalid field '" + std::string(field) +
                              "' must be a key=value pair");
    }
    std::string key = lower(field.substr(0, eq));
    std::string_view value = field.substr(eq + 1);
    if (key == "base") {
      base_text = value;
      base = parse_cidr(value);
      if (!base) {
        if (looks_like_ipv6_cidr(value)) {
          return invalid_argument("invalid base prefix \"" + std::string(value) +
                                  "\": IPv6 address pools are not supported by berth yet");
        }
        return invalid_argument("invalid base prefix \"" + std::string(value) +
                                "\": invalid CIDR block notation");
      }
    } else if (key == "size") {
      // Plain decimal, as strconv.Atoi would take it (an optional sign is
      // pointless here: a prefix length is never negative).
      int v = 0;
      bool ok = !value.empty() && value.size() <= 3;
      for (char c : value) {
        ok = ok && c >= '0' && c <= '9';
        if (ok) v = v * 10 + (c - '0');
      }
      if (!ok) {
        return invalid_argument("invalid size value: \"" + std::string(value) +
                                "\" (must be integer)");
      }
      size = v;
    } else {
      return invalid_argument("unexpected key '" + std::string(field.substr(0, eq)) + "' in '" +
                              std::string(field) + "'");
    }
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  if (!base || !size) {
    return invalid_argument("default address pool needs both base=<CIDR> and size=<prefix length>");
  }
  if (!base->is_canonical()) {
    return invalid_argument("invalid base prefix \"" + std::string(base_text) +
                            "\": it should be " + to_string(base->canonical()));
  }
  if (*size < base->len || *size > 32) {
    return invalid_argument("invalid size " + std::to_string(*size) + " for base " +
                            to_string(*base) + ": must be between " + std::to_string(base->len) +
                            " and 32");
  }
  return PoolSpec{*base, *size};
}

Result<Prefix> pick_subnet(const std::vector<PoolSpec>& pools, const std::vector<Prefix>& in_use,
                           const std::vector<Prefix>& reserved) {
  std::vector<PoolSpec> sorted = pools;
  std::stable_sort(sorted.begin(), sorted.end(), [](const PoolSpec& a, const PoolSpec& b) {
    if (a.base.network() != b.base.network()) return a.base.network() < b.base.network();
    return a.base.len < b.base.len;
  });
  const std::vector<Interval> blocked = merged_blocked(in_use, reserved);

  for (const PoolSpec& pool : sorted) {
    if (pool.size < pool.base.len || pool.size > 32) continue;  // rejected by parse_pool_spec
    const uint64_t block = uint64_t{1} << (32 - pool.size);
    const Interval range = interval_of(pool.base);
    uint64_t candidate = range.first;
    // Each step either returns or jumps past one blocked interval, so the
    // walk is O(blocked) per pool rather than O(subnets in the pool).
    while (candidate + block - 1 <= range.last) {
      const uint64_t candidate_last = candidate + block - 1;
      auto it = std::lower_bound(blocked.begin(), blocked.end(), candidate,
                                 [](const Interval& iv, uint64_t a) { return iv.last < a; });
      if (it == blocked.end() || it->first > candidate_last) {
        return Prefix{Ipv4{static_cast<uint32_t>(candidate)}, pool.size};
      }
      candidate = (it->last + block) & ~(block - 1);  // first aligned block after it
    }
  }
  return forbidden("all predefined address pools have been fully subnetted");
}

}  // namespace berth::ipam
