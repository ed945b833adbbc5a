// /etc/hosts and /etc/hostname as Docker 28 writes them for a container
// (libnetwork/etchosts Build, sandbox_dns_unix.go makeHostsRecs): the fixed
// localhost lines, IPv6 lines unless IPv6 is off in the container, --add-host
// lines, then one line per container address. Fields are separated by a TAB.
#include "runtime/runtime.h"

namespace berth::runtime {
namespace {

void add_line(std::string& out, const std::string& ip, const std::string& names) {
  out += ip;
  out += '\t';
  out += names;
  out += '\n';
}

// "<fqdn> <short>" for a container with a domain name or a dotted host name,
// else the host name alone.
std::string own_names(const std::string& hostname, const std::string& domainname) {
  if (!domainname.empty()) return hostname + "." + domainname + " " + hostname;
  const size_t dot = hostname.find('.');
  if (dot != std::string::npos && dot > 0) return hostname + " " + hostname.substr(0, dot);
  return hostname;
}

}  // namespace

std::string hosts_file(const HostsSpec& spec) {
  std::string out;
  add_line(out, "127.0.0.1", "localhost");
  if (spec.ipv6) {
    // Docker 28 prints netip.Addr strings: "fe00::", where ≤27 wrote "fe00::0".
    add_line(out, "::1", "localhost ip6-localhost ip6-loopback");
    add_line(out, "fe00::", "ip6-localnet");
    add_line(out, "ff00::", "ip6-mcastprefix");
    add_line(out, "ff02::1", "ip6-allnodes");
    add_line(out, "ff02::2", "ip6-allrouters");
  }
  for (const HostsEntry& e : spec.extra_hosts) add_line(out, e.ip, e.names);
  if (!spec.hostname.empty()) {
    const std::string names = own_names(spec.hostname, spec.domainname);
    for (const std::string& ip : spec.addresses) add_line(out, ip, names);
  }
  return out;
}

std::string hostname_file(const std::string& hostname) { return hostname + "\n"; }

}  // namespace berth::runtime
