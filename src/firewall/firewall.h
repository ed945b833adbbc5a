// berth's firewall as a value: the one nftables table `ip berth`, built from
// state, rendered to nft's text syntax purely, and applied by the `nft`
// program in one transaction (libnftables is GPL-2: not linked, see
// PITFALLS.md). berth never reads or edits any other table, and never sets a
// table-wide drop policy.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"
#include "ipam/ipam.h"

namespace berth::firewall {

// One bridge network as the firewall sees it.
struct BridgeNetwork {
  std::string id;      // network id (64 hex); used in comments only
  std::string bridge;  // interface name, e.g. "br-1a2b3c4d5e6f" or "berth0"
  ipam::Prefix subnet;  // canonical
  bool internal = false;
  bool icc = true;         // com.docker.network.bridge.enable_icc
  bool masquerade = true;  // com.docker.network.bridge.enable_ip_masquerade
};

// Everything the table is rendered from. Later issues add endpoints and
// published ports (rendered into maps, changed by deltas).
struct Ruleset {
  std::vector<BridgeNetwork> networks;  // rendered in this order
};

// The whole table as an nft script that replaces `ip berth` atomically when
// fed to `nft -f -` ("add table; delete table; table ip berth { ... }").
// Deterministic: equal rulesets give byte-equal scripts (golden files).
std::string render(const Ruleset& rs);

// A script that removes the table if it exists.
std::string render_delete();

// Applies scripts. NftFirewall runs `nft -f -`; tests/fakes has a recorder.
class Firewall {
 public:
  virtual ~Firewall() = default;
  // Applies the script in one nft transaction; on error nothing changed and
  // the message carries nft's stderr.
  virtual Status apply(const std::string& script) = 0;
};

class NftFirewall : public Firewall {
 public:
  explicit NftFirewall(std::string nft_binary = "nft") : nft_(std::move(nft_binary)) {}
  Status apply(const std::string& script) override;
  // `nft -c -f -`: checks a script without applying it.
  Status check(const std::string& script);

 private:
  std::string nft_;
};

}  // namespace berth::firewall
