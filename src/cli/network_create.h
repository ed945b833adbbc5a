// `network create`: the request body the docker CLI sends to
// POST /networks/create (docker-api.md §3.3) and the checks the CLI makes
// before sending it (docker-network.md §2.6 "CLI pre-checks", with docker
// 28.2.2's messages). Pure.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"

namespace berth::cli {

struct NetworkCreateOptions {
  std::string name;
  std::string driver = "bridge";
  std::string scope;
  std::optional<bool> ipv4;  // sent only when the flag was given
  std::optional<bool> ipv6;
  bool internal = false;
  bool attachable = false;
  bool ingress = false;
  bool config_only = false;
  std::string config_from;
  std::string ipam_driver = "default";
  std::vector<std::string> subnets;
  std::vector<std::string> ip_ranges;
  std::vector<std::string> gateways;
  std::vector<std::string> aux_addresses;  // name=ip, as given
  std::vector<std::string> ipam_opts;      // k=v
  std::vector<std::string> driver_opts;    // k=v
  std::vector<std::string> labels;         // k=v or k
};

// The JSON body, keys in the order the Go client writes them, maps sorted.
// IPAM.Config lists the subnets in the order given (docker's order is
// random: it iterates a Go map). Errors are the CLI's pre-check messages.
Result<nlohmann::ordered_json> network_create_body(const NetworkCreateOptions& o);

// opts.ValidateLabel: "invalid label '=x': empty name".
std::optional<std::string> validate_label(const std::string& label);

// Go's net.ParseCIDR(s).Contains(net.ParseIP(ip) or the address of a
// CIDR): the containment test docker's subnetMatches makes. Errors as Go
// prints them ("invalid CIDR address: 10.0.0.300/24").
Result<bool> subnet_matches(const std::string& subnet, const std::string& data);

}  // namespace berth::cli
