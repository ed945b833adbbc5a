// Identifying processes across restarts of berthd: a pid alone can be reused,
// so every pid berth stores travels with the process's start time (field 22
// of /proc/PID/stat, in clock ticks since boot), and signals go through a
// pidfd that was checked against that start time after it was opened — once
// open, a pidfd cannot be redirected to a new process with the same pid.
//
// pidfd_open and pidfd_send_signal are called through syscall(2): glibc
// 2.36's <sys/pidfd.h> is not usable from C++ (PITFALLS.md).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "runtime/file_io.h"
#include "runtime/runtime.h"

namespace berth::runtime {
namespace {

struct StatFields {
  char state = '?';
  uint64_t start_time = 0;
};

std::optional<StatFields> read_stat(int pid) {
  if (pid <= 0) return std::nullopt;
  auto text = read_file("/proc/" + std::to_string(pid) + "/stat");
  if (!text.ok()) return std::nullopt;
  // "pid (comm) state ppid …": comm may contain spaces and ')', so the
  // fields start after the last ')'.
  const size_t rp = text->rfind(')');
  if (rp == std::string::npos || rp + 2 >= text->size()) return std::nullopt;
  StatFields out;
  const char* p = text->c_str() + rp + 2;
  out.state = *p;
  // Field 3 is the state; field 22 the start time: skip 19 fields after it.
  for (int field = 3; field < 22; ++field) {
    p = std::strchr(p, ' ');
    if (!p) return std::nullopt;
    ++p;
  }
  out.start_time = std::strtoull(p, nullptr, 10);
  return out;
}

}  // namespace

uint64_t process_start_time(int pid) {
  const auto st = read_stat(pid);
  return st ? st->start_time : 0;
}

bool alive(int pid, uint64_t start_time) {
  const auto st = read_stat(pid);
  return st && st->start_time == start_time && st->state != 'Z' && st->state != 'X';
}

Result<UniqueFd> open_pidfd(int pid, uint64_t start_time) {
  if (pid <= 0) return invalid_argument("invalid pid " + std::to_string(pid));
  const long fd = ::syscall(SYS_pidfd_open, pid, 0);
  if (fd < 0) {
    if (errno == ESRCH) return not_found("process " + std::to_string(pid) + " is gone");
    return errno_to_error("pidfd_open " + std::to_string(pid), errno);
  }
  UniqueFd out(static_cast<int>(fd));  // pidfds are always close-on-exec
  // Checked after opening: if the pid was reused before pidfd_open, the
  // start time differs; after it, the pidfd keeps pointing at the old process.
  if (!alive(pid, start_time)) {
    return not_found("process " + std::to_string(pid) + " is gone");
  }
  return out;
}

Status kill(int pid, uint64_t start_time, int sig) {
  auto fd = open_pidfd(pid, start_time);
  if (!fd.ok()) return fd.error();
  if (::syscall(SYS_pidfd_send_signal, fd->get(), sig, nullptr, 0) != 0) {
    if (errno == ESRCH) return not_found("process " + std::to_string(pid) + " is gone");
    return errno_to_error("signal " + std::to_string(sig) + " to " + std::to_string(pid), errno);
  }
  return ok_status();
}

}  // namespace berth::runtime
