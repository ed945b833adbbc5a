#include "common/go_json.h"

#include <ctime>

namespace berth {
namespace {

// The only places <, >, & or U+2028/9 can appear in nlohmann's output are
// inside strings (keys or values), so a pass over the text is exact.
std::string go_escape(const std::string& in) {
  std::string out;
  out.reserve(in.size() + 16);
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '<') {
      out += "\\u003c";
    } else if (c == '>') {
      out += "\\u003e";
    } else if (c == '&') {
      out += "\\u0026";
    } else if (static_cast<unsigned char>(c) == 0xE2 && i + 2 < in.size() &&
               static_cast<unsigned char>(in[i + 1]) == 0x80 &&
               (static_cast<unsigned char>(in[i + 2]) == 0xA8 ||
                static_cast<unsigned char>(in[i + 2]) == 0xA9)) {
      out += static_cast<unsigned char>(in[i + 2]) == 0xA8 ? "\\u2028" : "\\u2029";
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string go_json(const ojson& j) {
  return go_escape(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)) + "\n";
}

std::string go_json(const nlohmann::json& j) {
  return go_escape(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)) + "\n";
}

UnixNanos now_nanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string rfc3339_nano(UnixNanos t) {
  if (t == 0) return "0001-01-01T00:00:00Z";
  time_t secs = static_cast<time_t>(t / 1000000000);
  int64_t frac = t % 1000000000;
  if (frac < 0) {
    frac += 1000000000;
    --secs;
  }
  struct tm tm {};
  gmtime_r(&secs, &tm);
  char buf[64];
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string s = buf;
  if (frac != 0) {
    char f[16];
    snprintf(f, sizeof f, ".%09lld", static_cast<long long>(frac));
    std::string fs = f;
    while (fs.back() == '0') fs.pop_back();
    s += fs;
  }
  s += "Z";
  return s;
}

}  // namespace berth
