#include "runtime/file_io.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/unique_fd.h"
#include "runtime/runtime.h"

namespace berth::runtime {
namespace {

Status write_all(int fd, std::string_view content, const std::string& path) {
  size_t off = 0;
  while (off < content.size()) {
    const ssize_t n = ::write(fd, content.data() + off, content.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_to_error("write " + path, errno);
    }
    off += static_cast<size_t>(n);
  }
  return ok_status();
}

}  // namespace

Error errno_to_error(const std::string& what, int err) {
  const std::string msg = what + ": " + std::strerror(err);
  switch (err) {
    case ENOENT:
      return not_found(msg);
    case EEXIST:
      return conflict(msg);
    default:
      return internal_error(msg);
  }
}

Result<std::string> read_file(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return errno_to_error("open " + path, errno);
  std::string out;
  char buf[8192];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_to_error("read " + path, errno);
    }
    if (n == 0) return out;
    out.append(buf, static_cast<size_t>(n));
  }
}

Status write_file_atomic(const std::string& path, std::string_view content, int mode) {
  const std::string tmp = path + ".tmp";
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  if (!fd.valid()) return errno_to_error("create " + tmp, errno);
  if (Status s = write_all(fd.get(), content, tmp); !s.ok()) {
    ::unlink(tmp.c_str());
    return s;
  }
  fd.reset();
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return errno_to_error("rename " + tmp, err);
  }
  return ok_status();
}

Status write_bundle_file(const std::string& path, std::string_view content) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) return write_file_atomic(path, content);
    return errno_to_error("open " + path, errno);
  }
  return write_all(fd.get(), content, path);
}

}  // namespace berth::runtime
