// create_bridge in named steps, each logged and undone on failure
// (libnetwork drivers/bridge/setup_*.go):
//   create link (name, MTU) → alias → accept_ra=0 → IPv4 address → up.
// Every later step only changes the new link, so undoing is deleting it:
// the kernel drops its addresses, routes and sysctl directory with it.
#include <sys/random.h>

#include <array>
#include <linux/if.h>
#include <netlink/errno.h>
#include <netlink/route/link.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "netlink/nl_netlink.h"

namespace berth::netlink {
namespace {

// IFALIASZ in <linux/if.h>: the kernel keeps at most 255 bytes.
constexpr size_t kMaxAlias = IFALIASZ - 1;

}  // namespace

Status NlNetlink::create_bridge(const BridgeSpec& spec) {
  const std::string& name = spec.name;
  const std::string what = "create bridge " + name;
  if (!valid_ifname(name)) {
    return invalid_argument(what +
                            ": invalid interface name (1 to 15 characters, no '/', ':' "
                            "or white space)");
  }
  if (spec.alias.size() > kMaxAlias) {
    return invalid_argument(what + ": alias longer than " + std::to_string(kMaxAlias) + " bytes");
  }
  if (spec.assign_address && (spec.prefix_len < 0 || spec.prefix_len > 32)) {
    return invalid_argument(what + ": prefix length must be 0..32");
  }

  // Step 1: create the link.
  spdlog::debug("netlink: {}: create link (mtu {})", what, spec.mtu);
  {
    LinkPtr link(rtnl_link_alloc());
    if (!link) return internal_error(what + ": out of memory");
    if (int rc = rtnl_link_set_type(link.get(), "bridge"); rc < 0) {
      return internal_error(what + ": " + nl_geterror(rc));
    }
    rtnl_link_set_name(link.get(), name.c_str());
    if (spec.mtu > 0) rtnl_link_set_mtu(link.get(), static_cast<unsigned>(spec.mtu));
    // A bridge without an address of its own takes the lowest MAC of its
    // ports and changes it (flushing its neighbours) as ports come and go;
    // Docker gives its bridges a random locally administered one, so do we.
    std::array<uint8_t, 6> mac{0x02, 0x42};
    if (getrandom(mac.data() + 2, 4, 0) != 4) return internal_error(what + ": getrandom failed");
    NlAddrPtr lladdr(nl_addr_build(AF_LLC, mac.data(), mac.size()));
    if (!lladdr) return internal_error(what + ": out of memory");
    rtnl_link_set_addr(link.get(), lladdr.get());
    BERTH_TRY(sock_.run(
        what, [&] { return rtnl_link_add(sock_.get(), link.get(), NLM_F_CREATE | NLM_F_EXCL); }));
  }

  // From here on the link is ours: a failure deletes it.
  int ifindex = 0;
  auto undo = [&](const Error& err) { return delete_after_failure(what, name, ifindex, err); };

  auto created = get_link(name);
  if (!created.ok()) return undo(created.error().wrap(what));
  if (!*created) return undo(internal_error(what + ": link vanished after creation"));
  rtnl_link* link = created->get();
  ifindex = rtnl_link_get_ifindex(link);

  // Step 2: the alias that marks the link as berth's. The kernel reads
  // IFLA_IFALIAS only when changing a link (rtnl_newlink ignores it on
  // creation; seen on 6.18), so it is a step of its own.
  if (!spec.alias.empty()) {
    spdlog::debug("netlink: {}: set alias \"{}\"", what, spec.alias);
    Status st = set_alias(link, spec.alias);
    if (!st.ok()) return undo(st.error().wrap(what));
  }

  // Step 3: no router advertisements on the bridge; berth's networks are
  // IPv4 for now and the bridge must not autoconfigure from a container.
  const std::string accept_ra = "net/ipv6/conf/" + name + "/accept_ra";
  Status st = in_own_netns([&]() -> Status {
    if (::access(("/proc/sys/" + accept_ra).c_str(), F_OK) != 0) {
      spdlog::debug("netlink: {}: no {} (IPv6 off), skipped", what, accept_ra);
      return ok_status();
    }
    spdlog::debug("netlink: {}: set {}=0", what, accept_ra);
    return write_sysctl(accept_ra, "0");
  });
  if (!st.ok()) return undo(st.error().wrap(what));

  // Step 4: the gateway address.
  if (spec.assign_address) {
    spdlog::debug("netlink: {}: add address {}/{}", what, ipv4_text(spec.address), spec.prefix_len);
    st = add_ipv4_address(link, spec.address, spec.prefix_len);
    if (!st.ok()) return undo(st.error().wrap(what));
  }

  // Step 5: up.
  spdlog::debug("netlink: {}: set up", what);
  st = set_link_up(link);
  if (!st.ok()) return undo(st.error().wrap(what));

  spdlog::debug("netlink: {}: done (index {})", what, ifindex);
  return ok_status();
}

}  // namespace berth::netlink
