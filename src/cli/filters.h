// docker's --filter flags (opts.FilterOpt) and their wire form
// (filters.ToJSON): {"name":{"web":true}}, keys and values sorted, sent as
// ?filters=<url-escaped JSON>. Pure.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

namespace berth::cli {

using Filters = std::map<std::string, std::set<std::string>>;

// Each "name=value": name lower-cased and trimmed, value trimmed. Values
// without '=' are rejected earlier, by the flag's validator.
Filters parse_filter_flags(const std::vector<std::string>& values);

// {"driver":{"bridge":true},"name":{"a":true,"b":true}}
std::string encode_filters(const Filters& f);

}  // namespace berth::cli
