#include "dns/resolv_conf.h"

#include <sstream>

namespace berth::dns {

ResolvConf parse_resolv_conf(std::string_view text) {
  ResolvConf rc;
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    if (auto pos = line.find_first_of("#;"); pos != std::string::npos) line.resize(pos);
    std::istringstream words(line);
    std::string key;
    if (!(words >> key)) continue;
    std::vector<std::string> args;
    for (std::string w; words >> w;) args.push_back(w);
    if (key == "nameserver" && !args.empty()) {
      rc.nameservers.push_back(args[0]);
    } else if (key == "search" || key == "domain") {
      rc.search = args;
    } else if (key == "options") {
      rc.options.insert(rc.options.end(), args.begin(), args.end());
    }
  }
  return rc;
}

bool ndots_set(std::string_view host_text, const std::vector<std::string>& dns_options) {
  const std::vector<std::string> host =
      dns_options.empty() ? parse_resolv_conf(host_text).options : std::vector<std::string>{};
  for (const std::string& o : dns_options.empty() ? host : dns_options) {
    if (o.substr(0, o.find(':')) == "ndots") return true;
  }
  return false;
}

}  // namespace berth::dns
