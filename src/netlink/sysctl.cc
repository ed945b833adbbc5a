// Sysctls through /proc/sys. Files under /proc/sys/net belong to the network
// namespace of the thread that opens them, not to the process.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "common/unique_fd.h"
#include "netlink/errno_error.h"
#include "netlink/netlink.h"

namespace berth::netlink {
namespace {

// Keeps callers inside /proc/sys: relative, no empty or ".." components.
bool valid_sysctl_path(const std::string& path) {
  if (path.empty() || path.front() == '/' || path.back() == '/') return false;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    std::string part = path.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") return false;
    start = end + 1;
  }
  return true;
}

Error sysctl_error(const std::string& what, int err) {
  ErrorKind kind = err == EINVAL ? ErrorKind::kInvalidArgument : kind_for_errno(err);
  return Error(kind, what + ": " + errno_text(err));
}

}  // namespace

Status write_sysctl(const std::string& path, const std::string& value) {
  std::string what = "write sysctl " + path + "=" + value;
  if (!valid_sysctl_path(path)) return invalid_argument(what + ": invalid sysctl path");
  std::string file = "/proc/sys/" + path;
  UniqueFd fd(::open(file.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd.valid()) return sysctl_error(what, errno);
  // A sysctl is parsed from one write(2); a short write would be a partial
  // value, so it is treated as an error rather than retried.
  ssize_t n = ::write(fd.get(), value.data(), value.size());
  if (n < 0) return sysctl_error(what, errno);
  if (static_cast<size_t>(n) != value.size()) return internal_error(what + ": short write");
  return ok_status();
}

Result<std::string> read_sysctl(const std::string& path) {
  std::string what = "read sysctl " + path;
  if (!valid_sysctl_path(path)) return invalid_argument(what + ": invalid sysctl path");
  std::string file = "/proc/sys/" + path;
  UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return sysctl_error(what, errno);
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      return sysctl_error(what, errno);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

}  // namespace berth::netlink
