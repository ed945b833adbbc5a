// IPv4 addresses and CIDR prefixes as text and as numbers: strict parsing
// (the same inputs Go's net/netip accepts for IPv4, since Docker validates
// with it), printing, and the prefix arithmetic every other part of ipam
// builds on. IPv6 text is only recognised, never interpreted, so that
// validation can tell "not IPv4" apart from "not an address at all".
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ipam/ipam.h"

namespace berth::ipam {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool is_hex_digit(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// A decimal number with 1..max_digits digits, no sign and no leading zero
// (netip rejects "01" in addresses and, since Go 1.22, in prefix lengths).
std::optional<uint32_t> parse_decimal(std::string_view s, size_t max_digits) {
  if (s.empty() || s.size() > max_digits) return std::nullopt;
  if (s.size() > 1 && s[0] == '0') return std::nullopt;
  uint32_t v = 0;
  for (char c : s) {
    if (!is_digit(c)) return std::nullopt;
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  return v;
}

// Mask of the first `len` bits; shifting a 32-bit value by 32 is undefined,
// hence the special case for /0.
uint32_t mask_of(int len) { return len == 0 ? 0 : ~uint32_t{0} << (32 - len); }

// Splits "addr/len" and parses len in [0, max_len]; nullopt if malformed.
std::optional<std::pair<std::string_view, int>> split_prefix(std::string_view s, int max_len) {
  size_t slash = s.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  std::optional<uint32_t> len = parse_decimal(s.substr(slash + 1), 3);
  if (!len || *len > static_cast<uint32_t>(max_len)) return std::nullopt;
  return std::make_pair(s.substr(0, slash), static_cast<int>(*len));
}

// IPv6 text as netip.ParseAddr reads it: up to eight groups of 1..4 hex
// digits, at most one "::" standing for at least one zero group, an optional
// dotted-quad tail worth two groups, and (addresses only) a non-empty zone.
bool is_ipv6_text(std::string_view s, bool allow_zone) {
  if (size_t pct = s.find('%'); pct != std::string_view::npos) {
    if (!allow_zone || pct + 1 == s.size()) return false;
    s = s.substr(0, pct);
  }
  if (s.size() < 2) return false;
  int groups = 0;
  bool ellipsis = false;
  size_t i = 0;
  if (s.substr(0, 2) == "::") {
    ellipsis = true;
    i = 2;
    if (i == s.size()) return true;
  } else if (s[0] == ':') {
    return false;
  }
  while (i < s.size()) {
    size_t end = i;
    while (end < s.size() && end - i < 5 && is_hex_digit(s[end])) ++end;
    if (end < s.size() && s[end] == '.') {
      // Dotted-quad tail: must be last and fit in the remaining two groups.
      if (groups > 6 || !parse_ipv4(s.substr(i))) return false;
      groups += 2;
      i = s.size();
      break;
    }
    if (end == i || end - i > 4) return false;
    ++groups;
    i = end;
    if (i == s.size()) break;
    if (s[i] != ':') return false;
    ++i;
    if (i < s.size() && s[i] == ':') {
      if (ellipsis) return false;
      ellipsis = true;
      ++i;
      if (i == s.size()) break;
    } else if (i == s.size()) {
      return false;  // trailing single ':'
    }
    if (groups > 8) return false;
  }
  return ellipsis ? groups < 8 : groups == 8;
}

}  // namespace

std::optional<Ipv4> parse_ipv4(std::string_view s) {
  uint32_t v = 0;
  for (int octet = 0; octet < 4; ++octet) {
    size_t dot = s.find('.');
    bool last = octet == 3;
    if (last != (dot == std::string_view::npos)) return std::nullopt;
    std::optional<uint32_t> part = parse_decimal(last ? s : s.substr(0, dot), 3);
    if (!part || *part > 255) return std::nullopt;
    v = (v << 8) | *part;
    if (!last) s.remove_prefix(dot + 1);
  }
  return Ipv4{v};
}

std::string to_string(Ipv4 a) {
  std::string out;
  out.reserve(15);
  for (int shift = 24; shift >= 0; shift -= 8) {
    out += std::to_string((a.v >> shift) & 0xff);
    if (shift != 0) out += '.';
  }
  return out;
}

Ipv4 Prefix::network() const { return Ipv4{addr.v & mask_of(len)}; }

Ipv4 Prefix::broadcast() const { return Ipv4{addr.v | ~mask_of(len)}; }

uint64_t Prefix::size() const { return uint64_t{1} << (32 - len); }

bool Prefix::contains(Ipv4 a) const { return (a.v & mask_of(len)) == network().v; }

bool Prefix::contains(const Prefix& p) const { return p.len >= len && contains(p.addr); }

bool Prefix::overlaps(const Prefix& p) const {
  // Two aligned blocks overlap exactly when the larger one contains the
  // other's network address.
  return len <= p.len ? contains(p.addr) : p.contains(addr);
}

std::optional<Prefix> parse_cidr(std::string_view s) {
  auto parts = split_prefix(s, 32);
  if (!parts) return std::nullopt;
  std::optional<Ipv4> a = parse_ipv4(parts->first);
  if (!a) return std::nullopt;
  return Prefix{*a, parts->second};
}

std::string to_string(const Prefix& p) { return to_string(p.addr) + "/" + std::to_string(p.len); }

bool looks_like_ipv6(std::string_view s) { return is_ipv6_text(s, /*allow_zone=*/true); }

bool looks_like_ipv6_cidr(std::string_view s) {
  auto parts = split_prefix(s, 128);
  return parts && is_ipv6_text(parts->first, /*allow_zone=*/false);
}

}  // namespace berth::ipam
