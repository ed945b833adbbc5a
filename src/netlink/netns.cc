// Running code inside another network namespace without moving the calling
// thread: setns(2) on a thread of its own that ends afterwards. A thread
// that changed namespace must never go back to a pool or an event loop, and
// setns on a fresh thread leaves no state to restore (netavark's exec_netns!,
// the CNI testutils.NewNS comment).
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <exception>
#include <thread>

#include "common/unique_fd.h"
#include "netlink/errno_error.h"
#include "netlink/netlink.h"

namespace berth::netlink {
namespace {

// `label` names the namespace in errors: its path, or "fd N".
Status run_in(int netns_fd, const std::string& label, const std::function<Status()>& fn) {
  Status result;
  std::thread worker([&] {
    if (::setns(netns_fd, CLONE_NEWNET) != 0) {
      int err = errno;
      std::string what = "enter network namespace " + label;
      result = err == EINVAL ? invalid_argument(what + ": not a network namespace")
                             : errno_error(what, err);
      return;
    }
    try {
      result = fn();
    } catch (const std::exception& e) {
      result = internal_error("in network namespace " + label + ": " + e.what());
    } catch (...) {
      result = internal_error("in network namespace " + label + ": unknown exception");
    }
  });
  worker.join();
  return result;
}

}  // namespace

Status run_in_netns(int netns_fd, std::function<Status()> fn) {
  return run_in(netns_fd, "fd " + std::to_string(netns_fd), fn);
}

Status run_in_netns(const std::string& netns_path, std::function<Status()> fn) {
  UniqueFd fd(::open(netns_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return errno_error("open network namespace " + netns_path, errno);
  return run_in(fd.get(), netns_path, fn);
}

}  // namespace berth::netlink
