// See user.h. The file formats are passwd(5) and group(5): colon-separated
// fields, comment lines skipped, malformed lines ignored as libcontainer does.
#include "runtime/user.h"

#include <charconv>
#include <optional>

namespace berth::runtime {
namespace {

// Ids runc accepts: 0 .. 2^31-1.
constexpr uint64_t kMaxId = 0x7fffffff;

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  for (;;) {
    const size_t i = s.find(sep, pos);
    if (i == std::string_view::npos) {
      out.push_back(s.substr(pos));
      return out;
    }
    out.push_back(s.substr(pos, i - pos));
    pos = i + 1;
  }
}

std::optional<uint64_t> number(std::string_view s) {
  if (s.empty()) return std::nullopt;
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

template <typename Fn>
void for_each_line(std::string_view text, Fn fn) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) {
      line.remove_suffix(1);
    }
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (line.empty() || line.front() == '#') continue;
    if (!fn(split(line, ':'))) return;
  }
}

struct PasswdEntry {
  std::string name;
  uint32_t uid = 0, gid = 0;
  std::string home;
};

}  // namespace

Result<ExecUser> resolve_user(std::string_view spec, std::string_view passwd,
                              std::string_view group) {
  const size_t colon = spec.find(':');
  const std::string_view user_arg = spec.substr(0, colon);
  const std::string_view group_arg =
      colon == std::string_view::npos ? std::string_view() : spec.substr(colon + 1);
  const std::optional<uint64_t> uid_arg = number(user_arg);
  const std::optional<uint64_t> gid_arg = number(group_arg);

  ExecUser out;
  // The first matching passwd entry wins. "" matches uid 0 (root).
  std::optional<PasswdEntry> found;
  for_each_line(passwd, [&](const std::vector<std::string_view>& f) {
    if (f.size() < 4) return true;
    const auto uid = number(f[2]);
    const auto gid = number(f[3]);
    if (!uid || !gid) return true;
    bool match;
    if (user_arg.empty()) {
      match = *uid == 0;
    } else if (uid_arg) {
      match = *uid == *uid_arg;
    } else {
      match = f[0] == user_arg;
    }
    if (!match) return true;
    found = PasswdEntry{std::string(f[0]), static_cast<uint32_t>(*uid), static_cast<uint32_t>(*gid),
                        f.size() > 5 ? std::string(f[5]) : std::string()};
    return false;
  });
  std::string matched_name;
  if (found) {
    out.uid = found->uid;
    out.gid = found->gid;
    if (!found->home.empty()) out.home = found->home;
    matched_name = found->name;
  } else if (!user_arg.empty()) {
    if (!uid_arg) {
      return invalid_argument("unable to find user " + std::string(user_arg) +
                              ": no matching entries in passwd file");
    }
    if (*uid_arg > kMaxId) {
      return invalid_argument("uids and gids must be in range 0-" + std::to_string(kMaxId));
    }
    out.uid = static_cast<uint32_t>(*uid_arg);
  }

  if (group_arg.empty() && matched_name.empty()) return out;

  std::vector<uint32_t> groups;
  for_each_line(group, [&](const std::vector<std::string_view>& f) {
    if (f.size() < 3) return true;
    const auto gid = number(f[2]);
    if (!gid) return true;
    bool match = false;
    if (group_arg.empty()) {
      if (f.size() > 3 && !f[3].empty()) {
        for (std::string_view member : split(f[3], ',')) {
          if (member == matched_name) match = true;
        }
      }
    } else if (gid_arg) {
      match = *gid == *gid_arg;
    } else {
      match = f[0] == group_arg;
    }
    if (match) groups.push_back(static_cast<uint32_t>(*gid));
    return true;
  });

  if (!group_arg.empty()) {
    if (!groups.empty()) {
      out.gid = groups.front();
    } else {
      if (!gid_arg) {
        return invalid_argument("unable to find group " + std::string(group_arg) +
                                ": no matching entries in group file");
      }
      if (*gid_arg > kMaxId) {
        return invalid_argument("uids and gids must be in range 0-" + std::to_string(kMaxId));
      }
      out.gid = static_cast<uint32_t>(*gid_arg);
    }
  } else {
    out.sgids = groups;
  }
  return out;
}

}  // namespace berth::runtime
