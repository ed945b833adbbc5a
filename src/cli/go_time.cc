#include "cli/go_time.h"

#include <cstdio>
#include <ctime>

namespace berth::cli {
namespace {

bool digits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

// Days from 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
// days_from_civil).
long long days_from_civil(long long y, unsigned m, unsigned d) {
  y -= m <= 2;
  const long long era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<long long>(doe) - 719468;
}

}  // namespace

std::optional<GoTime> parse_rfc3339(std::string_view s) {
  GoTime t{};
  if (!digits(s, 0, 4, &t.year) || s.size() < 20 || s[4] != '-' || !digits(s, 5, 2, &t.month) ||
      s[7] != '-' || !digits(s, 8, 2, &t.day) || s[10] != 'T' || !digits(s, 11, 2, &t.hour) ||
      s[13] != ':' || !digits(s, 14, 2, &t.minute) || s[16] != ':' ||
      !digits(s, 17, 2, &t.second)) {
    return std::nullopt;
  }
  if (t.month < 1 || t.month > 12 || t.day < 1 || t.day > 31 || t.hour > 23 || t.minute > 59 ||
      t.second > 59) {
    return std::nullopt;
  }
  size_t i = 19;
  if (i < s.size() && (s[i] == '.' || s[i] == ',')) {
    ++i;
    size_t start = i;
    long frac = 0;
    int n = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      if (n < 9) {
        frac = frac * 10 + (s[i] - '0');
        ++n;
      }
      ++i;
    }
    if (i == start) return std::nullopt;
    while (n < 9) {
      frac *= 10;
      ++n;
    }
    t.nanos = frac;
  }
  if (i >= s.size()) return std::nullopt;
  long long local_seconds =
      days_from_civil(t.year, static_cast<unsigned>(t.month), static_cast<unsigned>(t.day)) *
          86400 +
      t.hour * 3600 + t.minute * 60 + t.second;
  if (s[i] == 'Z' && i + 1 == s.size()) {
    t.offset_seconds = 0;
    t.zone = "UTC";
    t.unix_seconds = local_seconds;
    return t;
  }
  int oh = 0, om = 0;
  if ((s[i] != '+' && s[i] != '-') || i + 6 != s.size() || !digits(s, i + 1, 2, &oh) ||
      s[i + 3] != ':' || !digits(s, i + 4, 2, &om)) {
    return std::nullopt;
  }
  t.offset_seconds = (oh * 3600 + om * 60) * (s[i] == '-' ? -1 : 1);
  t.unix_seconds = local_seconds - t.offset_seconds;
  // Go keeps the local zone when its offset at that instant matches.
  time_t secs = static_cast<time_t>(t.unix_seconds);
  struct tm lt {};
  if (localtime_r(&secs, &lt) != nullptr && lt.tm_gmtoff == t.offset_seconds &&
      lt.tm_zone != nullptr) {
    t.zone = lt.tm_zone;
  }
  return t;
}

std::string go_time_string(std::string_view rfc3339) {
  auto t = parse_rfc3339(rfc3339);
  if (!t) return std::string(rfc3339);
  char buf[96];
  snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d", t->year, t->month, t->day, t->hour,
           t->minute, t->second);
  std::string s = buf;
  if (t->nanos != 0) {
    snprintf(buf, sizeof buf, ".%09ld", t->nanos);
    std::string f = buf;
    while (f.back() == '0') f.pop_back();
    s += f;
  }
  int off = t->offset_seconds / 60;
  char sign = off < 0 ? '-' : '+';
  if (off < 0) off = -off;
  snprintf(buf, sizeof buf, " %c%02d%02d ", sign, off / 60, off % 60);
  s += buf;
  if (!t->zone.empty()) {
    s += t->zone;
  } else {
    snprintf(buf, sizeof buf, "%c%02d%02d", sign, off / 60, off % 60);
    s += buf;
  }
  return s;
}

std::string go_ansic(std::string_view rfc3339) {
  auto t = parse_rfc3339(rfc3339);
  if (!t) return std::string(rfc3339);
  static const char* kDays[] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
  static const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  long long days =
      days_from_civil(t->year, static_cast<unsigned>(t->month), static_cast<unsigned>(t->day));
  long long wd = days % 7;
  if (wd < 0) wd += 7;
  char buf[64];
  snprintf(buf, sizeof buf, "%s %s %2d %02d:%02d:%02d %d", kDays[wd], kMonths[t->month - 1], t->day,
           t->hour, t->minute, t->second, t->year);
  return buf;
}

}  // namespace berth::cli
