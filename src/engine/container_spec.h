// What a container asks for, typed: derived purely from the Docker JSON the
// API stored (Config, HostConfig, NetworkingConfig.EndpointsConfig), so the
// store keeps Docker's shapes for inspect and the engine works on values.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"

namespace berth::engine {

// One requested network attachment (EndpointsConfig entry).
struct EndpointRequest {
  std::string network;  // name or id as given
  std::vector<std::string> aliases;
  std::string ipv4;     // IPAMConfig.IPv4Address, "" = automatic
  std::string mac;      // MacAddress, "" = derived from the IP
  int gw_priority = 0;
};

struct ContainerSpec {
  std::string image;
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  std::vector<std::string> env;
  std::string user;
  std::string working_dir;
  std::string hostname;    // "" = short id (or the host's name with --net=host)
  std::string domainname;
  bool tty = false;
  bool open_stdin = false;
  std::string stop_signal;  // "" = SIGTERM
  int stop_timeout = -1;    // Config.StopTimeout, -1 = default 10 s
  std::map<std::string, std::string> labels;

  // NetworkMode: "bridge", "host", "none", "container:<name|id>", or a
  // user-defined network's name or id. "default" is already rewritten.
  std::string network_mode = "bridge";
  std::vector<EndpointRequest> endpoints;  // connection order: NetworkMode's first
  std::string mac_address;                 // legacy Config.MacAddress
  std::vector<std::string> extra_hosts;    // "name:ip"
  std::vector<std::string> dns, dns_search, dns_options;
  std::vector<std::string> cap_add, cap_drop;
  bool privileged = false;
  bool publishes_ports = false;  // PortBindings or PublishAllPorts
  bool exposes_ports = false;    // ExposedPorts
  bool auto_remove = false;
  std::string restart_policy = "no";
  int restart_max = 0;
  int console_rows = 0, console_cols = 0;

  bool is_host() const { return network_mode == "host"; }
  bool is_none() const { return network_mode == "none"; }
  bool is_container_mode() const { return network_mode.rfind("container:", 0) == 0; }
  std::string container_mode_target() const { return network_mode.substr(10); }
};

// Derives the spec; errors are Docker's 400 texts for malformed fields.
Result<ContainerSpec> spec_from_docker(const nlohmann::json& config,
                                       const nlohmann::json& host_config,
                                       const nlohmann::json& endpoints_config);

// Checks what Docker rejects at create time (runconfig/hostconfig.go and
// daemon/container_operations.go): container: network-mode conflicts,
// --ip and aliases on the default bridge/host/none. Pure.
Status validate_at_create(const ContainerSpec& s);

// The default-route choice of libnetwork's Endpoint.Less: highest
// GwPriority, then non-internal networks, then by network name.
struct GatewayCandidate {
  std::string network_name;
  int gw_priority = 0;
  bool internal = false;
};
// Index of the endpoint that provides the default route, or -1 if none can
// (all internal).
int choose_gateway(const std::vector<GatewayCandidate>& c);

// dockerd's restart manager (restartmanager.go ShouldRestart), pure: whether
// an exit restarts the container, and the delay. `delay_ms` is the
// container's backoff state: 0 before the first restart; updated on every
// call (100 ms, doubling up to 60 s, back to 100 ms after a run of 10 s or
// more) as Docker does, whether or not the policy restarts.
struct RestartInput {
  std::string policy;  // no | on-failure | always | unless-stopped
  int max_retries = 0;  // on-failure's N, 0 = no limit
  int exit_code = 0;
  int restart_count = 0;
  bool manually_stopped = false;
  int64_t ran_nanos = 0;
};
bool should_restart(const RestartInput& in, int& delay_ms);

}  // namespace berth::engine
