#include "cli/filters.h"

#include <cctype>
#include <nlohmann/json.hpp>

#include "cli/go_template.h"

namespace berth::cli {
namespace {

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n\v\f");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n\v\f");
  return s.substr(b, e - b + 1);
}

}  // namespace

Filters parse_filter_flags(const std::vector<std::string>& values) {
  Filters f;
  for (const auto& v : values) {
    if (v.empty()) continue;
    size_t eq = v.find('=');
    if (eq == std::string::npos) continue;
    std::string name = trim(v.substr(0, eq));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    f[name].insert(trim(v.substr(eq + 1)));
  }
  return f;
}

std::string encode_filters(const Filters& f) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (const auto& [k, vs] : f) {
    nlohmann::ordered_json m = nlohmann::ordered_json::object();
    for (const auto& v : vs) m[v] = true;
    j[k] = m;
  }
  // Go's json.Marshal escapes <, > and & in keys.
  return go_json_compact(j, true);
}

}  // namespace berth::cli
