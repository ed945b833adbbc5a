// NlNetlink: the Netlink interface implemented with libnl-route-3. Each
// kernel concept lives in its own file: links.cc (lookup, listing, deletion,
// link state), addresses.cc, bridge.cc (the create_bridge steps), routes.cc,
// veth.cc (create_veth, moving links between namespaces), endpoint.cc
// (setup_endpoint), default_route.cc, arp.cc (gratuitous ARP).
//
// Private to berth_netlink: this header pulls in libnl, whose
// <netlink/netlink.h> shares a path with berth's "netlink/netlink.h" (see
// CMakeLists.txt). Other modules use open_netlink().
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/unique_fd.h"
#include "netlink/netlink.h"
#include "netlink/nl_object.h"
#include "netlink/nl_socket.h"

namespace berth::netlink {

class NlNetlink final : public Netlink {
 public:
  // Opens the socket, and a handle on the namespace, in the network
  // namespace of the calling thread. The object then works in that namespace
  // from whichever thread calls it (one at a time).
  static Result<std::unique_ptr<NlNetlink>> open();

  Result<std::vector<LinkInfo>> list_links() override;
  Result<std::optional<LinkInfo>> find_link(const std::string& name) override;
  Status create_bridge(const BridgeSpec& spec) override;
  Status delete_link(const std::string& name) override;
  Result<std::vector<ipam::Prefix>> onlink_routes_v4() override;
  Status create_veth(const VethSpec& spec) override;
  Status move_link_to_netns(const std::string& name, const std::string& netns_path) override;
  Status move_link_to_netns_fd(const std::string& name, int netns_fd) override;

  // endpoint.cc: the container's side of setup_endpoint.
  struct ContainerEnd {
    int ifindex = 0;      // of container_ifname, in the container's namespace
    UniqueFd arp_socket;  // opened there; invalid if it could not be (the ARP is best effort)
  };
  // This object must have been opened in the container's namespace, and the
  // calling thread must be in it too (the thread run_in_netns started), for
  // the ARP socket. Renames link `temp_name` to spec.container_ifname and
  // configures it; leaves undoing to the caller (deleting the pair undoes
  // all of it).
  Result<ContainerEnd> configure_container_end(const std::string& temp_name,
                                               const EndpointSpec& spec);

  // default_route.cc: the IPv4 default route of the main table in this
  // object's namespace. replace: via `gw` out of `ifname`; remove: those
  // out of `ifname` (any when empty), none is success.
  Status replace_default_route_v4(ipam::Ipv4 gw, const std::string& ifname);
  Status remove_default_routes_v4(const std::string& ifname);

 private:
  // links.cc
  // The kernel's current view of a link; nullptr when there is none.
  Result<LinkPtr> get_link(const std::string& name);
  Status set_link_up(rtnl_link* link);
  Status set_alias(rtnl_link* link, const std::string& alias);
  Status delete_link_index(int ifindex, const std::string& name);
  // Undo of a creation step that failed: deletes the link (by index once
  // known) and returns `err`, with the undo's own failure appended.
  Error delete_after_failure(const std::string& what, const std::string& name, int ifindex,
                             const Error& err);

  // addresses.cc
  Status add_ipv4_address(rtnl_link* link, ipam::Ipv4 address, int prefix_len);

  // veth.cc
  Status set_master(rtnl_link* link, int master_index, const std::string& master_name);
  // Hairpin mode on a bridge port (RTM_SETLINK, AF_BRIDGE, IFLA_PROTINFO).
  Status set_hairpin(rtnl_link* link);
  // `label` names the namespace in errors: its path, or "fd N".
  Status move_link(const std::string& name, int netns_fd, const std::string& label);

  // endpoint.cc
  Status rename_link(rtnl_link* link, const std::string& new_name);
  Status set_mac(rtnl_link* link, const std::array<uint8_t, 6>& mac);

  // nl_netlink.cc
  // Sends a hand-built request and waits for the kernel's acknowledgement,
  // for messages libnl has no object for. Errors as NlSocket::run.
  Status send_request(const std::string& what, nl_msg* msg);

  // Runs `fn` in the socket's network namespace: directly when the calling
  // thread is in it, else on a short-lived thread. For /proc/sys/net, which
  // follows the opening thread's namespace, not the socket's.
  Status in_own_netns(const std::function<Status()>& fn);

  NlNetlink(NlSocket sock, UniqueFd netns) : sock_(std::move(sock)), netns_(std::move(netns)) {}

  NlSocket sock_;
  UniqueFd netns_;  // the namespace sock_ was opened in
};

// Linux interface name rules (net/core/dev.c, dev_valid_name): 1..15 bytes,
// not "." or "..", no '/', ':' or whitespace. libnl silently truncates longer
// names, so berth checks before asking.
bool valid_ifname(const std::string& name);

// "a.b.c.d" without depending on berth_ipam's code.
std::string ipv4_text(ipam::Ipv4 a);

}  // namespace berth::netlink
