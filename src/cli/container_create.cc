#include "cli/container_create.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <map>
#include <regex>
#include <set>

#include "cli/go_template_internal.h"

namespace berth::cli {
namespace {

using template_internal::quote_go;

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

std::string trim_space(std::string s) {
  size_t b = 0, e = s.size();
  while (b < e && is_space(s[b])) ++b;
  while (e > b && is_space(s[e - 1])) --e;
  return s.substr(b, e - b);
}

std::string trim_left(const std::string& s, const std::string& chars) {
  size_t b = s.find_first_not_of(chars);
  return b == std::string::npos ? "" : s.substr(b);
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

bool starts_with(const std::string& s, const std::string& p) { return s.rfind(p, 0) == 0; }

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t p = s.find(sep, start);
    out.push_back(s.substr(start, p == std::string::npos ? std::string::npos : p - start));
    if (p == std::string::npos) return out;
    start = p + 1;
  }
}

// strconv.ParseUint(s, 10, 16) as nat.ParsePortRange uses it.
Result<unsigned> parse_port_number(const std::string& s) {
  if (s.empty()) return invalid_argument("strconv.ParseUint: parsing \"\": invalid syntax");
  unsigned long long v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') {
      return invalid_argument("strconv.ParseUint: parsing " + quote_go(s) + ": invalid syntax");
    }
    v = v * 10 + static_cast<unsigned>(c - '0');
    if (v > 65535) {
      // Keep scanning for syntax errors first, as Go reports those.
      for (char d : s) {
        if (d < '0' || d > '9') {
          return invalid_argument("strconv.ParseUint: parsing " + quote_go(s) + ": invalid syntax");
        }
      }
      return invalid_argument("strconv.ParseUint: parsing " + quote_go(s) + ": value out of range");
    }
  }
  return static_cast<unsigned>(v);
}

// nat.ParsePortRange.
Result<std::pair<unsigned, unsigned>> parse_port_range(const std::string& ports) {
  if (ports.empty()) return invalid_argument("empty string specified for ports");
  if (ports.find('-') == std::string::npos) {
    auto p = parse_port_number(ports);
    if (!p.ok()) return p.error();
    return std::make_pair(*p, *p);
  }
  auto parts = split(ports, '-');
  auto start = parse_port_number(parts[0]);
  if (!start.ok()) return start.error();
  auto end = parse_port_number(parts[1]);
  if (!end.ok()) return end.error();
  if (*end < *start) return invalid_argument("invalid range specified for port: " + ports);
  return std::make_pair(*start, *end);
}

// nat.SplitProtoPort.
std::pair<std::string, std::string> split_proto_port(const std::string& raw) {
  size_t slash = raw.find('/');
  std::string port = raw.substr(0, slash);
  std::string proto = slash == std::string::npos ? "" : raw.substr(slash + 1);
  if (port.empty()) return {"", ""};
  if (proto.empty()) proto = "tcp";
  return {proto, port};
}

struct Ip {
  int family = 0;
  unsigned char bytes[16] = {};
};

std::optional<Ip> parse_ip(const std::string& s) {
  Ip ip;
  if (inet_pton(AF_INET, s.c_str(), ip.bytes) == 1) {
    ip.family = AF_INET;
    return ip;
  }
  if (inet_pton(AF_INET6, s.c_str(), ip.bytes) == 1) {
    ip.family = AF_INET6;
    return ip;
  }
  return std::nullopt;
}

// net.IP.String().
std::string ip_string(const Ip& ip) {
  char buf[INET6_ADDRSTRLEN];
  if (ip.family == AF_INET) return inet_ntop(AF_INET, ip.bytes, buf, sizeof buf);
  static const unsigned char kV4Mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::equal(kV4Mapped, kV4Mapped + 12, ip.bytes)) {
    return inet_ntop(AF_INET, ip.bytes + 12, buf, sizeof buf);
  }
  return inet_ntop(AF_INET6, ip.bytes, buf, sizeof buf);
}

// net.SplitHostPort(ip + ":") for a bracketed address: the host part, or
// Go's AddrError text.
Result<std::string> strip_brackets(const std::string& ip) {
  std::string hostport = ip + ":";
  size_t end = hostport.find(']');
  if (end == std::string::npos) {
    return invalid_argument("address " + hostport + ": missing ']' in address");
  }
  if (end + 1 != hostport.size() - 1) {
    if (end + 1 < hostport.size() && hostport[end + 1] != ':') {
      return invalid_argument("address " + hostport + ": missing port in address");
    }
    return invalid_argument("address " + hostport + ": too many colons in address");
  }
  std::string host = hostport.substr(1, end - 1);
  if (host.find('[') != std::string::npos) {
    return invalid_argument("address " + hostport + ": unexpected '[' in address");
  }
  return host;
}

bool is_user_defined(const std::string& mode) {
  if (mode == "default" || mode == "bridge" || mode == "host" || mode == "none") return false;
  auto colon = mode.find(':');
  if (colon != std::string::npos && mode.substr(0, colon) == "container") return false;
  return true;
}

// encoding/csv's Reader.Read for one record, as opts.NetworkOpt uses it.
Result<std::vector<std::string>> read_csv_record(const std::string& line) {
  std::vector<std::string> fields;
  size_t i = 0;
  for (;;) {
    std::string field;
    if (i < line.size() && line[i] == '"') {
      size_t quote_start = i;
      ++i;
      bool closed = false;
      while (i < line.size()) {
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            field += '"';
            i += 2;
            continue;
          }
          ++i;
          closed = true;
          break;
        }
        field += line[i++];
      }
      if (!closed) {
        return invalid_argument("parse error on line 1, column " + std::to_string(line.size() + 1) +
                                ": extraneous or missing \" in quoted-field");
      }
      if (i < line.size() && line[i] != ',') {
        return invalid_argument("parse error on line 1, column " + std::to_string(i + 1) +
                                ": extraneous or missing \" in quoted-field");
      }
      (void)quote_start;
    } else {
      while (i < line.size() && line[i] != ',') {
        if (line[i] == '"') {
          return invalid_argument("parse error on line 1, column " + std::to_string(i + 1) +
                                  ": bare \" in non-quoted-field");
        }
        field += line[i++];
      }
    }
    fields.push_back(field);
    if (i >= line.size()) break;
    ++i;  // the comma
  }
  return fields;
}

// strconv.Atoi's error reason.
Result<int> atoi_go(const std::string& s) {
  if (s.empty()) return invalid_argument("invalid syntax");
  size_t i = 0;
  bool neg = false;
  if (s[0] == '+' || s[0] == '-') {
    neg = s[0] == '-';
    i = 1;
  }
  if (i >= s.size()) return invalid_argument("invalid syntax");
  long long v = 0;
  bool overflow = false;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return invalid_argument("invalid syntax");
    if (!overflow) {
      v = v * 10 + (s[i] - '0');
      if (v > static_cast<long long>(INT_MAX) + 1) overflow = true;
    }
  }
  if (overflow || (!neg && v > INT_MAX)) return invalid_argument("value out of range");
  return static_cast<int>(neg ? -v : v);
}

// go's %v of a byte slice: [65 61 255].
std::string go_bytes(const std::string& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) {
    if (i > 0) out += " ";
    out += std::to_string(static_cast<unsigned char>(s[i]));
  }
  return out + "]";
}

bool valid_utf8(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    if (n == 2 && c < 0xc2) return false;
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return false;
    }
    if (n == 3) {
      unsigned char c1 = static_cast<unsigned char>(s[i + 1]);
      if (c == 0xe0 && c1 < 0xa0) return false;
      if (c == 0xed && c1 >= 0xa0) return false;
    }
    if (n == 4) {
      unsigned char c1 = static_cast<unsigned char>(s[i + 1]);
      if (c == 0xf0 && c1 < 0x90) return false;
      if (c > 0xf4 || (c == 0xf4 && c1 >= 0x90)) return false;
    }
    i += n;
  }
  return true;
}

ojson string_list_or_null(const std::vector<std::string>& v) {
  if (v.empty()) return nullptr;
  ojson a = ojson::array();
  for (const auto& s : v) a.push_back(s);
  return a;
}

ojson string_list(const std::vector<std::string>& v) {
  ojson a = ojson::array();
  for (const auto& s : v) a.push_back(s);
  return a;
}

ojson endpoint_settings(const NetworkAttachment& n) {
  ojson ep = ojson::object();
  if (!n.ipv4.empty() || !n.ipv6.empty() || !n.link_local_ips.empty()) {
    ojson ipam = ojson::object();
    if (!n.ipv4.empty()) ipam["IPv4Address"] = n.ipv4;
    if (!n.ipv6.empty()) ipam["IPv6Address"] = n.ipv6;
    if (!n.link_local_ips.empty()) ipam["LinkLocalIPs"] = string_list(n.link_local_ips);
    ep["IPAMConfig"] = ipam;
  } else {
    ep["IPAMConfig"] = nullptr;
  }
  ep["Links"] = nullptr;
  ep["Aliases"] = string_list_or_null(n.aliases);
  ep["MacAddress"] = n.mac_address;
  if (n.driver_opts.empty()) {
    ep["DriverOpts"] = nullptr;
  } else {
    std::map<std::string, std::string> sorted(n.driver_opts.begin(), n.driver_opts.end());
    ojson d = ojson::object();
    for (const auto& [k, v] : sorted) d[k] = v;
    ep["DriverOpts"] = d;
  }
  ep["GwPriority"] = n.gw_priority;
  ep["NetworkID"] = "";
  ep["EndpointID"] = "";
  ep["Gateway"] = "";
  ep["IPAddress"] = "";
  ep["IPPrefixLen"] = 0;
  ep["IPv6Gateway"] = "";
  ep["GlobalIPv6Address"] = "";
  ep["GlobalIPv6PrefixLen"] = 0;
  ep["DNSNames"] = nullptr;
  return ep;
}

bool endpoint_is_zero(const NetworkAttachment& n) {
  return n.aliases.empty() && n.driver_opts.empty() && n.ipv4.empty() && n.ipv6.empty() &&
         n.link_local_ips.empty() && n.mac_address.empty() && n.gw_priority == 0;
}

// parseNetworkOpts/applyContainerOptions/parseNetworkAttachmentOpt.
Result<ojson> endpoints_config(const ContainerCreateOptions& o) {
  std::map<std::string, ojson> endpoints;
  auto apply = [&](NetworkAttachment& n) -> Status {
    if (!n.aliases.empty() && !o.aliases.empty()) {
      return invalid_argument(
          "conflicting options: cannot specify both --network-alias and per-network alias");
    }
    if (!n.ipv4.empty() && !o.ip.empty()) {
      return invalid_argument(
          "conflicting options: cannot specify both --ip and per-network IPv4 address");
    }
    if (!n.ipv6.empty() && !o.ip6.empty()) {
      return invalid_argument(
          "conflicting options: cannot specify both --ip6 and per-network IPv6 address");
    }
    if (!n.mac_address.empty() && !o.mac_address.empty()) {
      return invalid_argument(
          "conflicting options: cannot specify both --mac-address and per-network MAC address");
    }
    if (!o.aliases.empty()) n.aliases = o.aliases;
    if (!o.ip.empty()) n.ipv4 = o.ip;
    if (!o.ip6.empty()) n.ipv6 = o.ip6;
    if (!o.mac_address.empty()) n.mac_address = o.mac_address;
    return ok_status();
  };
  auto check = [&](const NetworkAttachment& n) -> Status {
    if (trim_space(n.target).empty()) return invalid_argument("no name set for network");
    if (!is_user_defined(n.target) && !n.aliases.empty()) {
      return invalid_argument(
          "network-scoped aliases are only supported for user-defined networks");
    }
    if (!n.mac_address.empty() && !valid_mac(trim_space(n.mac_address))) {
      return invalid_argument(n.mac_address + " is not a valid mac address");
    }
    return ok_status();
  };
  if (o.networks.empty()) {
    NetworkAttachment n;
    n.target = "default";
    BERTH_TRY(apply(n));
    BERTH_TRY(check(n));
    endpoints["default"] = endpoint_settings(n);
  }
  bool user_defined = false, non_user_defined = false;
  for (size_t i = 0; i < o.networks.size(); ++i) {
    NetworkAttachment n = o.networks[i];
    if (is_user_defined(n.target)) {
      user_defined = true;
    } else {
      non_user_defined = true;
    }
    if (i == 0) BERTH_TRY(apply(n));
    BERTH_TRY(check(n));
    if (endpoints.count(n.target) != 0) {
      return invalid_argument("network " + quote_go(n.target) + " is specified multiple times");
    }
    if (i == 0 && o.networks.size() == 1 && endpoint_is_zero(n)) continue;
    endpoints[n.target] = endpoint_settings(n);
  }
  if (user_defined && non_user_defined) {
    return invalid_argument(
        "conflicting options: cannot attach both user-defined and non-user-defined network-modes");
  }
  ojson out = ojson::object();
  for (auto& [k, v] : endpoints) out[k] = std::move(v);
  return out;
}

}  // namespace

// ------------------------------------------------------------ validators --

bool valid_mac(const std::string& s) {
  auto hex = [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; };
  if (s.size() < 14) return false;
  size_t n = 0;
  if (s[2] == ':' || s[2] == '-') {
    if ((s.size() + 1) % 3 != 0) return false;
    n = (s.size() + 1) / 3;
    if (n != 6 && n != 8 && n != 20) return false;
    for (size_t x = 0, i = 0; i < n; ++i, x += 3) {
      if (!hex(s[x]) || !hex(s[x + 1])) return false;
      if (x + 2 < s.size() && s[x + 2] != s[2]) return false;
    }
    return true;
  }
  if (s[4] == '.') {
    if ((s.size() + 1) % 5 != 0) return false;
    n = 2 * (s.size() + 1) / 5;
    if (n != 6 && n != 8 && n != 20) return false;
    for (size_t x = 0, i = 0; i < n; i += 2, x += 5) {
      for (size_t k = 0; k < 4; ++k) {
        if (!hex(s[x + k])) return false;
      }
      if (x + 4 < s.size() && s[x + 4] != '.') return false;
    }
    return true;
  }
  return false;
}

std::optional<std::string> validate_env(const std::string& v) {
  if (v.substr(0, v.find('=')).empty()) return "invalid environment variable: " + v;
  return std::nullopt;
}

std::optional<std::string> validate_container_label(const std::string& v) {
  std::string key = trim_left(v.substr(0, v.find('=')), " \t");
  if (key.empty()) return "invalid label '" + v + "': empty name";
  if (key.find_first_of(" \t") != std::string::npos) {
    return "label '" + key + "' contains whitespaces";
  }
  return std::nullopt;
}

std::optional<std::string> validate_ip_address(const std::string& v) {
  if (parse_ip(trim_space(v))) return std::nullopt;
  return "IP address is not correctly formatted: " + v;
}

std::string normalize_ip(const std::string& v) {
  auto ip = parse_ip(trim_space(v));
  return ip ? ip_string(*ip) : v;
}

namespace {

std::pair<std::string, std::string> split_extra_host(const std::string& v, bool* ok) {
  size_t eq = v.find('=');
  if (eq != std::string::npos) {
    *ok = true;
    return {v.substr(0, eq), v.substr(eq + 1)};
  }
  size_t colon = v.find(':');
  *ok = colon != std::string::npos;
  if (!*ok) return {v, ""};
  return {v.substr(0, colon), v.substr(colon + 1)};
}

}  // namespace

std::optional<std::string> validate_extra_host(const std::string& v) {
  bool ok = false;
  auto [k, ip] = split_extra_host(v, &ok);
  if (!ok || k.empty() || k.find(':') != std::string::npos) {
    return "bad format for add-host: " + quote_go(v);
  }
  if (ip != "host-gateway") {
    if (ip.size() > 2 && ip.front() == '[' && ip.back() == ']') ip = ip.substr(1, ip.size() - 2);
    if (validate_ip_address(ip)) return "invalid IP address in add-host: " + quote_go(ip);
  }
  return std::nullopt;
}

std::string normalize_extra_host(const std::string& v) {
  bool ok = false;
  auto [k, ip] = split_extra_host(v, &ok);
  if (ip != "host-gateway" && ip.size() > 2 && ip.front() == '[' && ip.back() == ']') {
    ip = ip.substr(1, ip.size() - 2);
  }
  return k + ":" + ip;
}

namespace {

// opts.validateDomain; the regular expression is docker's, including its
// "(:?" groups (an optional colon where "(?:" was meant).
std::optional<std::string> domain_of(const std::string& v) {
  static const std::regex kAlpha("[a-zA-Z]");
  static const std::regex kDomain(
      R"(^(:?(:?[a-zA-Z0-9]|(:?[a-zA-Z0-9][a-zA-Z0-9\-]*[a-zA-Z0-9]))(:?\.(:?[a-zA-Z0-9]|(:?[a-zA-Z0-9][a-zA-Z0-9\-]*[a-zA-Z0-9])))*)\.?\s*$)");
  if (!std::regex_search(v, kAlpha)) return std::nullopt;
  std::smatch m;
  if (std::regex_search(v, m, kDomain) && m[1].length() < 255) return m[1].str();
  return std::nullopt;
}

std::string trim_spaces_only(const std::string& s) {
  size_t b = s.find_first_not_of(' ');
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(' ');
  return s.substr(b, e - b + 1);
}

}  // namespace

std::optional<std::string> validate_dns_search(const std::string& v) {
  std::string t = trim_spaces_only(v);
  if (t == ".") return std::nullopt;
  if (domain_of(t)) return std::nullopt;
  return t + " is not a valid domain";
}

std::optional<std::string> validate_attach(const std::string& v) {
  std::string l = lower(v);
  if (l == "stdin" || l == "stdout" || l == "stderr") return std::nullopt;
  return std::string("valid streams are STDIN, STDOUT and STDERR");
}

Result<long long> parse_go_int(const std::string& s0) {
  auto syntax = [&] {
    return invalid_argument("strconv.ParseInt: parsing " + quote_go(s0) + ": invalid syntax");
  };
  auto range = [&] {
    return invalid_argument("strconv.ParseInt: parsing " + quote_go(s0) + ": value out of range");
  };
  std::string s = s0;
  if (s.empty()) return syntax();
  bool neg = false;
  if (s[0] == '+' || s[0] == '-') {
    neg = s[0] == '-';
    s = s.substr(1);
  }
  int base = 10;
  if (s.size() > 1 && s[0] == '0') {
    char p = static_cast<char>(std::tolower(static_cast<unsigned char>(s[1])));
    if (p == 'x') {
      base = 16;
      s = s.substr(2);
    } else if (p == 'o') {
      base = 8;
      s = s.substr(2);
    } else if (p == 'b') {
      base = 2;
      s = s.substr(2);
    } else {
      base = 8;
      s = s.substr(1);
    }
  }
  if (s.empty()) return syntax();
  unsigned long long v = 0;
  bool overflow = false;
  for (char c : s) {
    int d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'a' && c <= 'z') {
      d = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'Z') {
      d = c - 'A' + 10;
    } else {
      return syntax();
    }
    if (d >= base) return syntax();
    if (v > (ULLONG_MAX - static_cast<unsigned>(d)) / static_cast<unsigned>(base)) overflow = true;
    if (!overflow) v = v * static_cast<unsigned>(base) + static_cast<unsigned>(d);
  }
  if (overflow) return range();
  if (!neg && v > static_cast<unsigned long long>(LLONG_MAX)) return range();
  if (neg && v > static_cast<unsigned long long>(LLONG_MAX) + 1) return range();
  return neg ? static_cast<long long>(0 - v) : static_cast<long long>(v);
}

Result<NetworkAttachment> parse_network_flag(const std::string& value) {
  static const std::regex kLong(R"(\w+=\w+(,\w+=\w+)*)");
  NetworkAttachment n;
  if (!std::regex_search(value, kLong)) {
    n.target = value;
    return n;
  }
  auto fields = read_csv_record(value);
  if (!fields.ok()) return fields.error();
  for (const auto& field : *fields) {
    size_t eq = field.find('=');
    if (eq == std::string::npos) return invalid_argument("invalid field " + field);
    std::string key = trim_space(lower(field.substr(0, eq)));
    std::string val = trim_space(lower(field.substr(eq + 1)));
    if (key == "name") {
      n.target = val;
    } else if (key == "alias") {
      n.aliases.push_back(val);
    } else if (key == "ip") {
      n.ipv4 = val;
    } else if (key == "ip6") {
      n.ipv6 = val;
    } else if (key == "mac-address") {
      n.mac_address = val;
    } else if (key == "link-local-ip") {
      n.link_local_ips.push_back(val);
    } else if (key == "driver-opt") {
      size_t e2 = val.find('=');
      if (e2 == std::string::npos || e2 == 0) {
        return invalid_argument("invalid key value pair format in driver options");
      }
      std::string k = trim_space(val.substr(0, e2)), v = trim_space(val.substr(e2 + 1));
      bool replaced = false;
      for (auto& [dk, dv] : n.driver_opts) {
        if (dk == k) {
          dv = v;
          replaced = true;
        }
      }
      if (!replaced) n.driver_opts.emplace_back(k, v);
    } else if (key == "gw-priority") {
      auto p = atoi_go(val);
      if (!p.ok())
        return invalid_argument("invalid gw-priority (" + val + "): " + p.error().message());
      n.gw_priority = *p;
    } else {
      return invalid_argument("invalid field key " + key);
    }
  }
  if (n.target.empty()) return invalid_argument("network name/id is not specified");
  return n;
}

// ------------------------------------------------------------------ ports --

Result<std::vector<PortMapping>> parse_port_spec(const std::string& raw) {
  auto parts = split(raw, ':');
  std::string ip, host_port, container_port;
  if (parts.size() == 1) {
    container_port = parts[0];
  } else if (parts.size() == 2) {
    host_port = parts[0];
    container_port = parts[1];
  } else if (parts.size() == 3) {
    ip = parts[0];
    host_port = parts[1];
    container_port = parts[2];
  } else {
    size_t n = parts.size();
    for (size_t i = 0; i + 2 < n; ++i) ip += (i > 0 ? ":" : "") + parts[i];
    host_port = parts[n - 2];
    container_port = parts[n - 1];
  }
  auto [proto, cport] = split_proto_port(container_port);
  if (!ip.empty() && ip[0] == '[') {
    auto stripped = strip_brackets(ip);
    if (!stripped.ok()) {
      return invalid_argument("invalid IP address " + ip + ": " + stripped.error().message());
    }
    ip = *stripped;
  }
  if (!ip.empty() && !parse_ip(ip)) return invalid_argument("invalid IP address: " + ip);
  if (cport.empty()) return invalid_argument("no port specified: " + raw + "<empty>");
  auto crange = parse_port_range(cport);
  if (!crange.ok()) return invalid_argument("invalid containerPort: " + cport);
  auto [start, end] = *crange;
  unsigned hstart = 0, hend = 0;
  if (!host_port.empty()) {
    auto hrange = parse_port_range(host_port);
    if (!hrange.ok()) return invalid_argument("invalid hostPort: " + host_port);
    hstart = hrange->first;
    hend = hrange->second;
    if (end - start != hend - hstart && end != start) {
      return invalid_argument("invalid ranges specified for container and host Ports: " + cport +
                              " and " + host_port);
    }
  }
  std::string lproto = lower(proto);
  if (lproto != "tcp" && lproto != "udp" && lproto != "sctp") {
    return invalid_argument("invalid proto: " + proto);
  }
  std::vector<PortMapping> out;
  for (unsigned i = 0; i <= end - start; ++i) {
    PortMapping m;
    m.port = std::to_string(start + i) + "/" + lproto;
    m.host_ip = ip;
    if (!host_port.empty()) {
      m.host_port = std::to_string(hstart + i);
      if (start == end && hstart != hend) m.host_port += "-" + std::to_string(hend);
    }
    out.push_back(m);
  }
  return out;
}

Result<PortConfig> port_config(const std::vector<std::string>& publish,
                               const std::vector<std::string>& expose) {
  // convertToStandardNotation: "published=8080,target=80[,protocol=udp]".
  std::vector<std::string> specs;
  for (const auto& p : publish) {
    if (p.find('=') == std::string::npos) {
      specs.push_back(p);
      continue;
    }
    std::map<std::string, std::string> params{{"protocol", "tcp"}};
    for (const auto& param : split(p, ',')) {
      size_t eq = param.find('=');
      if (eq == std::string::npos || eq == 0) {
        return invalid_argument("invalid publish opts format (should be name=value but got '" +
                                param + "')");
      }
      params[param.substr(0, eq)] = param.substr(eq + 1);
    }
    specs.push_back(params["published"] + ":" + params["target"] + "/" + params["protocol"]);
  }
  std::set<std::string> exposed;
  std::map<std::string, ojson> bindings;
  for (const auto& s : specs) {
    auto mappings = parse_port_spec(s);
    if (!mappings.ok()) return mappings.error();
    for (const auto& m : *mappings) {
      exposed.insert(m.port);
      auto& list = bindings[m.port];
      if (list.is_null()) list = ojson::array();
      list.push_back(ojson{{"HostIp", m.host_ip}, {"HostPort", m.host_port}});
    }
  }
  for (const auto& e : expose) {
    if (e.find(':') != std::string::npos) {
      return invalid_argument("invalid port format for --expose: " + e);
    }
    auto [proto, port] = split_proto_port(e);
    auto range = parse_port_range(port);
    if (!range.ok()) {
      return invalid_argument("invalid range format for --expose: " + e +
                              ", error: " + range.error().message());
    }
    for (unsigned p = range->first; p <= range->second; ++p) {
      exposed.insert(std::to_string(p) + "/" + proto);
    }
  }
  PortConfig pc;
  for (const auto& p : exposed) pc.exposed[p] = ojson::object();
  for (auto& [p, list] : bindings) pc.bindings[p] = std::move(list);
  return pc;
}

// ------------------------------------------------------------------ files --

Result<std::vector<std::string>> parse_key_value_file(
    const std::string& name, const std::string& content,
    const std::function<std::optional<std::string>(const std::string&)>& lookup) {
  std::vector<std::string> lines;
  size_t pos = 0;
  int line_no = 0;
  while (pos < content.size()) {
    size_t nl = content.find('\n', pos);
    std::string raw = content.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    pos = nl == std::string::npos ? content.size() : nl + 1;
    if (!raw.empty() && raw.back() == '\r') raw.pop_back();
    if (!valid_utf8(raw)) {
      return invalid_argument("invalid env file (" + name + "): invalid utf8 bytes at line " +
                              std::to_string(line_no + 1) + ": " + go_bytes(raw));
    }
    if (line_no == 0 && starts_with(raw, "\xEF\xBB\xBF")) raw = raw.substr(3);
    ++line_no;
    std::string line = raw;
    size_t b = 0;
    while (b < line.size() && is_space(line[b])) ++b;
    line = line.substr(b);
    if (line.empty() || line[0] == '#') continue;
    size_t eq = line.find('=');
    std::string variable = trim_left(line.substr(0, eq), " \t");
    if (variable.find_first_of(" \t") != std::string::npos) {
      return invalid_argument("invalid env file (" + name + "): variable '" + variable +
                              "' contains whitespaces");
    }
    if (variable.empty()) {
      return invalid_argument("invalid env file (" + name + "): no variable name on line '" + line +
                              "'");
    }
    if (eq != std::string::npos) {
      lines.push_back(variable + "=" + line.substr(eq + 1));
      continue;
    }
    if (lookup) {
      std::string key = trim_space(line);
      if (auto v = lookup(key)) lines.push_back(key + "=" + *v);
    }
  }
  return lines;
}

std::vector<std::string> normalize_capabilities(const std::vector<std::string>& caps) {
  std::set<std::string> out;
  for (const auto& c : caps) {
    std::string u = upper(c);
    if (u != "ALL" && u != "RESET" && !starts_with(u, "CAP_")) u = "CAP_" + u;
    out.insert(u);
  }
  return {out.begin(), out.end()};
}

// ------------------------------------------------------------------- body --

Result<ojson> container_create_body(const ContainerCreateOptions& o, const CreateIo& io) {
  if (!o.mac_address.empty() && !valid_mac(trim_space(o.mac_address))) {
    return invalid_argument(o.mac_address + " is not a valid mac address");
  }
  bool attach_stdin = false, attach_stdout = false, attach_stderr = false;
  for (const auto& a : o.attach) {
    std::string l = lower(a);
    attach_stdin |= l == "stdin";
    attach_stdout |= l == "stdout";
    attach_stderr |= l == "stderr";
  }
  if (o.interactive) attach_stdin = true;
  if (o.attach.empty()) attach_stdout = attach_stderr = true;

  ojson entrypoint = nullptr;
  if (o.entrypoint) entrypoint = ojson::array({*o.entrypoint});

  auto ports = port_config(o.publish, o.expose);
  if (!ports.ok()) return ports.error();

  // Environment: the files' entries, then the -e values, which docker's
  // run and create pass through a map first (duplicates collapse, the
  // last value wins; docker's order is then random, berth keeps the order
  // of first appearance).
  std::vector<std::string> env;
  for (const auto& f : o.env_files) {
    auto content = io.read_file(f);
    if (!content.ok()) return content.error();
    auto lines = parse_key_value_file(f, *content, io.lookup_env);
    if (!lines.ok()) return lines.error();
    env.insert(env.end(), lines->begin(), lines->end());
  }
  {
    std::vector<std::string> keys;
    std::map<std::string, std::string> values;
    for (const auto& e : o.env) {
      size_t eq = e.find('=');
      std::string k = e.substr(0, eq);
      std::string full = e;
      if (eq == std::string::npos && io.lookup_env) {
        if (auto v = io.lookup_env(k)) full = k + "=" + *v;
      }
      if (values.count(k) == 0) keys.push_back(k);
      values[k] = full;
    }
    for (const auto& k : keys) env.push_back(values[k]);
  }

  std::map<std::string, std::string> labels;
  for (const auto& f : o.label_files) {
    auto content = io.read_file(f);
    if (!content.ok()) return content.error();
    auto lines = parse_key_value_file(f, *content, nullptr);
    if (!lines.ok()) return lines.error();
    for (const auto& l : *lines) {
      size_t eq = l.find('=');
      labels[l.substr(0, eq)] = eq == std::string::npos ? "" : l.substr(eq + 1);
    }
  }
  for (const auto& l : o.labels) {
    size_t eq = l.find('=');
    labels[l.substr(0, eq)] = eq == std::string::npos ? "" : l.substr(eq + 1);
  }

  // opts.ParseRestartPolicy.
  ojson restart = ojson::object();
  {
    std::string name, count;
    if (!o.restart.empty()) {
      size_t colon = o.restart.find(':');
      name = o.restart.substr(0, colon);
      if (colon != std::string::npos) {
        if (name.empty()) {
          return invalid_argument("invalid restart policy format: no policy provided before colon");
        }
        count = o.restart.substr(colon + 1);
      }
    }
    int max_retry = 0;
    if (!count.empty()) {
      auto n = atoi_go(count);
      if (!n.ok()) {
        return invalid_argument(
            "invalid restart policy format: maximum retry count must be an integer");
      }
      max_retry = *n;
    }
    restart["Name"] = name;
    restart["MaximumRetryCount"] = max_retry;
    if (o.auto_remove && !name.empty() && name != "no") {
      return invalid_argument("conflicting options: cannot specify both --restart and --rm");
    }
  }

  auto endpoints = endpoints_config(o);
  if (!endpoints.ok()) return endpoints.error();

  bool stdin_once = o.interactive && attach_stdin;
  if (o.detach) {
    attach_stdin = attach_stdout = attach_stderr = false;
    stdin_once = false;
  }

  ojson c = ojson::object();
  c["Hostname"] = o.hostname;
  c["Domainname"] = o.domainname;
  c["User"] = o.user;
  c["AttachStdin"] = attach_stdin;
  c["AttachStdout"] = attach_stdout;
  c["AttachStderr"] = attach_stderr;
  if (!ports->exposed.empty()) c["ExposedPorts"] = ports->exposed;
  c["Tty"] = o.tty;
  c["OpenStdin"] = o.interactive;
  c["StdinOnce"] = stdin_once;
  c["Env"] = string_list_or_null(env);
  c["Cmd"] = string_list_or_null(o.args);
  c["Image"] = o.image;
  c["Volumes"] = ojson::object();
  c["WorkingDir"] = o.workdir;
  c["Entrypoint"] = entrypoint;
  c["OnBuild"] = nullptr;
  ojson label_obj = ojson::object();
  for (const auto& [k, v] : labels) label_obj[k] = v;
  c["Labels"] = label_obj;
  if (!o.stop_signal.empty()) c["StopSignal"] = o.stop_signal;
  if (o.stop_timeout) c["StopTimeout"] = *o.stop_timeout;

  std::vector<std::string> dns, dns_search, extra_hosts;
  for (const auto& d : o.dns) dns.push_back(normalize_ip(d));
  for (const auto& d : o.dns_search) {
    std::string t = trim_spaces_only(d);
    auto dom = t == "." ? std::optional<std::string>(t) : domain_of(t);
    dns_search.push_back(dom ? *dom : t);
  }
  for (const auto& h : o.extra_hosts) extra_hosts.push_back(normalize_extra_host(h));

  ojson h = ojson::object();
  h["Binds"] = nullptr;
  h["ContainerIDFile"] = "";
  h["LogConfig"] = ojson{{"Type", ""}, {"Config", ojson::object()}};
  h["NetworkMode"] = o.networks.empty() ? std::string("default") : o.networks[0].target;
  h["PortBindings"] = ports->bindings;
  h["RestartPolicy"] = restart;
  h["AutoRemove"] = o.auto_remove;
  h["VolumeDriver"] = "";
  h["VolumesFrom"] = nullptr;
  h["ConsoleSize"] = ojson::array({o.console_size[0], o.console_size[1]});
  h["CapAdd"] = string_list_or_null(normalize_capabilities(o.cap_add));
  h["CapDrop"] = string_list_or_null(normalize_capabilities(o.cap_drop));
  h["CgroupnsMode"] = "";
  h["Dns"] = string_list(dns);
  h["DnsOptions"] = string_list(o.dns_options);
  h["DnsSearch"] = string_list(dns_search);
  h["ExtraHosts"] = string_list_or_null(extra_hosts);
  h["GroupAdd"] = nullptr;
  h["IpcMode"] = "";
  h["Cgroup"] = "";
  h["Links"] = nullptr;
  h["OomScoreAdj"] = 0;
  h["PidMode"] = "";
  h["Privileged"] = o.privileged;
  h["PublishAllPorts"] = o.publish_all;
  h["ReadonlyRootfs"] = false;
  h["SecurityOpt"] = nullptr;
  h["UTSMode"] = "";
  h["UsernsMode"] = "";
  h["ShmSize"] = 0;
  h["Isolation"] = "";
  h["CpuShares"] = 0;
  h["Memory"] = 0;
  h["NanoCpus"] = 0;
  h["CgroupParent"] = "";
  h["BlkioWeight"] = 0;
  for (const char* k : {"BlkioWeightDevice", "BlkioDeviceReadBps", "BlkioDeviceWriteBps",
                        "BlkioDeviceReadIOps", "BlkioDeviceWriteIOps"}) {
    h[k] = ojson::array();
  }
  h["CpuPeriod"] = 0;
  h["CpuQuota"] = 0;
  h["CpuRealtimePeriod"] = 0;
  h["CpuRealtimeRuntime"] = 0;
  h["CpusetCpus"] = "";
  h["CpusetMems"] = "";
  h["Devices"] = ojson::array();
  h["DeviceCgroupRules"] = nullptr;
  h["DeviceRequests"] = nullptr;
  h["MemoryReservation"] = 0;
  h["MemorySwap"] = 0;
  h["MemorySwappiness"] = -1;
  h["OomKillDisable"] = false;
  h["PidsLimit"] = 0;
  h["Ulimits"] = ojson::array();
  h["CpuCount"] = 0;
  h["CpuPercent"] = 0;
  h["IOMaximumIOps"] = 0;
  h["IOMaximumBandwidth"] = 0;
  h["MaskedPaths"] = nullptr;
  h["ReadonlyPaths"] = nullptr;
  c["HostConfig"] = h;
  c["NetworkingConfig"] = ojson{{"EndpointsConfig", *endpoints}};
  return c;
}

}  // namespace berth::cli
