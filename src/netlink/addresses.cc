// Interface addresses (RTM_NEWADDR).
#include <arpa/inet.h>
#include <linux/if_addr.h>
#include <netlink/addr.h>
#include <netlink/errno.h>
#include <netlink/route/addr.h>

#include "netlink/nl_netlink.h"

namespace berth::netlink {
namespace {

Result<NlAddrPtr> make_ipv4(uint32_t host_order, int prefix_len) {
  uint32_t be = htonl(host_order);
  NlAddrPtr a(nl_addr_build(AF_INET, &be, sizeof(be)));
  if (!a) return internal_error("out of memory");
  nl_addr_set_prefixlen(a.get(), prefix_len);
  return a;
}

}  // namespace

std::string ipv4_text(ipam::Ipv4 a) {
  return std::to_string(a.v >> 24) + "." + std::to_string((a.v >> 16) & 0xff) + "." +
         std::to_string((a.v >> 8) & 0xff) + "." + std::to_string(a.v & 0xff);
}

Status NlNetlink::add_ipv4_address(rtnl_link* link, ipam::Ipv4 address, int prefix_len) {
  std::string what = "add address " + ipv4_text(address) + "/" + std::to_string(prefix_len) +
                     " to " + rtnl_link_get_name(link);
  if (prefix_len < 0 || prefix_len > 32) {
    return invalid_argument(what + ": prefix length must be 0..32");
  }
  AddrPtr addr(rtnl_addr_alloc());
  if (!addr) return internal_error(what + ": out of memory");
  rtnl_addr_set_ifindex(addr.get(), rtnl_link_get_ifindex(link));
  rtnl_addr_set_family(addr.get(), AF_INET);

  auto local = make_ipv4(address.v, prefix_len);
  if (!local.ok()) return local.error().wrap(what);
  if (int rc = rtnl_addr_set_local(addr.get(), local->get()); rc < 0) {
    return internal_error(what + ": " + nl_geterror(rc));
  }
  rtnl_addr_set_prefixlen(addr.get(), prefix_len);

  // `ip addr add ... brd +` and Docker set the directed broadcast address;
  // /31 and /32 have none (RFC 3021).
  if (prefix_len < 31) {
    uint32_t host_mask = prefix_len == 0 ? 0xffffffffu : (0xffffffffu >> prefix_len);
    auto brd = make_ipv4(address.v | host_mask, 32);
    if (!brd.ok()) return brd.error().wrap(what);
    if (int rc = rtnl_addr_set_broadcast(addr.get(), brd->get()); rc < 0) {
      return internal_error(what + ": " + nl_geterror(rc));
    }
  }
  return sock_.run(what, [&] { return rtnl_addr_add(sock_.get(), addr.get(), NLM_F_EXCL); });
}

}  // namespace berth::netlink
