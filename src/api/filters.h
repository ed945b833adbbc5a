// Docker's `filters` query parameter: JSON {"key":{"value":true}} (or the
// legacy {"key":["value"]}), and the network predicates of `network ls` and
// `network prune`, pure.
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "store/records.h"

namespace berth::api {

using Filters = std::map<std::string, std::vector<std::string>>;

// Decodes the URL-decoded JSON value. Empty → no filters.
Result<Filters> parse_filters(std::string_view json);

// Checks keys against `allowed`: "invalid filter 'k'".
Status check_filter_keys(const Filters& f, const std::set<std::string>& allowed);

// GET /networks filters: name and id (regular expressions, as Docker's
// filters.Match), driver, scope (exact), label (key or key=value), type
// (custom|builtin), dangling (accepted, no endpoints yet).
Result<bool> network_matches(const Filters& f, const store::NetworkRecord& n);

// POST /networks/prune filters: label, label!, until (RFC 3339, unix seconds
// or a Go duration like 10m).
Result<bool> prune_matches(const Filters& f, const store::NetworkRecord& n, int64_t now_nanos);

// The prune `until` filter checked on its own, before any network is looked
// at (dockerd's getUntilFromPruneFilters): one value at most, and one that
// parses. prune_matches alone would never see it with no user network.
Status check_prune_until(const Filters& f, int64_t now_nanos);

// URL query decoding: "a=1&b=%7B%7D" → {a:1, b:"{}"}.
std::map<std::string, std::string> parse_query(std::string_view q);

}  // namespace berth::api
