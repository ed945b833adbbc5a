// The embedded resolver's pure core: an immutable snapshot of the names on
// every user-defined network, and the function that turns a query plus that
// snapshot into answer bytes (or says "forward this"). No sockets, no clock,
// no allocation while answering; the only state touched is the per-(network,
// name) rotation counter, an atomic.
//
// Docker's rules (libnetwork/resolver.go, reference docker-network.md §5):
// names are searched only on the networks the asking container shares, in its
// endpoint order, first network that knows the name wins; A answers carry
// every address of the name; AAAA (and MX) for a known name is NOERROR with no
// answer; PTR of a member's address is "<first name>.<network>."; everything
// else is forwarded. Better than Docker: the addresses rotate strictly (query
// k starts at member k mod n) instead of being shuffled.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "dns/wire.h"

namespace berth::dns {

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

// All addresses a name has on one network, in member order.
struct Group {
  std::vector<uint32_t> addrs;  // host byte order, no duplicates
  std::shared_ptr<std::atomic<uint32_t>> counter;  // survives snapshot replacement
};

struct NetworkTable {
  std::string id;
  std::string name;
  std::unordered_map<std::string, Group, StringHash, std::equal_to<>> names;  // wire, lower-case
  std::unordered_map<uint32_t, std::string> ptr;  // address → wire "name.network."
};

// What one listener may see: the networks of one container (its endpoint
// order) or the one network whose gateway address it listens on.
struct Scope {
  std::vector<const NetworkTable*> nets;
  // The container's resolv.conf sets ndots explicitly (Docker's ndotsSet):
  // A/AAAA for an unknown single-label name then gets an empty NOERROR
  // instead of being forwarded, so the client goes on with its search list.
  bool ndots_set = false;
};

struct Snapshot {
  std::vector<std::unique_ptr<NetworkTable>> networks;
  std::unordered_map<std::string, Scope, StringHash, std::equal_to<>> scopes;
  uint32_t ttl = 600;
  const Scope* scope(std::string_view key) const {
    auto it = scopes.find(key);
    return it == scopes.end() ? nullptr : &it->second;
  }
};

// ---- building a snapshot (on membership changes, not per query) ----

struct MemberSpec {
  std::vector<std::string> names;  // Docker's DNSNames: name, aliases, short id, hostname
  uint32_t ip = 0;
};
struct NetworkSpec {
  std::string id;
  std::string name;
  std::vector<MemberSpec> members;
};
struct ScopeSpec {
  std::string key;  // a container id, or "net:<network id>" for a gateway listener
  std::vector<std::string> network_ids;  // search order
  bool ndots_set = false;                // see Scope
};
struct State {
  std::vector<NetworkSpec> networks;
  std::vector<ScopeSpec> scopes;
  uint32_t ttl = 600;
};

// Builds snapshots and keeps the rotation counters of names that still exist
// across them, so a membership change does not restart every rotation. Not
// thread-safe: one builder, called under the owner's lock.
class SnapshotBuilder {
 public:
  std::shared_ptr<const Snapshot> build(const State& st);

 private:
  std::unordered_map<std::string, std::shared_ptr<std::atomic<uint32_t>>> counters_;
};

// ---- answering ----

enum class Action {
  kReply,    // `len` bytes of `out` are the answer
  kForward,  // not ours: ask the upstreams (q is parsed)
  kDrop,     // not a query
};
struct Outcome {
  Action action = Action::kDrop;
  size_t len = 0;
};

// Answers `query` for a listener with `scope` (nullptr: knows no names).
// `max_size` is the transport's limit: 65535 for TCP, for UDP the larger of
// 512 and the client's EDNS payload size, capped by out.size(). `q` receives
// the parsed query (used by the caller to forward and cache).
Outcome answer(std::span<const uint8_t> query, const Scope* scope, uint32_t ttl, bool tcp,
               std::span<uint8_t> out, Query& q);

// A header-only or question-echoing error answer (SERVFAIL, REFUSED) for a
// parsed query.
size_t error_answer(std::span<const uint8_t> query, const Query& q, uint8_t rcode,
                    std::span<uint8_t> out);

// The UDP payload size berth announces in its OPT records.
inline constexpr uint16_t kOurUdpSize = 4096;

}  // namespace berth::dns
