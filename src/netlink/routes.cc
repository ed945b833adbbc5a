// Routes (RTM_GETROUTE dumps).
#include <arpa/inet.h>
#include <linux/rtnetlink.h>
#include <netlink/addr.h>
#include <netlink/route/route.h>

#include <algorithm>
#include <cstring>

#include "netlink/nl_netlink.h"

namespace berth::netlink {

Result<std::vector<ipam::Prefix>> NlNetlink::onlink_routes_v4() {
  nl_cache* raw = nullptr;
  BERTH_TRY(sock_.run("list IPv4 routes",
                      [&] { return rtnl_route_alloc_cache(sock_.get(), AF_INET, 0, &raw); }));
  NlCachePtr cache(raw);
  std::vector<ipam::Prefix> prefixes;
  for (nl_object* o = nl_cache_get_first(cache.get()); o != nullptr; o = nl_cache_get_next(o)) {
    auto* route = reinterpret_cast<rtnl_route*>(o);
    if (rtnl_route_get_table(route) != RT_TABLE_MAIN) continue;
    if (rtnl_route_get_scope(route) != RT_SCOPE_LINK) continue;
    if (rtnl_route_get_type(route) != RTN_UNICAST) continue;
    nl_addr* dst = rtnl_route_get_dst(route);
    // A route without destination ("default dev eth0 scope link") is
    // reported as /0; like libnetwork's CheckRouteOverlaps, only routes to a
    // network count, or every subnet would overlap it.
    if (dst == nullptr || nl_addr_get_family(dst) != AF_INET || nl_addr_get_len(dst) != 4) {
      continue;
    }
    int len = static_cast<int>(nl_addr_get_prefixlen(dst));
    if (len <= 0 || len > 32) continue;
    uint32_t be = 0;
    std::memcpy(&be, nl_addr_get_binary_addr(dst), sizeof(be));
    prefixes.push_back(ipam::Prefix{ipam::Ipv4{ntohl(be)}, len});
  }
  std::sort(prefixes.begin(), prefixes.end());
  prefixes.erase(std::unique(prefixes.begin(), prefixes.end()), prefixes.end());
  return prefixes;
}

}  // namespace berth::netlink
