// berth's firewall as a value: the one nftables table `ip berth`, built from
// state, rendered to nft's text syntax purely, and applied by the `nft`
// program in one transaction (libnftables is GPL-2: not linked, see
// PITFALLS.md). berth never reads or edits any other table, and never sets a
// table-wide drop policy.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "common/result.h"
#include "ipam/ipam.h"

namespace berth::firewall {

// One bridge network as the firewall sees it.
struct BridgeNetwork {
  std::string id;       // network id (64 hex); used in comments only
  std::string bridge;   // interface name, e.g. "br-1a2b3c4d5e6f" or "berth0"
  ipam::Prefix subnet;  // canonical
  bool internal = false;
  bool icc = true;         // com.docker.network.bridge.enable_icc
  bool masquerade = true;  // com.docker.network.bridge.enable_ip_masquerade
};

// --userland-proxy: which path host-local clients take to a published port.
//   kTrue   (default) the kernel path for every client, loopback included
//           (route_localnet on berth's bridges, masquerade of 127/8 sources);
//           the proxy holds the ports and serves what the kernel cannot.
//   kFalse  the same rules; no proxy (the ports are only bound).
//   kAlways Docker's shape: loopback and bridge-originated connections go
//           through the proxy; no DNAT for them.
enum class ProxyMode { kTrue, kFalse, kAlways };

// One published port: host address (0 = every local address) . protocol .
// port → container address . port. Rendered as map elements.
struct PublishedPort {
  ipam::Ipv4 host_ip{0};
  int proto = 6;  // IPPROTO_TCP or IPPROTO_UDP
  int host_port = 0;
  ipam::Ipv4 container_ip{0};
  int container_port = 0;
};

// Everything the table is rendered from.
struct Ruleset {
  std::vector<BridgeNetwork> networks;  // rendered in this order
  ProxyMode mode = ProxyMode::kTrue;
  std::vector<PublishedPort> ports;  // rendered in this order (map elements)
};

// Checks what render() relies on: bridge names of 1..15 characters from
// [A-Za-z0-9_.-] (neither "." nor ".."), each used once; canonical subnets.
// InvalidArgument naming the offending network otherwise. The engine must call
// it before rendering: nft does not catch a duplicate bridge (it merges the
// repeated chain blocks and silently doubles their rules).
Status validate(const Ruleset& rs);

// The whole table as an nft script that replaces `ip berth` atomically when
// fed to `nft -f -` ("add table; delete table; table ip berth { ... }").
// Deterministic: equal rulesets give byte-equal scripts (golden files).
// For a ruleset that fails validate(), characters outside the allowed set are
// replaced by '?' so no input can inject nft syntax; the result is still
// wrong, so validate first. docs/firewall.md describes the table's shape.
std::string render(const Ruleset& rs);

// A script that removes the table if it exists.
std::string render_delete();

// One transaction that adds (or deletes) the map and set elements of the
// given ports: the delta for a container's start (or stop). Empty when
// `ports` is empty. Deleting an element that is not there fails the whole
// transaction: the caller then re-renders the table.
std::string render_ports_add(const std::vector<PublishedPort>& ports);
std::string render_ports_delete(const std::vector<PublishedPort>& ports);

// "tcp", "udp" (nft's names for the protocols berth publishes).
std::string proto_name(int proto);

// Applies scripts. NftFirewall runs `nft -f -`; tests/fakes has a recorder.
class Firewall {
 public:
  virtual ~Firewall() = default;
  // Applies the script in one nft transaction; on error nothing changed and
  // the message carries nft's stderr.
  virtual Status apply(const std::string& script) = 0;
};

// Runs the nft program (found on PATH unless the name contains '/'). Each call
// starts one process and waits for it, at most 30 s (then kills it). The
// process inherits the calling thread's network namespace: that is how tests
// and the engine aim it at a namespace. Safe to call from any thread.
class NftFirewall : public Firewall {
 public:
  explicit NftFirewall(std::string nft_binary = "nft") : nft_(std::move(nft_binary)) {}
  Status apply(const std::string& script) override;
  // `nft -c -f -`: checks a script without applying it (the kernel still
  // evaluates it, so this needs CAP_NET_ADMIN too).
  Status check(const std::string& script);
  // `nft -j list table ip berth`: the table as nft's JSON, for diagnostics and
  // tests. NotFound when the table does not exist.
  Result<std::string> list_json();

 private:
  std::string nft_;
};

}  // namespace berth::firewall
