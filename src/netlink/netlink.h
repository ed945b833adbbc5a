// The kernel's links, addresses and routes, as berth needs them. Netlink is
// the boundary: NlNetlink talks to the kernel through libnl-route-3 in the
// network namespace of the thread that created it; tests/fakes/fake_netlink.h
// records calls for unit tests of the engine.
//
// Threading: one Netlink object per thread (an nl_sock is not thread safe).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "ipam/ipam.h"

namespace berth::netlink {

struct LinkInfo {
  std::string name;
  int index = 0;
  std::string kind;   // "bridge", "veth", "" for others
  std::string alias;  // IFLA_IFALIAS; berth marks its links "berth:<id>"
  int mtu = 0;
  bool up = false;
  int master_index = 0;  // bridge port: index of its bridge, else 0
};

struct BridgeSpec {
  std::string name;   // ≤ 15 characters
  std::string alias;  // "berth:<network id>"
  int mtu = 1500;
  ipam::Ipv4 address;  // gateway, assigned with the subnet's prefix length
  int prefix_len = 0;
  bool assign_address = true;  // false for a bridge without gateway address
};

// One veth pair as create_veth builds it.
struct VethSpec {
  std::string host_ifname;  // "veth" + 7 hex, chosen by the caller; stays here
  std::string peer_ifname;  // temporary name of the other end, until moved
  int mtu = 1500;           // both ends
  std::string alias;        // host end: "berth:<endpoint id>"; empty: none
  std::string bridge;       // master of the host end; empty: not attached
  bool hairpin = false;     // hairpin mode on the bridge port (published ports)
};

class Netlink {
 public:
  virtual ~Netlink() = default;

  virtual Result<std::vector<LinkInfo>> list_links() = 0;
  virtual Result<std::optional<LinkInfo>> find_link(const std::string& name) = 0;

  // Creates the bridge, sets alias and MTU, assigns the address, sets
  // accept_ra=0 and brings it up, in named steps; undoes them on failure.
  // A link of that name that exists already is an error (Conflict) and is
  // left alone. An invalid name (see valid Linux interface names: 1..15
  // bytes, no '/', ':' or spaces) or prefix length is InvalidArgument.
  // Messages carry context: "create bridge br-1a2b: File exists".
  virtual Status create_bridge(const BridgeSpec& spec) = 0;

  // Deletes a link by name; a missing link is NotFound.
  virtual Status delete_link(const std::string& name) = 0;

  // IPv4 routes with scope link (the host's on-link networks), used to keep
  // automatically chosen subnets off networks the host already reaches.
  virtual Result<std::vector<ipam::Prefix>> onlink_routes_v4() = 0;

  // ---- container endpoints (veth.cc) ----

  // Creates a veth pair in this namespace, in named steps undone on failure
  // (deleting the pair): create both ends (names, MTU) → alias of the host
  // end → master = spec.bridge → hairpin mode (if asked) → host end up. The
  // peer stays down under its temporary name, ready to be moved. Either name
  // taken is Conflict and nothing is created ("create veth veth1a2b3c4: File
  // exists"); a missing bridge is NotFound; invalid names, alias or MTU are
  // InvalidArgument.
  virtual Status create_veth(const VethSpec& spec) = 0;

  // Moves link `name` into the network namespace at `netns_path` (a bind
  // mount or /proc/PID/ns/net), or open as `netns_fd` (borrowed). The link
  // keeps its name, MTU and MAC, and arrives down. A missing link or path is
  // NotFound; a link of that name in the target namespace is Conflict.
  virtual Status move_link_to_netns(const std::string& name, const std::string& netns_path) = 0;
  virtual Status move_link_to_netns_fd(const std::string& name, int netns_fd) = 0;
};

// Opens a netlink socket in the network namespace of the calling thread.
Result<std::unique_ptr<Netlink>> open_netlink();

// Writes a sysctl under /proc/sys ("net/ipv4/ip_forward" → "1"). Files under
// /proc/sys/net belong to the network namespace of the calling thread (at
// open time), which is the process's unless the thread entered another.
// Errors: a missing file is NotFound, a value the kernel rejects (EINVAL) is
// InvalidArgument, a path with "..", empty components or a leading '/' is
// InvalidArgument. read_sysctl strips the trailing newline.
Status write_sysctl(const std::string& path, const std::string& value);
Result<std::string> read_sysctl(const std::string& path);

// Runs `fn` on a new, short-lived thread that first joins the network
// namespace at `netns_path` (a bind mount such as /run/netns/NAME, or
// /proc/PID/ns/net) and ends when `fn` returns: the caller's thread never
// changes namespace. Sockets `fn` opens stay in that namespace and may be used
// from any thread afterwards. Blocks until `fn` returns; returns fn's status,
// NotFound when the path does not exist, InvalidArgument when it is not a
// network namespace, Internal if `fn` throws.
Status run_in_netns(const std::string& netns_path, std::function<Status()> fn);

// The same for a namespace already open as a file descriptor (borrowed; the
// caller keeps ownership).
Status run_in_netns(int netns_fd, std::function<Status()> fn);

// Opens a Netlink inside the network namespace at `netns_path` (on a
// short-lived thread, see run_in_netns); the object then works in that
// namespace from the calling thread, including for sysctls of its links.
Result<std::unique_ptr<Netlink>> open_netlink_in(const std::string& netns_path);

// ---- container endpoints (endpoint.cc, default_route.cc, arp.cc) ----

// One container's connection to one bridge network.
struct EndpointSpec {
  std::string host_ifname;  // "veth1a2b3c4"
  std::string alias;        // "berth:<endpoint id>"
  std::string bridge;       // bridge to attach the host end to
  int mtu = 1500;
  std::string netns_path;        // container netns (bind-mounted file)
  std::string container_ifname;  // "eth0", "eth1", ...
  std::array<uint8_t, 6> mac{};  // 02:42 + IPv4 bytes by default (the engine decides)
  ipam::Ipv4 address;
  int prefix_len = 0;
  // Sets the default route via this gateway (one endpoint per container
  // gets it); replaces one that exists.
  std::optional<ipam::Ipv4> default_gateway;
  bool hairpin = false;  // hairpin mode on the bridge port (see VethSpec)
};

// Sets up one endpoint end to end, in named steps logged at debug level, each
// undone in reverse on failure so that neither namespace keeps a new link:
//   in `host`'s namespace: create the veth pair (host end + temporary peer
//   name), host end alias/MTU/master/up (create_veth) → move the peer into
//   spec.netns_path;
//   inside that namespace (a short-lived thread with a netlink socket of its
//   own): rename the peer to container_ifname (while down) → MAC → address
//   with broadcast → up → `lo` up → default route via the gateway, if any;
//   then a gratuitous ARP (an ARP request for its own address, broadcast, as
//   Docker sends on join, from a packet socket opened in that namespace) so
//   that neighbours drop a stale MAC of a reused address. The ARP is best
//   effort: its failure is logged, not returned.
// `host` is the Netlink of berthd's namespace (a real one: the container
// side needs the kernel). Blocks until done; call it from any thread but not
// concurrently with other uses of `host`. Errors name the step and the link:
// "create veth veth1a2b3c4: File exists"; a missing netns path is NotFound and
// creates nothing.
Status setup_endpoint(Netlink& host, const EndpointSpec& spec);

// Deletes the host end, which deletes its peer in the container's namespace
// too. A missing host end (the container's namespace went away and took the
// pair with it) is success.
Status teardown_endpoint(Netlink& host, const std::string& host_ifname);

// Inside the namespace at `netns_path`: with a gateway, replaces the IPv4
// default route of the main table by one via `gw` out of `ifname`; without,
// removes the IPv4 default routes of the main table (only those out of
// `ifname` when it is not empty) and succeeds when there are none. For
// connect/disconnect, when the endpoint that provides the default route
// changes. A missing path or interface is NotFound.
Status set_default_route(const std::string& netns_path, std::optional<ipam::Ipv4> gw,
                         const std::string& ifname);

}  // namespace berth::netlink
