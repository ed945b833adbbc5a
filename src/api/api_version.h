// Docker Engine API versions: berth speaks 1.50 and accepts 1.41..1.50 in
// the path prefix (/v1.41/...), refusing others with dockerd's messages.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace berth::api {

// Major.minor packed as major*100+minor (1.50 → 150), comparable.
struct ApiVersion {
  int v = 150;
  auto operator<=>(const ApiVersion&) const = default;
  std::string str() const;
};

inline constexpr ApiVersion kMaxApi{150};
inline constexpr ApiVersion kMinApi{141};

std::optional<ApiVersion> parse_api_version(std::string_view s);  // "1.44"

// Splits "/v1.44/networks?x" into the version (kMaxApi when absent) and the
// rest of the path. Errors are dockerd's 400 "client version ... is too
// old/new" messages.
struct RoutedPath {
  ApiVersion version;
  std::string path;  // without query
  std::string query;
};
Result<RoutedPath> route_path(std::string_view target);

}  // namespace berth::api
