// Renders the `ip berth` table from a Ruleset, purely. The shape follows
// Docker 29's nftables backend (ifname verdict maps dispatching to per-bridge
// chains) so that one packet costs a map lookup however many networks exist,
// and so that later changes (endpoints, published ports) are set/map element
// deltas instead of rule edits. Every base chain has `policy accept`: berth
// only ever drops packets going to or coming from its own bridges, so other
// software's forwarding on the host keeps working. docs/firewall.md shows an
// example and explains each chain.
#include <algorithm>
#include <set>
#include <string_view>

#include "firewall/firewall.h"

namespace berth::firewall {
namespace {

constexpr size_t kMaxIfname = 15;  // IFNAMSIZ - 1
constexpr size_t kMaxComment = 128;

bool ifname_char_ok(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

// Allowed characters pass; anything else becomes '?', which nft accepts inside
// a quoted string and rejects in a chain name: a name that slipped past
// validate() fails loudly instead of injecting syntax. ('*' would be a
// wildcard inside an ifname string, '"' would end it.)
std::string safe_ifname(std::string_view name) {
  std::string s(name);
  for (char& c : s) {
    if (!ifname_char_ok(c)) c = '?';
  }
  return s;
}

std::string quoted(std::string_view ifname) { return "\"" + safe_ifname(ifname) + "\""; }

std::string comment_text(std::string_view text) {
  std::string s;
  for (char c : text) {
    if (s.size() >= kMaxComment) break;
    s += (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') ? c : '?';
  }
  return s;
}

// Chain names embed the bridge name, as Docker 29 does; nft identifiers allow
// exactly the characters validate() allows (after the fixed prefix).
std::string forward_in_chain(const BridgeNetwork& n) {
  return "filter-forward-in__" + safe_ifname(n.bridge);
}
std::string forward_out_chain(const BridgeNetwork& n) {
  return "filter-forward-out__" + safe_ifname(n.bridge);
}
std::string masquerade_chain(const BridgeNetwork& n) {
  return "nat-postrouting-out__" + safe_ifname(n.bridge);
}

bool has_masquerade(const BridgeNetwork& n) { return n.masquerade && !n.internal; }

std::string published_element(const PublishedPort& p);
std::string dnat_host_element(const PublishedPort& p);
std::string dnat_any_element(const PublishedPort& p);

// Appends `elements = { a,\n b }` in nft's own listing layout; nothing when
// there are no elements (an empty `elements = { }` is a syntax error).
void elements(std::string& o, const std::vector<std::string>& items) {
  if (items.empty()) return;
  o += "\t\telements = { ";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) o += ",\n\t\t\t     ";
    o += items[i];
  }
  o += " }\n";
}

void chain_comment(std::string& o, const BridgeNetwork& n) {
  if (!n.id.empty()) o += "\t\tcomment \"network " + comment_text(n.id) + "\"\n";
}

void render_sets(std::string& o, const Ruleset& rs) {
  std::vector<std::string> bridges, in_jumps, out_jumps, masq_jumps;
  for (const auto& n : rs.networks) {
    bridges.push_back(quoted(n.bridge));
    in_jumps.push_back(quoted(n.bridge) + " : jump " + forward_in_chain(n));
    out_jumps.push_back(quoted(n.bridge) + " : jump " + forward_out_chain(n));
    if (has_masquerade(n))
      masq_jumps.push_back(quoted(n.bridge) + " : jump " + masquerade_chain(n));
  }
  // Every berth bridge: a packet from one of them into another bridge is
  // dropped (Docker's DOCKER-ISOLATION chains).
  o += "\tset bridges {\n\t\ttype ifname\n";
  elements(o, bridges);
  o += "\t}\n\n";
  // Bridge . subnet of every non-internal network, for the hairpin rule.
  std::vector<std::string> subnets;
  for (const auto& n : rs.networks) {
    if (!n.internal) subnets.push_back(quoted(n.bridge) + " . " + ipam::to_string(n.subnet));
  }
  o += "\tset bridge-subnets {\n\t\ttype ifname . ipv4_addr\n\t\tflags interval\n";
  elements(o, subnets);
  o += "\t}\n\n";
  // Container address . protocol . port of each published port, accepted into
  // the bridge after DNAT. Filled by the ports issue with element deltas.
  std::vector<std::string> published, dnat_host, dnat_any;
  std::set<std::string> seen;
  for (const auto& p : rs.ports) {
    if (seen.insert(published_element(p)).second) published.push_back(published_element(p));
    if (p.host_ip.v == 0) {
      dnat_any.push_back(dnat_any_element(p));
    } else {
      dnat_host.push_back(dnat_host_element(p));
    }
  }
  o += "\tset published-ports {\n\t\ttype ipv4_addr . inet_proto . inet_service\n";
  elements(o, published);
  o += "\t}\n\n";
  // DNAT of published ports: one map lookup per packet however many ports
  // are published. Ports on one host address, and ports on every address.
  o += "\tmap port-dnat {\n\t\ttype ipv4_addr . inet_proto . inet_service : ipv4_addr . "
       "inet_service\n";
  elements(o, dnat_host);
  o += "\t}\n\n";
  o += "\tmap port-dnat-any {\n\t\ttype inet_proto . inet_service : ipv4_addr . inet_service\n";
  elements(o, dnat_any);
  o += "\t}\n\n";
  // Packets leaving through a bridge (into the network) by oifname.
  o += "\tmap filter-forward-in-jumps {\n\t\ttype ifname : verdict\n";
  elements(o, in_jumps);
  o += "\t}\n\n";
  // Packets arriving from a bridge (out of the network) by iifname.
  o += "\tmap filter-forward-out-jumps {\n\t\ttype ifname : verdict\n";
  elements(o, out_jumps);
  o += "\t}\n\n";
  o += "\tmap nat-postrouting-out-jumps {\n\t\ttype ifname : verdict\n";
  elements(o, masq_jumps);
  o += "\t}\n\n";
}

void render_base_chains(std::string& o, const Ruleset& rs) {
  const bool always = rs.mode == ProxyMode::kAlways;
  const bool any_external = std::any_of(rs.networks.begin(), rs.networks.end(),
                                        [](const BridgeNetwork& n) { return !n.internal; });
  // Docker 28's guard: nothing addressed to 127.0.0.0/8 may arrive from
  // another interface (with route_localnet on, DNAT would otherwise make a
  // port published on 127.0.0.1 reachable from other hosts).
  o += "\tchain raw-prerouting {\n"
       "\t\ttype filter hook prerouting priority raw; policy accept;\n"
       "\t\tiifname != \"lo\" ip daddr 127.0.0.0/8 counter drop comment \"LOOPBACK GUARD\"\n"
       "\t}\n\n";
  // A packet into a bridge is decided by that bridge's in-chain, which always
  // ends in a verdict; only packets to non-berth interfaces reach the
  // out-chain dispatch.
  o += "\tchain filter-forward {\n"
       "\t\ttype filter hook forward priority filter; policy accept;\n"
       "\t\toifname vmap @filter-forward-in-jumps\n"
       "\t\tiifname vmap @filter-forward-out-jumps\n"
       "\t}\n\n";
  // Published ports: DNAT of packets to a local address, from outside
  // (prerouting) or from the host itself (output). With the proxy `always`,
  // loopback is left to the userland proxy, as Docker does. nft 1.0.6
  // rejects `priority dstnat` on a nat output chain, hence -100 (the same
  // number).
  o += "\tchain nat-prerouting {\n"
       "\t\ttype nat hook prerouting priority dstnat; policy accept;\n"
       "\t\tfib daddr type local jump nat-ports\n"
       "\t}\n\n"
       "\tchain nat-output {\n"
       "\t\ttype nat hook output priority -100; policy accept;\n";
  o += always ? "\t\tip daddr != 127.0.0.0/8 fib daddr type local jump nat-ports\n"
              : "\t\tfib daddr type local jump nat-ports\n";
  o += "\t}\n\n"
       "\tchain nat-postrouting {\n"
       "\t\ttype nat hook postrouting priority srcnat; policy accept;\n";
  // A host-local client on 127.0.0.1 DNATed into a bridge: the container
  // must answer the gateway, not its own loopback.
  if (!always && any_external) {
    o += "\t\toifname @bridges ip saddr 127.0.0.0/8 counter masquerade comment \"LOOPBACK\"\n";
  }
  // A container reaching a published port on its own bridge through a host
  // address: the reply must come back through the host. Matched by the
  // output bridge and source subnet, not by iifname: br_netfilter hands
  // bridged (hairpinned) packets to postrouting without an input device.
  if (any_external) {
    o += "\t\tct status dnat oifname . ip saddr @bridge-subnets counter masquerade comment "
         "\"HAIRPIN\"\n";
  }
  o += "\t\tiifname vmap @nat-postrouting-out-jumps\n"
       "\t}\n\n"
       "\tchain nat-ports {\n";
  // Docker's "SKIP DNAT": with the proxy always on, containers reach
  // published ports through it.
  if (always) o += "\t\tiifname @bridges return comment \"SKIP DNAT\"\n";
  o += "\t\tdnat ip to ip daddr . meta l4proto . th dport map @port-dnat\n"
       "\t\tdnat ip to meta l4proto . th dport map @port-dnat-any\n"
       "\t}\n";
}

void render_network(std::string& o, const BridgeNetwork& n) {
  const std::string br = quoted(n.bridge);
  // Into the bridge. br_netfilter (on by default, also in a new netns) sends
  // bridged same-bridge traffic through the forward hook with iifname and
  // oifname both the bridge, so ICC needs an explicit verdict.
  o += "\n\tchain " + forward_in_chain(n) + " {\n";
  chain_comment(o, n);
  if (n.internal) {
    // Nothing from outside gets in, replies included: nothing can have gone out.
    o += "\t\tiifname " + br +
         (n.icc ? " counter accept comment \"ICC\"\n" : " counter drop comment \"ICC DISABLED\"\n");
    o += "\t\tcounter drop comment \"INTERNAL\"\n";
  } else {
    o += "\t\tct state established,related counter accept\n";
    o += "\t\tiifname " + br +
         (n.icc ? " counter accept comment \"ICC\"\n" : " counter drop comment \"ICC DISABLED\"\n");
    o += "\t\tiifname @bridges counter drop comment \"ISOLATION\"\n";
    o += "\t\tct status dnat ip daddr . meta l4proto . th dport @published-ports counter accept "
         "comment \"PUBLISHED PORT\"\n";
    o += "\t\tcounter drop comment \"UNPUBLISHED PORT DROP\"\n";
  }
  o += "\t}\n";

  // Out of the bridge to a non-berth interface.
  o += "\n\tchain " + forward_out_chain(n) + " {\n";
  chain_comment(o, n);
  o += n.internal ? "\t\tcounter drop comment \"INTERNAL\"\n"
                  : "\t\tcounter accept comment \"OUTGOING\"\n";
  o += "\t}\n";

  if (has_masquerade(n)) {
    o += "\n\tchain " + masquerade_chain(n) + " {\n";
    chain_comment(o, n);
    o += "\t\toifname != " + br + " ip saddr " + ipam::to_string(n.subnet) +
         " counter masquerade comment \"MASQUERADE\"\n";

    o += "\t}\n";
  }
}

std::string published_element(const PublishedPort& p) {
  return ipam::to_string(p.container_ip) + " . " + proto_name(p.proto) + " . " +
         std::to_string(p.container_port);
}
std::string dnat_target(const PublishedPort& p) {
  return ipam::to_string(p.container_ip) + " . " + std::to_string(p.container_port);
}
std::string dnat_host_element(const PublishedPort& p) {
  return ipam::to_string(p.host_ip) + " . " + proto_name(p.proto) + " . " +
         std::to_string(p.host_port) + " : " + dnat_target(p);
}
std::string dnat_any_element(const PublishedPort& p) {
  return proto_name(p.proto) + " . " + std::to_string(p.host_port) + " : " + dnat_target(p);
}

// `add element` or `delete element` lines for the three containers of a
// port (delete names only the key).
std::string ports_delta(const std::vector<PublishedPort>& ports, bool add) {
  std::string o;
  const std::string verb = add ? "add element ip berth " : "delete element ip berth ";
  std::set<std::string> seen;
  for (const auto& p : ports) {
    if (seen.insert(published_element(p)).second) {
      o += verb + "published-ports { " + published_element(p) + " }\n";
    }
    if (p.host_ip.v == 0) {
      o += verb + "port-dnat-any { " +
           (add ? dnat_any_element(p)
                : proto_name(p.proto) + " . " + std::to_string(p.host_port)) +
           " }\n";
    } else {
      o += verb + "port-dnat { " +
           (add ? dnat_host_element(p)
                : ipam::to_string(p.host_ip) + " . " + proto_name(p.proto) + " . " +
                      std::to_string(p.host_port)) +
           " }\n";
    }
  }
  return o;
}

}  // namespace

std::string proto_name(int proto) { return proto == 17 ? "udp" : "tcp"; }

std::string render_ports_add(const std::vector<PublishedPort>& ports) {
  return ports_delta(ports, true);
}
std::string render_ports_delete(const std::vector<PublishedPort>& ports) {
  return ports_delta(ports, false);
}

Status validate(const Ruleset& rs) {
  std::set<std::string> seen;
  for (const auto& n : rs.networks) {
    const std::string who = n.id.empty() ? "bridge \"" + n.bridge + "\"" : "network " + n.id;
    bool ok =
        !n.bridge.empty() && n.bridge.size() <= kMaxIfname && n.bridge != "." && n.bridge != "..";
    for (char c : n.bridge) ok = ok && ifname_char_ok(c);
    if (!ok) {
      return invalid_argument(who + ": invalid bridge name \"" + n.bridge +
                              "\": use 1 to 15 characters from A-Z, a-z, 0-9, '_', '.', '-'");
    }
    if (!seen.insert(n.bridge).second) {
      return invalid_argument(who + ": bridge \"" + n.bridge + "\" is used by another network");
    }
    if (!n.subnet.is_canonical()) {
      return invalid_argument(who + ": subnet " + ipam::to_string(n.subnet) + " should be " +
                              ipam::to_string(n.subnet.canonical()));
    }
  }
  return ok_status();
}

std::string render(const Ruleset& rs) {
  std::string o;
  o += "# ip berth: rendered by berth::firewall::render, replaced as a whole.\n";
  o += render_delete();
  o += "table ip berth {\n";
  render_sets(o, rs);
  render_base_chains(o, rs);
  for (const auto& n : rs.networks) render_network(o, n);
  o += "}\n";
  return o;
}

// `delete` fails on a missing table and nft 1.0.6 has no `destroy`; adding
// first makes the pair succeed either way, in one transaction.
std::string render_delete() { return "add table ip berth\ndelete table ip berth\n"; }

}  // namespace berth::firewall
