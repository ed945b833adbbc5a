// berth-lb's configuration: the subset of nginx.conf that the lecture's file
// and common load-balancer setups use. parse_config() is pure (text in,
// value or nginx-style error out: `unknown directive "x" in FILE:LINE`);
// load_config() reads the file and resolves fixed upstream host names.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"

namespace berth::lb {

enum class Policy { kRoundRobin, kLeastConn, kIpHash, kRandomTwo };

struct UpstreamServer {
  std::string host;  // IPv4 literal or a name
  uint16_t port = 80;
  int weight = 1;
  int max_fails = 1;
  int fail_timeout_s = 10;
  bool backup = false;
  bool down = false;
  bool resolve = false;  // re-resolved through `resolver` every valid= seconds
  int line = 0;
};

struct Upstream {
  std::string name;
  std::vector<UpstreamServer> servers;
  Policy policy = Policy::kRoundRobin;
  int keepalive = 256;  // idle connections kept per worker thread and server (nginx: off unless set)
  bool implicit = false;  // made for `proxy_pass http://host:port`
  int line = 0;
};

struct HealthCheck {
  bool enabled = false;
  int interval_ms = 5000;
  std::string uri = "/";
  int fails = 1;
  int passes = 1;
};

struct HeaderSet {
  std::string name;   // as written
  std::string value;  // may hold $host $remote_addr $proxy_add_x_forwarded_for $scheme $http_host $proxy_host
};

struct Location {
  bool exact = false;  // `location = /path`
  std::string path = "/";
  // one of: proxy, return, status
  std::string upstream;                 // proxy_pass target upstream name
  std::optional<std::string> proxy_uri;  // proxy_pass http://x/uri: replaces the matched prefix
  std::vector<HeaderSet> set_headers;
  bool next_error = true, next_timeout = true, next_off = false;
  bool next_502 = false, next_503 = false, next_504 = false, next_non_idempotent = false;
  int connect_timeout_ms = 60000;
  int read_timeout_ms = 60000;
  int return_code = 0;
  std::string return_text;
  bool status = false;  // `stub_status;`: per-backend counters in Prometheus text
  HealthCheck health;
  int line = 0;
};

struct Listen {
  uint32_t addr = 0;  // IPv4, host byte order; 0 = any
  uint16_t port = 80;
  bool default_server = false;
  int backlog = 4096;
};

struct Server {
  std::vector<Listen> listens;
  std::vector<std::string> names;
  std::vector<Location> locations;
  int line = 0;
};

struct Resolver {
  std::vector<std::pair<uint32_t, uint16_t>> addrs;  // IPv4 host order, port
  int valid_s = 0;  // 0: the records' TTL
};

struct Config {
  std::string file;
  int workers = 1;  // worker_processes: threads here; auto = CPUs
  std::string pid_file;
  int worker_connections = 512;
  std::string error_log;
  std::string access_log = "off";
  int keepalive_timeout_s = 75;
  int keepalive_requests = 1000000;
  std::optional<Resolver> resolver;
  std::vector<Upstream> upstreams;
  std::vector<Server> servers;

  const Upstream* find_upstream(std::string_view name) const;
};

// Parses `text` as nginx.conf read from `file` (used in messages only).
// Errors read as nginx's, without the "nginx: [emerg] " prefix.
Result<Config> parse_config(std::string_view text, const std::string& file);

// Reads `file`, parses it, resolves upstream host names that lack `resolve`
// (nginx: `host not found in upstream "x" in FILE:LINE`).
Result<Config> load_config(const std::string& file);

std::string format_ipv4(uint32_t addr);
std::optional<uint32_t> parse_ipv4(std::string_view s);

}  // namespace berth::lb
