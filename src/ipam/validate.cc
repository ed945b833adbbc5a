// Checks a network create request's IPAM.Config the way Docker 28's daemon
// does (api/types/network/ipam.go ValidateIPAM), with the same messages, so
// that clients and scripts written against dockerd see the same text. Every
// problem of every entry is collected before answering, as Docker does; the
// berth-specific limits (one IPv4 subnet, no IPv6 yet) come afterwards, like
// the bridge driver's own checks that run after validation in dockerd.
#include <string>
#include <vector>

#include "ipam/ipam.h"

namespace berth::ipam {
namespace {

// Docker's validateAddress: the reason an address does not fit `subnet`, or
// an empty string when it does. `parsed` receives the address when valid.
std::string address_problem(const std::string& text, const Prefix& subnet,
                            std::optional<Ipv4>* parsed) {
  std::optional<Ipv4> a = parse_ipv4(text);
  if (!a) {
    if (looks_like_ipv6(text)) return "parent subnet is an IPv4 block";
    return "invalid address";
  }
  if (!subnet.contains(*a)) {
    return "parent subnet " + to_string(subnet) + " doesn't contain this address";
  }
  *parsed = a;
  return "";
}

// Docker's validateIPRange, appending its complaints to `problems`.
std::optional<Prefix> check_ip_range(const std::string& text, const Prefix& subnet,
                                     std::vector<std::string>* problems) {
  const std::string what = "invalid ip-range " + text + ": ";
  std::optional<Prefix> range = parse_cidr(text);
  if (!range) {
    problems->push_back(what + (looks_like_ipv6_cidr(text) ? "parent subnet is an IPv4 block"
                                                           : "invalid CIDR block notation"));
    return std::nullopt;
  }
  const size_t before = problems->size();
  if (range->len < subnet.len) {
    problems->push_back(what + "CIDR block is bigger than its parent subnet " + to_string(subnet));
  }
  if (!range->is_canonical()) {
    problems->push_back(what + "it should be " + to_string(range->canonical()));
  }
  if (!subnet.overlaps(*range)) {
    problems->push_back(what + "parent subnet " + to_string(subnet) + " doesn't contain ip-range");
  }
  if (problems->size() != before) return std::nullopt;
  return range;
}

// Checks one IPAM.Config entry. Returns the config when it is a valid IPv4
// one; sets *ipv6 for an IPv6 subnet, which is not looked into further.
std::optional<Config> check_entry(const ConfigRequest& req, std::vector<std::string>* problems,
                                  bool* ipv6) {
  if (req.subnet.empty()) {
    // dockerd would say "invalid subnet : invalid CIDR block notation"; the
    // docker CLI never sends such a request and explains it better, so berth
    // answers with the CLI's wording whenever there is something to explain.
    if (!req.ip_range.empty() || !req.gateway.empty()) {
      problems->push_back("every ip-range or gateway must have a corresponding subnet");
    } else if (!req.aux_addresses.empty()) {
      problems->push_back("no matching subnet for aux-address " +
                          req.aux_addresses.begin()->second);
    } else {
      problems->push_back("invalid subnet : invalid CIDR block notation");
    }
    return std::nullopt;
  }
  std::optional<Prefix> subnet = parse_cidr(req.subnet);
  if (!subnet) {
    if (looks_like_ipv6_cidr(req.subnet)) {
      *ipv6 = true;
    } else {
      problems->push_back("invalid subnet " + req.subnet + ": invalid CIDR block notation");
    }
    return std::nullopt;
  }

  const size_t before = problems->size();
  Config cfg;
  cfg.subnet = subnet->canonical();
  if (!subnet->is_canonical()) {
    problems->push_back("invalid subnet " + to_string(*subnet) + ": it should be " +
                        to_string(cfg.subnet));
  }
  if (!req.ip_range.empty()) cfg.ip_range = check_ip_range(req.ip_range, *subnet, problems);
  if (!req.gateway.empty()) {
    std::string why = address_problem(req.gateway, *subnet, &cfg.gateway);
    if (!why.empty()) problems->push_back("invalid gateway " + req.gateway + ": " + why);
  }
  for (const auto& [name, text] : req.aux_addresses) {
    // dockerd lets an empty aux address through here and fails later; an
    // address that is not there is not a valid one, so say it now.
    std::optional<Ipv4> a;
    std::string why = address_problem(text, *subnet, &a);
    if (!why.empty()) {
      problems->push_back("invalid auxiliary address " + name + ": " + why);
    } else {
      cfg.aux_addresses.emplace(name, *a);
    }
  }
  if (problems->size() != before) return std::nullopt;
  return cfg;
}

}  // namespace

Result<std::vector<Config>> validate(const std::vector<ConfigRequest>& reqs) {
  std::vector<std::string> problems;
  std::vector<Config> configs;
  bool ipv6 = false;
  for (const ConfigRequest& req : reqs) {
    if (std::optional<Config> cfg = check_entry(req, &problems, &ipv6)) {
      configs.push_back(std::move(*cfg));
    }
  }

  if (!problems.empty()) {
    // Go's joinError: one error alone, or "* " before each of several.
    std::string msg = "invalid network config:\n";
    if (problems.size() == 1) {
      msg += problems.front();
    } else {
      for (size_t i = 0; i < problems.size(); ++i) {
        if (i != 0) msg += '\n';
        msg += "* " + problems[i];
      }
    }
    return invalid_argument(std::move(msg));
  }
  if (ipv6) {
    return invalid_argument(
        "IPv6 networks are not supported by berth yet: remove the IPv6 subnet from IPAM.Config");
  }
  if (configs.size() > 1) {
    return forbidden("bridge driver doesn't support multiple subnets");
  }
  return configs;
}

}  // namespace berth::ipam
