// The rows berth persists. The store is the one source of truth: kernel
// objects (bridges, nft elements) are derived from these records.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

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

namespace berth::store {

// A container. Config/HostConfig/NetworkingConfig are kept as the JSON the
// API normalised (Docker's shapes), so inspect can show them as given.
struct ContainerRecord {
  std::string id;
  std::string name;  // without the leading '/'
  int64_t created = 0;
  std::string image;        // as the user wrote it ("host", "ubuntu:14.04")
  std::string image_id;     // "sha256:..."
  std::string config_json;  // container.Config after merging with the image
  std::string host_config_json;
  std::string networking_json;  // EndpointsConfig requested: {"netlb":{...}}
  std::string network_mode;     // "bridge", "host", "none", "container:<id>", or a network name/id
  std::string hostname;

  // Lifecycle. status: created | running | exited | dead (Docker's names).
  std::string status = "created";
  int pid = 0;
  int64_t pid_start_time = 0;
  int shim_pid = 0;
  int64_t shim_start_time = 0;
  int exit_code = 0;
  std::string error;
  int64_t started_at = 0;
  int64_t finished_at = 0;
  int restart_count = 0;
  std::string netns_path;  // while running with its own netns
};

// An active endpoint: a container's attachment to a network while it runs.
// UNIQUE(network_id, ip) makes a double allocation impossible.
struct EndpointRecord {
  std::string id;  // 64 hex
  std::string container_id;
  std::string network_id;
  std::string ifname;       // eth0, eth1 … inside the container
  std::string host_ifname;  // veth1a2b3c4
  std::string ip;           // dotted quad
  int64_t ip_int = 0;
  int prefix_len = 0;
  std::string mac;
  std::string gateway;      // "" on internal networks
  bool static_ip = false;
};

// A published port of a running container: host address ("0.0.0.0" for
// every address) and port, protocol ("tcp"/"udp"), and where it leads.
struct PortRecord {
  std::string container_id;
  std::string proto;
  std::string host_ip;
  int host_port = 0;
  int container_port = 0;
  std::string container_ip;
};

}  // namespace berth::store

namespace berth::store {

// An image: its config blob (whose sha256 is the id) and the number of layer
// directories under <data-root>/images/<hex>/layers/ (0 … layers-1, lowest
// first). Tags live in image_tags, "name:tag" → image id.
struct ImageRecord {
  std::string id;       // "sha256:<hex>"
  int64_t created = 0;  // unix nanoseconds, from the config's "created"
  int64_t size = 0;     // bytes of file content in all layers
  int layers = 0;
  std::string config;   // the config blob as loaded
  int64_t loaded = 0;   // unix nanoseconds of import/load
  std::vector<std::string> tags;        // ordered by tagging time
  int64_t last_tag_time = 0;
};

}  // namespace berth::store
