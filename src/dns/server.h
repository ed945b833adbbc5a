// berthd's embedded DNS server: one event-loop thread of its own (epoll,
// batched recvmmsg/sendmmsg) serving
//   - per container on a user-defined network: UDP and TCP sockets bound to
//     127.0.0.11 at random ports inside the container's netns (opened on a
//     short-lived thread, see netlink::run_in_netns), with an nft table
//     `ip berth_dns` in that netns mapping 127.0.0.11:53 to them, as Docker's
//     iptables DNAT/SNAT rules do;
//   - per user-defined network: UDP and TCP on the gateway address, port 53,
//     in berthd's own netns, answering only sources in that subnet or on
//     loopback.
// Local names come from an immutable Snapshot replaced whole by publish();
// the loop reads it without a lock held while answering. Everything else is
// forwarded to upstreams with failover, a dead-upstream hold-off, a bounded
// cache and a limit on queries in flight.
//
// Threading: every public method may be called from any thread (the engine
// calls them under its own lock); they hand work to the loop through a queue.
#pragma once

#include <netinet/in.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/result.h"
#include "common/unique_fd.h"
#include "dns/resolver.h"

namespace berth::dns {

struct ServerConfig {
  uint32_t ttl = 600;                  // --dns-ttl
  std::vector<std::string> upstreams;  // host-side upstreams ("ip" or "ip:port"), in order
  int upstream_timeout_ms = 1000;      // --dns-timeout: per attempt
  int dead_hold_ms = 30000;            // --dns-dead-time: skip a timed-out upstream this long
  size_t max_concurrent = 1024;        // --dns-max-concurrent: forwarded queries in flight
  size_t cache_entries = 10000;        // --dns-cache-size (0: no cache)
  uint32_t cache_max_ttl = 3600;
  std::string nft = "nft";
  // Install the input rule guarding the gateway listeners (table `ip
  // berth_dns` in berthd's namespace); false with --iptables=false.
  bool firewall = true;
};

// A user-defined network's gateway listener.
struct GatewaySpec {
  std::string network_id;
  std::string network_name;
  uint32_t gateway = 0;  // host byte order
  uint32_t subnet = 0;
  uint32_t mask = 0;
};

struct ServerStats {
  uint64_t answered_local = 0;
  uint64_t forwarded = 0;
  uint64_t cache_hits = 0;
  uint64_t refused = 0;
  uint64_t servfail = 0;
  uint64_t upstream_timeouts = 0;
};

class Server {
 public:
  explicit Server(ServerConfig cfg);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Starts the loop thread.
  Status start();
  void stop();

  // Opens the container's 127.0.0.11 sockets and NAT table in its netns and
  // serves them with scope key `id`. `own_servers` (the container's --dns)
  // become its upstreams, contacted from its netns; without them it uses the
  // host-side upstreams unless `host_upstreams` is false (a container only on
  // --internal networks, as Docker: forwarded names then get SERVFAIL).
  // Replaces an earlier attachment of the same id (berthd restarted).
  Status attach_container(const std::string& id, const std::string& netns_path,
                          const std::vector<std::string>& own_servers,
                          bool host_upstreams = true);
  void detach_container(const std::string& id);

  // Sets the gateway listeners: opens missing ones, closes the others.
  // Returns one warning per listener that could not be bound.
  std::vector<std::string> set_gateways(const std::vector<GatewaySpec>& gws);

  // Replaces the names (visible to the next query).
  void publish(const State& st);

  ServerStats stats() const;
  const ServerConfig& config() const { return cfg_; }

  struct Loop;  // the event loop's state (server.cc)

 private:
  void post(std::function<void(Loop&)> fn);

  ServerConfig cfg_;
  std::unique_ptr<Loop> loop_;
  std::thread thread_;
  std::mutex mu_;  // builder_, gateways_
  SnapshotBuilder builder_;
  std::vector<std::pair<GatewaySpec, bool>> gateways_;  // (spec, bound)
  std::string guard_script_;  // the last input-rule script applied
};

// The nft script for berthd's namespace that drops queries to a gateway
// listener from sources outside its network that are not local (the
// resolver checks the source too). Pure; replaces the table whole.
std::string render_gateway_guard(const std::vector<GatewaySpec>& gws);

}  // namespace berth::dns
