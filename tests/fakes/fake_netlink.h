// FakeNetlink: an in-memory Netlink for unit tests of the engine. It keeps a
// list of links, records what it was asked to create, move and delete, and
// can be told to fail the next create_bridge, create_veth, move or delete.
// Not thread safe, like a real Netlink. A veth pair is two links here until
// its peer is moved away (then the peer is gone from this fake, as from the
// namespace); deleting either end deletes the other, as the kernel does.
//
//   auto fake = std::make_unique<berth::netlink::FakeNetlink>();
//   auto* nl = fake.get();                 // keep a pointer to inspect it
//   nl->add_link({.name = "eth0", .kind = "", .up = true});
//   nl->onlink_routes = {...};
//   nl->fail_next_create_bridge(berth::conflict("create bridge br-x: File exists"));
//   nl->fail_next_create_veth(berth::conflict("create veth veth1a2b3c4: File exists"));
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
  std::vector<VethSpec> created_veths;
  struct Move {
    std::string link;
    std::string netns;  // the path, or "fd N"
  };
  std::vector<Move> moved_links;
  int create_veth_calls = 0;  // including failed ones

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
  // The next create_veth returns `err` and changes nothing.
  void fail_next_create_veth(Error err) { create_veth_error_ = std::move(err); }
  // The next move_link_to_netns(_fd) returns `err` and changes nothing.
  void fail_next_move_link(Error err) { move_link_error_ = std::move(err); }
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
    if (auto peer = peers_.find(name); peer != peers_.end()) {
      std::string other = peer->second;
      peers_.erase(other);
      peers_.erase(peer);
      links.erase(std::remove_if(links.begin(), links.end(),
                                 [&](const LinkInfo& l) { return l.name == other; }),
                  links.end());
    }
    return ok_status();
  }

  Result<std::vector<ipam::Prefix>> onlink_routes_v4() override {
    if (query_error_) return *query_error_;
    std::vector<ipam::Prefix> routes = onlink_routes;
    for (const auto& [name, prefix] : bridge_routes_) routes.push_back(prefix);
    return routes;
  }

  Status create_veth(const VethSpec& spec) override {
    ++create_veth_calls;
    if (create_veth_error_) {
      Error err = *std::move(create_veth_error_);
      create_veth_error_.reset();
      return err;
    }
    const std::string what = "create veth " + spec.host_ifname;
    for (const std::string* n : {&spec.host_ifname, &spec.peer_ifname}) {
      if (n->empty() || n->size() > 15) return invalid_argument(what + ": invalid interface name");
    }
    if (spec.host_ifname == spec.peer_ifname) {
      return invalid_argument(what + ": both ends are named " + spec.host_ifname);
    }
    if (link(spec.host_ifname) != nullptr || link(spec.peer_ifname) != nullptr) {
      return conflict(what + ": File exists");
    }
    int master = 0;
    if (!spec.bridge.empty()) {
      const LinkInfo* br = link(spec.bridge);
      if (br == nullptr) return not_found(what + ": bridge " + spec.bridge + " not found");
      master = br->index;
    }
    LinkInfo host;
    host.name = spec.host_ifname;
    host.kind = "veth";
    host.alias = spec.alias;
    host.mtu = spec.mtu;
    host.up = true;
    host.master_index = master;
    add_link(std::move(host));
    LinkInfo peer;
    peer.name = spec.peer_ifname;
    peer.kind = "veth";
    peer.mtu = spec.mtu;
    add_link(std::move(peer));
    peers_[spec.host_ifname] = spec.peer_ifname;
    peers_[spec.peer_ifname] = spec.host_ifname;
    created_veths.push_back(spec);
    return ok_status();
  }

  Status move_link_to_netns(const std::string& name, const std::string& netns_path) override {
    return move(name, netns_path);
  }

  Status move_link_to_netns_fd(const std::string& name, int netns_fd) override {
    return move(name, "fd " + std::to_string(netns_fd));
  }

 private:
  Status move(const std::string& name, const std::string& netns) {
    if (move_link_error_) {
      Error err = *std::move(move_link_error_);
      move_link_error_.reset();
      return err;
    }
    auto it =
        std::find_if(links.begin(), links.end(), [&](const LinkInfo& l) { return l.name == name; });
    const std::string what = "move link " + name + " to network namespace " + netns;
    if (it == links.end()) return not_found(what + ": no such link");
    links.erase(it);
    // The pair still exists, with one end elsewhere: deleting the end left
    // here must no longer look for the moved one.
    if (auto peer = peers_.find(name); peer != peers_.end()) {
      peers_.erase(peer->second);
      peers_.erase(peer);
    }
    moved_links.push_back({name, netns});
    return ok_status();
  }

  int next_index_ = 2;                                 // 1 is lo
  std::map<std::string, ipam::Prefix> bridge_routes_;  // subnet routes of created bridges
  std::optional<Error> create_bridge_error_;
  std::optional<Error> delete_link_error_;
  std::optional<Error> create_veth_error_;
  std::optional<Error> move_link_error_;
  std::map<std::string, std::string> peers_;  // veth end → other end, both here
  std::optional<Error> query_error_;
};

}  // namespace berth::netlink
