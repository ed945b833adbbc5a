// Runs one short-lived child process with its stdin, stdout and stderr backed
// by memfds rather than pipes. With files on both sides nothing can block: the
// parent writes the whole script before the child starts (no SIGPIPE when nft
// exits early, no deadlock when nft writes a lot before reading everything),
// and the child writes its output without anyone reading concurrently.
// `nft -f -` reopens /dev/stdin, which works for a memfd (it would not for a
// socket). posix_spawn clones from the calling thread, so the child runs in
// that thread's network namespace.
#include "firewall/nft_exec.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/unique_fd.h"

extern char** environ;

namespace berth::firewall {
namespace {

std::string errno_text(int e) { return std::strerror(e); }

Result<UniqueFd> make_memfd(const char* name) {
  int fd = ::memfd_create(name, MFD_CLOEXEC);
  if (fd < 0) return unavailable(std::string("memfd_create: ") + errno_text(errno));
  return UniqueFd(fd);
}

Status write_all(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return internal_error(std::string("write memfd: ") + errno_text(errno));
    }
    done += static_cast<size_t>(n);
  }
  if (::lseek(fd, 0, SEEK_SET) < 0) return internal_error("lseek memfd: " + errno_text(errno));
  return ok_status();
}

std::string read_all(int fd) {
  std::string s;
  struct stat st {};
  if (::fstat(fd, &st) != 0 || st.st_size <= 0) return s;
  s.resize(static_cast<size_t>(st.st_size));
  size_t done = 0;
  while (done < s.size()) {
    ssize_t n = ::pread(fd, s.data() + done, s.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  s.resize(done);
  return s;
}

// Waits for `pid`; kills it once `timeout` has passed. Returns the wait status.
Result<int> wait_child(pid_t pid, std::chrono::milliseconds timeout, bool* timed_out) {
  *timed_out = false;
  // A pidfd lets poll() bound the wait (Linux 5.3+). Without one, wait
  // unbounded rather than fail: nft does not hang in practice.
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  if (pidfd.get() >= 0) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        *timed_out = true;
        ::kill(pid, SIGKILL);
        break;
      }
      pollfd p{pidfd.get(), POLLIN, 0};
      int r = ::poll(&p, 1, static_cast<int>(left.count()));
      if (r > 0) break;
      if (r < 0 && errno != EINTR) break;  // fall through to a blocking wait
    }
  }
  int status = 0;
  for (;;) {
    pid_t r = ::waitpid(pid, &status, 0);
    if (r == pid) return status;
    if (r < 0 && errno == EINTR) continue;
    return internal_error("waitpid: " + errno_text(errno));
  }
}

}  // namespace

Result<ExecOutput> exec_capture(const std::string& program, const std::vector<std::string>& args,
                                const std::string& input, std::chrono::milliseconds timeout) {
  auto in = make_memfd("berth-nft-in");
  if (!in) return in.error();
  auto out = make_memfd("berth-nft-out");
  if (!out) return out.error();
  auto err = make_memfd("berth-nft-err");
  if (!err) return err.error();
  BERTH_TRY(write_all(in->get(), input));

  std::vector<std::string> argv_s;
  argv_s.reserve(args.size() + 1);
  argv_s.push_back(program);
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in->get(), STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&fa, out->get(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&fa, err->get(), STDERR_FILENO);

  // The daemon ignores SIGPIPE and may block signals on its threads; nft gets
  // a clean slate.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  pid_t pid = -1;
  int rc = program.find('/') == std::string::npos
               ? ::posix_spawnp(&pid, program.c_str(), &fa, &attr, argv.data(), environ)
               : ::posix_spawn(&pid, program.c_str(), &fa, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return unavailable("cannot run " + program + ": " + errno_text(rc));

  bool timed_out = false;
  auto status = wait_child(pid, timeout, &timed_out);
  if (!status) return status.error();
  if (timed_out) {
    return unavailable(program + " did not finish within " + std::to_string(timeout.count()) +
                       " ms and was killed");
  }
  ExecOutput res;
  if (WIFEXITED(*status)) {
    res.exit_code = WEXITSTATUS(*status);
  } else if (WIFSIGNALED(*status)) {
    res.exit_code = 128 + WTERMSIG(*status);
  }
  res.out = read_all(out->get());
  res.err = read_all(err->get());
  return res;
}

}  // namespace berth::firewall
