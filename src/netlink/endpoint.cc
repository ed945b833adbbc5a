// setup_endpoint: one container's connection to one bridge network, the way
// libnetwork's bridge driver (CreateEndpoint) and sandbox (osl
// AddInterface) build it, in named steps logged at debug level and undone in
// reverse on failure:
//
//   host namespace       create veth (host end + temporary peer name; alias,
//                        master, hairpin, up: create_veth's own steps)
//                        move the peer into the container's namespace
//   container namespace  rename peer → container_ifname, MAC, address, up,
//                        lo up, default route; open a packet socket there
//   (from the host side) gratuitous ARP on that socket (see announce())
//
// Every step after "create veth" changes only the pair, wherever its ends
// are, so one inverse covers them all: deleting the host end, which makes the
// kernel delete the peer too (drivers/net/veth.c, veth_dellink), with the
// peer's addresses and routes. Bringing `lo` up is not undone: every
// container namespace wants it, and it holds no state of this endpoint.
#include <fcntl.h>
#include <linux/if.h>
#include <netlink/addr.h>
#include <netlink/route/link.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstdio>
#include <random>
#include <utility>
#include <vector>

#include "common/unique_fd.h"
#include "netlink/arp.h"
#include "netlink/errno_error.h"
#include "netlink/nl_netlink.h"

namespace berth::netlink {
namespace {

// Runs named steps in order and, when one fails, the inverses of those that
// succeeded, last first. The error keeps the failed step's message and
// appends any inverse that failed too.
class Steps {
 public:
  explicit Steps(std::string what) : what_(std::move(what)) {}

  // `undo` may be empty for a step whose inverse is another step's.
  Status run(const std::string& name, const std::function<Status()>& step,
             std::function<Status()> undo = {}) {
    spdlog::debug("netlink: {}: {}", what_, name);
    Status st = step();
    if (!st.ok()) return rollback(st.error());
    if (undo) undone_.push_back({name, std::move(undo)});
    return st;
  }

 private:
  Error rollback(const Error& err) {
    spdlog::debug("netlink: {}: failed: {}", what_, err.message());
    std::string message = err.message();
    for (auto it = undone_.rbegin(); it != undone_.rend(); ++it) {
      spdlog::debug("netlink: {}: undo {}", what_, it->first);
      Status st = it->second();
      if (!st.ok()) {
        spdlog::warn("netlink: {}: undo {} failed: {}", what_, it->first, st.error().message());
        message += "; undo " + it->first + ": " + st.error().message();
      }
    }
    undone_.clear();
    return Error(err.kind(), message);
  }

  std::string what_;
  std::vector<std::pair<std::string, std::function<Status()>>> undone_;
};

std::string mac_text(const std::array<uint8_t, 6>& mac) {
  char buf[18];
  std::snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
                mac[4], mac[5]);
  return buf;
}

// "veth" + 7 random hex digits, like the host end's name (Docker names both
// ends so; the container's end is renamed once it is inside).
std::string temporary_peer_name(const std::string& host_ifname) {
  static thread_local std::mt19937 rng{std::random_device{}()};
  for (;;) {
    char buf[16];
    std::snprintf(buf, sizeof(buf), "veth%07x", static_cast<unsigned>(rng() & 0xfffffffu));
    if (buf != host_ifname) return buf;
  }
}

Status check_spec(const EndpointSpec& spec, const std::string& what) {
  auto bad_name = [&](const char* field, const std::string& n) {
    return invalid_argument(what + ": invalid " + field + " \"" + n +
                            "\" (1 to 15 characters, no '/', ':' or white space)");
  };
  if (!valid_ifname(spec.host_ifname)) return bad_name("host interface name", spec.host_ifname);
  if (!valid_ifname(spec.container_ifname)) {
    return bad_name("container interface name", spec.container_ifname);
  }
  if (!valid_ifname(spec.bridge)) return bad_name("bridge name", spec.bridge);
  if (spec.netns_path.empty()) return invalid_argument(what + ": no network namespace path");
  if (spec.prefix_len < 1 || spec.prefix_len > 32) {
    return invalid_argument(what + ": prefix length must be 1..32");
  }
  // The kernel refuses multicast and all-zero MACs (eth_validate_addr) with
  // a bare "Cannot assign requested address".
  const auto& mac = spec.mac;
  if ((mac[0] & 0x01) != 0 || mac == std::array<uint8_t, 6>{}) {
    return invalid_argument(what + ": MAC address " + mac_text(mac) + " is not unicast");
  }
  return ok_status();
}

// The gratuitous ARP, sent from the container's socket once the host end is
// a forwarding bridge port. The port is enabled when the host end's carrier
// comes on, but the kernel handles carrier changes in its link-watch worker
// (net/core/link_watch.c), after the request that brought the container end
// up has returned: an announcement sent at once can reach a disabled port
// and be dropped (5 runs in 30 of the root test on this 2-core machine).
// Asking for the host end (RTM_GETLINK) runs its pending link-watch event
// synchronously (rtnl_getlink → linkwatch_sync_dev), so the port is
// forwarding when the frame arrives.
//
// Best effort, as in libnetwork (advertiseAddrs only logs failures): the
// endpoint works without it; a neighbour's stale entry for a reused address
// just lingers until it expires.
void announce(Netlink& host, const EndpointSpec& spec, const NlNetlink::ContainerEnd& end) {
  if (!end.arp_socket.valid()) return;
  auto synced = host.find_link(spec.host_ifname);
  if (!synced.ok()) {
    spdlog::debug("netlink: setup endpoint {}: {}", spec.host_ifname, synced.error().message());
  }
  Status st = send_gratuitous_arp(end.arp_socket.get(), end.ifindex, spec.mac, spec.address);
  if (!st.ok()) {
    spdlog::warn("netlink: setup endpoint {}: {} for {}", spec.host_ifname, st.error().message(),
                 ipv4_text(spec.address));
    return;
  }
  spdlog::debug("netlink: setup endpoint {}: sent gratuitous ARP for {} from {}", spec.host_ifname,
                ipv4_text(spec.address), mac_text(spec.mac));
}

}  // namespace

Status NlNetlink::rename_link(rtnl_link* link, const std::string& new_name) {
  const std::string what =
      std::string("rename link ") + rtnl_link_get_name(link) + " to " + new_name;
  LinkPtr changes(rtnl_link_alloc());
  if (!changes) return internal_error(what + ": out of memory");
  rtnl_link_set_name(changes.get(), new_name.c_str());
  BERTH_TRY(sock_.run(what, [&] { return rtnl_link_change(sock_.get(), link, changes.get(), 0); }));
  // Later messages and requests use the kernel's object: keep its name current.
  rtnl_link_set_name(link, new_name.c_str());
  return ok_status();
}

Status NlNetlink::set_mac(rtnl_link* link, const std::array<uint8_t, 6>& mac) {
  const std::string what =
      std::string("set MAC address of ") + rtnl_link_get_name(link) + " to " + mac_text(mac);
  NlAddrPtr addr(nl_addr_build(AF_LLC, mac.data(), mac.size()));
  LinkPtr changes(rtnl_link_alloc());
  if (!addr || !changes) return internal_error(what + ": out of memory");
  rtnl_link_set_addr(changes.get(), addr.get());  // takes its own reference
  return sock_.run(what, [&] { return rtnl_link_change(sock_.get(), link, changes.get(), 0); });
}

Result<NlNetlink::ContainerEnd> NlNetlink::configure_container_end(const std::string& temp_name,
                                                                   const EndpointSpec& spec) {
  const std::string& name = spec.container_ifname;
  Steps steps("configure " + name);  // no inverses here: see the top of the file

  auto moved = get_link(temp_name);
  if (!moved.ok()) return moved.error();
  if (!*moved) return not_found("find link " + temp_name + ": not in this namespace");
  rtnl_link* link = moved->get();
  ContainerEnd end;
  end.ifindex = rtnl_link_get_ifindex(link);

  // The kernel renames only links that are down (dev_change_name: EBUSY);
  // a link arrives in a namespace down.
  BERTH_TRY(steps.run("rename", [&] { return rename_link(link, name); }));
  BERTH_TRY(steps.run("set MAC", [&] { return set_mac(link, spec.mac); }));
  BERTH_TRY(steps.run("add address",
                      [&] { return add_ipv4_address(link, spec.address, spec.prefix_len); }));
  BERTH_TRY(steps.run("set up", [&] { return set_link_up(link); }));
  BERTH_TRY(steps.run("set lo up", [&]() -> Status {
    auto lo = get_link("lo");
    if (!lo.ok()) return lo.error();
    if (!*lo) return not_found("set link lo up: no such link");
    if ((rtnl_link_get_flags(lo->get()) & IFF_UP) != 0) return ok_status();
    return set_link_up(lo->get());
  }));
  if (spec.default_gateway) {
    BERTH_TRY(steps.run("set default route",
                        [&] { return replace_default_route_v4(*spec.default_gateway, name); }));
  }
  auto arp = open_arp_socket();
  if (arp.ok()) {
    end.arp_socket = std::move(*arp);
  } else {
    spdlog::warn("netlink: configure {}: {}", name, arp.error().message());
  }
  return end;
}

Status setup_endpoint(Netlink& host, const EndpointSpec& spec) {
  const std::string what = "setup endpoint " + spec.host_ifname;
  BERTH_TRY(check_spec(spec, what));

  // Opened first: a namespace that is not there fails before anything exists.
  UniqueFd netns(::open(spec.netns_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!netns.valid()) return errno_error("open network namespace " + spec.netns_path, errno);

  const std::string peer = temporary_peer_name(spec.host_ifname);
  Steps steps(what);

  VethSpec veth;
  veth.host_ifname = spec.host_ifname;
  veth.peer_ifname = peer;
  veth.mtu = spec.mtu;
  veth.alias = spec.alias;
  veth.bridge = spec.bridge;
  veth.hairpin = spec.hairpin;
  BERTH_TRY(steps.run(
      "create veth (peer " + peer + ")", [&] { return host.create_veth(veth); },
      [&]() -> Status {
        Status st = host.delete_link(spec.host_ifname);
        // Gone already: the kernel took the pair down with the namespace.
        if (!st.ok() && st.error().kind() == ErrorKind::kNotFound) return ok_status();
        return st;
      }));

  // Its inverse is the one above: deleting the host end deletes the peer in
  // whichever namespace it is.
  BERTH_TRY(steps.run("move " + peer + " to " + spec.netns_path, [&]() -> Status {
    Status st = host.move_link_to_netns_fd(peer, netns.get());
    if (st.ok()) return st;
    // Name the namespace by its path rather than by a descriptor of ours.
    const std::string by_fd =
        "move link " + peer + " to network namespace fd " + std::to_string(netns.get()) + ": ";
    std::string reason = st.error().message();
    if (reason.rfind(by_fd, 0) == 0) reason.erase(0, by_fd.size());
    return Error(st.error().kind(),
                 "move link " + peer + " to network namespace " + spec.netns_path + ": " + reason);
  }));

  NlNetlink::ContainerEnd end;
  BERTH_TRY(
      steps.run("configure " + spec.container_ifname + " in " + spec.netns_path, [&]() -> Status {
        Status st = run_in_netns(netns.get(), [&]() -> Status {
          auto nl = NlNetlink::open();
          if (!nl.ok()) return nl.error();
          auto configured = (*nl)->configure_container_end(peer, spec);
          if (!configured.ok()) return configured.error();
          end = std::move(*configured);
          return ok_status();
        });
        if (st.ok()) return st;
        return st.error().wrap("configure " + spec.container_ifname + " in network namespace " +
                               spec.netns_path);
      }));

  announce(host, spec, end);
  spdlog::debug("netlink: {}: done ({} in {})", what, spec.container_ifname, spec.netns_path);
  return ok_status();
}

Status teardown_endpoint(Netlink& host, const std::string& host_ifname) {
  Status st = host.delete_link(host_ifname);
  if (!st.ok() && st.error().kind() == ErrorKind::kNotFound) {
    spdlog::debug("netlink: teardown endpoint {}: already gone", host_ifname);
    return ok_status();
  }
  if (!st.ok()) return st.error().wrap("teardown endpoint " + host_ifname);
  spdlog::debug("netlink: teardown endpoint {}: deleted the pair", host_ifname);
  return ok_status();
}

Status set_default_route(const std::string& netns_path, std::optional<ipam::Ipv4> gw,
                         const std::string& ifname) {
  return run_in_netns(netns_path, [&]() -> Status {
    auto nl = NlNetlink::open();
    if (!nl.ok()) return nl.error();
    if (gw) return (*nl)->replace_default_route_v4(*gw, ifname);
    return (*nl)->remove_default_routes_v4(ifname);
  });
}

}  // namespace berth::netlink
