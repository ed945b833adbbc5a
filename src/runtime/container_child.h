// The container's PID 1 between fork and exec: berth-shim forks it after
// unshare(CLONE_NEWPID), and it enters the container's remaining namespaces,
// prepares the file system, resolves the user, drops capabilities and execs
// berth-init. Internal to the shim.
#pragma once

#include <string>
#include <vector>

#include "runtime/runtime.h"

namespace berth::runtime {

// Everything the child needs, prepared by the shim before the fork. The fds
// are the shim's; the child rearranges them and closes all others.
struct ChildPlan {
  const ProcessSpec* spec = nullptr;
  std::string data_root;  // mounts under it are detached ("" = none)
  std::vector<int> caps;  // bounding set to keep
  int last_cap = 40;      // /proc/sys/kernel/cap_last_cap
  int netns_fd = -1;      // -1: stay in the shim's network namespace
  int init_fd = -1;       // berth-init, opened O_PATH in the host's mount namespace
  int sync_fd = -1;       // write end of the sync pipe (see init.h)
  int stdin_fd = -1, stdout_fd = -1, stderr_fd = -1;
  int tty_fd = -1;  // pty slave (same as the stdio fds) or -1
};

// Never returns: execs berth-init, or writes "A<message>"/"E<message>" to the
// sync pipe and exits 127. Must run in the freshly forked child only.
[[noreturn]] void run_container_child(const ChildPlan& plan);

}  // namespace berth::runtime
