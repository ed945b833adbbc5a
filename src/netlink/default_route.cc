// The IPv4 default route of a container, for the endpoint that provides it
// (docker-network.md §7.5): replaced when that endpoint changes, removed when
// it goes. Messages are built by hand so that each field says exactly what is
// matched: a delete request leaves protocol, type and scope unspecified
// (wildcards in fib_table_delete, net/ipv4/fib_trie.c), which libnl's route
// object would fill in with guesses.
#include <arpa/inet.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <spdlog/spdlog.h>

#include <cerrno>

#include "netlink/nl_netlink.h"

namespace berth::netlink {
namespace {

// Enough for any sane table; stops a loop should the kernel keep answering
// success without removing anything.
constexpr int kMaxDefaultRoutes = 64;

}  // namespace

Status NlNetlink::replace_default_route_v4(ipam::Ipv4 gw, const std::string& ifname) {
  const std::string what = "set default route via " + ipv4_text(gw) + " dev " + ifname;
  auto link = get_link(ifname);
  if (!link.ok()) return link.error().wrap(what);
  if (!*link) return not_found(what + ": no such link");

  NlMsgPtr msg(nlmsg_alloc_simple(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE));
  if (!msg) return internal_error(what + ": out of memory");
  rtmsg rtm{};
  rtm.rtm_family = AF_INET;
  rtm.rtm_dst_len = 0;
  rtm.rtm_table = RT_TABLE_MAIN;
  rtm.rtm_protocol = RTPROT_BOOT;  // what `ip route add` and Docker's routes carry
  rtm.rtm_scope = RT_SCOPE_UNIVERSE;
  rtm.rtm_type = RTN_UNICAST;
  uint32_t gw_be = htonl(gw.v);
  if (nlmsg_append(msg.get(), &rtm, sizeof(rtm), NLMSG_ALIGNTO) < 0 ||
      nla_put_u32(msg.get(), RTA_GATEWAY, gw_be) < 0 ||
      nla_put_u32(msg.get(), RTA_OIF, static_cast<uint32_t>(rtnl_link_get_ifindex(link->get()))) <
          0) {
    return internal_error(what + ": message too long");
  }
  spdlog::debug("netlink: {}", what);
  return send_request(what, msg.get());
}

Status NlNetlink::remove_default_routes_v4(const std::string& ifname) {
  const std::string what = "remove default route" + (ifname.empty() ? "" : " dev " + ifname);
  int ifindex = 0;
  if (!ifname.empty()) {
    auto link = get_link(ifname);
    if (!link.ok()) return link.error().wrap(what);
    if (!*link) return not_found(what + ": no such link");
    ifindex = rtnl_link_get_ifindex(link->get());
  }
  // The kernel deletes the first match per request: repeat until none is left.
  for (int i = 0; i < kMaxDefaultRoutes; ++i) {
    NlMsgPtr msg(nlmsg_alloc_simple(RTM_DELROUTE, 0));
    if (!msg) return internal_error(what + ": out of memory");
    rtmsg rtm{};
    rtm.rtm_family = AF_INET;
    rtm.rtm_dst_len = 0;
    rtm.rtm_table = RT_TABLE_MAIN;
    rtm.rtm_scope = RT_SCOPE_NOWHERE;  // any scope
    if (nlmsg_append(msg.get(), &rtm, sizeof(rtm), NLMSG_ALIGNTO) < 0 ||
        (ifindex > 0 && nla_put_u32(msg.get(), RTA_OIF, static_cast<uint32_t>(ifindex)) < 0)) {
      return internal_error(what + ": message too long");
    }
    Status st = send_request(what, msg.get());
    if (!st.ok()) {
      if (sock_.last_errno() == ESRCH) return ok_status();  // none (left)
      return st;
    }
    spdlog::debug("netlink: {}: removed one", what);
  }
  return internal_error(what + ": more than " + std::to_string(kMaxDefaultRoutes) +
                        " default routes");
}

}  // namespace berth::netlink
