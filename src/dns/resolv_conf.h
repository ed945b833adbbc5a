// Parsing of resolv.conf(5), pure. berthd reads the host's file (or
// --resolv-conf) for the nameservers it must keep automatically chosen
// subnets away from, and later for the embedded DNS's upstreams.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace berth::dns {

struct ResolvConf {
  std::vector<std::string> nameservers;  // as written, IPv4 and IPv6
  std::vector<std::string> search;
  std::vector<std::string> options;
};

// Lenient like glibc: unknown lines are ignored; '#' and ';' start comments;
// the last `search`/`domain` line wins.
ResolvConf parse_resolv_conf(std::string_view text);

// Whether a container's resolv.conf has `ndots` set explicitly, as Docker
// 28's sandbox works it out (sandbox_dns_unix.go: `_, sb.ndotsSet =
// rc.Option("ndots")` before adding its own ndots:0): from the container's
// --dns-option list if it has one (it replaces the host's options), else from
// the host's file `host_text`. Any value counts, ndots:0 included.
bool ndots_set(std::string_view host_text, const std::vector<std::string>& dns_options);

}  // namespace berth::dns
