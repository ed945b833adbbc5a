#include "api/api_version.h"

#include <charconv>

namespace berth::api {

std::string ApiVersion::str() const {
  return std::to_string(v / 100) + "." + std::to_string(v % 100);
}

std::optional<ApiVersion> parse_api_version(std::string_view s) {
  auto dot = s.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 >= s.size()) return std::nullopt;
  int major = 0, minor = 0;
  auto r1 = std::from_chars(s.data(), s.data() + dot, major);
  auto r2 = std::from_chars(s.data() + dot + 1, s.data() + s.size(), minor);
  if (r1.ptr != s.data() + dot || r2.ptr != s.data() + s.size()) return std::nullopt;
  if (major < 0 || minor < 0 || minor > 99) return std::nullopt;
  return ApiVersion{major * 100 + minor};
}

Result<RoutedPath> route_path(std::string_view target) {
  RoutedPath out{kMaxApi, "", ""};
  if (auto q = target.find('?'); q != std::string_view::npos) {
    out.query = std::string(target.substr(q + 1));
    target = target.substr(0, q);
  }
  if (target.size() > 2 && target[0] == '/' && target[1] == 'v') {
    auto slash = target.find('/', 2);
    std::string_view ver = target.substr(2, slash == std::string_view::npos ? target.npos : slash - 2);
    if (auto v = parse_api_version(ver)) {
      if (*v > kMaxApi) {
        return invalid_argument("client version " + std::string(ver) +
                                " is too new. Maximum supported API version is " + kMaxApi.str());
      }
      if (*v < kMinApi) {
        return invalid_argument("client version " + std::string(ver) +
                                " is too old. Minimum supported API version is " + kMinApi.str() +
                                ", please upgrade your client to a newer version");
      }
      out.version = *v;
      target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
    }
  }
  out.path = std::string(target);
  return out;
}

}  // namespace berth::api
