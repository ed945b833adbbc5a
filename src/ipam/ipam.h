// IPv4 address management, pure: CIDR math, Docker's default address pools,
// validation of a network's IPAM configuration with Docker 28's messages, and
// the per-network address allocator. No I/O, no clock, no globals; the store
// is the source of truth and the engine rebuilds allocators from it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace berth::ipam {

// An IPv4 address in host byte order.
struct Ipv4 {
  uint32_t v = 0;
  auto operator<=>(const Ipv4&) const = default;
};

// Strict dotted quad ("172.17.0.1"); no leading zeros, no shortened forms.
std::optional<Ipv4> parse_ipv4(std::string_view s);
std::string to_string(Ipv4 a);

// A CIDR prefix. `addr` keeps what was written (host bits may be set when
// parsed); network() clears them.
struct Prefix {
  Ipv4 addr;
  int len = 0;  // 0..32
  auto operator<=>(const Prefix&) const = default;

  Ipv4 network() const;    // first address
  Ipv4 broadcast() const;  // last address
  uint64_t size() const;   // number of addresses, 2^(32-len)
  bool contains(Ipv4 a) const;
  bool contains(const Prefix& p) const;   // p lies entirely inside *this
  bool overlaps(const Prefix& p) const;
  bool is_canonical() const { return addr == network(); }
  Prefix canonical() const { return Prefix{network(), len}; }
};

// "a.b.c.d/n". IPv6 text is reported as not IPv4 (nullopt) too.
std::optional<Prefix> parse_cidr(std::string_view s);
std::string to_string(const Prefix& p);  // "a.b.c.d/n" with addr as stored

// Whether `s` is IPv6 text as Go's netip.ParseAddr / ParsePrefix accept it
// ("fe80::1%eth0", "2001:db8::/32"). Only recognised, never interpreted: used
// to answer "that is IPv6" instead of "that is not an address".
bool looks_like_ipv6(std::string_view s);
bool looks_like_ipv6_cidr(std::string_view s);

// A default address pool: `base` split into subnets of prefix length `size`.
struct PoolSpec {
  Prefix base;
  int size = 0;
};

// Docker's local-scope default pools: 172.17/16, 172.18/16, 172.19/16,
// 172.20/14, 172.24/14, 172.28/14 (as /16s), 192.168.0.0/16 (as /20s).
std::vector<PoolSpec> docker_default_pools();

// Parses dockerd's --default-address-pool value "base=10.10.0.0/16,size=24".
Result<PoolSpec> parse_pool_spec(std::string_view s);

// Docker 27+'s linear first fit: the lowest subnet of a pool's size (pools
// taken in address order) that overlaps nothing in `in_use` (subnets of other
// networks) nor `reserved` (host on-link routes, nameservers as /32s).
// Error (Forbidden... Docker: "all predefined address pools have been fully
// subnetted") when none is free.
Result<Prefix> pick_subnet(const std::vector<PoolSpec>& pools, const std::vector<Prefix>& in_use,
                           const std::vector<Prefix>& reserved);

// One IPAM.Config entry of a network create request, as strings from the API.
struct ConfigRequest {
  std::string subnet;
  std::string ip_range;
  std::string gateway;
  std::map<std::string, std::string> aux_addresses;  // name → address
};

// A validated IPv4 IPAM configuration.
struct Config {
  Prefix subnet;                   // canonical
  std::optional<Prefix> ip_range;  // canonical, inside subnet
  std::optional<Ipv4> gateway;     // user given; inside subnet
  std::map<std::string, Ipv4> aux_addresses;
};

// Docker 28's daemon-side ValidateIPAM: returns the validated configs or an
// InvalidArgument error whose message is "invalid network config:\n<line>" for
// one problem or "invalid network config:\n* <l1>\n* <l2>" for several, with
// the lines of docker-network.md §2.6 ("invalid subnet 10.0.0.1/8: it should
// be 10.0.0.0/8", ...). More than one IPv4 subnet: "bridge driver doesn't
// support multiple subnets". IPv6 subnets: InvalidArgument saying IPv6 is not
// supported yet.
Result<std::vector<Config>> validate(const std::vector<ConfigRequest>& reqs);

// Addresses of one subnet: which are taken, and the lowest free one.
// The network address and (for len < 31) the broadcast address are reserved
// at construction. O(log n) or better per operation at a /16; memory
// proportional to the subnet size in bits at most.
class Allocator {
 public:
  // `range`, when given, must lie inside `subnet`: allocate_any() only
  // returns addresses inside it, allocate() accepts any address of subnet.
  explicit Allocator(Prefix subnet, std::optional<Prefix> range = std::nullopt);
  ~Allocator();
  Allocator(Allocator&&) noexcept;
  Allocator& operator=(Allocator&&) noexcept;

  // Lowest free address (inside the range if one was given).
  // Error when full: kUnavailable "no available IPv4 addresses"; the engine
  // adds Docker's " on this network's address pools: <name> (<id>)".
  Result<Ipv4> allocate_any();

  // Takes a specific address. Errors: not in subnet → InvalidArgument
  // "invalid address X: It does not belong to any of this network's subnets";
  // taken → Conflict "Address already in use".
  Status allocate(Ipv4 a);

  // Frees an address; freeing a free or foreign address is a no-op.
  void release(Ipv4 a);

  bool is_allocated(Ipv4 a) const;
  const Prefix& subnet() const { return subnet_; }
  // Addresses taken through allocate()/allocate_any() and not released; the
  // reserved network and broadcast addresses are not counted.
  uint64_t allocated_count() const;

 private:
  Prefix subnet_;
  std::optional<Prefix> range_;
  // Implementation detail chosen by ipam/allocator.cc.
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace berth::ipam
