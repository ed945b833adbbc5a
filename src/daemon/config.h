// berthd's settings: dockerd's flags, each with the same key in the JSON
// config file (ARCHITECTURE.md "Daemon settings"). A setting given both as a
// flag and in the file, or an unknown key in the file, is an error, as in
// dockerd.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"
#include "ipam/ipam.h"

namespace berth::daemon {

struct DaemonConfig {
  std::string host = "unix:///run/berth/berth.sock";
  std::string data_root = "/var/lib/berth";
  std::string config_file = "/etc/berth/daemon.json";
  bool config_file_given = false;
  std::string bip = "172.17.0.1/16";
  std::vector<std::string> default_address_pools;  // "base=...,size=N"
  int mtu = 1500;
  bool iptables = true;
  bool ip_forward = true;
  std::string userland_proxy = "true";  // true | false | always
  std::vector<std::string> dns;
  std::string resolv_conf = "/etc/resolv.conf";
  std::string log_level = "info";
  // The embedded DNS (berth's own; dockerd has no such flags).
  int dns_ttl = 600;               // --dns-ttl: seconds, answers for container names
  int dns_timeout_ms = 1000;       // --dns-timeout-ms: per upstream attempt
  int dns_dead_time = 30;          // --dns-dead-time: seconds a timed-out upstream is skipped
  int dns_cache_size = 10000;      // --dns-cache-size: answers cached (0: no cache)
  int dns_max_concurrent = 1024;   // --dns-max-concurrent: forwarded queries in flight

  // Derived, validated values.
  std::string socket_path;
  ipam::Prefix bip_prefix;
  std::vector<ipam::PoolSpec> pools;
};

// Parses argv and the config file. On --help/--version prints and sets
// `exit_code`; on error returns InvalidArgument with a user-facing message.
struct ParsedArgs {
  DaemonConfig cfg;
  bool exit_now = false;
  int exit_code = 0;
};
Result<ParsedArgs> parse_args(int argc, char** argv);

// Merges a JSON config file's text into cfg; `flags_set` are the keys given
// on the command line (for the "specified both" check). Pure.
Status merge_config_file(const std::string& text, const std::vector<std::string>& flags_set,
                         DaemonConfig& cfg);

// Validates and derives socket_path, bip_prefix and pools.
Status finalize(DaemonConfig& cfg);

}  // namespace berth::daemon
