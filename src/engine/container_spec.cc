// Docker JSON → ContainerSpec, and the checks Docker makes at create time.
#include "engine/container_spec.h"

#include <algorithm>

namespace berth::engine {
namespace {

using nlohmann::json;

Status strings(const json& o, const char* key, std::vector<std::string>& out) {
  auto it = o.find(key);
  if (it == o.end() || it->is_null()) return ok_status();
  if (it->is_string()) {  // Docker accepts a plain string for Cmd/Entrypoint too
    out = {it->get<std::string>()};
    return ok_status();
  }
  if (!it->is_array()) return invalid_argument(std::string(key) + " must be a list of strings");
  out.clear();
  for (const auto& e : *it) {
    if (!e.is_string()) return invalid_argument(std::string(key) + " must be a list of strings");
    out.push_back(e.get<std::string>());
  }
  return ok_status();
}

std::string str(const json& o, const char* key) {
  auto it = o.find(key);
  return it != o.end() && it->is_string() ? it->get<std::string>() : "";
}

bool boolean(const json& o, const char* key) {
  auto it = o.find(key);
  return it != o.end() && it->is_boolean() && it->get<bool>();
}

int integer(const json& o, const char* key, int dflt) {
  auto it = o.find(key);
  return it != o.end() && it->is_number_integer() ? it->get<int>() : dflt;
}

bool non_empty_object(const json& o, const char* key) {
  auto it = o.find(key);
  return it != o.end() && it->is_object() && !it->empty();
}

}  // namespace

Result<ContainerSpec> spec_from_docker(const json& config, const json& host_config,
                                       const json& endpoints_config) {
  ContainerSpec s;
  s.image = str(config, "Image");
  BERTH_TRY(strings(config, "Entrypoint", s.entrypoint));
  BERTH_TRY(strings(config, "Cmd", s.cmd));
  BERTH_TRY(strings(config, "Env", s.env));
  s.user = str(config, "User");
  s.working_dir = str(config, "WorkingDir");
  s.hostname = str(config, "Hostname");
  s.domainname = str(config, "Domainname");
  s.tty = boolean(config, "Tty");
  s.open_stdin = boolean(config, "OpenStdin");
  s.stop_signal = str(config, "StopSignal");
  s.stop_timeout = integer(config, "StopTimeout", -1);
  s.mac_address = str(config, "MacAddress");
  s.exposes_ports = non_empty_object(config, "ExposedPorts");
  if (auto it = config.find("Labels"); it != config.end() && it->is_object()) {
    for (auto l = it->begin(); l != it->end(); ++l) {
      if (l->is_string()) s.labels[l.key()] = l->get<std::string>();
    }
  }

  s.network_mode = str(host_config, "NetworkMode");
  if (s.network_mode.empty() || s.network_mode == "default") s.network_mode = "bridge";
  BERTH_TRY(strings(host_config, "ExtraHosts", s.extra_hosts));
  BERTH_TRY(strings(host_config, "Dns", s.dns));
  BERTH_TRY(strings(host_config, "DnsSearch", s.dns_search));
  BERTH_TRY(strings(host_config, "DnsOptions", s.dns_options));
  BERTH_TRY(strings(host_config, "CapAdd", s.cap_add));
  BERTH_TRY(strings(host_config, "CapDrop", s.cap_drop));
  s.privileged = boolean(host_config, "Privileged");
  s.auto_remove = boolean(host_config, "AutoRemove");
  s.publishes_ports = non_empty_object(host_config, "PortBindings") ||
                      boolean(host_config, "PublishAllPorts");
  if (auto it = host_config.find("RestartPolicy"); it != host_config.end() && it->is_object()) {
    s.restart_policy = str(*it, "Name");
    if (s.restart_policy.empty()) s.restart_policy = "no";
    s.restart_max = integer(*it, "MaximumRetryCount", 0);
  }
  if (auto it = host_config.find("ConsoleSize");
      it != host_config.end() && it->is_array() && it->size() == 2 && (*it)[0].is_number() &&
      (*it)[1].is_number()) {
    s.console_rows = (*it)[0].get<int>();
    s.console_cols = (*it)[1].get<int>();
  }

  // Endpoints: the NetworkMode network first, then the others by name.
  auto endpoint_from = [](const std::string& net, const json& e) {
    EndpointRequest r;
    r.network = net;
    if (e.is_object()) {
      if (auto a = e.find("Aliases"); a != e.end() && a->is_array()) {
        for (const auto& x : *a) {
          if (x.is_string()) r.aliases.push_back(x.get<std::string>());
        }
      }
      if (auto ipam = e.find("IPAMConfig"); ipam != e.end() && ipam->is_object()) {
        r.ipv4 = str(*ipam, "IPv4Address");
      }
      r.mac = str(e, "MacAddress");
      r.gw_priority = integer(e, "GwPriority", 0);
    }
    return r;
  };
  if (!s.is_container_mode()) {
    const json* mode_entry = nullptr;
    if (endpoints_config.is_object()) {
      if (auto it = endpoints_config.find(s.network_mode); it != endpoints_config.end()) {
        mode_entry = &*it;
      }
    }
    // A null under the NetworkMode key: disconnected from it (network disconnect).
    if (!mode_entry || !mode_entry->is_null()) {
      s.endpoints.push_back(endpoint_from(s.network_mode, mode_entry ? *mode_entry : json()));
    }
    if (endpoints_config.is_object()) {
      for (auto it = endpoints_config.begin(); it != endpoints_config.end(); ++it) {
        if (it.key() == s.network_mode || it->is_null()) continue;
        s.endpoints.push_back(endpoint_from(it.key(), it.value()));
      }
    }
  }
  return s;
}

Status validate_at_create(const ContainerSpec& s) {
  // daemon/container.go validateRestartPolicy.
  const std::string& rp = s.restart_policy;
  if (rp == "always" || rp == "unless-stopped" || rp == "no") {
    if (s.restart_max != 0) {
      std::string msg = "invalid restart policy: maximum retry count can only be used with 'on-failure'";
      if (s.restart_max < 0) msg += " and cannot be negative";
      return invalid_argument(msg);
    }
  } else if (rp == "on-failure") {
    if (s.restart_max < 0) {
      return invalid_argument("invalid restart policy: maximum retry count cannot be negative");
    }
  } else {
    return invalid_argument("invalid restart policy: unknown policy '" + rp +
                            "'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'");
  }
  if (s.auto_remove && rp != "no") {
    return invalid_argument("can't create 'AutoRemove' container with restart policy");
  }
  if (s.is_container_mode()) {
    if (s.container_mode_target().empty()) {
      return invalid_argument("invalid network mode: invalid container format container:<name|id>");
    }
    if (!s.hostname.empty()) {
      return invalid_argument("conflicting options: hostname and the network mode");
    }
    if (!s.dns.empty()) return invalid_argument("conflicting options: dns and the network mode");
    if (!s.extra_hosts.empty()) {
      return invalid_argument(
          "conflicting options: custom host-to-IP mapping and the network mode");
    }
    if (s.publishes_ports) {
      return invalid_argument(
          "conflicting options: port publishing and the container type network mode");
    }
    if (s.exposes_ports) {
      return invalid_argument(
          "conflicting options: port exposing and the container type network mode");
    }
    if (!s.mac_address.empty()) {
      return invalid_argument("conflicting options: mac-address and the network mode");
    }
    return ok_status();
  }
  for (const auto& e : s.endpoints) {
    const bool predefined = e.network == "bridge" || e.network == "host" || e.network == "none";
    if (!predefined) continue;
    if (!e.ipv4.empty()) {
      return invalid_argument(
          "invalid endpoint settings:\nuser specified IP address is supported on user defined "
          "networks only");
    }
    if (!e.aliases.empty()) {
      return invalid_argument(
          "invalid endpoint settings:\nnetwork-scoped alias is supported only for containers "
          "in user defined networks");
    }
  }
  if ((s.is_host() || s.is_none()) && s.endpoints.size() > 1) {
    return invalid_argument(
        "container cannot be connected to multiple networks with one of the networks in private "
        "(none) mode");
  }
  return ok_status();
}

int choose_gateway(const std::vector<GatewayCandidate>& c) {
  int best = -1;
  for (int i = 0; i < static_cast<int>(c.size()); ++i) {
    if (c[i].internal) continue;
    if (best < 0) {
      best = i;
      continue;
    }
    const auto& a = c[i];
    const auto& b = c[best];
    if (a.gw_priority != b.gw_priority) {
      if (a.gw_priority > b.gw_priority) best = i;
    } else if (a.network_name < b.network_name) {
      best = i;
    }
  }
  return best;
}

}  // namespace berth::engine
