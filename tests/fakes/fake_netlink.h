// FakeNetlink: an in-memory Netlink for unit tests of the engine. It keeps a
// list of links, records what it was asked to create and delete, and can be
// told to fail the next create_bridge. Not thread safe, like a real Netlink.
//
//   auto fake = std::make_unique<berth::netlink::FakeNetlink>();
//   auto* nl = fake.get();                 // keep a pointer to inspect it
//   nl->add_link({.name = "eth0", .kind = "", .up = true});
//   nl->onlink_routes = {...};
//   nl->fail_next_create_bridge(berth::conflict("create bridge br-x: File exists"));
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "netlink/netlink.h"

namespace berth::netlink {

class FakeNetlink : public Netlink {
 public:
  // State as the kernel would show it; tests may read and edit it directly.
  std::vector<LinkInfo> links;
  // Preset on-link routes (the host's networks); onlink_routes_v4() adds the
  // subnet routes of bridges created and not yet deleted.
  std::vector<ipam::Prefix> onlink_routes;

  // What was asked, in order (successful calls only).
  std::vector<BridgeSpec> created_bridges;
  std::vector<std::string> deleted_links;
  int create_bridge_calls = 0;  // including failed ones

  // Adds a link; index 0 is replaced by the next free index.
  LinkInfo& add_link(LinkInfo link) {
    if (link.index == 0) link.index = next_index_++;
    next_index_ = std::max(next_index_, link.index + 1);
    links.push_back(std::move(link));
    return links.back();
  }

  // The next create_bridge returns `err` and changes nothing.
  void fail_next_create_bridge(Error err) { create_bridge_error_ = std::move(err); }
  // The next delete_link returns `err` and changes nothing.
  void fail_next_delete_link(Error err) { delete_link_error_ = std::move(err); }
  // Every list_links / onlink_routes_v4 fails with `err` until cleared.
  void fail_queries(std::optional<Error> err) { query_error_ = std::move(err); }

  const LinkInfo* link(const std::string& name) const {
    auto it =
        std::find_if(links.begin(), links.end(), [&](const LinkInfo& l) { return l.name == name; });
    return it == links.end() ? nullptr : &*it;
  }

  Result<std::vector<LinkInfo>> list_links() override {
    if (query_error_) return *query_error_;
    return links;
  }

  Result<std::optional<LinkInfo>> find_link(const std::string& name) override {
    if (query_error_) return *query_error_;
    const LinkInfo* l = link(name);
    return l == nullptr ? std::optional<LinkInfo>() : std::optional<LinkInfo>(*l);
  }

  Status create_bridge(const BridgeSpec& spec) override {
    ++create_bridge_calls;
    if (create_bridge_error_) {
      Error err = *std::move(create_bridge_error_);
      create_bridge_error_.reset();
      return err;
    }
    if (spec.name.empty() || spec.name.size() > 15) {
      return invalid_argument("create bridge " + spec.name + ": invalid interface name");
    }
    if (link(spec.name) != nullptr) {
      return conflict("create bridge " + spec.name + ": File exists");
    }
    LinkInfo l;
    l.name = spec.name;
    l.kind = "bridge";
    l.alias = spec.alias;
    l.mtu = spec.mtu;
    l.up = true;
    add_link(std::move(l));
    created_bridges.push_back(spec);
    if (spec.assign_address && spec.prefix_len > 0 && spec.prefix_len <= 32) {
      // The kernel adds the subnet route with the address and drops it with
      // the link.
      uint32_t mask = spec.prefix_len == 32 ? 0xffffffffu : ~(0xffffffffu >> spec.prefix_len);
      bridge_routes_[spec.name] = ipam::Prefix{ipam::Ipv4{spec.address.v & mask}, spec.prefix_len};
    }
    return ok_status();
  }

  Status delete_link(const std::string& name) override {
    if (delete_link_error_) {
      Error err = *std::move(delete_link_error_);
      delete_link_error_.reset();
      return err;
    }
    auto it =
        std::find_if(links.begin(), links.end(), [&](const LinkInfo& l) { return l.name == name; });
    if (it == links.end()) return not_found("delete link " + name + ": no such link");
    links.erase(it);
    bridge_routes_.erase(name);
    deleted_links.push_back(name);
    return ok_status();
  }

  Result<std::vector<ipam::Prefix>> onlink_routes_v4() override {
    if (query_error_) return *query_error_;
    std::vector<ipam::Prefix> routes = onlink_routes;
    for (const auto& [name, prefix] : bridge_routes_) routes.push_back(prefix);
    return routes;
  }

 private:
  int next_index_ = 2;                                 // 1 is lo
  std::map<std::string, ipam::Prefix> bridge_routes_;  // subnet routes of created bridges
  std::optional<Error> create_bridge_error_;
  std::optional<Error> delete_link_error_;
  std::optional<Error> query_error_;
};

}  // namespace berth::netlink
