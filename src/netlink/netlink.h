// The kernel's links, addresses and routes, as berth needs them. Netlink is
// the boundary: NlNetlink talks to the kernel through libnl-route-3 in the
// network namespace of the thread that created it; tests/fakes/fake_netlink.h
// records calls for unit tests of the engine.
//
// Threading: one Netlink object per thread (an nl_sock is not thread safe).
#pragma once

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

}  // namespace berth::netlink
