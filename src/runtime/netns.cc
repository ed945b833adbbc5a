// Network namespaces kept alive by a bind mount of their nsfs file, as
// `ip netns add` does, so they outlive every process in them and berthd can
// prepare a container's endpoints before the container exists. The namespace
// is created by a short-lived thread that unshares only its own network
// namespace; the calling thread never changes namespace.
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <thread>

#include "common/unique_fd.h"
#include "runtime/file_io.h"
#include "runtime/runtime.h"

namespace berth::runtime {

Status create_netns(const std::string& path) {
  UniqueFd f(::open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444));
  if (!f.valid()) return errno_to_error("create network namespace file " + path, errno);
  f.reset();
  Status result;
  std::thread worker([&] {
    if (::unshare(CLONE_NEWNET) != 0) {
      result = errno_to_error("unshare network namespace", errno);
      return;
    }
    const std::string self = "/proc/self/task/" + std::to_string(::gettid()) + "/ns/net";
    if (::mount(self.c_str(), path.c_str(), nullptr, MS_BIND, nullptr) != 0) {
      result = errno_to_error("bind-mount network namespace onto " + path, errno);
    }
  });
  worker.join();
  if (!result.ok()) ::unlink(path.c_str());
  return result;
}

Status remove_netns(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    return errno_to_error("remove network namespace " + path, errno);
  }
  // EINVAL: not a mount point (a file left by a failed create).
  if (::umount2(path.c_str(), MNT_DETACH) != 0 && errno != EINVAL) {
    return errno_to_error("unmount network namespace " + path, errno);
  }
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return errno_to_error("remove network namespace file " + path, errno);
  }
  return ok_status();
}

}  // namespace berth::runtime
