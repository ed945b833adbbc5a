// The engine: the only orchestrator. It validates requests, writes the store
// (the source of truth) and derives kernel state from it — bridges through
// netlink, the `ip berth` table through the firewall — undoing each step when
// a later one fails, so a failed operation leaves nothing behind.
//
// Threading: every public method may be called from any thread; calls are
// serialised by one mutex (network changes are rare and short).
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "firewall/firewall.h"
#include "ipam/ipam.h"
#include "netlink/netlink.h"
#include "store/records.h"
#include "store/store.h"

namespace berth::engine {

struct EngineConfig {
  std::string data_root;
  // --bip: the default bridge's gateway address and prefix.
  ipam::Prefix bip{ipam::Ipv4{(172u << 24) | (17u << 16) | 1u}, 16};
  std::vector<ipam::PoolSpec> default_pools = ipam::docker_default_pools();
  int mtu = 1500;           // default bridge only, as Docker
  bool iptables = true;     // false: no firewall rules at all
  bool ip_forward = true;   // turn net.ipv4.ip_forward on at start
  std::string resolv_conf = "/etc/resolv.conf";
  std::string default_bridge_name = "berth0";
};

// A network create request as the API decoded it (Docker's CreateRequest).
struct NetworkCreateRequest {
  std::string name;
  std::string driver;  // "" = bridge
  std::string scope;
  bool internal = false;
  bool attachable = false;
  bool ingress = false;
  bool config_only = false;
  bool config_from = false;
  std::optional<bool> enable_ipv4;
  std::optional<bool> enable_ipv6;
  bool ipam_given = false;
  std::string ipam_driver;
  std::map<std::string, std::string> ipam_options;
  std::vector<ipam::ConfigRequest> ipam_config;
  std::map<std::string, std::string> options;
  std::map<std::string, std::string> labels;
};

class Engine {
 public:
  Engine(EngineConfig cfg, store::SqliteStore& store, netlink::Netlink& nl,
         firewall::Firewall& fw);

  // Creates the predefined networks when missing and reconciles the kernel
  // with the store: recreates missing bridges, deletes links marked
  // "berth:<id>" that the store does not know, renders the nft table.
  Status start();

  Result<store::NetworkRecord> create_network(const NetworkCreateRequest& req);

  // Docker's lookup: full id, then exact name, then unique id prefix.
  Result<store::NetworkRecord> find_network(const std::string& term);
  Result<std::vector<store::NetworkRecord>> list_networks();
  Status remove_network(const std::string& term);

  // Removes every user-defined network without endpoints for which `select`
  // returns true; returns the names removed.
  Result<std::vector<std::string>> prune_networks(
      const std::function<bool(const store::NetworkRecord&)>& select);

  // Problems found at start or since, for /info's Warnings.
  std::vector<std::string> warnings();

  const EngineConfig& config() const { return cfg_; }

 private:
  Status ensure_predefined();
  Status reconcile_links();
  Status apply_firewall();
  Status create_bridge_for(const store::NetworkRecord& n);
  Result<store::NetworkRecord> build_bridge_network(const NetworkCreateRequest& req);
  Result<store::NetworkRecord> find_locked(const std::string& term);
  std::vector<ipam::Prefix> reserved_prefixes();

  EngineConfig cfg_;
  store::SqliteStore& store_;
  netlink::Netlink& nl_;
  firewall::Firewall& fw_;
  std::mutex mu_;
  std::vector<std::string> warnings_;
};

// Go's strconv.ParseBool: 1 t T TRUE true True 0 f F FALSE false False.
std::optional<bool> parse_go_bool(const std::string& s);

}  // namespace berth::engine
