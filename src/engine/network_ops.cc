// Network lifecycle: create (validate → allocate subnet → store → bridge →
// firewall, undone in reverse on failure), lookup, remove and prune.
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include <spdlog/spdlog.h>

#include "common/go_json.h"
#include "common/random_id.h"
#include "dns/resolv_conf.h"
#include "engine/engine.h"

namespace berth::engine {
namespace {

constexpr const char* kOptBridgeName = "com.docker.network.bridge.name";
constexpr const char* kOptMtu = "com.docker.network.driver.mtu";
constexpr const char* kOptIcc = "com.docker.network.bridge.enable_icc";
constexpr const char* kOptMasq = "com.docker.network.bridge.enable_ip_masquerade";
constexpr const char* kOptHostBinding = "com.docker.network.bridge.host_binding_ipv4";
constexpr const char* kOptEnableIpv6 = "com.docker.network.enable_ipv6";

bool is_predefined_name(const std::string& name) {
  return name == "bridge" || name == "host" || name == "none" || name == "default" ||
         name.rfind("container:", 0) == 0;
}

// Linux interface names: 1..15 bytes, no '/', no whitespace, not "." or "..".
std::optional<std::string> check_ifname(const std::string& name) {
  if (name.empty()) return "bridge name must not be empty";
  if (name.size() > 15) {
    return "bridge name \"" + name + "\" is too long: at most 15 characters are allowed";
  }
  if (name == "." || name == "..") return "invalid bridge name \"" + name + "\"";
  for (char c : name) {
    if (c == '/' || c == ':' || std::isspace(static_cast<unsigned char>(c)) || c < 0x21) {
      return "invalid bridge name \"" + name +
             "\": '/', ':' and whitespace are not allowed in interface names";
    }
  }
  return std::nullopt;
}

// The bridge driver's parseErr (libnetwork/drivers/bridge): Go's strconv
// errors quoted the way dockerd prints them.
Error parse_err(const std::string& label, const std::string& value, const std::string& func,
                const std::string& why) {
  return invalid_argument("failed to parse " + label + " value: " + value + " (strconv." + func +
                          ": parsing \"" + value + "\": " + why + ")");
}

int64_t first_of(const ipam::Prefix& p) { return p.network().v; }
int64_t last_of(const ipam::Prefix& p) { return p.broadcast().v; }

}  // namespace

std::optional<bool> parse_go_bool(const std::string& s) {
  if (s == "1" || s == "t" || s == "T" || s == "TRUE" || s == "true" || s == "True") return true;
  if (s == "0" || s == "f" || s == "F" || s == "FALSE" || s == "false" || s == "False") {
    return false;
  }
  return std::nullopt;
}

std::vector<ipam::Prefix> Engine::reserved_prefixes() {
  std::vector<ipam::Prefix> out;
  if (auto routes = nl_.onlink_routes_v4(); routes.ok()) {
    out = *routes;
  } else {
    spdlog::warn("cannot read on-link routes: {}", routes.error().message());
  }
  std::ifstream f(cfg_.resolv_conf);
  if (f) {
    std::stringstream ss;
    ss << f.rdbuf();
    for (const auto& ns : dns::parse_resolv_conf(ss.str()).nameservers) {
      if (auto a = ipam::parse_ipv4(ns)) out.push_back(ipam::Prefix{*a, 32});
    }
  }
  return out;
}

Result<store::NetworkRecord> Engine::build_bridge_network(const NetworkCreateRequest& req,
                                                          const std::string& id) {
  store::NetworkRecord n;
  n.id = id;
  n.name = req.name;
  n.driver = "bridge";
  n.scope = "local";
  n.internal = req.internal;
  n.attachable = req.attachable;
  n.ipam_driver = req.ipam_driver.empty() ? "default" : req.ipam_driver;
  n.ipam_options = req.ipam_options;
  n.options = req.options;
  n.labels = req.labels;
  n.mtu = 1500;

  // Driver options Docker's bridge driver understands; others are kept and
  // shown, as Docker does.
  if (auto it = req.options.find(kOptBridgeName); it != req.options.end()) {
    if (auto err = check_ifname(it->second)) return invalid_argument(*err);
    // The default bridge's name is caught by the same-bridge-name check
    // below, with dockerd's message.
    n.bridge = it->second;
  }
  if (auto it = req.options.find(kOptMtu); it != req.options.end()) {
    // Go's strconv.Atoi: an optional sign and decimal digits, nothing else.
    static const std::regex kInt("^[+-]?[0-9]+$");
    if (!std::regex_match(it->second, kInt)) {
      return parse_err(kOptMtu, it->second, "Atoi", "invalid syntax");
    }
    errno = 0;
    long long v = std::strtoll(it->second.c_str(), nullptr, 10);
    if (errno == ERANGE) return parse_err(kOptMtu, it->second, "Atoi", "value out of range");
    if (v < 68 || v > 65535) {
      return invalid_argument("invalid MTU number: " + std::to_string(v) +
                              " (allowed: 68 to 65535)");
    }
    n.mtu = static_cast<int>(v);
  }
  for (const char* key : {kOptIcc, kOptMasq}) {
    if (auto it = req.options.find(key); it != req.options.end()) {
      auto b = parse_go_bool(it->second);
      if (!b) return parse_err(key, it->second, "ParseBool", "invalid syntax");
      (std::string(key) == kOptIcc ? n.icc : n.masquerade) = *b;
    }
  }
  if (auto it = req.options.find(kOptHostBinding); it != req.options.end()) {
    if (!ipam::parse_ipv4(it->second)) {
      return invalid_argument("invalid " + std::string(kOptHostBinding) + " value \"" +
                              it->second + "\": must be an IPv4 address");
    }
  }
  if (auto it = req.options.find(kOptEnableIpv6); it != req.options.end()) {
    auto b = parse_go_bool(it->second);
    if (!b) return invalid_argument("driver-opt \"" + std::string(kOptEnableIpv6) + "\" is not a valid bool");
    if (*b) return invalid_argument("IPv6 networks are not supported by berth yet");
  }

  // IPAM.
  auto configs = ipam::validate(req.ipam_config);
  if (!configs.ok()) return configs.error();
  std::vector<store::NetworkRecord> existing;
  if (auto all = store_.list_networks(); all.ok()) {
    existing = std::move(*all);
  } else {
    return all.error();
  }
  ipam::Prefix subnet;
  std::optional<ipam::Prefix> range;
  std::optional<ipam::Ipv4> gateway;
  std::map<std::string, ipam::Ipv4> aux;
  if (configs->empty()) {
    std::vector<ipam::Prefix> in_use;
    for (const auto& e : existing) {
      if (auto p = ipam::parse_cidr(e.subnet)) in_use.push_back(*p);
    }
    auto picked = ipam::pick_subnet(cfg_.default_pools, in_use, reserved_prefixes());
    if (!picked.ok()) return picked.error();
    subnet = *picked;
    n.subnet_from_user = false;
  } else {
    const ipam::Config& c = configs->front();
    subnet = c.subnet;
    range = c.ip_range;
    gateway = c.gateway;
    aux = c.aux_addresses;
    n.subnet_from_user = true;
  }
  ipam::Allocator alloc(subnet, range);
  for (const auto& [name, addr] : aux) {
    if (auto st = alloc.allocate(addr); !st.ok()) {
      return invalid_argument("auxiliary address " + name + " (" + ipam::to_string(addr) +
                              "): " + st.error().message());
    }
  }
  if (gateway) {
    if (auto st = alloc.allocate(*gateway); !st.ok()) {
      return invalid_argument("gateway " + ipam::to_string(*gateway) + ": " +
                              st.error().message());
    }
    n.gateway_from_user = true;
  } else {
    auto gw = alloc.allocate_any();
    if (!gw.ok()) {
      return invalid_argument("no address left for the gateway in " + ipam::to_string(subnet));
    }
    gateway = *gw;
  }
  n.subnet = ipam::to_string(subnet);
  n.ip_range = range ? ipam::to_string(*range) : "";
  n.gateway = ipam::to_string(*gateway);
  for (const auto& [name, addr] : aux) n.aux_addresses[name] = ipam::to_string(addr);
  n.subnet_first = first_of(subnet);
  n.subnet_last = last_of(subnet);

  // Docker's bridge driver refuses two networks on one bridge name, and a
  // subnet overlapping another network (checked again in the transaction).
  for (const auto& e : existing) {
    if (!n.bridge.empty() && e.bridge == n.bridge) {
      return forbidden("cannot create network " + n.id + " (" + n.bridge +
                       "): conflicts with network " + e.id + " (" + e.bridge +
                       "): networks have same bridge name");
    }
  }
  return n;
}

Result<store::NetworkRecord> Engine::create_network(const NetworkCreateRequest& req) {
  std::lock_guard lock(mu_);
  if (is_predefined_name(req.name)) {
    return forbidden("operation is not permitted on predefined " + req.name + " network ");
  }
  static const std::regex kName("^[a-zA-Z0-9][a-zA-Z0-9_.-]*$");
  // libnetwork's NewNetwork: a blank name (an empty request body too).
  if (req.name.find_first_not_of(" \t\r\n\v\f") == std::string::npos) {
    return invalid_argument("invalid name: name is empty");
  }
  if (!std::regex_match(req.name, kName)) {
    return invalid_argument("invalid network name \"" + req.name +
                            "\": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
  }
  const std::string driver = req.driver.empty() ? "bridge" : req.driver;
  if (driver == "overlay") {
    // dockerd without swarm (daemon/network.go createNetwork).
    return forbidden(
        "This node is not a swarm manager. Use \"docker swarm init\" or \"docker swarm join\" "
        "to connect this node to swarm and try again.");
  }
  if (driver == "host" || driver == "null") {
    return forbidden("only one instance of \"" + driver + "\" network is allowed");
  }
  if (driver != "bridge") {
    return not_found("could not find plugin " + driver +
                     " in v1 plugin registry: plugin not found");
  }
  if (req.scope == "swarm") {
    return forbidden("cannot create a swarm scoped network when swarm is not active");
  }
  if (!req.scope.empty() && req.scope != "local") {
    return invalid_argument("scope \"" + req.scope +
                            "\" is not supported: berth networks are local");
  }
  if (req.ingress) {
    // libnetwork's NewNetwork: the bridge driver is local-scoped.
    return forbidden("Ingress network can only be global scope network");
  }
  if (req.config_only || req.config_from) {
    return invalid_argument("config-only networks and --config-from are not supported by berth");
  }
  if (req.enable_ipv6.value_or(false)) {
    return invalid_argument("IPv6 networks are not supported by berth yet");
  }
  if (!req.enable_ipv4.value_or(true)) {
    return invalid_argument("IPv4 cannot be disabled: berth networks are IPv4 networks");
  }
  if (!req.ipam_driver.empty() && req.ipam_driver != "default") {
    return not_found("could not find plugin " + req.ipam_driver +
                     " in v1 plugin registry: plugin not found");
  }
  // The name check before the expensive work; the store checks it again
  // inside its transaction.
  if (auto all = store_.list_networks(); all.ok()) {
    for (const auto& e : *all) {
      if (e.name == req.name) return conflict("network with name " + req.name + " already exists");
    }
  }

  auto built = build_bridge_network(req, random_id());
  if (!built.ok()) return built.error();
  store::NetworkRecord n = std::move(*built);
  n.created = now_nanos();
  if (n.bridge.empty()) n.bridge = "br-" + n.id.substr(0, 12);

  // A bridge of that name that berth did not make is never taken over.
  auto link = nl_.find_link(n.bridge);
  if (!link.ok()) return link.error().wrap("look up bridge " + n.bridge);
  if (link->has_value()) {
    return conflict("cannot create network " + n.name + ": interface " + n.bridge +
                    " already exists on the host and is not managed by berth");
  }

  BERTH_TRY(store_.insert_network(n));
  if (auto st = create_bridge_for(n); !st.ok()) {
    (void)store_.delete_network(n.id);
    return st.error();
  }
  if (auto st = apply_firewall(); !st.ok()) {
    (void)nl_.delete_link(n.bridge);
    (void)store_.delete_network(n.id);
    (void)apply_firewall();
    return st.error();
  }
  dns_sync_locked();
  spdlog::info("network {} ({}) created: {} on {}", n.name, n.id.substr(0, 12), n.subnet,
               n.bridge);
  return n;
}

Result<store::NetworkRecord> Engine::find_locked(const std::string& term) {
  auto all = store_.list_networks();
  if (!all.ok()) return all.error();
  std::vector<const store::NetworkRecord*> by_name, by_prefix;
  for (const auto& n : *all) {
    if (n.id == term) return n;
    if (n.name == term) by_name.push_back(&n);
    if (!term.empty() && n.id.rfind(term, 0) == 0) by_prefix.push_back(&n);
  }
  if (by_name.size() == 1) return *by_name.front();
  if (by_name.size() > 1) {
    return invalid_argument("network " + term + " is ambiguous (" +
                            std::to_string(by_name.size()) + " matches found on name)");
  }
  if (by_prefix.size() == 1) return *by_prefix.front();
  if (by_prefix.size() > 1) {
    return invalid_argument("network " + term + " is ambiguous (" +
                            std::to_string(by_prefix.size()) +
                            " matches found based on ID prefix)");
  }
  return not_found("network " + term + " not found");
}

Result<store::NetworkRecord> Engine::find_network(const std::string& term) {
  std::lock_guard lock(mu_);
  return find_locked(term);
}

Result<std::vector<store::NetworkRecord>> Engine::list_networks() {
  std::lock_guard lock(mu_);
  return store_.list_networks();
}

Status Engine::remove_network(const std::string& term) {
  std::lock_guard lock(mu_);
  auto n = find_locked(term);
  if (!n.ok()) return n.error();
  if (n->predefined) {
    return forbidden(n->name + " is a pre-defined network and cannot be removed");
  }
  if (auto eps = store_.list_endpoints(); eps.ok()) {
    for (const auto& e : *eps) {
      if (e.network_id != n->id) continue;
      auto c = store_.get_container(e.container_id);
      std::string cname = c.ok() && c->has_value() ? (*c)->name : e.container_id;
      return forbidden("error while removing network: network " + n->name +
                       " has active endpoints (name:\"" + cname + "\" id:\"" +
                       e.container_id.substr(0, 12) + "\")");
    }
  }
  if (auto st = nl_.delete_link(n->bridge); !st.ok() && st.error().kind() != ErrorKind::kNotFound) {
    return st.error().wrap("error while removing network");
  }
  BERTH_TRY(store_.delete_network(n->id));
  if (auto st = apply_firewall(); !st.ok()) {
    spdlog::error("network {} removed, but the firewall update failed: {}", n->name,
                  st.error().message());
    return st.error().wrap("error while removing network");
  }
  dns_sync_locked();
  spdlog::info("network {} ({}) removed", n->name, n->id.substr(0, 12));
  return ok_status();
}

Result<std::vector<std::string>> Engine::prune_networks(
    const std::function<bool(const store::NetworkRecord&)>& select) {
  std::vector<std::string> names;
  std::vector<store::NetworkRecord> victims;
  {
    std::lock_guard lock(mu_);
    auto all = store_.list_networks();
    if (!all.ok()) return all.error();
    std::set<std::string> in_use;
    if (auto eps = store_.list_endpoints(); eps.ok()) {
      for (const auto& e : *eps) in_use.insert(e.network_id);
    }
    for (const auto& n : *all) {
      if (!n.predefined && !in_use.count(n.id) && select(n)) victims.push_back(n);
    }
  }
  for (const auto& n : victims) {
    if (auto st = remove_network(n.id); st.ok()) {
      names.push_back(n.name);
    } else {
      spdlog::warn("prune: network {}: {}", n.name, st.error().message());
    }
  }
  return names;
}

}  // namespace berth::engine
