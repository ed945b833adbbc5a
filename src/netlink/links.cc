// Links: lookup, listing, state changes and deletion.
//
// Changes go through rtnl_link_change() with a `changes` object holding only
// the attributes to change; libnl sends RTM_NEWLINK for the existing ifindex
// (and retries as RTM_SETLINK on kernels that refuse that).
#include <errno.h>
#include <net/if.h>
#include <netlink/errno.h>
#include <netlink/route/link.h>
#include <spdlog/spdlog.h>

#include <cctype>

#include "netlink/nl_netlink.h"

namespace berth::netlink {
namespace {

LinkInfo link_info(rtnl_link* link) {
  LinkInfo info;
  const char* name = rtnl_link_get_name(link);
  info.name = name != nullptr ? name : "";
  info.index = rtnl_link_get_ifindex(link);
  const char* kind = rtnl_link_get_type(link);
  info.kind = kind != nullptr ? kind : "";
  const char* alias = rtnl_link_get_ifalias(link);
  info.alias = alias != nullptr ? alias : "";
  info.mtu = static_cast<int>(rtnl_link_get_mtu(link));
  info.up = (rtnl_link_get_flags(link) & IFF_UP) != 0;
  info.master_index = rtnl_link_get_master(link);
  return info;
}

}  // namespace

bool valid_ifname(const std::string& name) {
  if (name.empty() || name.size() >= IFNAMSIZ || name == "." || name == "..") return false;
  for (char c : name) {
    if (c == '/' || c == ':' || c == '\0' || std::isspace(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return true;
}

Result<LinkPtr> NlNetlink::get_link(const std::string& name) {
  if (!valid_ifname(name)) return invalid_argument("invalid interface name \"" + name + "\"");
  rtnl_link* raw = nullptr;
  int rc = 0;
  Status st = sock_.run("get link " + name, [&] {
    rc = rtnl_link_get_kernel(sock_.get(), 0, name.c_str(), &raw);
    return rc;
  });
  LinkPtr link(raw);
  if (!st.ok()) {
    // rtnl_link_get_kernel installs its own error callback (to retry without
    // IFLA_EXT_MASK on old kernels), so the kernel's ENODEV arrives only as
    // libnl's NLE_NODEV.
    if (rc == -NLE_NODEV || sock_.last_errno() == ENODEV) return LinkPtr();
    return st.error();
  }
  return link;
}

Result<std::vector<LinkInfo>> NlNetlink::list_links() {
  nl_cache* raw = nullptr;
  BERTH_TRY(
      sock_.run("list links", [&] { return rtnl_link_alloc_cache(sock_.get(), AF_UNSPEC, &raw); }));
  NlCachePtr cache(raw);
  std::vector<LinkInfo> links;
  for (nl_object* o = nl_cache_get_first(cache.get()); o != nullptr; o = nl_cache_get_next(o)) {
    links.push_back(link_info(reinterpret_cast<rtnl_link*>(o)));
  }
  return links;
}

Result<std::optional<LinkInfo>> NlNetlink::find_link(const std::string& name) {
  auto link = get_link(name);
  if (!link.ok()) return link.error();
  if (!*link) return std::optional<LinkInfo>();
  return std::optional<LinkInfo>(link_info(link->get()));
}

Status NlNetlink::set_link_up(rtnl_link* link) {
  LinkPtr changes(rtnl_link_alloc());
  if (!changes) return internal_error("set link up: out of memory");
  rtnl_link_set_flags(changes.get(), IFF_UP);
  return sock_.run(std::string("set link ") + rtnl_link_get_name(link) + " up",
                   [&] { return rtnl_link_change(sock_.get(), link, changes.get(), 0); });
}

Status NlNetlink::set_alias(rtnl_link* link, const std::string& alias) {
  LinkPtr changes(rtnl_link_alloc());
  if (!changes) return internal_error("set link alias: out of memory");
  rtnl_link_set_ifalias(changes.get(), alias.c_str());
  return sock_.run(std::string("set alias of link ") + rtnl_link_get_name(link),
                   [&] { return rtnl_link_change(sock_.get(), link, changes.get(), 0); });
}

Status NlNetlink::delete_link_index(int ifindex, const std::string& name) {
  LinkPtr link(rtnl_link_alloc());
  if (!link) return internal_error("delete link " + name + ": out of memory");
  rtnl_link_set_ifindex(link.get(), ifindex);
  return sock_.run("delete link " + name,
                   [&] { return rtnl_link_delete(sock_.get(), link.get()); });
}

Status NlNetlink::delete_link(const std::string& name) {
  if (!valid_ifname(name)) return invalid_argument("invalid interface name \"" + name + "\"");
  LinkPtr link(rtnl_link_alloc());
  if (!link) return internal_error("delete link " + name + ": out of memory");
  rtnl_link_set_name(link.get(), name.c_str());
  Status st =
      sock_.run("delete link " + name, [&] { return rtnl_link_delete(sock_.get(), link.get()); });
  if (!st.ok() && sock_.last_errno() == ENODEV) {
    return not_found("delete link " + name + ": no such link");
  }
  if (st.ok()) spdlog::debug("netlink: deleted link {}", name);
  return st;
}

Error NlNetlink::delete_after_failure(const std::string& what, const std::string& name,
                                      int ifindex, const Error& err) {
  spdlog::debug("netlink: {}; undo: delete link", err.message());
  Status st = ifindex > 0 ? delete_link_index(ifindex, name) : delete_link(name);
  if (!st.ok()) {
    spdlog::warn("netlink: {}: undo failed: {}", what, st.error().message());
    return Error(err.kind(), err.message() + "; undo: " + st.error().message());
  }
  return err;
}

}  // namespace berth::netlink
