// `docker network connect` / `disconnect` and `docker rename`.
//
// The record's NetworkingConfig (networking_json) is the list of networks a
// container is attached to: connect adds an entry, disconnect removes it; the
// NetworkMode network, implicit at create, is marked detached with a JSON
// null under its key. A running container's kernel state follows at once:
// one more (or one fewer) veth in its namespace, the default route moved to
// the endpoint Docker's order (choose_gateway) prefers, /etc/hosts rewritten.
// Every step is undone when a later one fails.
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include <spdlog/spdlog.h>

#include "common/go_json.h"
#include "common/random_id.h"
#include "engine/endpoint_names.h"
#include "engine/engine.h"
#include "runtime/runtime.h"

namespace berth::engine {
namespace {

std::string jstr(const nlohmann::ordered_json& j, const char* key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

// What connect keeps of the client's EndpointSettings: the request fields
// (inspect fills the runtime ones from the active endpoint).
nlohmann::ordered_json stored_endpoint_config(const nlohmann::ordered_json& in) {
  nlohmann::ordered_json e = nlohmann::ordered_json::object();
  auto get = [&](const char* k) -> nlohmann::ordered_json {
    if (in.is_object() && in.contains(k)) return in[k];
    return nullptr;
  };
  nlohmann::ordered_json ipam = get("IPAMConfig");
  if (ipam.is_object()) {
    nlohmann::ordered_json kept = nlohmann::ordered_json::object();
    for (const char* k : {"IPv4Address", "IPv6Address"}) {
      if (!jstr(ipam, k).empty()) kept[k] = jstr(ipam, k);
    }
    ipam = kept.empty() ? nlohmann::ordered_json(nullptr) : kept;
  }
  e["IPAMConfig"] = ipam;
  e["Links"] = get("Links");
  nlohmann::ordered_json aliases = get("Aliases");
  e["Aliases"] = aliases.is_array() && !aliases.empty() ? aliases : nlohmann::ordered_json(nullptr);
  e["MacAddress"] = jstr(in, "MacAddress");
  e["DriverOpts"] = get("DriverOpts");
  nlohmann::ordered_json prio = get("GwPriority");
  e["GwPriority"] = prio.is_number_integer() ? prio : nlohmann::ordered_json(0);
  return e;
}

nlohmann::ordered_json networking_of(const store::ContainerRecord& c) {
  auto j = nlohmann::ordered_json::parse(c.networking_json.empty() ? "{}" : c.networking_json,
                                         nullptr, false);
  if (!j.is_object()) j = nlohmann::ordered_json::object();
  return j;
}

}  // namespace

void Engine::rewrite_hosts_locked(const store::ContainerRecord& c) {
  auto spec = spec_from_docker(nlohmann::json::parse(c.config_json),
                               nlohmann::json::parse(c.host_config_json),
                               nlohmann::json::parse(c.networking_json));
  if (!spec.ok() || spec->is_host() || spec->is_container_mode()) return;
  runtime::HostsSpec hs;
  hs.hostname = c.hostname;
  hs.domainname = spec->domainname;
  for (const auto& h : spec->extra_hosts) {
    auto colon = h.find(':');
    if (colon != std::string::npos) hs.extra_hosts.push_back({h.substr(colon + 1), h.substr(0, colon)});
  }
  auto eps = endpoints_of(c.id);
  if (eps.ok()) {
    std::sort(eps->begin(), eps->end(), [](const auto& a, const auto& b) {
      return a.ifname.size() != b.ifname.size() ? a.ifname.size() < b.ifname.size()
                                                : a.ifname < b.ifname;
    });
    for (const auto& e : *eps) hs.addresses.push_back(e.ip);
  }
  const std::string path = bundle_dir(c.id) + "/hosts";
  if (auto st = runtime::write_bundle_file(path, runtime::hosts_file(hs)); !st.ok()) {
    spdlog::warn("container {}: rewrite /etc/hosts: {}", c.name, st.error().message());
  }
}

Status Engine::connect_network(const std::string& net_term, const std::string& ctr_term,
                               const nlohmann::ordered_json& endpoint_config) {
  std::lock_guard lock(mu_);
  auto found = find_container_locked(ctr_term);
  if (!found.ok()) return found.error();
  store::ContainerRecord c = *found;
  auto n = find_locked(net_term);
  if (!n.ok()) return n.error();
  auto spec = spec_from_docker(nlohmann::json::parse(c.config_json),
                               nlohmann::json::parse(c.host_config_json),
                               nlohmann::json::parse(c.networking_json));
  if (!spec.ok()) return spec.error();

  // Docker's updateNetworkSettings: host and shared namespaces first.
  if (n->driver == "host" && !spec->is_host()) {
    return invalid_argument(
        "cannot connect container to host network - container must be created in host network "
        "mode");
  }
  if (spec->is_container_mode() || spec->is_host()) {
    if (spec->is_host() && n->driver == "host") {
      return forbidden("endpoint with name " + c.name + " already exists in network " + n->name);
    }
    return invalid_argument(
        "container sharing network namespace with another container or host cannot be "
        "connected to any other network");
  }
  for (const auto& e : spec->endpoints) {
    auto other = find_locked(e.network);
    if (!other.ok()) continue;
    if (other->id == n->id) {
      return forbidden("endpoint with name " + c.name + " already exists in network " + n->name);
    }
  }
  const bool none_involved =
      n->driver == "null" || (spec->is_none() && networking_of(c).value(c.network_mode, nlohmann::ordered_json::object()).is_object());
  if (none_involved) {
    return invalid_argument(
        "container cannot be connected to multiple networks with one of the networks in private "
        "(none) mode");
  }

  // validateEndpointSettings.
  const nlohmann::ordered_json stored = stored_endpoint_config(endpoint_config);
  const std::string want_ip = stored["IPAMConfig"].is_object() ? jstr(stored["IPAMConfig"], "IPv4Address") : "";
  const std::string want_ip6 = stored["IPAMConfig"].is_object() ? jstr(stored["IPAMConfig"], "IPv6Address") : "";
  std::vector<std::string> errs;
  std::optional<ipam::Ipv4> ip_wanted;
  if (!want_ip.empty()) {
    ip_wanted = ipam::parse_ipv4(want_ip);
    if (!ip_wanted) errs.push_back("invalid IPv4 address: " + want_ip);
  }
  if (!want_ip6.empty()) {
    errs.push_back("invalid IPv6 address: " + want_ip6 + " (berth networks have no IPv6)");
  }
  if (n->predefined && (!want_ip.empty() || !want_ip6.empty())) {
    errs.push_back("user specified IP address is supported on user defined networks only");
  }
  if (n->predefined && stored["Aliases"].is_array()) {
    errs.push_back("network-scoped alias is supported only for containers in user defined networks");
  }
  if (ip_wanted && !n->predefined) {
    auto subnet = ipam::parse_cidr(n->subnet);
    if (!n->subnet_from_user) {
      errs.push_back(
          "user specified IP address is supported only when connecting to networks with user "
          "configured subnets");
    } else if (subnet && !subnet->contains(*ip_wanted)) {
      errs.push_back("no configured subnet or ip-range contain the IP address " + want_ip);
    }
  }
  const std::string mac_wanted = jstr(stored, "MacAddress");
  if (!mac_wanted.empty() && !parse_mac(mac_wanted)) errs.push_back("invalid MAC address: " + mac_wanted);
  if (!errs.empty()) {
    std::string msg = "invalid endpoint settings:";
    for (const auto& e : errs) msg += "\n" + e;
    return invalid_argument(msg);
  }

  // The key under which the request is recorded: the NetworkMode key for
  // the NetworkMode network (re-attached), else the network's name.
  auto mode_net = find_locked(c.network_mode);
  const std::string key = mode_net.ok() && mode_net->id == n->id ? c.network_mode : n->name;
  nlohmann::ordered_json networking = networking_of(c);
  networking[key] = stored;
  store::ContainerRecord updated = c;
  updated.networking_json = networking.dump();

  if (c.status != "running") {
    BERTH_TRY(store_.update_container(updated));
    spdlog::info("container {} connected to network {} (applied at start)", c.name, n->name);
    return ok_status();
  }

  // Running: one endpoint now.
  std::vector<std::function<void()>> undo;
  auto fail = [&](const Error& e) -> Status {
    for (auto it = undo.rbegin(); it != undo.rend(); ++it) (*it)();
    return e;
  };
  auto eps = endpoints_of(c.id);
  if (!eps.ok()) return eps.error();
  auto all_eps = store_.list_endpoints();
  if (!all_eps.ok()) return all_eps.error();
  auto subnet = ipam::parse_cidr(n->subnet);
  auto gw = ipam::parse_ipv4(n->gateway);
  if (!subnet || !gw) return internal_error("network " + n->name + " is corrupt");
  std::optional<ipam::Prefix> range;
  if (!n->ip_range.empty()) range = ipam::parse_cidr(n->ip_range);
  ipam::Allocator alloc(subnet->canonical(), range);
  (void)alloc.allocate(*gw);
  for (const auto& [k, v] : n->aux_addresses) {
    if (auto a = ipam::parse_ipv4(v)) (void)alloc.allocate(*a);
  }
  for (const auto& e : *all_eps) {
    if (e.network_id == n->id) (void)alloc.allocate(ipam::Ipv4{static_cast<uint32_t>(e.ip_int)});
  }
  ipam::Ipv4 ip;
  if (ip_wanted) {
    if (!alloc.allocate(*ip_wanted).ok()) return forbidden("Address already in use");
    ip = *ip_wanted;
  } else {
    auto got = alloc.allocate_any();
    if (!got.ok()) {
      return forbidden("no available IPv4 addresses on this network's address pools: " + n->name +
                       " (" + n->id + ")");
    }
    ip = *got;
  }
  store::EndpointRecord ep;
  ep.id = random_id();
  ep.container_id = c.id;
  ep.network_id = n->id;
  std::set<std::string> used;
  for (const auto& e : *eps) used.insert(e.ifname);
  for (int i = 0;; ++i) {
    if (!used.count("eth" + std::to_string(i))) {
      ep.ifname = "eth" + std::to_string(i);
      break;
    }
  }
  std::set<std::string> taken;
  if (auto links = nl_.list_links(); links.ok()) {
    for (const auto& l : *links) taken.insert(l.name);
  }
  do {
    ep.host_ifname = random_veth_name();
  } while (taken.count(ep.host_ifname));
  ep.ip = ipam::to_string(ip);
  ep.ip_int = ip.v;
  ep.prefix_len = subnet->len;
  ep.mac = mac_wanted.empty() ? mac_from_ip(ip) : mac_wanted;
  ep.gateway = n->internal ? "" : n->gateway;
  ep.static_ip = ip_wanted.has_value();
  if (auto st = store_.insert_endpoints({ep}); !st.ok()) {
    return st.error().kind() == ErrorKind::kConflict ? forbidden(st.error().message()) : st.error();
  }
  undo.push_back([this, id = ep.id] { (void)store_.delete_endpoint(id); });

  // Default route: Docker's order over all endpoints, the new one included.
  auto new_spec = spec_from_docker(nlohmann::json::parse(updated.config_json),
                                   nlohmann::json::parse(updated.host_config_json),
                                   nlohmann::json::parse(updated.networking_json));
  auto priority_of = [&](const std::string& network_id) {
    if (!new_spec.ok()) return 0;
    for (const auto& r : new_spec->endpoints) {
      auto rn = find_locked(r.network);
      if (rn.ok() && rn->id == network_id) return r.gw_priority;
    }
    return 0;
  };
  std::vector<store::EndpointRecord> now = *eps;
  now.push_back(ep);
  std::vector<GatewayCandidate> cands;
  for (const auto& e : now) {
    auto en = store_.get_network(e.network_id);
    const bool ok = en.ok() && en->has_value();
    cands.push_back({ok ? (*en)->name : "", priority_of(e.network_id), ok ? (*en)->internal : true});
  }
  const int chosen = choose_gateway(cands);

  netlink::EndpointSpec es;
  es.host_ifname = ep.host_ifname;
  es.alias = "berth:" + ep.id;
  es.bridge = n->bridge;
  es.mtu = n->mtu;
  es.netns_path = c.netns_path;
  es.container_ifname = ep.ifname;
  es.mac = *parse_mac(ep.mac);
  es.address = ip;
  es.prefix_len = ep.prefix_len;
  if (chosen == static_cast<int>(now.size()) - 1) es.default_gateway = ipam::parse_ipv4(ep.gateway);
  if (auto st = netlink::setup_endpoint(nl_, es); !st.ok()) {
    return fail(st.error().wrap("failed to connect container to network " + n->name));
  }
  undo.push_back([this, veth = ep.host_ifname] { (void)netlink::teardown_endpoint(nl_, veth); });
  if (auto st = store_.update_container(updated); !st.ok()) return fail(st.error());
  rewrite_hosts_locked(updated);
  dns_sync_locked();  // the new network's names, at the very next query
  spdlog::info("container {} connected to network {} as {} {}", c.name, n->name, ep.ifname, ep.ip);
  return ok_status();
}

Status Engine::disconnect_network(const std::string& net_term, const std::string& ctr_term,
                                  bool force) {
  std::lock_guard lock(mu_);
  auto found = find_container_locked(ctr_term);
  if (!found.ok()) return found.error();
  store::ContainerRecord c = *found;
  auto n = find_locked(net_term);
  if (!n.ok() && !force) return n.error();
  nlohmann::ordered_json networking = networking_of(c);

  // Drops the request for this network from the record: its key (a null
  // for the NetworkMode network). False when the container had none.
  auto drop_request = [&](const std::string& id, const std::string& term) {
    bool dropped = false;
    auto mode_net = find_locked(c.network_mode);
    const bool is_mode = (mode_net.ok() && !id.empty() && mode_net->id == id) ||
                         c.network_mode == term;
    if (is_mode && !networking.value(c.network_mode, nlohmann::ordered_json::object()).is_null()) {
      networking[c.network_mode] = nullptr;
      dropped = true;
    }
    std::vector<std::string> keys;
    for (auto it = networking.begin(); it != networking.end(); ++it) {
      if (it.key() == c.network_mode) continue;
      auto kn = find_locked(it.key());
      if (it.key() == term || (kn.ok() && kn->id == id)) keys.push_back(it.key());
    }
    for (const auto& k : keys) {
      networking.erase(k);
      dropped = true;
    }
    return dropped;
  };

  if (n.ok() && c.network_mode == "host" && n->driver == "host") {
    return invalid_argument(
        "cannot disconnect container from host network - container was created in host network "
        "mode");
  }
  if (c.status != "running" || !n.ok()) {
    if (!drop_request(n.ok() ? n->id : "", net_term)) {
      return internal_error("container " + c.id + " is not connected to the network " +
                            (n.ok() ? n->name : net_term));
    }
    store::ContainerRecord updated = c;
    updated.networking_json = networking.dump();
    BERTH_TRY(store_.update_container(updated));
    spdlog::info("container {} disconnected from network {}", c.name, net_term);
    return ok_status();
  }

  auto eps = endpoints_of(c.id);
  if (!eps.ok()) return eps.error();
  const store::EndpointRecord* ep = nullptr;
  for (const auto& e : *eps) {
    if (e.network_id == n->id) ep = &e;
  }
  if (!ep) {
    return internal_error("container " + c.id + " is not connected to network " + n->name);
  }
  const store::EndpointRecord gone = *ep;
  if (auto st = netlink::teardown_endpoint(nl_, gone.host_ifname); !st.ok()) {
    if (!force) return st.error().wrap("failed to disconnect container from network " + n->name);
    spdlog::warn("container {}: remove endpoint {}: {}", c.name, gone.host_ifname,
                 st.error().message());
  }
  (void)drop_request(n->id, net_term);
  store::ContainerRecord updated = c;
  updated.networking_json = networking.dump();
  BERTH_TRY(store_.delete_endpoint(gone.id));
  BERTH_TRY(store_.update_container(updated));

  // The default route: Docker's order over what remains. The kernel took
  // the old route away with the interface.
  auto spec = spec_from_docker(nlohmann::json::parse(updated.config_json),
                               nlohmann::json::parse(updated.host_config_json),
                               nlohmann::json::parse(updated.networking_json));
  std::vector<store::EndpointRecord> rest;
  std::vector<GatewayCandidate> cands;
  for (const auto& e : *eps) {
    if (e.id == gone.id) continue;
    auto en = store_.get_network(e.network_id);
    const bool ok = en.ok() && en->has_value();
    int prio = 0;
    if (spec.ok()) {
      for (const auto& r : spec->endpoints) {
        auto rn = find_locked(r.network);
        if (rn.ok() && rn->id == e.network_id) prio = r.gw_priority;
      }
    }
    rest.push_back(e);
    cands.push_back({ok ? (*en)->name : "", prio, ok ? (*en)->internal : true});
  }
  const int chosen = choose_gateway(cands);
  if (chosen >= 0 && !rest[chosen].gateway.empty()) {
    auto gw = ipam::parse_ipv4(rest[chosen].gateway);
    if (auto st = netlink::set_default_route(c.netns_path, gw, rest[chosen].ifname); !st.ok()) {
      spdlog::warn("container {}: default route via {}: {}", c.name, rest[chosen].ifname,
                   st.error().message());
    }
  }
  rewrite_hosts_locked(updated);
  dns_sync_locked();
  spdlog::info("container {} disconnected from network {} ({})", c.name, n->name, gone.ifname);
  return ok_status();
}

Result<std::vector<Engine::NetworkAttachment>> Engine::network_attachments(
    const std::string& network_id) {
  std::lock_guard lock(mu_);
  auto eps = store_.list_endpoints();
  if (!eps.ok()) return eps.error();
  std::vector<NetworkAttachment> out;
  for (auto& e : *eps) {
    if (e.network_id != network_id) continue;
    auto c = store_.get_container(e.container_id);
    NetworkAttachment a;
    a.container_name = c.ok() && c->has_value() ? (*c)->name : "";
    a.endpoint = std::move(e);
    out.push_back(std::move(a));
  }
  return out;
}

Status Engine::rename_container(const std::string& term, const std::string& new_name_in) {
  if (term.empty() || new_name_in.empty()) {
    return invalid_argument("Neither old nor new names may be empty");
  }
  std::string new_name = new_name_in[0] == '/' ? new_name_in.substr(1) : new_name_in;
  std::lock_guard lock(mu_);
  auto found = find_container_locked(term);
  if (!found.ok()) return found.error();
  store::ContainerRecord c = *found;
  if (c.name == new_name) {
    return invalid_argument("Renaming a container with the same name as its current name");
  }
  static const std::regex kName("^[a-zA-Z0-9][a-zA-Z0-9_.-]+$");
  if (!std::regex_match(new_name, kName)) {
    return invalid_argument("Error when allocating new name: Invalid container name (/" + new_name +
                            "), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
  }
  auto all = store_.list_containers();
  if (!all.ok()) return all.error();
  for (const auto& o : *all) {
    if (o.name == new_name) {
      return conflict("Error when allocating new name: Conflict. The container name \"/" +
                      new_name + "\" is already in use by container \"" + o.id +
                      "\". You have to remove (or rename) that container to be able to reuse "
                      "that name.");
    }
  }
  const std::string old = c.name;
  c.name = new_name;
  BERTH_TRY(store_.update_container(c));
  dns_sync_locked();  // the old name stops resolving, the new one starts
  spdlog::info("container {} renamed to {}", old, new_name);
  return ok_status();
}

}  // namespace berth::engine
