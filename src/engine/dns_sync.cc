// The engine's side of the embedded DNS: which containers get a resolver at
// 127.0.0.11 (those whose first network is user-defined, as Docker's
// sandbox), which names each network has (Docker's DNSNames: name, aliases,
// short id, host name), which networks each container may search (its
// endpoints in connection order), and a gateway listener per user-defined
// network. Rebuilt whole from the store after every change; the server
// swaps the snapshot in one step.
#include <arpa/inet.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <spdlog/spdlog.h>

#include "dns/resolv_conf.h"
#include "engine/engine.h"
#include "ipam/ipam.h"

namespace berth::engine {
namespace {

std::vector<std::string> dns_names(const store::ContainerRecord& c,
                                   const std::vector<std::string>& aliases) {
  std::vector<std::string> names{c.name};
  names.insert(names.end(), aliases.begin(), aliases.end());
  names.push_back(c.id.substr(0, 12));
  if (!c.hostname.empty()) names.push_back(c.hostname);
  std::vector<std::string> dedup;
  for (auto& n : names) {
    if (std::find(dedup.begin(), dedup.end(), n) == dedup.end()) dedup.push_back(n);
  }
  return dedup;
}

}  // namespace

Status Engine::dns_attach_locked(const store::ContainerRecord& c, const std::string& netns_path) {
  if (!dns_) return ok_status();
  auto spec = spec_from_docker(nlohmann::json::parse(c.config_json),
                               nlohmann::json::parse(c.host_config_json),
                               nlohmann::json::parse(c.networking_json));
  if (!spec.ok()) return spec.error();
  // A container's own --dns servers are its upstreams, reached from its
  // netns. One only on --internal networks has no way out (Docker:
  // proxyDNS = sb.hasExternalAccess()).
  bool external = false;
  for (const auto& r : spec->endpoints) {
    auto n = find_locked(r.network);
    if (n.ok() && !n->internal) external = true;
  }
  return dns_->attach_container(c.id, netns_path, spec->dns, external);
}

void Engine::dns_detach_locked(const std::string& id) {
  if (dns_) dns_->detach_container(id);
}

void Engine::dns_sync_locked() {
  if (!dns_) return;
  auto nets = store_.list_networks();
  auto eps = store_.list_endpoints();
  auto ctrs = store_.list_containers();
  if (!nets.ok() || !eps.ok() || !ctrs.ok()) {
    spdlog::error("dns: cannot read the store; names not updated");
    return;
  }
  dns::State st;
  st.ttl = dns_->config().ttl;
  std::vector<dns::GatewaySpec> gws;
  std::map<std::string, size_t> net_index;
  for (const auto& n : *nets) {
    if (n.predefined || n.driver != "bridge") continue;
    net_index[n.id] = st.networks.size();
    st.networks.push_back({n.id, n.name, {}});
    auto subnet = ipam::parse_cidr(n.subnet);
    auto gw = ipam::parse_ipv4(n.gateway);
    if (subnet && gw) {
      const uint32_t mask = subnet->len == 0 ? 0 : ~uint32_t{0} << (32 - subnet->len);
      gws.push_back({n.id, n.name, gw->v, subnet->addr.v & mask, mask});
    }
  }
  // Docker's ndotsSet needs the host's options (for containers without
  // --dns-option): read once per sync.
  std::string host_resolv;
  {
    std::ifstream f(cfg_.resolv_conf);
    std::stringstream ss;
    ss << f.rdbuf();
    host_resolv = ss.str();
  }
  for (const auto& c : *ctrs) {
    if (c.status != "running") continue;
    auto spec = spec_from_docker(nlohmann::json::parse(c.config_json),
                                 nlohmann::json::parse(c.host_config_json),
                                 nlohmann::json::parse(c.networking_json));
    std::vector<const store::EndpointRecord*> mine;
    for (const auto& e : *eps) {
      if (e.container_id == c.id) mine.push_back(&e);
    }
    std::sort(mine.begin(), mine.end(), [](auto* a, auto* b) {
      return a->ifname.size() != b->ifname.size() ? a->ifname.size() < b->ifname.size()
                                                  : a->ifname < b->ifname;
    });
    dns::ScopeSpec scope{c.id, {}};
    if (spec.ok()) scope.ndots_set = dns::ndots_set(host_resolv, spec->dns_options);
    for (const auto* e : mine) {
      auto it = net_index.find(e->network_id);
      if (it == net_index.end()) continue;
      std::vector<std::string> aliases;
      if (spec.ok()) {
        for (const auto& r : spec->endpoints) {
          // Requests name a network by id, name or id prefix; the common
          // cases without another store query.
          std::string id;
          for (const auto& n : st.networks) {
            if (r.network == n.id || r.network == n.name) id = n.id;
          }
          if (id.empty()) {
            if (auto n = find_locked(r.network); n.ok()) id = n->id;
          }
          if (id == e->network_id) aliases = r.aliases;
        }
      }
      st.networks[it->second].members.push_back({dns_names(c, aliases), static_cast<uint32_t>(e->ip_int)});
      scope.network_ids.push_back(e->network_id);
    }
    if (!scope.network_ids.empty()) st.scopes.push_back(std::move(scope));
  }
  for (const auto& g : gws) st.scopes.push_back({"net:" + g.network_id, {g.network_id}});
  dns_->publish(st);
  for (auto& w : dns_->set_gateways(gws)) {
    if (std::find(warnings_.begin(), warnings_.end(), w) == warnings_.end()) warnings_.push_back(w);
  }
}

}  // namespace berth::engine
