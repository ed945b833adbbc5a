// Names and addresses an endpoint gets, shared by start (container_start.cc)
// and live connect (connect.cc).
#pragma once

#include <array>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

#include "common/random_id.h"
#include "ipam/ipam.h"

namespace berth::engine {

// Docker's MAC up to 27: 02:42 followed by the IPv4 address.
inline std::string mac_from_ip(ipam::Ipv4 ip) {
  char buf[32];
  snprintf(buf, sizeof buf, "02:42:%02x:%02x:%02x:%02x", (ip.v >> 24) & 0xff, (ip.v >> 16) & 0xff,
           (ip.v >> 8) & 0xff, ip.v & 0xff);
  return buf;
}

// "aa:bb:cc:dd:ee:ff" → bytes; nullopt for anything else.
inline std::optional<std::array<uint8_t, 6>> parse_mac(const std::string& s) {
  std::array<uint8_t, 6> m{};
  unsigned v[6];
  char tail;
  if (sscanf(s.c_str(), "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
             &tail) != 6) {
    return std::nullopt;
  }
  for (int i = 0; i < 6; ++i) m[i] = static_cast<uint8_t>(v[i]);
  return m;
}

// The host end of a container's veth.
inline std::string random_veth_name() { return "veth" + random_id().substr(0, 7); }

}  // namespace berth::engine
