// NlNetlink: the Netlink interface implemented with libnl-route-3. Each
// kernel concept lives in its own file: links.cc (lookup, listing, deletion,
// link state), addresses.cc, bridge.cc (the create_bridge steps), routes.cc.
//
// Private to berth_netlink: this header pulls in libnl, whose
// <netlink/netlink.h> shares a path with berth's "netlink/netlink.h" (see
// CMakeLists.txt). Other modules use open_netlink().
#pragma once

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

 private:
  // links.cc
  // The kernel's current view of a link; nullptr when there is none.
  Result<LinkPtr> get_link(const std::string& name);
  Status set_link_up(rtnl_link* link);
  Status set_alias(rtnl_link* link, const std::string& alias);
  Status delete_link_index(int ifindex, const std::string& name);

  // addresses.cc
  Status add_ipv4_address(rtnl_link* link, ipam::Ipv4 address, int prefix_len);

  // nl_netlink.cc
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
