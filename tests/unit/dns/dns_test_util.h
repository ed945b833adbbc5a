// Builds queries and decodes answers for the DNS unit tests.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dns/wire.h"

namespace berth::dns::testing {

inline std::vector<uint8_t> make_query(const std::string& name, uint16_t type, uint16_t id = 0x1234,
                                       int edns_size = -1, bool rd = true) {
  std::vector<uint8_t> m(12, 0);
  put16(m.data(), id);
  m[2] = rd ? 0x01 : 0;
  put16(m.data() + 4, 1);
  if (edns_size >= 0) put16(m.data() + 10, 1);
  // Keep the letter case as given.
  size_t start = 0;
  std::string n = name;
  if (!n.empty() && n.back() == '.') n.pop_back();
  while (!n.empty() && start <= n.size()) {
    size_t dot = n.find('.', start);
    if (dot == std::string::npos) dot = n.size();
    m.push_back(static_cast<uint8_t>(dot - start));
    m.insert(m.end(), n.begin() + static_cast<long>(start), n.begin() + static_cast<long>(dot));
    start = dot + 1;
  }
  m.push_back(0);
  m.push_back(static_cast<uint8_t>(type >> 8));
  m.push_back(static_cast<uint8_t>(type));
  m.push_back(0);
  m.push_back(1);
  if (edns_size >= 0) {
    const uint8_t opt[11] = {0, 0, 41, static_cast<uint8_t>(edns_size >> 8), static_cast<uint8_t>(edns_size), 0, 0, 0, 0, 0, 0};
    m.insert(m.end(), opt, opt + 11);
  }
  return m;
}

struct Rr {
  std::string name;
  uint16_t type = 0;
  uint32_t ttl = 0;
  std::string data;  // dotted quad for A, name for PTR, "" otherwise
};

struct Decoded {
  bool ok = false;
  uint16_t id = 0;
  uint16_t flags = 0;
  int rcode = 0;
  bool tc = false;
  std::vector<Rr> answers;
  int arcount = 0;
  bool has_opt = false;
};

inline Decoded decode(const uint8_t* p, size_t n) {
  Decoded d;
  std::span<const uint8_t> msg(p, n);
  if (n < 12) return d;
  d.id = get16(p);
  d.flags = get16(p + 2);
  d.rcode = d.flags & 0xf;
  d.tc = (d.flags & 0x0200) != 0;
  const unsigned an = get16(p + 6);
  d.arcount = get16(p + 10);
  unsigned i = 0;
  bool good = walk_records(msg, [&](size_t ttl_off, uint16_t type, uint32_t ttl, size_t rd, uint16_t rdlen) {
    const unsigned k = i++;
    if (type == kTypeOPT) d.has_opt = true;
    if (k >= an) return;
    Rr r;
    r.type = type;
    r.ttl = ttl;
    uint8_t buf[256];
    size_t len = 0;
    // The owner starts 4 bytes (type, class) before the TTL; it is always a
    // pointer (2 bytes) in our answers.
    if (read_name(msg, ttl_off - 6, buf, &len)) r.name = name_to_text({reinterpret_cast<char*>(buf), len});
    if (type == kTypeA && rdlen == 4) {
      r.data = std::to_string(p[rd]) + "." + std::to_string(p[rd + 1]) + "." +
               std::to_string(p[rd + 2]) + "." + std::to_string(p[rd + 3]);
    } else if (type == kTypePTR) {
      if (read_name(msg, rd, buf, &len)) r.data = name_to_text({reinterpret_cast<char*>(buf), len});
    }
    d.answers.push_back(r);
  });
  d.ok = good;
  return d;
}

}  // namespace berth::dns::testing
