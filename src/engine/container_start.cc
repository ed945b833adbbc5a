// Starting a container: its network namespace, one endpoint per network
// (address from the allocator inside the store's transaction, veth pair,
// default route by Docker's order), the /etc files, then the process through
// berth-shim. Each step is undone in reverse when a later one fails, so a
// failed start leaves the record as it was and no kernel object, allocation
// or process behind.
#include <net/if.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
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

namespace fs = std::filesystem;

std::string read_file(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// `lo` up inside a namespace that gets no endpoint (--net=none).
Status loopback_up(const std::string& netns_path) {
  return netlink::run_in_netns(netns_path, []() -> Status {
    int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return internal_error("socket: " + std::string(strerror(errno)));
    struct ifreq ifr {};
    strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
    int rc = ::ioctl(fd, SIOCGIFFLAGS, &ifr);
    if (rc == 0) {
      ifr.ifr_flags |= IFF_UP;
      rc = ::ioctl(fd, SIOCSIFFLAGS, &ifr);
    }
    const int err = errno;
    ::close(fd);
    if (rc != 0) return internal_error("set lo up: " + std::string(strerror(err)));
    return ok_status();
  });
}

}  // namespace

void Engine::teardown_network_locked(const store::ContainerRecord& c) {
  unpublish_ports_locked(c.id);
  auto eps = endpoints_of(c.id);
  if (eps.ok()) {
    for (const auto& e : *eps) {
      if (auto st = netlink::teardown_endpoint(nl_, e.host_ifname); !st.ok()) {
        spdlog::warn("container {}: remove endpoint {}: {}", c.name, e.host_ifname,
                     st.error().message());
      }
    }
  }
  if (auto st = store_.delete_endpoints(c.id); !st.ok()) {
    spdlog::warn("container {}: release addresses: {}", c.name, st.error().message());
  }
  const std::string own_netns = cfg_.data_root + "/netns/" + c.id;
  if (fs::exists(own_netns)) {
    if (auto st = runtime::remove_netns(own_netns); !st.ok()) {
      spdlog::warn("container {}: remove netns: {}", c.name, st.error().message());
    }
  }
}

Result<bool> Engine::start_container(const std::string& term) {
  store::ContainerRecord c;
  {
    std::lock_guard lock(mu_);
    auto found = find_container_locked(term);
    if (!found.ok()) return found.error();
    c = *found;
    if (c.status == "running") return false;
    note_manual_start_locked(c.id);  // restart policies: count and manual stop reset
    c.restart_count = 0;
    auto st = start_locked(c);
    if (!st.ok()) return st.error();
  }
  watch(c);
  return true;
}

Status Engine::start_locked(store::ContainerRecord& c) {
  const nlohmann::json config = nlohmann::json::parse(c.config_json);
  auto spec = spec_from_docker(config, nlohmann::json::parse(c.host_config_json),
                               nlohmann::json::parse(c.networking_json));
  if (!spec.ok()) return spec.error();
  const std::string bundle = bundle_dir(c.id);
  std::error_code ec;
  const bool bundle_existed = fs::exists(bundle);
  fs::create_directories(bundle, ec);
  fs::create_directories(cfg_.data_root + "/netns", ec);
  if (ec) return internal_error("create " + bundle + ": " + ec.message());

  // 1. Which networks, and which namespace.
  struct Attachment {
    store::NetworkRecord net;
    EndpointRequest req;
  };
  std::vector<Attachment> attachments;
  std::string netns_path;
  bool own_netns = false;
  std::string hostname = c.hostname;
  if (spec->is_container_mode()) {
    auto other = find_container_locked(spec->container_mode_target());
    if (!other.ok()) return other.error();
    if (other->status != "running") {
      return conflict("cannot join network namespace of a non running container: container " +
                      other->id + " is " + other->status);
    }
    netns_path = other->netns_path;  // "" when the other one is on the host network
    hostname = other->hostname;
  } else if (!spec->is_host()) {
    for (const auto& r : spec->endpoints) {
      if (spec->is_none()) break;
      auto n = find_locked(r.network);
      if (!n.ok()) {
        if (n.error().kind() == ErrorKind::kNotFound) {
          return not_found("failed to set up container networking: network " + r.network +
                           " not found");
        }
        return n.error();
      }
      if (n->driver != "bridge") {
        return invalid_argument("container cannot be connected to network " + n->name +
                                " together with others");
      }
      attachments.push_back({*n, r});
    }
    netns_path = cfg_.data_root + "/netns/" + c.id;
    own_netns = true;
  }

  // Undo list, run in reverse on failure.
  std::vector<std::function<void()>> undo;
  auto fail = [&](const Error& e) -> Status {
    for (auto it = undo.rbegin(); it != undo.rend(); ++it) (*it)();
    return e;
  };
  if (!bundle_existed) {
    undo.push_back([bundle] {
      std::error_code e;
      fs::remove_all(bundle, e);
    });
  }

  if (own_netns) {
    if (fs::exists(netns_path)) (void)runtime::remove_netns(netns_path);  // a stale one
    if (auto st = runtime::create_netns(netns_path); !st.ok()) {
      return fail(st.error().wrap("create network namespace"));
    }
    undo.push_back([netns_path] { (void)runtime::remove_netns(netns_path); });
    if (auto st = loopback_up(netns_path); !st.ok()) return fail(st.error());
  }

  // 2. Addresses: one transaction for all endpoints of this container.
  std::vector<store::EndpointRecord> eps;
  std::unique_ptr<proxy::Reservation> ports;  // released if start fails before publishing
  std::string port_ip;
  if (!attachments.empty()) {
    auto all_eps = store_.list_endpoints();
    if (!all_eps.ok()) return fail(all_eps.error());
    std::set<std::string> taken_ifnames;
    if (auto links = nl_.list_links(); links.ok()) {
      for (const auto& l : *links) taken_ifnames.insert(l.name);
    }
    for (size_t i = 0; i < attachments.size(); ++i) {
      const auto& net = attachments[i].net;
      const auto& req = attachments[i].req;
      auto subnet = ipam::parse_cidr(net.subnet);
      auto gw = ipam::parse_ipv4(net.gateway);
      if (!subnet || !gw) return fail(internal_error("network " + net.name + " is corrupt"));
      std::optional<ipam::Prefix> range;
      if (!net.ip_range.empty()) range = ipam::parse_cidr(net.ip_range);
      ipam::Allocator alloc(subnet->canonical(), range);
      (void)alloc.allocate(*gw);
      for (const auto& [k, v] : net.aux_addresses) {
        if (auto a = ipam::parse_ipv4(v)) (void)alloc.allocate(*a);
      }
      for (const auto& e : *all_eps) {
        if (e.network_id == net.id) (void)alloc.allocate(ipam::Ipv4{static_cast<uint32_t>(e.ip_int)});
      }
      ipam::Ipv4 ip;
      if (!req.ipv4.empty()) {
        auto want = ipam::parse_ipv4(req.ipv4);
        if (!want) return fail(invalid_argument("invalid IPv4 address: " + req.ipv4));
        if (!subnet->contains(*want)) {
          return fail(invalid_argument(
              "invalid endpoint settings:\nno configured subnet or ip-range contain the IP "
              "address " + req.ipv4));
        }
        if (auto st = alloc.allocate(*want); !st.ok()) {
          return fail(forbidden("failed to set up container networking: Address already in use"));
        }
        ip = *want;
      } else {
        auto got = alloc.allocate_any();
        if (!got.ok()) {
          return fail(forbidden("no available IPv4 addresses on this network's address pools: " +
                                net.name + " (" + net.id + ")"));
        }
        ip = *got;
      }
      store::EndpointRecord e;
      e.id = random_id();
      e.container_id = c.id;
      e.network_id = net.id;
      e.ifname = "eth" + std::to_string(i);
      do {
        e.host_ifname = random_veth_name();
      } while (taken_ifnames.count(e.host_ifname));
      taken_ifnames.insert(e.host_ifname);
      e.ip = ipam::to_string(ip);
      e.ip_int = ip.v;
      e.prefix_len = subnet->len;
      std::string mac = !req.mac.empty() ? req.mac : (i == 0 ? spec->mac_address : "");
      e.mac = mac.empty() ? mac_from_ip(ip) : mac;
      if (!parse_mac(e.mac)) return fail(invalid_argument("invalid MAC address: " + e.mac));
      e.gateway = net.internal ? "" : net.gateway;
      e.static_ip = !req.ipv4.empty();
      eps.push_back(std::move(e));
    }
    if (auto st = store_.insert_endpoints(eps); !st.ok()) {
      return fail(st.error().kind() == ErrorKind::kConflict
                      ? forbidden("failed to set up container networking: " + st.error().message())
                      : st.error());
    }
    const std::string cid = c.id;
    undo.push_back([this, cid] { (void)store_.delete_endpoints(cid); });

    std::vector<GatewayCandidate> cands;
    for (const auto& a : attachments) cands.push_back({a.net.name, a.req.gw_priority, a.net.internal});
    const int gw_index = choose_gateway(cands);

    // Published ports, on the endpoint that has the default route: held now,
    // before any kernel object, so a conflict leaves nothing behind.
    if (gw_index >= 0) {
      port_ip = eps[static_cast<size_t>(gw_index)].ip;
      auto r = reserve_ports_locked(*spec, config, nlohmann::json::parse(c.host_config_json),
                                    c.name, eps[static_cast<size_t>(gw_index)].id, port_ip);
      if (!r.ok()) return fail(r.error());
      ports = std::move(*r);
    }

    // 3. Kernel: one veth pair per endpoint; the default route from the
    // endpoint Docker would choose.
    for (size_t i = 0; i < eps.size(); ++i) {
      netlink::EndpointSpec es;
      es.host_ifname = eps[i].host_ifname;
      es.alias = "berth:" + eps[i].id;
      es.bridge = attachments[i].net.bridge;
      es.mtu = attachments[i].net.mtu;
      es.netns_path = netns_path;
      es.container_ifname = eps[i].ifname;
      es.mac = *parse_mac(eps[i].mac);
      es.address = ipam::Ipv4{static_cast<uint32_t>(eps[i].ip_int)};
      es.prefix_len = eps[i].prefix_len;
      if (static_cast<int>(i) == gw_index) es.default_gateway = ipam::parse_ipv4(eps[i].gateway);
      // A container reaching its own published port through the host.
      es.hairpin = ports && static_cast<int>(i) == gw_index;
      if (auto st = netlink::setup_endpoint(nl_, es); !st.ok()) {
        return fail(st.error().wrap("failed to set up container networking"));
      }
      const std::string veth = es.host_ifname;
      undo.push_back([this, veth] { (void)netlink::teardown_endpoint(nl_, veth); });
    }
    if (auto st = publish_ports_locked(c, std::move(ports), port_ip, undo); !st.ok()) {
      return fail(st.error());
    }
  }

  // 4. /etc files.
  runtime::ProcessSpec ps;
  ps.id = c.id;
  ps.bundle_dir = bundle;
  ps.data_root = cfg_.data_root;
  ps.log_path = bundle + "/" + c.id + "-json.log";
  if (!spec->is_container_mode()) {
    const std::string host_resolv = read_file(cfg_.resolv_conf);
    runtime::DnsOverrides dns{spec->dns, spec->dns_search, spec->dns_options};
    runtime::HostsSpec hs;
    hs.hostname = hostname;
    hs.domainname = spec->domainname;
    for (const auto& h : spec->extra_hosts) {
      auto colon = h.find(':');
      if (colon == std::string::npos) return fail(invalid_argument("invalid add-host: " + h));
      hs.extra_hosts.push_back({h.substr(colon + 1), h.substr(0, colon)});
    }
    for (const auto& e : eps) hs.addresses.push_back(e.ip);
    std::string resolv;
    const bool user_network = !attachments.empty() && !attachments.front().net.predefined;
    if (spec->is_host()) {
      resolv = runtime::resolv_conf_host_mode(host_resolv);
    } else if (user_network) {
      resolv = runtime::resolv_conf_user_network(host_resolv, cfg_.resolv_conf, dns);
    } else {
      resolv = runtime::resolv_conf_default_bridge(host_resolv, cfg_.resolv_conf, dns);
    }
    ps.hosts_file = bundle + "/hosts";
    ps.hostname_file = bundle + "/hostname";
    ps.resolv_conf_file = bundle + "/resolv.conf";
    std::string hosts_text;
    if (spec->is_host() && hs.extra_hosts.empty()) {
      hosts_text = read_file("/etc/hosts");
    } else {
      hosts_text = runtime::hosts_file(hs);
    }
    for (auto [path, text] : {std::pair{ps.hosts_file, hosts_text},
                              std::pair{ps.hostname_file, runtime::hostname_file(hostname)},
                              std::pair{ps.resolv_conf_file, resolv}}) {
      if (auto st = runtime::write_bundle_file(path, text); !st.ok()) return fail(st.error());
    }
  } else {
    // container:X shares X's files.
    auto other = find_container_locked(spec->container_mode_target());
    const std::string ob = bundle_dir(other->id);
    ps.hosts_file = ob + "/hosts";
    ps.hostname_file = ob + "/hostname";
    ps.resolv_conf_file = ob + "/resolv.conf";
  }

  // 4b. The embedded DNS at 127.0.0.11 inside the netns (user-defined
  // networks only, as the resolv.conf written above says).
  if (!spec->is_container_mode() && !attachments.empty() && !attachments.front().net.predefined) {
    if (auto st = dns_attach_locked(c, netns_path); !st.ok()) return fail(st.error());
    const std::string cid = c.id;
    undo.push_back([this, cid] { dns_detach_locked(cid); });
  }

  // 5. The process.
  ps.args = spec->entrypoint;
  ps.args.insert(ps.args.end(), spec->cmd.begin(), spec->cmd.end());
  ps.env = spec->env;
  ps.env.push_back("HOSTNAME=" + hostname);
  if (spec->tty) ps.env.push_back("TERM=xterm");
  ps.cwd = spec->working_dir.empty() ? "/" : spec->working_dir;
  ps.user.user = spec->user;
  ps.hostname = hostname;
  ps.tty = spec->tty;
  ps.open_stdin = spec->open_stdin;
  ps.console_rows = spec->console_rows;
  ps.console_cols = spec->console_cols;
  ps.netns_path = netns_path;
  ps.cap_add = spec->cap_add;
  ps.cap_drop = spec->cap_drop;
  ps.privileged = spec->privileged;
  if (c.image_id != "sha256:" + std::string(64, '0')) {
    // An imported image: overlay of its layers (topmost first) with this
    // container's writable layer, kept across restarts, removed with rm.
    const std::string layers = image_dir(c.image_id) + "/layers";
    int n = 0;
    while (fs::is_directory(layers + "/" + std::to_string(n), ec)) ++n;
    if (n == 0) {
      return fail(not_found("image " + c.image_id + " of this container is gone: " + layers));
    }
    for (int i = n - 1; i >= 0; --i) ps.lower_dirs.push_back(layers + "/" + std::to_string(i));
    ps.rootfs = bundle + "/rootfs";
    ps.upper_dir = bundle + "/upper";
    ps.work_dir = bundle + "/work";
    for (const auto& d : {ps.rootfs, ps.upper_dir, ps.work_dir}) {
      fs::create_directories(d, ec);
      if (ec) return fail(internal_error("create " + d + ": " + ec.message()));
    }
  }
  auto started = runtime::start(ps);
  if (!started.ok()) {
    // Docker records the failure on the container (State.Error, 127/126).
    store::ContainerRecord failed = c;
    failed.error = started.error().message();
    failed.exit_code = runtime::start_error_exit_code(started.error());
    (void)store_.update_container(failed);
    c = failed;
    return fail(started.error());
  }

  c.status = "running";
  c.pid = started->pid;
  c.pid_start_time = static_cast<int64_t>(started->pid_start_time);
  c.shim_pid = started->shim_pid;
  c.shim_start_time = static_cast<int64_t>(started->shim_start_time);
  c.exit_code = 0;
  c.error.clear();
  c.started_at = now_nanos();
  c.finished_at = 0;
  c.netns_path = netns_path;
  c.hostname = hostname;
  if (auto st = store_.update_container(c); !st.ok()) {
    (void)runtime::kill(started->pid, started->pid_start_time, SIGKILL);
    return fail(st.error());
  }
  dns_sync_locked();
  spdlog::info("container {} ({}) started, pid {}", c.name, c.id.substr(0, 12), c.pid);
  return ok_status();
}

}  // namespace berth::engine
