// See init.h. Signals: berth-init blocks every signal and takes them with
// sigwaitinfo(). For PID 1 of a namespace the kernel drops signals whose
// disposition is the default; blocked signals are queued regardless, so every
// signal sent to the container (docker kill -s, stop) reaches the command.
#include "runtime/init.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace berth::runtime::init {
namespace {

// Go's findExecutable (os/exec, lp_unix.go): 0, or the errno to report.
int find_executable(const std::string& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) return errno;
  if (S_ISDIR(st.st_mode)) return EISDIR;
  if (::faccessat(AT_FDCWD, file.c_str(), X_OK, AT_EACCESS) == 0) return 0;
  const int err = errno;
  if (err != ENOSYS && err != EPERM) return err;
  return (st.st_mode & 0111) ? 0 : EACCES;
}

std::string quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

void write_all(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    const ssize_t n = ::write(fd, s.data() + off, s.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

std::string read_all(int fd) {
  std::string out;
  char buf[512];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return out;
    out.append(buf, static_cast<size_t>(n));
  }
}

int status_code(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 128;
}

}  // namespace

std::string go_errno_text(int err) {
  std::string s = ::strerror(err);
  if (!s.empty() && s[0] >= 'A' && s[0] <= 'Z') s[0] = static_cast<char>(s[0] - 'A' + 'a');
  return s;
}

LookPathResult look_path(const std::string& file, const std::string& path_env) {
  LookPathResult r;
  const auto fail = [&](int err, bool stat_error, const std::string& path) {
    r.permission = err == EACCES || err == EPERM;
    r.error = "exec: " + quote(file) + ": " + (stat_error ? "stat " + path + ": " : "") +
              go_errno_text(err);
    return r;
  };
  if (file.find('/') != std::string::npos) {
    const int err = find_executable(file);
    if (err == 0) {
      r.path = file;
      return r;
    }
    // os.Stat's errors read "stat PATH: …"; the others are bare.
    struct stat st {};
    return fail(err, ::stat(file.c_str(), &st) != 0, file);
  }
  size_t pos = 0;
  for (;;) {
    const size_t colon = path_env.find(':', pos);
    std::string dir =
        path_env.substr(pos, colon == std::string::npos ? std::string::npos : colon - pos);
    if (dir.empty()) dir = ".";
    const std::string candidate = dir + "/" + file;
    if (find_executable(candidate) == 0) {
      if (candidate[0] != '/') {
        // Go 1.19+ refuses executables found through a relative PATH entry.
        r.error =
            "exec: " + quote(file) + ": cannot run executable found relative to current directory";
        return r;
      }
      r.path = candidate;
      return r;
    }
    if (colon == std::string::npos) break;
    pos = colon + 1;
  }
  r.error = "exec: " + quote(file) + ": executable file not found in $PATH";
  return r;
}

int init_main(int argc, char** argv) {
  bool tty = false;
  int first = -1;
  for (int i = 1; i < argc; ++i) {
    if (::strcmp(argv[i], "--tty") == 0) {
      tty = true;
    } else if (::strcmp(argv[i], "--") == 0) {
      first = i + 1;
      break;
    }
  }
  const bool have_sync = ::fcntl(kSyncFd, F_SETFD, FD_CLOEXEC) == 0;
  const auto report = [&](const std::string& msg) {
    if (have_sync) write_all(kSyncFd, msg);
  };
  if (first < 0 || first >= argc) {
    report("Eberth-init: no command given");
    return 127;
  }

  const char* path_env = ::getenv("PATH");
  const LookPathResult lp = look_path(
      argv[first],
      path_env ? path_env : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  if (!lp.error.empty()) {
    report("A" + lp.error);
    return lp.permission ? 126 : 127;
  }

  sigset_t all, old;
  ::sigfillset(&all);
  ::sigprocmask(SIG_BLOCK, &all, &old);

  // The child reports a failed execve through this pipe; a successful one
  // closes it (O_CLOEXEC), so EOF without data means the command runs.
  int exec_pipe[2];
  if (::pipe2(exec_pipe, O_CLOEXEC) != 0) {
    report("Eberth-init: pipe: " + go_errno_text(errno));
    return 127;
  }
  const pid_t child = ::fork();
  if (child < 0) {
    report("Eberth-init: fork: " + go_errno_text(errno));
    return 127;
  }
  if (child == 0) {
    ::close(exec_pipe[0]);
    ::sigprocmask(SIG_SETMASK, &old, nullptr);
    ::setsid();
    if (tty) ::ioctl(0, TIOCSCTTY, 0);
    ::execv(lp.path.c_str(), argv + first);
    const int err = errno;
    const bool user_error = err == ENOENT || err == EACCES || err == EPERM || err == ENOEXEC ||
                            err == EISDIR || err == ENOTDIR || err == ELOOP;
    write_all(exec_pipe[1],
              std::string(user_error ? "A" : "E") + "exec " + lp.path + ": " + go_errno_text(err));
    ::_exit(err == EACCES || err == EPERM ? 126 : 127);
  }
  ::close(exec_pipe[1]);
  const std::string exec_error = read_all(exec_pipe[0]);
  ::close(exec_pipe[0]);
  if (!exec_error.empty()) {
    int status = 0;
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    report(exec_error);
    return status_code(status);
  }
  report("K");
  if (have_sync) ::close(kSyncFd);

  for (;;) {
    siginfo_t info;
    const int sig = ::sigwaitinfo(&all, &info);
    if (sig < 0) continue;
    if (sig == SIGCHLD) {
      int status = 0;
      pid_t pid;
      while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
        if (pid == child) return status_code(status);
      }
      continue;
    }
    ::kill(child, sig);
  }
}

}  // namespace berth::runtime::init
