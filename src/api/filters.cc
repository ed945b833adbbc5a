// Docker's filter semantics for networks (moby api/types/filters): values of
// one key are OR-ed, keys are AND-ed; name/id are regular expressions.
#include "api/filters.h"

#include <ctime>
#include <regex>

#include <nlohmann/json.hpp>

namespace berth::api {
namespace {

bool regex_match_any(const std::vector<std::string>& patterns, const std::string& value) {
  for (const auto& p : patterns) {
    try {
      if (std::regex_search(value, std::regex(p))) return true;
    } catch (const std::regex_error&) {
      if (value.find(p) != std::string::npos) return true;
    }
  }
  return false;
}

bool label_matches(const std::string& want, const std::map<std::string, std::string>& labels) {
  auto eq = want.find('=');
  if (eq == std::string::npos) return labels.count(want) > 0;
  auto it = labels.find(want.substr(0, eq));
  return it != labels.end() && it->second == want.substr(eq + 1);
}

int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string url_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
      out += static_cast<char>(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// Go duration subset: a sequence of <number><unit>, units h m s ms.
std::optional<int64_t> parse_duration_nanos(const std::string& s) {
  static const std::regex kPart("([0-9]+(?:\\.[0-9]+)?)(h|ms|m|s|us|ns)");
  if (s.empty()) return std::nullopt;
  int64_t total = 0;
  size_t pos = 0;
  for (std::sregex_iterator it(s.begin(), s.end(), kPart), end; it != end; ++it) {
    if (static_cast<size_t>(it->position()) != pos) return std::nullopt;
    pos += it->length();
    double n = std::stod((*it)[1]);
    std::string u = (*it)[2];
    double mult = u == "h" ? 3.6e12 : u == "m" ? 6e10 : u == "s" ? 1e9 : u == "ms" ? 1e6
                  : u == "us" ? 1e3 : 1;
    total += static_cast<int64_t>(n * mult);
  }
  if (pos != s.size()) return std::nullopt;
  return total;
}

// `until`: a Go duration before now, unix seconds, or an RFC 3339 time.
Result<int64_t> parse_until(const std::string& v, int64_t now) {
  if (auto d = parse_duration_nanos(v)) return now - *d;
  static const std::regex kUnix("^[0-9]+(\\.[0-9]+)?$");
  if (std::regex_match(v, kUnix)) return static_cast<int64_t>(std::stod(v) * 1e9);
  struct tm tm {};
  const char* rest = strptime(v.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (!rest) rest = strptime(v.c_str(), "%Y-%m-%d", &tm);
  if (rest) return static_cast<int64_t>(timegm(&tm)) * 1000000000;
  return invalid_argument("failed to parse value as time or duration: \"" + v + "\"");
}

}  // namespace

std::map<std::string, std::string> parse_query(std::string_view q) {
  std::map<std::string, std::string> out;
  while (!q.empty()) {
    auto amp = q.find('&');
    std::string_view part = q.substr(0, amp);
    auto eq = part.find('=');
    if (!part.empty()) {
      out[url_decode(part.substr(0, eq))] =
          eq == std::string_view::npos ? "" : url_decode(part.substr(eq + 1));
    }
    if (amp == std::string_view::npos) break;
    q = q.substr(amp + 1);
  }
  return out;
}

Result<Filters> parse_filters(std::string_view json) {
  Filters f;
  if (json.empty()) return f;
  nlohmann::json j;
  try {
    // Even with exceptions off, nlohmann throws out_of_range for numbers
    // beyond a double's range (found by api_decode_fuzz).
    j = nlohmann::json::parse(json, nullptr, false);
  } catch (const nlohmann::json::exception&) {
    j = nlohmann::json::value_t::discarded;
  }
  if (j.is_discarded() || !j.is_object()) {
    return invalid_argument("invalid filter: the filters parameter must be a JSON object");
  }
  for (auto it = j.begin(); it != j.end(); ++it) {
    auto& vals = f[it.key()];
    if (it->is_object()) {
      for (auto v = it->begin(); v != it->end(); ++v) {
        if (v->is_boolean() && v->get<bool>()) vals.push_back(v.key());
      }
    } else if (it->is_array()) {
      for (const auto& v : *it) {
        if (!v.is_string()) return invalid_argument("invalid filter: values must be strings");
        vals.push_back(v.get<std::string>());
      }
    } else {
      return invalid_argument("invalid filter '" + it.key() + "'");
    }
  }
  return f;
}

Status check_filter_keys(const Filters& f, const std::set<std::string>& allowed) {
  for (const auto& [k, v] : f) {
    if (!allowed.count(k)) return invalid_argument("invalid filter '" + k + "'");
  }
  return ok_status();
}

Result<bool> network_matches(const Filters& f, const store::NetworkRecord& n) {
  BERTH_TRY(check_filter_keys(f, {"dangling", "driver", "id", "label", "name", "scope", "type"}));
  for (const auto& [key, vals] : f) {
    if (vals.empty()) continue;
    if (key == "name" && !regex_match_any(vals, n.name)) return false;
    if (key == "id" && !regex_match_any(vals, n.id)) return false;
    if (key == "driver" && std::find(vals.begin(), vals.end(), n.driver) == vals.end()) return false;
    if (key == "scope" && std::find(vals.begin(), vals.end(), n.scope) == vals.end()) return false;
    if (key == "label") {
      for (const auto& want : vals) {
        if (!label_matches(want, n.labels)) return false;
      }
    }
    if (key == "type") {
      bool any = false;
      for (const auto& v : vals) {
        if (v != "custom" && v != "builtin") {
          return invalid_argument("invalid filter: 'type'='" + v + "'");
        }
        any |= (v == "custom") != n.predefined;
      }
      if (!any) return false;
    }
    if (key == "dangling") {
      for (const auto& v : vals) {
        if (v != "true" && v != "1" && v != "false" && v != "0") {
          return invalid_argument("invalid filter 'dangling=" + v + "'");
        }
        // No network has endpoints yet: every user network is dangling.
        const bool want = v == "true" || v == "1";
        if (want == n.predefined) return false;
      }
    }
  }
  return true;
}

Status check_prune_until(const Filters& f, int64_t now) {
  auto it = f.find("until");
  if (it == f.end()) return ok_status();
  if (it->second.size() > 1) return invalid_argument("more than one until filter specified");
  for (const auto& v : it->second) {
    if (auto t = parse_until(v, now); !t.ok()) return t.error();
  }
  return ok_status();
}

Result<bool> prune_matches(const Filters& f, const store::NetworkRecord& n, int64_t now) {
  BERTH_TRY(check_filter_keys(f, {"label", "label!", "until"}));
  for (const auto& [key, vals] : f) {
    if (key == "until") {
      if (vals.size() > 1) return invalid_argument("more than one until filter specified");
      for (const auto& v : vals) {
        auto t = parse_until(v, now);
        if (!t.ok()) return t.error();
        if (n.created >= *t) return false;
      }
    } else if (key == "label") {
      for (const auto& want : vals) {
        if (!label_matches(want, n.labels)) return false;
      }
    } else if (key == "label!") {
      for (const auto& want : vals) {
        if (label_matches(want, n.labels)) return false;
      }
    }
  }
  return true;
}

}  // namespace berth::api
