// berth_fw_render: prints firewall::render() for a ruleset given on the
// command line, for tests/integration/firewall_traffic.bats.
//   berth_fw_render --net BRIDGE,CIDR[,internal][,noicc][,nomasq] ...
//   berth_fw_render --delete
// Exit 2 on a bad argument or a ruleset validate() rejects.
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>

#include "firewall/firewall.h"

namespace {

int usage(const std::string& why) {
  std::cerr << "berth_fw_render: " << why
            << "\nusage: berth_fw_render [--net BRIDGE,CIDR[,internal][,noicc][,nomasq]]... "
               "| --delete\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace berth;
  firewall::Ruleset rs;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--delete") {
      std::cout << firewall::render_delete();
      return 0;
    }
    if (a != "--net" || i + 1 >= argc) return usage("unexpected argument " + a);
    std::stringstream spec(argv[++i]);
    std::string field;
    firewall::BridgeNetwork n;
    std::getline(spec, n.bridge, ',');
    if (!std::getline(spec, field, ',')) return usage("--net needs BRIDGE,CIDR");
    auto p = ipam::parse_cidr(field);
    if (!p) return usage("bad CIDR " + field);
    n.subnet = *p;
    while (std::getline(spec, field, ',')) {
      if (field == "internal") {
        n.internal = true;
      } else if (field == "noicc") {
        n.icc = false;
      } else if (field == "nomasq") {
        n.masquerade = false;
      } else {
        return usage("unknown flag " + field);
      }
    }
    rs.networks.push_back(n);
  }
  if (auto st = firewall::validate(rs); !st.ok()) return usage(st.error().message());
  std::cout << firewall::render(rs);
  return 0;
}
