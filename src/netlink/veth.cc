// veth pairs for container endpoints, and moving links between network
// namespaces.
//
// create_veth in named steps, each logged and undone on failure
// (libnetwork drivers/bridge/bridge_linux.go CreateEndpoint):
//   create both ends (names, MTU) → alias of the host end → master → hairpin
//   → host end up.
// Every step after the first only changes the new pair, so undoing is
// deleting the host end: the kernel deletes the peer with it.
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <cerrno>

#include "common/unique_fd.h"
#include "netlink/errno_error.h"
#include "netlink/nl_netlink.h"

namespace berth::netlink {
namespace {

// IFALIASZ in <linux/if.h>: the kernel keeps at most 255 bytes.
constexpr size_t kMaxAlias = IFALIASZ - 1;

// ETH_MIN_MTU and IP_MAX_MTU: the range veth accepts (drivers/net/veth.c).
constexpr int kMinMtu = 68;
constexpr int kMaxMtu = 65535;

// A veth link object owns its peer object (libnl's veth.c links them to each
// other); rtnl_link_veth_release drops both.
struct VethReleaser {
  void operator()(rtnl_link* p) const {
    if (p != nullptr) rtnl_link_veth_release(p);
  }
};
using VethPtr = std::unique_ptr<rtnl_link, VethReleaser>;

}  // namespace

Status NlNetlink::set_master(rtnl_link* link, int master_index, const std::string& master_name) {
  LinkPtr changes(rtnl_link_alloc());
  if (!changes) return internal_error("set master: out of memory");
  rtnl_link_set_master(changes.get(), master_index);
  return sock_.run(
      std::string("set master of link ") + rtnl_link_get_name(link) + " to " + master_name,
      [&] { return rtnl_link_change(sock_.get(), link, changes.get(), 0); });
}

// What `bridge link set dev X hairpin on` sends. libnl 3.7 has no setter for
// bridge port attributes, so the message is built by hand. The kernel's
// br_setlink reads IFLA_PROTINFO as port attributes only when it carries
// NLA_F_NESTED; without the flag it takes the payload as an STP port state.
Status NlNetlink::set_hairpin(rtnl_link* link) {
  const std::string what =
      std::string("set hairpin mode on bridge port ") + rtnl_link_get_name(link);
  NlMsgPtr msg(nlmsg_alloc_simple(RTM_SETLINK, 0));
  if (!msg) return internal_error(what + ": out of memory");
  ifinfomsg ifi{};
  ifi.ifi_family = AF_BRIDGE;
  ifi.ifi_index = rtnl_link_get_ifindex(link);
  if (nlmsg_append(msg.get(), &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0) {
    return internal_error(what + ": message too long");
  }
  nlattr* protinfo = nla_nest_start(msg.get(), IFLA_PROTINFO | NLA_F_NESTED);
  if (protinfo == nullptr || nla_put_u8(msg.get(), IFLA_BRPORT_MODE, 1) < 0) {
    return internal_error(what + ": message too long");
  }
  nla_nest_end(msg.get(), protinfo);
  return send_request(what, msg.get());
}

Status NlNetlink::create_veth(const VethSpec& spec) {
  const std::string& name = spec.host_ifname;
  const std::string what = "create veth " + name;
  for (const std::string* n : {&spec.host_ifname, &spec.peer_ifname}) {
    if (!valid_ifname(*n)) {
      return invalid_argument(what + ": invalid interface name \"" + *n +
                              "\" (1 to 15 characters, no '/', ':' or white space)");
    }
  }
  if (spec.host_ifname == spec.peer_ifname) {
    return invalid_argument(what + ": both ends are named " + name);
  }
  if (spec.alias.size() > kMaxAlias) {
    return invalid_argument(what + ": alias longer than " + std::to_string(kMaxAlias) + " bytes");
  }
  if (spec.mtu < kMinMtu || spec.mtu > kMaxMtu) {
    return invalid_argument(what + ": MTU " + std::to_string(spec.mtu) + " is not in " +
                            std::to_string(kMinMtu) + ".." + std::to_string(kMaxMtu));
  }
  if (spec.hairpin && spec.bridge.empty()) {
    return invalid_argument(what + ": hairpin mode needs a bridge");
  }

  // The bridge first: a missing one fails before anything exists.
  int bridge_index = 0;
  if (!spec.bridge.empty()) {
    auto bridge = get_link(spec.bridge);
    if (!bridge.ok()) return bridge.error().wrap(what);
    if (!*bridge) return not_found(what + ": bridge " + spec.bridge + " not found");
    bridge_index = rtnl_link_get_ifindex(bridge->get());
  }

  // Step 1: create both ends in one request; NLM_F_EXCL makes either name
  // being taken EEXIST with nothing created.
  spdlog::debug("netlink: {}: create pair with peer {} (mtu {})", what, spec.peer_ifname, spec.mtu);
  {
    VethPtr veth(rtnl_link_veth_alloc());
    if (!veth) return internal_error(what + ": out of memory");
    LinkPtr peer(rtnl_link_veth_get_peer(veth.get()));  // libnl 3.7 takes a reference
    if (!peer) return internal_error(what + ": out of memory");
    rtnl_link_set_name(veth.get(), name.c_str());
    rtnl_link_set_mtu(veth.get(), static_cast<unsigned>(spec.mtu));
    rtnl_link_set_name(peer.get(), spec.peer_ifname.c_str());
    rtnl_link_set_mtu(peer.get(), static_cast<unsigned>(spec.mtu));
    BERTH_TRY(sock_.run(
        what, [&] { return rtnl_link_add(sock_.get(), veth.get(), NLM_F_CREATE | NLM_F_EXCL); }));
  }

  // From here on the pair is ours: a failure deletes it.
  int ifindex = 0;
  auto undo = [&](const Error& err) { return delete_after_failure(what, name, ifindex, err); };

  auto created = get_link(name);
  if (!created.ok()) return undo(created.error().wrap(what));
  if (!*created) return undo(internal_error(what + ": link vanished after creation"));
  rtnl_link* link = created->get();
  ifindex = rtnl_link_get_ifindex(link);

  // Step 2: the alias that marks the link as berth's (a change of its own:
  // the kernel ignores IFLA_IFALIAS on creation, see bridge.cc).
  if (!spec.alias.empty()) {
    spdlog::debug("netlink: {}: set alias \"{}\"", what, spec.alias);
    Status st = set_alias(link, spec.alias);
    if (!st.ok()) return undo(st.error().wrap(what));
  }

  // Step 3: attach to the bridge.
  if (bridge_index > 0) {
    spdlog::debug("netlink: {}: set master {}", what, spec.bridge);
    Status st = set_master(link, bridge_index, spec.bridge);
    if (!st.ok()) return undo(st.error().wrap(what));
  }

  // Step 4: hairpin mode, so that a container reaching its own published
  // port through the host's address gets the reply back on the port it
  // came from (PITFALLS.md).
  if (spec.hairpin) {
    spdlog::debug("netlink: {}: set hairpin mode", what);
    Status st = set_hairpin(link);
    if (!st.ok()) return undo(st.error().wrap(what));
  }

  // Step 5: up. The carrier comes when the peer goes up in the container.
  spdlog::debug("netlink: {}: set up", what);
  Status st = set_link_up(link);
  if (!st.ok()) return undo(st.error().wrap(what));

  spdlog::debug("netlink: {}: done (index {})", what, ifindex);
  return ok_status();
}

Status NlNetlink::move_link(const std::string& name, int netns_fd, const std::string& label) {
  const std::string what = "move link " + name + " to network namespace " + label;
  auto link = get_link(name);
  if (!link.ok()) return link.error().wrap(what);
  if (!*link) return not_found(what + ": no such link");
  LinkPtr changes(rtnl_link_alloc());
  if (!changes) return internal_error(what + ": out of memory");
  rtnl_link_set_ns_fd(changes.get(), netns_fd);
  spdlog::debug("netlink: {}", what);
  return sock_.run(what,
                   [&] { return rtnl_link_change(sock_.get(), link->get(), changes.get(), 0); });
}

Status NlNetlink::move_link_to_netns_fd(const std::string& name, int netns_fd) {
  return move_link(name, netns_fd, "fd " + std::to_string(netns_fd));
}

Status NlNetlink::move_link_to_netns(const std::string& name, const std::string& netns_path) {
  UniqueFd fd(::open(netns_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    return errno_error("move link " + name + " to network namespace " + netns_path, errno);
  }
  return move_link(name, fd.get(), netns_path);
}

}  // namespace berth::netlink
