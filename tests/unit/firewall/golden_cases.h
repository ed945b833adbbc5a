// The rulesets behind tests/golden/firewall/*.nft, shared by the unit test
// (render() must reproduce each file) and the root test (nft must accept and
// apply each file).
#pragma once

#include <string>
#include <vector>

#include "firewall/firewall.h"

namespace berth::firewall::testing {

struct GoldenCase {
  std::string name;  // file name without ".nft"
  Ruleset rs;
};

inline ipam::Prefix cidr(const char* s) { return *ipam::parse_cidr(s); }

inline BridgeNetwork default_bridge() {
  return {.id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
          .bridge = "berth0",
          .subnet = cidr("172.17.0.0/16")};
}

inline BridgeNetwork user_network(std::string id, std::string bridge, const char* subnet) {
  return {.id = std::move(id), .bridge = std::move(bridge), .subnet = cidr(subnet)};
}

inline std::vector<PublishedPort> published_ports() {
  auto ip = [](const char* s) { return *ipam::parse_ipv4(s); };
  return {{ip("0.0.0.0"), 6, 8080, ip("172.17.0.2"), 80},
          {ip("127.0.0.1"), 6, 8081, ip("172.17.0.2"), 80},
          {ip("0.0.0.0"), 17, 5353, ip("172.17.0.2"), 53},
          {ip("192.0.2.1"), 6, 9000, ip("172.18.0.2"), 9000}};
}

inline std::vector<GoldenCase> golden_cases() {
  std::vector<GoldenCase> c;
  c.push_back({"empty", {}});
  c.push_back({"default_bridge", {{default_bridge()}}});
  auto user = user_network("1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b",
                           "br-1a2b3c4d5e6f", "172.18.0.0/16");
  c.push_back({"default_and_user", {{default_bridge(), user}}});

  auto internal = user_network("4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c",
                               "br-4b5c6d7e8f9a", "172.19.0.0/16");
  internal.internal = true;
  c.push_back({"internal", {{default_bridge(), internal}}});

  auto noicc = default_bridge();  // dockerd --icc=false
  noicc.icc = false;
  c.push_back({"icc_false", {{noicc, user}}});

  auto nomasq = user;
  nomasq.masquerade = false;
  c.push_back({"masquerade_false", {{default_bridge(), nomasq}}});

  auto internal_noicc = internal;
  internal_noicc.icc = false;
  auto other = user_network("", "br-netlb", "10.10.0.0/24");  // no id: no comments
  c.push_back({"three_networks", {{default_bridge(), user, internal_noicc}}});
  c.push_back({"four_mixed", {{other, nomasq, internal_noicc, noicc}}});

  // Published ports (docs/firewall.md): -p 8080:80, -p 127.0.0.1:8081:80,
  // -p 5353:53/udp on the default bridge, -p 192.0.2.1:9000:9000 on a user
  // network; the same ports in each --userland-proxy mode.
  for (auto [name, mode] : {std::pair{"ports_default", ProxyMode::kTrue},
                            std::pair{"ports_proxy_false", ProxyMode::kFalse},
                            std::pair{"ports_proxy_always", ProxyMode::kAlways}}) {
    Ruleset rs{{default_bridge(), user}, mode, published_ports()};
    c.push_back({name, rs});
  }
  return c;
}

inline Ruleset golden_case(const std::string& name) {
  for (auto& c : golden_cases()) {
    if (c.name == name) return c.rs;
  }
  return {};
}

}  // namespace berth::firewall::testing
