// JSON as dockerd writes it: Go's encoding/json escapes <, > and & (and
// U+2028/U+2029) inside strings, and times are RFC 3339 with nanoseconds and
// trailing zeros dropped. The docker CLI prints inspect bodies verbatim, so
// these details are visible to users.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace berth {

using ojson = nlohmann::ordered_json;

// Compact JSON with Go's escaping, followed by "\n" as json.Encoder writes.
std::string go_json(const ojson& j);
std::string go_json(const nlohmann::json& j);

// Time as nanoseconds since the Unix epoch.
using UnixNanos = int64_t;
UnixNanos now_nanos();

// RFC 3339 in UTC with up to 9 fractional digits, trailing zeros dropped:
// 2026-11-28T02:10:26.1234Z. Zero → "0001-01-01T00:00:00Z" (Go's zero time).
std::string rfc3339_nano(UnixNanos t);

}  // namespace berth
