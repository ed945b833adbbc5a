// Command line (CLI11) and daemon.json handling for berthd.
#include "daemon/config.h"

#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "common/log.h"

namespace berth::daemon {
namespace {

std::string json_value_text(const nlohmann::json& j) {
  return j.is_string() ? j.get<std::string>() : j.dump();
}

}  // namespace

namespace {
int* dns_int_setting(DaemonConfig& cfg, const std::string& key) {
  if (key == "dns-ttl") return &cfg.dns_ttl;
  if (key == "dns-timeout-ms") return &cfg.dns_timeout_ms;
  if (key == "dns-dead-time") return &cfg.dns_dead_time;
  if (key == "dns-cache-size") return &cfg.dns_cache_size;
  if (key == "dns-max-concurrent") return &cfg.dns_max_concurrent;
  return nullptr;
}
}  // namespace

Status merge_config_file(const std::string& text, const std::vector<std::string>& flags_set,
                         DaemonConfig& cfg) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text, nullptr, false, true);
  } catch (const nlohmann::json::exception&) {  // out_of_range is thrown regardless
    j = nlohmann::json::value_t::discarded;
  }
  if (j.is_discarded() || !j.is_object()) {
    return invalid_argument("unable to configure the berth daemon with file " + cfg.config_file +
                            ": the file is not a JSON object");
  }
  static const std::set<std::string> kKeys = {
      "hosts", "data-root", "bip", "default-address-pools", "mtu", "iptables", "ip-forward",
      "userland-proxy", "dns", "resolv-conf", "log-level", "dns-ttl", "dns-timeout-ms",
      "dns-dead-time", "dns-cache-size", "dns-max-concurrent"};
  std::vector<std::string> unknown, both;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (!kKeys.count(it.key())) unknown.push_back(it.key());
    const std::string flag = it.key() == "hosts" ? "host" : it.key() == "default-address-pools"
                                                               ? "default-address-pool"
                                                               : it.key();
    for (const auto& f : flags_set) {
      if (f == flag) {
        both.push_back(it.key() + ": (from flag: ..., from file: " + json_value_text(*it) + ")");
      }
    }
  }
  if (!unknown.empty()) {
    std::string m = "the following directives don't match any configuration option: ";
    for (size_t i = 0; i < unknown.size(); ++i) m += (i ? ", " : "") + unknown[i];
    return invalid_argument("unable to configure the berth daemon with file " + cfg.config_file +
                            ": " + m);
  }
  if (!both.empty()) {
    std::string m = "the following directives are specified both as a flag and in the "
                    "configuration file: ";
    for (size_t i = 0; i < both.size(); ++i) m += (i ? ", " : "") + both[i];
    return invalid_argument("unable to configure the berth daemon with file " + cfg.config_file +
                            ": " + m);
  }
  auto bad = [&](const std::string& key, const char* want) {
    return invalid_argument("unable to configure the berth daemon with file " + cfg.config_file +
                            ": " + key + " must be " + want);
  };
  try {
    for (auto it = j.begin(); it != j.end(); ++it) {
      const std::string& k = it.key();
      const auto& v = *it;
      if (k == "hosts") {
        if (!v.is_array() || v.size() != 1 || !v[0].is_string()) {
          return bad(k, "a list with one unix:// address");
        }
        cfg.host = v[0].get<std::string>();
      } else if (k == "data-root") {
        if (!v.is_string()) return bad(k, "a string");
        cfg.data_root = v.get<std::string>();
      } else if (k == "bip") {
        if (!v.is_string()) return bad(k, "a string");
        cfg.bip = v.get<std::string>();
      } else if (k == "default-address-pools") {
        if (!v.is_array()) return bad(k, "a list of {\"base\": CIDR, \"size\": N}");
        cfg.default_address_pools.clear();
        for (const auto& p : v) {
          if (!p.is_object() || !p.contains("base") || !p.contains("size") ||
              !p["base"].is_string() || !p["size"].is_number_integer()) {
            return bad(k, "a list of {\"base\": CIDR, \"size\": N}");
          }
          cfg.default_address_pools.push_back("base=" + p["base"].get<std::string>() +
                                              ",size=" + std::to_string(p["size"].get<int>()));
        }
      } else if (k == "mtu") {
        if (!v.is_number_integer()) return bad(k, "an integer");
        cfg.mtu = v.get<int>();
      } else if (k == "iptables" || k == "ip-forward") {
        if (!v.is_boolean()) return bad(k, "true or false");
        (k == "iptables" ? cfg.iptables : cfg.ip_forward) = v.get<bool>();
      } else if (k == "userland-proxy") {
        if (v.is_boolean()) cfg.userland_proxy = v.get<bool>() ? "true" : "false";
        else if (v.is_string()) cfg.userland_proxy = v.get<std::string>();
        else return bad(k, "true, false or \"always\"");
      } else if (k == "dns") {
        if (!v.is_array()) return bad(k, "a list of addresses");
        cfg.dns.clear();
        for (const auto& d : v) {
          if (!d.is_string()) return bad(k, "a list of addresses");
          cfg.dns.push_back(d.get<std::string>());
        }
      } else if (k == "resolv-conf") {
        if (!v.is_string()) return bad(k, "a string");
        cfg.resolv_conf = v.get<std::string>();
      } else if (k == "log-level") {
        if (!v.is_string()) return bad(k, "a string");
        cfg.log_level = v.get<std::string>();
      } else if (int* slot = dns_int_setting(cfg, k)) {
        if (!v.is_number_integer()) return bad(k, "an integer");
        *slot = v.get<int>();
      }
    }
  } catch (const nlohmann::json::exception& e) {
    return invalid_argument("unable to configure the berth daemon with file " + cfg.config_file +
                            ": " + e.what());
  }
  return ok_status();
}

Status finalize(DaemonConfig& cfg) {
  for (const char* k : {"dns-ttl", "dns-timeout-ms", "dns-dead-time", "dns-cache-size",
                        "dns-max-concurrent"}) {
    const int v = *dns_int_setting(cfg, k);
    const bool positive = std::string(k) == "dns-timeout-ms" || std::string(k) == "dns-max-concurrent";
    if (v < 0 || (positive && v == 0)) {
      return invalid_argument(std::string("invalid --") + k + " " + std::to_string(v) +
                              (positive ? ": want a positive integer" : ": want 0 or more"));
    }
  }
  const std::string kUnix = "unix://";
  if (cfg.host.rfind(kUnix, 0) != 0 || cfg.host.size() == kUnix.size()) {
    return invalid_argument("invalid --host " + cfg.host +
                            ": berthd listens on a unix socket only (unix:///path)");
  }
  cfg.socket_path = cfg.host.substr(kUnix.size());
  if (cfg.data_root.empty() || cfg.data_root[0] != '/') {
    return invalid_argument("--data-root must be an absolute path, got \"" + cfg.data_root + "\"");
  }
  auto bip = ipam::parse_cidr(cfg.bip);
  if (!bip || bip->len > 30 || bip->addr == bip->network() || bip->addr == bip->broadcast()) {
    return invalid_argument("invalid --bip " + cfg.bip +
                            ": want the bridge's address with a prefix, e.g. 172.17.0.1/16");
  }
  cfg.bip_prefix = *bip;
  cfg.pools.clear();
  if (cfg.default_address_pools.empty()) {
    cfg.pools = ipam::docker_default_pools();
  } else {
    for (const auto& s : cfg.default_address_pools) {
      auto p = ipam::parse_pool_spec(s);
      if (!p.ok()) return p.error().wrap("invalid --default-address-pool " + s);
      cfg.pools.push_back(*p);
    }
  }
  if (cfg.mtu < 68 || cfg.mtu > 65535) {
    return invalid_argument("invalid --mtu " + std::to_string(cfg.mtu) + ": allowed 68 to 65535");
  }
  if (cfg.userland_proxy != "true" && cfg.userland_proxy != "false" &&
      cfg.userland_proxy != "always") {
    return invalid_argument("invalid --userland-proxy " + cfg.userland_proxy +
                            ": allowed true, false, always");
  }
  for (const auto& d : cfg.dns) {
    if (!ipam::parse_ipv4(d)) {
      return invalid_argument("invalid --dns " + d + ": want an IPv4 address");
    }
  }
  if (!log::set_level(cfg.log_level)) {
    return invalid_argument("invalid --log-level " + cfg.log_level +
                            ": allowed debug, info, warn, error, fatal");
  }
  return ok_status();
}

Result<ParsedArgs> parse_args(int argc, char** argv) {
  ParsedArgs out;
  DaemonConfig& cfg = out.cfg;
  CLI::App app{"berthd: the berth container networking engine"};
  app.set_version_flag("-v,--version", "berthd version 0.1.0");
  auto* o_host = app.add_option("-H,--host", cfg.host, "API socket, unix:///path");
  auto* o_root = app.add_option("--data-root", cfg.data_root, "state directory");
  auto* o_cfg = app.add_option("--config-file", cfg.config_file, "daemon JSON configuration");
  auto* o_bip = app.add_option("--bip", cfg.bip, "default bridge address, CIDR");
  auto* o_pool = app.add_option("--default-address-pool", cfg.default_address_pools,
                                "base=CIDR,size=N (repeatable)");
  auto* o_mtu = app.add_option("--mtu", cfg.mtu, "default bridge MTU");
  auto* o_ipt = app.add_option("--iptables", cfg.iptables, "install firewall rules")
                    ->expected(0, 1)->default_str("true");
  auto* o_fwd = app.add_option("--ip-forward", cfg.ip_forward, "enable IPv4 forwarding")
                    ->expected(0, 1)->default_str("true");
  auto* o_proxy = app.add_option("--userland-proxy", cfg.userland_proxy, "true|false|always")
                      ->expected(0, 1);
  auto* o_dns = app.add_option("--dns", cfg.dns, "upstream DNS server (repeatable)");
  auto* o_resolv = app.add_option("--resolv-conf", cfg.resolv_conf, "host resolv.conf");
  auto* o_log = app.add_option("-l,--log-level", cfg.log_level, "debug|info|warn|error|fatal");
  auto* o_dttl = app.add_option("--dns-ttl", cfg.dns_ttl, "TTL of embedded DNS answers (s)");
  auto* o_dto = app.add_option("--dns-timeout-ms", cfg.dns_timeout_ms, "upstream DNS timeout");
  auto* o_ddead = app.add_option("--dns-dead-time", cfg.dns_dead_time,
                                 "seconds a timed-out upstream is skipped");
  auto* o_dcache = app.add_option("--dns-cache-size", cfg.dns_cache_size,
                                  "forwarded answers cached (0: off)");
  auto* o_dmax = app.add_option("--dns-max-concurrent", cfg.dns_max_concurrent,
                                "forwarded queries in flight before REFUSED");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    out.exit_now = true;
    out.exit_code = app.exit(e);
    return out;
  }
  // A bare --iptables / --ip-forward / --userland-proxy means true.
  if (o_ipt->count() && o_ipt->results().empty()) cfg.iptables = true;
  if (o_fwd->count() && o_fwd->results().empty()) cfg.ip_forward = true;
  if (o_proxy->count() && o_proxy->results().empty()) cfg.userland_proxy = "true";

  std::vector<std::string> flags_set;
  const std::pair<CLI::Option*, const char*> named[] = {
      {o_host, "host"},   {o_root, "data-root"}, {o_bip, "bip"},
      {o_pool, "default-address-pool"}, {o_mtu, "mtu"}, {o_ipt, "iptables"},
      {o_fwd, "ip-forward"}, {o_proxy, "userland-proxy"}, {o_dns, "dns"},
      {o_resolv, "resolv-conf"}, {o_log, "log-level"}, {o_dttl, "dns-ttl"},
      {o_dto, "dns-timeout-ms"}, {o_ddead, "dns-dead-time"}, {o_dcache, "dns-cache-size"},
      {o_dmax, "dns-max-concurrent"}};
  for (const auto& [opt, name] : named) {
    if (opt->count()) flags_set.push_back(name);
  }
  cfg.config_file_given = o_cfg->count() > 0;
  std::ifstream f(cfg.config_file);
  if (f) {
    std::stringstream ss;
    ss << f.rdbuf();
    BERTH_TRY(merge_config_file(ss.str(), flags_set, cfg));
  } else if (cfg.config_file_given) {
    return invalid_argument("unable to configure the berth daemon with file " + cfg.config_file +
                            ": cannot read it");
  }
  BERTH_TRY(finalize(cfg));
  return out;
}

}  // namespace berth::daemon
