// The json-file log format of dockerd (daemon/logger/jsonfilelog): one JSON
// object per line with the keys log, stream, time in that order. The writer
// mirrors jsonlog's hand-written encoder rather than encoding/json: it escapes
// <, >, & and every control byte but \n and \r as \u00XX (so a TAB is
// \u0009), replaces invalid UTF-8 by \ufffd and writes U+2028/U+2029 escaped.
// The reader accepts any valid JSON object with those keys.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <nlohmann/json.hpp>

#include "common/go_json.h"
#include "runtime/runtime.h"

namespace berth::runtime {
namespace {

// Length of the valid UTF-8 sequence at s[i], or 0 if it is invalid (the
// same rule as Go's utf8.DecodeRune: shortest form, no surrogates, ≤ U+10FFFF).
size_t utf8_len(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  const auto cont = [&](size_t k) { return k < s.size() && (b(k) & 0xC0) == 0x80; };
  if (c >= 0xC2 && c <= 0xDF) return cont(i + 1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (!cont(i + 1) || !cont(i + 2)) return 0;
    if (c == 0xE0 && b(i + 1) < 0xA0) return 0;   // overlong
    if (c == 0xED && b(i + 1) >= 0xA0) return 0;  // surrogate
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!cont(i + 1) || !cont(i + 2) || !cont(i + 3)) return 0;
    if (c == 0xF0 && b(i + 1) < 0x90) return 0;   // overlong
    if (c == 0xF4 && b(i + 1) >= 0x90) return 0;  // > U+10FFFF
    return 4;
  }
  return 0;
}

void append_json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c >= 0x20 && c != '\\' && c != '"' && c != '<' && c != '>' && c != '&') {
        out += static_cast<char>(c);
      } else if (c == '\\' || c == '"') {
        out += '\\';
        out += static_cast<char>(c);
      } else if (c == '\n') {
        out += "\\n";
      } else if (c == '\r') {
        out += "\\r";
      } else {
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 0xF];
      }
      ++i;
      continue;
    }
    const size_t n = utf8_len(s, i);
    if (n == 0) {
      out += "\\ufffd";
      ++i;
      continue;
    }
    if (n == 3 && c == 0xE2 && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
        (static_cast<unsigned char>(s[i + 2]) == 0xA8 ||
         static_cast<unsigned char>(s[i + 2]) == 0xA9)) {
      out += static_cast<unsigned char>(s[i + 2]) == 0xA8 ? "\\u2028" : "\\u2029";
    } else {
      out.append(s.substr(i, n));
    }
    i += n;
  }
  out += '"';
}

int digits(std::string_view s, size_t pos, size_t n) {
  int v = 0;
  for (size_t k = pos; k < pos + n; ++k) {
    if (k >= s.size() || s[k] < '0' || s[k] > '9') return -1;
    v = v * 10 + (s[k] - '0');
  }
  return v;
}

// RFC 3339 with optional fraction and a Z or ±hh:mm offset → Unix nanoseconds.
std::optional<int64_t> parse_rfc3339(std::string_view s) {
  if (s.size() < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
      s[13] != ':' || s[16] != ':')
    return std::nullopt;
  const int year = digits(s, 0, 4), mon = digits(s, 5, 2), day = digits(s, 8, 2);
  const int hour = digits(s, 11, 2), min = digits(s, 14, 2), sec = digits(s, 17, 2);
  if (year < 0 || mon < 1 || mon > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 || min < 0 ||
      min > 59 || sec < 0 || sec > 60)
    return std::nullopt;
  size_t i = 19;
  int64_t frac = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    int n = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      if (n < 9) {
        frac = frac * 10 + (s[i] - '0');
        ++n;
      }
      ++i;
    }
    if (n == 0) return std::nullopt;
    for (; n < 9; ++n) frac *= 10;
  }
  int64_t offset = 0;
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
    ++i;
  } else if (i + 6 == s.size() && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
    const int oh = digits(s, i + 1, 2), om = digits(s, i + 4, 2);
    if (oh < 0 || om < 0) return std::nullopt;
    offset = (oh * 3600 + om * 60) * (s[i] == '-' ? -1 : 1);
    i += 6;
  } else {
    return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  struct tm tm {};
  tm.tm_year = year - 1900;
  tm.tm_mon = mon - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = min;
  tm.tm_sec = sec;
  const int64_t secs = static_cast<int64_t>(timegm(&tm)) - offset;
  return secs * 1000000000 + frac;
}

}  // namespace

std::string format_log_line(std::string_view stream, std::string_view text, int64_t time_nanos) {
  std::string out;
  out.reserve(text.size() + 80);
  out += "{\"log\":";
  append_json_string(out, text);
  out += ",\"stream\":";
  append_json_string(out, stream);
  out += ",\"time\":\"";
  out += rfc3339_nano(time_nanos);
  out += "\"}\n";
  return out;
}

std::optional<LogLine> parse_log_line(std::string_view line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.empty() || line.front() != '{') return std::nullopt;
  const nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return std::nullopt;
  const auto log = j.find("log");
  const auto stream = j.find("stream");
  const auto time = j.find("time");
  if (log == j.end() || !log->is_string() || time == j.end() || !time->is_string()) {
    return std::nullopt;
  }
  const auto t = parse_rfc3339(time->get<std::string>());
  if (!t) return std::nullopt;
  LogLine out;
  out.text = log->get<std::string>();
  out.stream = (stream != j.end() && stream->is_string()) ? stream->get<std::string>() : "";
  out.time_nanos = *t;
  return out;
}

std::vector<LogLine> parse_log_chunk(std::string_view data, size_t* consumed) {
  std::vector<LogLine> out;
  size_t pos = 0;
  while (pos < data.size()) {
    const size_t nl = data.find('\n', pos);
    if (nl == std::string_view::npos) break;
    if (auto l = parse_log_line(data.substr(pos, nl - pos))) out.push_back(std::move(*l));
    pos = nl + 1;
  }
  if (consumed) *consumed = pos;
  return out;
}

std::vector<LogLine> select_log_lines(std::vector<LogLine> lines, const LogFilter& filter) {
  size_t first = 0;
  if (filter.tail >= 0 && static_cast<size_t>(filter.tail) < lines.size()) {
    first = lines.size() - static_cast<size_t>(filter.tail);
  }
  std::vector<LogLine> out;
  for (size_t i = first; i < lines.size(); ++i) {
    LogLine& l = lines[i];
    if (filter.since_nanos != 0 && l.time_nanos < filter.since_nanos) continue;
    if (filter.until_nanos != 0 && l.time_nanos > filter.until_nanos) continue;
    if (l.stream == "stderr" ? !filter.stderr_stream : !filter.stdout_stream) continue;
    out.push_back(std::move(l));
  }
  return out;
}

Result<std::vector<LogLine>> read_log(const std::string& path, const LogFilter& filter,
                                      uint64_t* end_offset) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) {
      if (end_offset) *end_offset = 0;
      return std::vector<LogLine>{};
    }
    return internal_error("open log " + path + ": " + std::strerror(errno));
  }
  std::string data;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return internal_error("read log " + path + ": " + std::strerror(errno));
    }
    if (n == 0) break;
    data.append(buf, static_cast<size_t>(n));
  }
  size_t consumed = 0;
  std::vector<LogLine> lines = parse_log_chunk(data, &consumed);
  if (end_offset) *end_offset = consumed;
  return select_log_lines(std::move(lines), filter);
}

}  // namespace berth::runtime
