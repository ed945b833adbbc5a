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

}  // namespace berth::dns
