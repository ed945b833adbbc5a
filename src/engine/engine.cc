// Engine start-up: the predefined networks and reconciliation of the kernel
// with the store, plus the two derivations every change uses — a bridge from
// a network record and the whole `ip berth` table from all records.
#include "engine/engine.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include <spdlog/spdlog.h>

#include "common/go_json.h"
#include "common/random_id.h"

namespace berth::engine {
namespace {

constexpr const char* kAliasPrefix = "berth:";

}  // namespace

Engine::Engine(EngineConfig cfg, store::SqliteStore& store, netlink::Netlink& nl,
               firewall::Firewall& fw)
    : cfg_(std::move(cfg)), store_(store), nl_(nl), fw_(fw) {}

Status Engine::start() {
  std::unique_lock lock(mu_);
  epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
  wake_.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!epoll_.valid() || !wake_.valid()) return internal_error("epoll/eventfd failed");
  struct epoll_event ev {};
  ev.events = EPOLLIN;
  ev.data.fd = wake_.get();
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, wake_.get(), &ev);

  for (const char* dir : {"/containers", "/netns", "/images"}) {
    std::error_code ec;
    std::filesystem::create_directories(cfg_.data_root + dir, ec);
    if (ec) return internal_error("create " + cfg_.data_root + dir + ": " + ec.message());
  }
  clear_image_staging();
  BERTH_TRY(ensure_predefined());
  BERTH_TRY(reconcile_containers());
  restore_ports_locked();
  BERTH_TRY(reconcile_links());
  if (cfg_.ip_forward) {
    auto cur = netlink::read_sysctl("net/ipv4/ip_forward");
    if (!cur.ok() || *cur != "1") {
      if (auto st = netlink::write_sysctl("net/ipv4/ip_forward", "1"); st.ok()) {
        spdlog::info("turned on net.ipv4.ip_forward (disable with --ip-forward=false)");
      } else {
        warnings_.push_back("WARNING: IPv4 forwarding could not be enabled: " +
                            st.error().message());
      }
    }
  } else if (auto cur = netlink::read_sysctl("net/ipv4/ip_forward"); cur.ok() && *cur != "1") {
    warnings_.push_back("WARNING: IPv4 forwarding is disabled");
  }
  if (cfg_.iptables) {
    BERTH_TRY(apply_firewall());
  } else {
    warnings_.push_back("WARNING: --iptables=false: berth installs no firewall rules");
  }
  // The embedded DNS of running containers: new sockets in their netns (the
  // old ones died with the previous berthd), the NAT table replaced.
  auto all = store_.list_containers();
  if (dns_ && all.ok()) {
    for (const auto& c : *all) {
      if (c.status != "running" || c.netns_path.empty()) continue;
      auto eps = endpoints_of(c.id);
      if (!eps.ok() || eps->empty()) continue;
      bool user_net = false;
      for (const auto& e : *eps) {
        if (e.ifname != "eth0") continue;
        if (auto n = find_locked(e.network_id); n.ok() && !n->predefined) user_net = true;
      }
      if (!user_net) continue;
      std::string path = c.netns_path;
      if (!std::filesystem::exists(path)) path = "/proc/" + std::to_string(c.pid) + "/ns/net";
      if (auto st = dns_attach_locked(c, path); !st.ok()) {
        warnings_.push_back("WARNING: embedded DNS for container " + c.name + ": " +
                            st.error().message());
      }
    }
  }
  dns_sync_locked();
  // Running containers are watched again; exits that happened while berthd
  // was away are recorded now.
  lock.unlock();
  reaper_ = std::thread([this] { reaper_loop(); });
  if (all.ok()) {
    for (const auto& c : *all) {
      if (c.status == "running") watch(c);
    }
  }
  start_restart_policies();
  return ok_status();
}

Status Engine::ensure_predefined() {
  auto all = store_.list_networks();
  if (!all.ok()) return all.error();
  const store::NetworkRecord* bridge = nullptr;
  bool have_host = false, have_none = false;
  for (const auto& n : *all) {
    if (!n.predefined) continue;
    if (n.name == "bridge") bridge = &n;
    if (n.name == "host") have_host = true;
    if (n.name == "none") have_none = true;
  }

  store::NetworkRecord want;
  want.name = "bridge";
  want.driver = "bridge";
  want.predefined = true;
  want.bridge = cfg_.default_bridge_name;
  const ipam::Prefix subnet = cfg_.bip.canonical();
  want.subnet = ipam::to_string(subnet);
  want.gateway = ipam::to_string(cfg_.bip.addr);
  want.gateway_from_user = true;
  want.subnet_from_user = true;
  want.mtu = cfg_.mtu;
  want.ipam_options_null = true;
  want.options = {
      {"com.docker.network.bridge.default_bridge", "true"},
      {"com.docker.network.bridge.enable_icc", "true"},
      {"com.docker.network.bridge.enable_ip_masquerade", "true"},
      {"com.docker.network.bridge.host_binding_ipv4", "0.0.0.0"},
      {"com.docker.network.bridge.name", cfg_.default_bridge_name},
      {"com.docker.network.driver.mtu", std::to_string(cfg_.mtu)},
  };
  want.subnet_first = subnet.network().v;
  want.subnet_last = subnet.broadcast().v;

  if (bridge && (bridge->subnet != want.subnet || bridge->gateway != want.gateway ||
                 bridge->mtu != want.mtu || bridge->bridge != want.bridge)) {
    // --bip or --mtu changed: the default bridge follows the configuration,
    // keeping its id. Its old bridge device is removed by reconcile.
    spdlog::info("default bridge changes from {} to {}", bridge->subnet, want.subnet);
    want.id = bridge->id;
    want.created = bridge->created;
    (void)nl_.delete_link(bridge->bridge);  // re-created by reconcile with the new address
    BERTH_TRY(store_.delete_network(bridge->id));
    BERTH_TRY(store_.insert_network(want));
  } else if (!bridge) {
    want.id = random_id();
    want.created = now_nanos();
    BERTH_TRY(store_.insert_network(want));
  }
  for (auto [name, driver, have] : {std::tuple{"host", "host", have_host},
                                    std::tuple{"none", "null", have_none}}) {
    if (have) continue;
    store::NetworkRecord n;
    n.id = random_id();
    n.name = name;
    n.driver = driver;
    n.predefined = true;
    n.created = now_nanos();
    n.ipam_options_null = true;
    BERTH_TRY(store_.insert_network(n));
  }
  return ok_status();
}

Status Engine::reconcile_links() {
  auto all = store_.list_networks();
  if (!all.ok()) return all.error();
  auto links = nl_.list_links();
  if (!links.ok()) return links.error().wrap("list links");

  std::set<std::string> known_ids;
  for (const auto& n : *all) known_ids.insert(n.id);
  if (auto eps = store_.list_endpoints(); eps.ok()) {
    for (const auto& e : *eps) known_ids.insert(e.id);
  } else {
    return eps.error();
  }

  // Delete only what carries berth's mark and the store no longer knows.
  for (const auto& l : *links) {
    if (l.alias.rfind(kAliasPrefix, 0) != 0) continue;
    const std::string id = l.alias.substr(std::string(kAliasPrefix).size());
    if (known_ids.count(id)) continue;
    spdlog::info("reconcile: deleting {} (marked {}, unknown to the store)", l.name, l.alias);
    if (auto st = nl_.delete_link(l.name); !st.ok()) {
      warnings_.push_back("WARNING: could not delete stale link " + l.name + ": " +
                          st.error().message());
    }
  }
  for (const auto& n : *all) {
    if (n.driver != "bridge" || n.bridge.empty()) continue;
    const netlink::LinkInfo* found = nullptr;
    for (const auto& l : *links) {
      if (l.name == n.bridge) found = &l;
    }
    if (found && found->alias == kAliasPrefix + n.id) continue;
    if (found) {
      warnings_.push_back("WARNING: interface " + n.bridge + " of network " + n.name +
                          " exists but is not marked as berth's; it is left alone");
      continue;
    }
    spdlog::info("reconcile: creating bridge {} for network {}", n.bridge, n.name);
    if (auto st = create_bridge_for(n); !st.ok()) {
      warnings_.push_back("WARNING: network " + n.name + ": " + st.error().message());
    }
  }
  return ok_status();
}

Status Engine::create_bridge_for(const store::NetworkRecord& n) {
  netlink::BridgeSpec spec;
  spec.name = n.bridge;
  spec.alias = kAliasPrefix + n.id;
  spec.mtu = n.mtu;
  auto subnet = ipam::parse_cidr(n.subnet);
  auto gw = ipam::parse_ipv4(n.gateway);
  if (!subnet || !gw) return internal_error("network " + n.name + " has a corrupt subnet");
  spec.address = *gw;
  spec.prefix_len = subnet->len;
  return nl_.create_bridge(spec);
}

Status Engine::apply_firewall() {
  if (!cfg_.iptables) return ok_status();
  auto all = store_.list_networks();
  if (!all.ok()) return all.error();
  firewall::Ruleset rs;
  for (const auto& n : *all) {
    if (n.driver != "bridge") continue;
    auto subnet = ipam::parse_cidr(n.subnet);
    if (!subnet) continue;
    firewall::BridgeNetwork b;
    b.id = n.id;
    b.bridge = n.bridge;
    b.subnet = subnet->canonical();
    b.internal = n.internal;
    b.icc = n.icc;
    b.masquerade = n.masquerade;
    rs.networks.push_back(std::move(b));
  }
  rs.mode = cfg_.proxy_mode;
  if (auto ports = store_.list_ports(); ports.ok()) {
    for (const auto& p : *ports) {
      auto hip = ipam::parse_ipv4(p.host_ip);
      auto cip = ipam::parse_ipv4(p.container_ip);
      if (!hip || !cip) continue;
      rs.ports.push_back({*hip, p.proto == "udp" ? 17 : 6, p.host_port, *cip, p.container_port});
    }
  }
  BERTH_TRY(firewall::validate(rs));
  // Host-local clients on 127.0.0.1 reach containers through the kernel
  // path unless the proxy is `always`: loopback-sourced packets may then be
  // routed into berth's bridges (Docker sets the same for userland-proxy=false).
  if (cfg_.proxy_mode != firewall::ProxyMode::kAlways) {
    for (const auto& b : rs.networks) {
      if (b.internal) continue;
      const std::string key = "net/ipv4/conf/" + b.bridge + "/route_localnet";
      if (auto cur = netlink::read_sysctl(key); cur.ok() && *cur != "1") {
        if (auto st = netlink::write_sysctl(key, "1"); !st.ok()) {
          spdlog::warn("{}: {}", key, st.error().message());
        }
      }
    }
  }
  // ICC off is enforced in the forward hook, which bridged traffic only
  // reaches while br_netfilter is on (Docker sets the same sysctl).
  const bool need_br_nf =
      std::any_of(rs.networks.begin(), rs.networks.end(), [](const auto& b) { return !b.icc; });
  if (need_br_nf) {
    auto cur = netlink::read_sysctl("net/bridge/bridge-nf-call-iptables");
    if (!cur.ok() || *cur != "1") {
      if (auto st = netlink::write_sysctl("net/bridge/bridge-nf-call-iptables", "1"); !st.ok()) {
        const std::string w =
            "WARNING: bridge-nf-call-iptables is disabled and cannot be enabled (load the "
            "br_netfilter module): networks with enable_icc=false do not isolate containers";
        if (std::find(warnings_.begin(), warnings_.end(), w) == warnings_.end()) {
          warnings_.push_back(w);
        }
      }
    }
  }
  if (auto st = fw_.apply(firewall::render(rs)); !st.ok()) {
    return st.error().wrap("apply nftables table ip berth");
  }
  return ok_status();
}

std::vector<std::string> Engine::warnings() {
  std::lock_guard lock(mu_);
  return warnings_;
}

}  // namespace berth::engine
