#include "cli/stdcopy.h"

#include <cmath>
#include <cstdio>
#include <ctime>

#include "cli/go_time.h"

namespace berth::cli {

Status StdDemux::feed(std::string_view data, const Sink& sink) {
  pending_.append(data);
  size_t pos = 0;
  Status result = ok_status();
  while (pending_.size() - pos >= 8) {
    const auto* h = reinterpret_cast<const unsigned char*>(pending_.data() + pos);
    size_t size = (size_t{h[4]} << 24) | (size_t{h[5]} << 16) | (size_t{h[6]} << 8) | h[7];
    unsigned stream = h[0];
    if (stream > 3) {
      result = invalid_argument("Unrecognized input header: " + std::to_string(stream));
      pending_.clear();
      return result;
    }
    if (pending_.size() - pos - 8 < size) break;
    std::string_view payload(pending_.data() + pos + 8, size);
    if (stream == 3) {
      result = internal_error("error from daemon in stream: " + std::string(payload));
      pending_.clear();
      return result;
    }
    sink(stream == 2 ? Stream::kStderr : Stream::kStdout, payload);
    pos += 8 + size;
  }
  pending_.erase(0, pos);
  return result;
}

namespace {

// time.ParseDuration; false when `s` is not a duration.
bool parse_go_duration(const std::string& s0, double* seconds) {
  std::string s = s0;
  if (s.empty()) return false;
  bool neg = false;
  if (s[0] == '-' || s[0] == '+') {
    neg = s[0] == '-';
    s = s.substr(1);
  }
  if (s == "0") {
    *seconds = 0;
    return true;
  }
  if (s.empty()) return false;
  double total = 0;
  size_t i = 0;
  while (i < s.size()) {
    size_t start = i;
    while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
    if (i == start) return false;
    std::string num = s.substr(start, i - start);
    if (num == ".") return false;
    size_t ustart = i;
    while (i < s.size() && !std::isdigit(static_cast<unsigned char>(s[i])) && s[i] != '.') ++i;
    std::string unit = s.substr(ustart, i - ustart);
    double mult;
    if (unit == "ns") {
      mult = 1e-9;
    } else if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs") {
      mult = 1e-6;
    } else if (unit == "ms") {
      mult = 1e-3;
    } else if (unit == "s") {
      mult = 1;
    } else if (unit == "m") {
      mult = 60;
    } else if (unit == "h") {
      mult = 3600;
    } else {
      return false;
    }
    total += std::stod(num) * mult;
  }
  *seconds = neg ? -total : total;
  return true;
}

bool all_digits(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

Result<std::string> log_timestamp(const std::string& value, long long now_unix) {
  double d = 0;
  if (value != "0" && parse_go_duration(value, &d)) {
    // reference.Add(-d).Unix(), with the reference in whole seconds.
    return std::to_string(now_unix - static_cast<long long>(std::ceil(d)));
  }
  // RFC 3339 with a zone: "2026-01-01T00:00:00Z", "…+02:00", fractions.
  if (auto t = parse_rfc3339(value)) {
    char buf[64];
    snprintf(buf, sizeof buf, "%lld.%09ld", t->unix_seconds, t->nanos);
    return std::string(buf);
  }
  // A unix timestamp passes through ("1700000000", "1700000000.5").
  size_t dot = value.find('.');
  std::string sec = value.substr(0, dot);
  std::string frac = dot == std::string::npos ? "" : value.substr(dot + 1);
  if (all_digits(sec) && (dot == std::string::npos || all_digits(frac))) return value;
  if (value.find('-') != std::string::npos) {
    return invalid_argument("parsing time \"" + value +
                            "\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \"" + value +
                            "\" as \"2006\"");
  }
  return invalid_argument("failed to parse value as time or duration: \"" + value + "\"");
}

}  // namespace berth::cli
