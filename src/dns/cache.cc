// The answer cache. Eviction is first-in first-out among live entries after
// the expired ones are dropped: simple, bounded, and the common case (a few
// hot names re-asked within their TTL) never reaches it.
#include "dns/cache.h"

#include <algorithm>
#include <cstring>

namespace berth::dns {

std::string_view Cache::key(const Query& q, uint32_t group, char* buf) {
  put32(reinterpret_cast<uint8_t*>(buf), group);
  put16(reinterpret_cast<uint8_t*>(buf) + 4, q.qtype);
  put16(reinterpret_cast<uint8_t*>(buf) + 6, q.qclass);
  std::memcpy(buf + 8, q.qname_buf, q.qname_len);
  return {buf, size_t{8} + q.qname_len};
}

size_t Cache::lookup(std::string_view key, std::span<const uint8_t> query, const Query& q,
                     uint64_t now_ms, size_t max_size, std::span<uint8_t> out) {
  if (max_ == 0) return 0;
  auto it = map_.find(key);
  if (it == map_.end()) {
    ++misses_;
    return 0;
  }
  Entry& e = it->second;
  if (now_ms >= e.expires_ms) {
    map_.erase(it);
    ++misses_;
    return 0;
  }
  const size_t n = e.msg.size();
  if (n > out.size() || n > max_size || q.question_end > n || q.question_end > query.size()) {
    ++misses_;
    return 0;
  }
  std::memcpy(out.data(), e.msg.data(), n);
  // The asker's id, RD bit and question (its letter case, RFC 4343 §4.1).
  out[0] = query[0];
  out[1] = query[1];
  out[2] = static_cast<uint8_t>((out[2] & ~0x01) | (query[2] & 0x01));
  std::memcpy(out.data() + kHeaderSize, query.data() + kHeaderSize, q.question_end - kHeaderSize);
  const auto age = static_cast<uint32_t>((now_ms - e.stored_ms) / 1000);
  for (auto [off, ttl] : e.ttls) put32(out.data() + off, ttl > age ? ttl - age : 0);
  ++hits_;
  return n;
}

bool Cache::insert(std::string_view key, std::span<const uint8_t> msg, uint64_t now_ms) {
  if (max_ == 0 || msg.size() < kHeaderSize || msg.size() > 65535) return false;
  const uint8_t* p = msg.data();
  if (!(p[2] & 0x80) || (p[2] & 0x02)) return false;  // not a response, or truncated
  const uint8_t rcode = p[3] & 0x0f;
  if (rcode != kRcodeNoError && rcode != kRcodeNXDomain) return false;
  const unsigned an = get16(p + 6);
  const unsigned ns = get16(p + 8);
  Entry e;
  uint32_t min_ttl = UINT32_MAX;
  uint32_t neg_ttl = UINT32_MAX;
  unsigned index = 0;
  bool ok = walk_records(msg, [&](size_t ttl_off, uint16_t type, uint32_t ttl, size_t rd, uint16_t rdlen) {
    const unsigned i = index++;
    if (type == kTypeOPT) return;
    e.ttls.emplace_back(static_cast<uint16_t>(ttl_off), ttl);
    if (i < an) min_ttl = std::min(min_ttl, ttl);
    if (i >= an && i < an + ns && type == kTypeSOA && rdlen >= 20) {
      const uint32_t minimum = get32(p + rd + rdlen - 4);
      neg_ttl = std::min(neg_ttl, std::min(ttl, minimum));
    }
  });
  if (!ok) return false;
  uint32_t ttl;
  if (rcode == kRcodeNoError && an > 0) {
    ttl = min_ttl;
  } else {
    ttl = neg_ttl;  // RFC 2308 §5: no SOA, no negative caching
  }
  if (ttl == UINT32_MAX || ttl == 0) return false;
  ttl = std::min(ttl, max_ttl_);
  e.msg.assign(msg.begin(), msg.end());
  e.stored_ms = now_ms;
  e.expires_ms = now_ms + uint64_t{ttl} * 1000;
  e.gen = ++gen_;
  // Cap the TTLs we hand out at the cache's own limit.
  for (auto& [off, t] : e.ttls) t = std::min(t, max_ttl_);
  auto it = map_.find(key);
  if (it == map_.end()) {
    if (map_.size() >= max_) make_room(now_ms);
    order_.emplace_back(std::string(key), e.gen);
    map_.emplace(std::string(key), std::move(e));
  } else {
    order_.emplace_back(std::string(key), e.gen);
    it->second = std::move(e);
  }
  // Keep the order queue bounded by dropping entries that no longer match.
  if (order_.size() > 2 * max_ + 16) {
    std::deque<std::pair<std::string, uint64_t>> live;
    for (auto& o : order_) {
      auto f = map_.find(o.first);
      if (f != map_.end() && f->second.gen == o.second) live.push_back(std::move(o));
    }
    order_.swap(live);
  }
  return true;
}

void Cache::make_room(uint64_t now_ms) {
  for (auto it = map_.begin(); it != map_.end();) {
    if (now_ms >= it->second.expires_ms) {
      it = map_.erase(it);
    } else {
      ++it;
    }
  }
  while (map_.size() >= max_ && !order_.empty()) {
    auto f = map_.find(order_.front().first);
    if (f != map_.end() && f->second.gen == order_.front().second) map_.erase(f);
    order_.pop_front();
  }
}

}  // namespace berth::dns
