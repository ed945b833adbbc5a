// Published ports: HostConfig.PortBindings → host ports held by the proxy
// (reserved before any kernel object, so a conflict fails start with
// Docker's message and nothing behind), then the store rows, the nft map
// elements (one delta transaction) and the proxy serving them. Released on
// stop; restored from the store when berthd restarts.
#include <netinet/in.h>

#include <algorithm>
#include <set>

#include <spdlog/spdlog.h>

#include "engine/engine.h"

namespace berth::engine {
namespace {

std::optional<int> port_number(const std::string& s) {
  if (s.empty() || s.size() > 5 || !std::all_of(s.begin(), s.end(), ::isdigit)) return {};
  int v = std::stoi(s);
  if (v > 65535) return {};
  return v;
}

std::vector<firewall::PublishedPort> to_published(const std::vector<store::PortRecord>& ports) {
  std::vector<firewall::PublishedPort> out;
  for (const auto& p : ports) {
    auto hip = ipam::parse_ipv4(p.host_ip);
    auto cip = ipam::parse_ipv4(p.container_ip);
    if (!hip || !cip) continue;
    out.push_back({*hip, p.proto == "udp" ? IPPROTO_UDP : IPPROTO_TCP, p.host_port, *cip,
                   p.container_port});
  }
  return out;
}

}  // namespace

Result<std::vector<proxy::Request>> port_requests(const nlohmann::json& config,
                                                  const nlohmann::json& host_config) {
  std::vector<proxy::Request> out;
  std::set<std::string> bound_keys;
  auto parse_key = [](const std::string& key, int& port, int& proto) -> Status {
    const auto slash = key.find('/');
    const std::string num = key.substr(0, slash);
    const std::string pr = slash == std::string::npos ? "tcp" : key.substr(slash + 1);
    auto n = port_number(num);
    if (!n || *n == 0) return invalid_argument("invalid port specification: \"" + num + "\"");
    if (pr == "tcp") {
      proto = IPPROTO_TCP;
    } else if (pr == "udp") {
      proto = IPPROTO_UDP;
    } else if (pr == "sctp") {
      return invalid_argument("berth does not publish sctp ports: " + key);
    } else {
      return invalid_argument("invalid proto: " + pr);
    }
    port = *n;
    return ok_status();
  };
  if (auto pb = host_config.find("PortBindings"); pb != host_config.end() && pb->is_object()) {
    for (auto it = pb->begin(); it != pb->end(); ++it) {
      int cport = 0, proto = 0;
      BERTH_TRY(parse_key(it.key(), cport, proto));
      bound_keys.insert(it.key());
      if (!it.value().is_array()) continue;
      for (const auto& b : it.value()) {
        std::string hip = b.contains("HostIp") && b["HostIp"].is_string()
                              ? b["HostIp"].get<std::string>()
                              : "";
        std::string hport = b.contains("HostPort") && b["HostPort"].is_string()
                                ? b["HostPort"].get<std::string>()
                                : "";
        proxy::Request r;
        r.proto = proto;
        r.container_port = cport;
        if (!hip.empty()) {
          if (hip.find(':') != std::string::npos) continue;  // IPv6: berth is IPv4-only
          auto ip = ipam::parse_ipv4(hip);
          if (!ip) return invalid_argument("invalid IP address: " + hip);
          r.host_ip = ip->v;
        }
        if (!hport.empty()) {
          const auto dash = hport.find('-');
          auto a = port_number(hport.substr(0, dash));
          auto z = dash == std::string::npos ? a : port_number(hport.substr(dash + 1));
          if (!a || !z || *z < *a) return invalid_argument("invalid hostPort: " + hport);
          r.host_port_first = *a;
          r.host_port_last = *z;
        }
        out.push_back(r);
      }
    }
  }
  const bool publish_all = host_config.contains("PublishAllPorts") &&
                           host_config["PublishAllPorts"].is_boolean() &&
                           host_config["PublishAllPorts"].get<bool>();
  if (publish_all) {
    if (auto ex = config.find("ExposedPorts"); ex != config.end() && ex->is_object()) {
      for (auto it = ex->begin(); it != ex->end(); ++it) {
        if (bound_keys.count(it.key())) continue;
        proxy::Request r;
        BERTH_TRY(parse_key(it.key(), r.container_port, r.proto));
        out.push_back(r);
      }
    }
  }
  return out;
}

Result<std::vector<store::PortRecord>> Engine::ports_of(const std::string& container_id) {
  auto all = store_.list_ports();
  if (!all.ok()) return all.error();
  std::vector<store::PortRecord> out;
  for (auto& p : *all) {
    if (p.container_id == container_id) out.push_back(std::move(p));
  }
  return out;
}

Result<std::unique_ptr<proxy::Reservation>> Engine::reserve_ports_locked(
    const ContainerSpec& s, const nlohmann::json& config, const nlohmann::json& host_config,
    const std::string& ep_name, const std::string& ep_id, const std::string& container_ip) {
  if (!proxy_ || !s.publishes_ports) return std::unique_ptr<proxy::Reservation>();
  auto reqs = port_requests(config, host_config);
  if (!reqs.ok()) return reqs.error();
  if (reqs->empty()) return std::unique_ptr<proxy::Reservation>();
  auto r = proxy_->reserve(*reqs, container_ip);
  if (!r.ok()) {
    return r.error().wrap("failed to set up container networking: driver failed programming "
                          "external connectivity on endpoint " +
                          ep_name + " (" + ep_id + ")");
  }
  return std::move(*r);
}

Status Engine::publish_ports_locked(const store::ContainerRecord& c,
                                    std::unique_ptr<proxy::Reservation> r,
                                    const std::string& container_ip,
                                    std::vector<std::function<void()>>& undo) {
  if (!r || r->bound().empty()) return ok_status();
  auto cip = ipam::parse_ipv4(container_ip);
  if (!cip) return internal_error("bad container address " + container_ip);
  std::vector<store::PortRecord> rows;
  for (const auto& b : r->bound()) {
    store::PortRecord p;
    p.container_id = c.id;
    p.proto = b.proto == IPPROTO_UDP ? "udp" : "tcp";
    p.host_ip = ipam::to_string(ipam::Ipv4{b.host_ip});
    p.host_port = b.host_port;
    p.container_port = b.container_port;
    p.container_ip = container_ip;
    rows.push_back(std::move(p));
  }
  BERTH_TRY(store_.insert_ports(rows));
  const std::string cid = c.id;
  undo.push_back([this, cid] { (void)store_.delete_ports(cid); });
  if (cfg_.iptables) {
    const auto pub = to_published(rows);
    if (auto st = fw_.apply(firewall::render_ports_add(pub)); !st.ok()) {
      return st.error().wrap("failed to set up container networking: add published ports");
    }
    undo.push_back([this, pub] {
      if (!fw_.apply(firewall::render_ports_delete(pub)).ok()) (void)apply_firewall();
    });
  }
  proxy_->activate(c.id, std::move(r), cip->v);
  undo.push_back([this, cid] { proxy_->release(cid); });
  return ok_status();
}

void Engine::unpublish_ports_locked(const std::string& container_id) {
  if (proxy_) proxy_->release(container_id);
  auto rows = ports_of(container_id);
  if (!rows.ok() || rows->empty()) return;
  if (auto st = store_.delete_ports(container_id); !st.ok()) {
    spdlog::warn("container {}: release ports: {}", container_id.substr(0, 12),
                 st.error().message());
  }
  if (!cfg_.iptables) return;
  if (auto st = fw_.apply(firewall::render_ports_delete(to_published(*rows))); !st.ok()) {
    spdlog::warn("remove published ports of {}: {}; re-rendering the table",
                 container_id.substr(0, 12), st.error().message());
    (void)apply_firewall();
  }
}

// After a daemon restart: the store has the ports of running containers; the
// table (rendered whole at start) already has their elements. The proxy
// holds the same host ports again.
void Engine::restore_ports_locked() {
  auto all = store_.list_ports();
  auto containers = store_.list_containers();
  if (!all.ok() || !containers.ok()) return;
  std::map<std::string, std::vector<store::PortRecord>> by;
  for (auto& p : *all) by[p.container_id].push_back(p);
  for (auto& [id, rows] : by) {
    bool running = false;
    for (const auto& c : *containers) running = running || (c.id == id && c.status == "running");
    if (!running || !proxy_) {
      if (!running) (void)store_.delete_ports(id);
      continue;
    }
    std::vector<proxy::Request> reqs;
    for (const auto& p : rows) {
      auto hip = ipam::parse_ipv4(p.host_ip);
      reqs.push_back({p.proto == "udp" ? IPPROTO_UDP : IPPROTO_TCP, hip ? hip->v : 0,
                      p.host_port, p.host_port, p.container_port});
    }
    auto r = proxy_->reserve(reqs, rows.front().container_ip);
    auto cip = ipam::parse_ipv4(rows.front().container_ip);
    if (!r.ok() || !cip) {
      const std::string w = "WARNING: published ports of container " + id.substr(0, 12) +
                            " could not be bound again: " +
                            (r.ok() ? "bad address" : r.error().message());
      spdlog::warn("{}", w);
      warnings_.push_back(w);
      continue;
    }
    proxy_->activate(id, std::move(*r), cip->v);
    spdlog::info("container {}: {} published ports restored", id.substr(0, 12), rows.size());
  }
}

}  // namespace berth::engine
