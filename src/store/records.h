// The rows berth persists. The store is the one source of truth: kernel
// objects (bridges, nft elements) are derived from these records.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace berth::store {

// A network. Predefined networks (bridge, host, none) are stored like any
// other, flagged `predefined`, so their ids stay stable across restarts.
struct NetworkRecord {
  std::string id;      // 64 hex
  std::string name;
  std::string driver;  // "bridge", "host", "null"
  std::string scope = "local";
  int64_t created = 0;  // unix nanoseconds
  bool predefined = false;
  bool internal = false;
  bool attachable = false;
  bool ingress = false;
  bool enable_ipv6 = false;

  // Bridge networks only.
  std::string bridge;     // interface name
  std::string subnet;     // canonical CIDR, "" for host/none
  std::string ip_range;   // "" when not given
  std::string gateway;    // address (always set for bridge networks)
  bool gateway_from_user = false;  // inspect shows Gateway only then (or auto subnet)
  bool subnet_from_user = false;
  std::map<std::string, std::string> aux_addresses;
  int mtu = 1500;
  bool icc = true;
  bool masquerade = true;

  std::string ipam_driver = "default";
  bool ipam_options_null = false;  // the default bridge shows "Options": null
  std::map<std::string, std::string> ipam_options;
  std::map<std::string, std::string> options;  // driver options as shown in inspect
  std::map<std::string, std::string> labels;

  // Subnet bounds as integers for the overlap check inside the transaction.
  int64_t subnet_first = -1;
  int64_t subnet_last = -1;
};

}  // namespace berth::store
