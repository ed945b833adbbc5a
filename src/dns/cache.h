// A bounded cache of upstream answers, positive and negative, honouring their
// TTLs (RFC 1035 §3.2.1; negative answers as RFC 2308 §5: the SOA's TTL
// capped by its MINIMUM). Pure: the caller passes the time. Not thread-safe:
// owned by the DNS event loop. A hit costs one hash lookup and one copy, no
// allocation; the TTLs of the copy are lowered by the time spent in the cache.
#pragma once

#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "dns/resolver.h"
#include "dns/wire.h"

namespace berth::dns {

class Cache {
 public:
  // `max_entries` 0 disables the cache; TTLs above `max_ttl` are capped.
  Cache(size_t max_entries, uint32_t max_ttl) : max_(max_entries), max_ttl_(max_ttl) {}

  // The key of a question asked through upstream group `group`, written into
  // `buf` (at least 8 + 255 bytes). Returns the used part.
  static std::string_view key(const Query& q, uint32_t group, char* buf);

  // On a hit writes the cached answer for `query` into `out` (its id and
  // question bytes taken from the query, TTLs aged) and returns its length;
  // 0 on a miss, or when it exceeds `max_size`.
  size_t lookup(std::string_view key, std::span<const uint8_t> query, const Query& q,
                uint64_t now_ms, size_t max_size, std::span<uint8_t> out);

  // Stores an upstream answer if it is cacheable: NOERROR with answers (the
  // smallest TTL), NXDOMAIN or NOERROR/no-data with an SOA (negative), not
  // truncated, TTL > 0. Returns whether it was stored.
  bool insert(std::string_view key, std::span<const uint8_t> response, uint64_t now_ms);

  size_t size() const { return map_.size(); }
  uint64_t hits() const { return hits_; }
  uint64_t misses() const { return misses_; }

 private:
  struct Entry {
    std::vector<uint8_t> msg;
    std::vector<std::pair<uint16_t, uint32_t>> ttls;  // (offset, original ttl)
    uint64_t stored_ms = 0;
    uint64_t expires_ms = 0;
    uint64_t gen = 0;
  };
  void make_room(uint64_t now_ms);

  size_t max_;
  uint32_t max_ttl_;
  uint64_t gen_ = 0;
  uint64_t hits_ = 0, misses_ = 0;
  std::unordered_map<std::string, Entry, StringHash, std::equal_to<>> map_;
  std::deque<std::pair<std::string, uint64_t>> order_;  // insertion order for eviction
};

}  // namespace berth::dns
