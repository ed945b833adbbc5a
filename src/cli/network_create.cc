#include "cli/network_create.h"

#include <arpa/inet.h>

#include <array>
#include <cstring>
#include <map>

namespace berth::cli {
namespace {

using ojson = nlohmann::ordered_json;

// An address as Go's net.IP keeps it: 16 bytes, IPv4 as ::ffff:a.b.c.d.
struct Ip {
  std::array<unsigned char, 16> b{};
  bool is_v4() const {
    static const unsigned char kPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    return std::memcmp(b.data(), kPrefix, 12) == 0;
  }
};

struct IpNet {
  std::vector<unsigned char> ip;    // 4 or 16 bytes, masked
  std::vector<unsigned char> mask;  // same length
};

// net.ParseIP: dotted IPv4 (no leading zeros) or IPv6, no zone.
std::optional<Ip> parse_ip(const std::string& s) {
  Ip ip;
  unsigned char v4[4];
  if (s.find(':') == std::string::npos) {
    if (inet_pton(AF_INET, s.c_str(), v4) != 1) return std::nullopt;
    ip.b[10] = ip.b[11] = 0xff;
    std::memcpy(ip.b.data() + 12, v4, 4);
    return ip;
  }
  if (s.find('%') != std::string::npos) return std::nullopt;
  if (inet_pton(AF_INET6, s.c_str(), ip.b.data()) != 1) return std::nullopt;
  return ip;
}

// net.ParseCIDR; the network keeps the family of the address as written.
Result<IpNet> parse_cidr(const std::string& s) {
  auto bad = [&] { return invalid_argument("invalid CIDR address: " + s); };
  size_t slash = s.find('/');
  if (slash == std::string::npos) return bad();
  std::string addr = s.substr(0, slash), len = s.substr(slash + 1);
  auto ip = parse_ip(addr);
  if (!ip || len.empty() || len.size() > 3) return bad();
  int n = 0;
  for (char c : len) {
    if (c < '0' || c > '9') return bad();
    n = n * 10 + (c - '0');
  }
  bool v4 = addr.find(':') == std::string::npos;
  int bits = v4 ? 32 : 128;
  if (n > bits) return bad();
  IpNet net;
  size_t size = v4 ? 4 : 16;
  net.ip.assign(ip->b.begin() + (v4 ? 12 : 0), ip->b.end());
  net.mask.assign(size, 0);
  for (int i = 0; i < n; ++i) net.mask[static_cast<size_t>(i / 8)] |= 0x80 >> (i % 8);
  for (size_t i = 0; i < size; ++i) net.ip[i] &= net.mask[i];
  return net;
}

bool contains(const IpNet& net, const std::optional<Ip>& ip) {
  if (!ip) return false;
  std::vector<unsigned char> x;
  if (ip->is_v4()) {
    x.assign(ip->b.begin() + 12, ip->b.end());
  } else {
    x.assign(ip->b.begin(), ip->b.end());
  }
  if (x.size() != net.ip.size()) return false;
  for (size_t i = 0; i < x.size(); ++i) {
    if ((x[i] & net.mask[i]) != net.ip[i]) return false;
  }
  return true;
}

std::pair<std::string, std::string> split_kv(const std::string& kv) {
  size_t eq = kv.find('=');
  if (eq == std::string::npos) return {kv, ""};
  return {kv.substr(0, eq), kv.substr(eq + 1)};
}

ojson sorted_map(const std::vector<std::string>& kvs) {
  std::map<std::string, std::string> m;
  for (const auto& kv : kvs) {
    auto [k, v] = split_kv(kv);
    m[k] = v;
  }
  ojson j = ojson::object();
  for (const auto& [k, v] : m) j[k] = v;
  return j;
}

}  // namespace

std::optional<std::string> validate_label(const std::string& label) {
  std::string key = split_kv(label).first;
  size_t b = key.find_first_not_of(" \t\n\r");
  if (b == std::string::npos) return "invalid label '" + label + "': empty name";
  return std::nullopt;
}

Result<bool> subnet_matches(const std::string& subnet, const std::string& data) {
  auto net = parse_cidr(subnet);
  if (!net.ok()) return invalid_argument("invalid subnet: " + net.error().message());
  std::optional<Ip> ip;
  if (data.find('/') != std::string::npos) {
    auto d = parse_cidr(data);
    if (!d.ok()) return d.error();
    ip = parse_ip(data.substr(0, data.find('/')));
  } else {
    ip = parse_ip(data);
  }
  return contains(*net, ip);
}

Result<ojson> network_create_body(const NetworkCreateOptions& o) {
  // createIPAMConfig, in the order docker 28.2.2 checks.
  if (o.subnets.size() < o.ip_ranges.size() || o.subnets.size() < o.gateways.size()) {
    return invalid_argument("every ip-range or gateway must have a corresponding subnet");
  }
  struct Config {
    std::string subnet, ip_range, gateway;
    std::map<std::string, std::string> aux;
  };
  std::vector<Config> configs;
  for (const auto& s : o.subnets) {
    for (const auto& c : configs) {
      auto ok1 = subnet_matches(s, c.subnet);
      if (!ok1.ok()) return ok1.error();
      auto ok2 = subnet_matches(c.subnet, s);
      if (!ok2.ok()) return ok2.error();
      if (*ok1 || *ok2) {
        return invalid_argument("multiple overlapping subnet configuration is not supported");
      }
    }
    bool dup = false;
    for (const auto& c : configs) dup = dup || c.subnet == s;
    if (!dup) configs.push_back(Config{s, "", "", {}});
  }
  auto config_for = [&](const std::string& subnet) -> Config& {
    for (auto& c : configs) {
      if (c.subnet == subnet) return c;
    }
    return configs.front();
  };
  for (const auto& r : o.ip_ranges) {
    bool match = false;
    for (const auto& s : o.subnets) {
      auto ok = subnet_matches(s, r);
      if (!ok.ok()) return ok.error();
      if (!*ok) continue;
      Config& c = config_for(s);
      if (!c.ip_range.empty()) {
        return invalid_argument("cannot configure multiple ranges (" + r + ", " + c.ip_range +
                                ") on the same subnet (" + s + ")");
      }
      c.ip_range = r;
      match = true;
    }
    if (!match) return invalid_argument("no matching subnet for range " + r);
  }
  for (const auto& g : o.gateways) {
    bool match = false;
    for (const auto& s : o.subnets) {
      auto ok = subnet_matches(s, g);
      if (!ok.ok()) return ok.error();
      if (!*ok) continue;
      Config& c = config_for(s);
      if (!c.gateway.empty()) {
        return invalid_argument("cannot configure multiple gateways (" + g + ", " + c.gateway +
                                ") for the same subnet (" + s + ")");
      }
      c.gateway = g;
      match = true;
    }
    if (!match) return invalid_argument("no matching subnet for gateway " + g);
  }
  std::map<std::string, std::string> aux;
  for (const auto& kv : o.aux_addresses) {
    auto [k, v] = split_kv(kv);
    aux[k] = v;
  }
  for (const auto& [key, addr] : aux) {
    bool match = false;
    for (const auto& s : o.subnets) {
      auto ok = subnet_matches(s, addr);
      if (!ok.ok()) return ok.error();
      if (!*ok) continue;
      config_for(s).aux[key] = addr;
      match = true;
    }
    if (!match) return invalid_argument("no matching subnet for aux-address " + addr);
  }

  ojson ipam_config = ojson::array();
  for (const auto& c : configs) {
    ojson e = ojson::object();
    if (!c.subnet.empty()) e["Subnet"] = c.subnet;
    if (!c.ip_range.empty()) e["IPRange"] = c.ip_range;
    if (!c.gateway.empty()) e["Gateway"] = c.gateway;
    if (!c.aux.empty()) {
      ojson a = ojson::object();
      for (const auto& [k, v] : c.aux) a[k] = v;
      e["AuxiliaryAddresses"] = a;
    }
    ipam_config.push_back(e);
  }

  ojson body = ojson::object();
  body["Driver"] = o.driver;
  body["Scope"] = o.scope;
  if (o.ipv4) body["EnableIPv4"] = *o.ipv4;
  if (o.ipv6) body["EnableIPv6"] = *o.ipv6;
  body["IPAM"] = ojson{
      {"Driver", o.ipam_driver}, {"Options", sorted_map(o.ipam_opts)}, {"Config", ipam_config}};
  body["Internal"] = o.internal;
  body["Attachable"] = o.attachable;
  body["Ingress"] = o.ingress;
  body["ConfigOnly"] = o.config_only;
  body["ConfigFrom"] = o.config_from.empty() ? ojson(nullptr) : ojson{{"Network", o.config_from}};
  body["Options"] = sorted_map(o.driver_opts);
  body["Labels"] = sorted_map(o.labels);
  body["Name"] = o.name;
  return body;
}

}  // namespace berth::cli
