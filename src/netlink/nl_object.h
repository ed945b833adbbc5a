// Owning pointers for libnl objects. libnl objects are reference counted;
// each pointer here owns exactly one reference and drops it on destruction.
// Objects reached by iterating a cache are borrowed from the cache and must
// not be wrapped.
#pragma once

#include <netlink/addr.h>
#include <netlink/cache.h>
#include <netlink/msg.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>
#include <netlink/socket.h>

#include <memory>

namespace berth::netlink {

template <typename T, void (*Release)(T*)>
struct NlReleaser {
  void operator()(T* p) const {
    if (p != nullptr) Release(p);
  }
};

using NlSockPtr = std::unique_ptr<nl_sock, NlReleaser<nl_sock, nl_socket_free>>;
using NlCachePtr = std::unique_ptr<nl_cache, NlReleaser<nl_cache, nl_cache_free>>;
using NlAddrPtr = std::unique_ptr<nl_addr, NlReleaser<nl_addr, nl_addr_put>>;
using LinkPtr = std::unique_ptr<rtnl_link, NlReleaser<rtnl_link, rtnl_link_put>>;
using AddrPtr = std::unique_ptr<rtnl_addr, NlReleaser<rtnl_addr, rtnl_addr_put>>;
using RoutePtr = std::unique_ptr<rtnl_route, NlReleaser<rtnl_route, rtnl_route_put>>;
using NlMsgPtr = std::unique_ptr<nl_msg, NlReleaser<nl_msg, nlmsg_free>>;

}  // namespace berth::netlink
