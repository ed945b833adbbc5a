// Go's time formatting as docker's CLI shows it: time.Time.String() of an
// RFC 3339 time (network ls CreatedAt: "2026-11-28 02:04:55.94 +0000 UTC")
// and time.ANSIC (version's "Built:" line).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace berth::cli {

struct GoTime {
  int year, month, day, hour, minute, second;
  long nanos;          // 0..999999999
  int offset_seconds;  // east of UTC
  std::string zone;    // "UTC", a local abbreviation, or "" for a fixed offset
  long long unix_seconds;
};

// Parses RFC 3339 with optional fraction ("...T02:04:55.940668344Z",
// "...+02:00"), choosing the zone as Go's time.Parse does: "Z" is UTC; an
// offset equal to the local zone's at that instant takes the local name.
std::optional<GoTime> parse_rfc3339(std::string_view s);

// "2006-01-02 15:04:05.999999999 -0700 MST"; the input unchanged if it does
// not parse.
std::string go_time_string(std::string_view rfc3339);

// "Mon Jan _2 15:04:05 2006"; the input unchanged if it does not parse.
std::string go_ansic(std::string_view rfc3339);

}  // namespace berth::cli
