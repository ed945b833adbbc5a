// berthd's side of starting a container: write config.json, launch berth-shim
// detached (posix_spawn into a new session with /dev/null stdio and only the
// report pipe inherited; the shim forks once more), and wait for its report.
// posix_spawn (vfork-like) is safe in berthd's multithreaded process, where a
// plain fork could only call async-signal-safe functions anyway.
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>

#include "runtime/file_io.h"
#include "runtime/runtime.h"
#include "runtime/shim_config.h"

extern char** environ;

namespace berth::runtime {
namespace {

using nlohmann::json;

constexpr int kReportTimeoutMs = 60'000;

std::string dir_of(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

std::string self_dir() {
  char buf[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return ".";
  return dir_of(std::string(buf, static_cast<size_t>(n)));
}

bool executable(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0;
}

Result<std::string> find_binary(const char* env_var, const std::vector<std::string>& candidates,
                                const char* name) {
  if (const char* e = std::getenv(env_var); e && *e) {
    if (executable(e)) return std::string(e);
    return unavailable(std::string(name) + " not found at $" + env_var + " (" + e + ")");
  }
  for (const std::string& c : candidates) {
    if (executable(c)) return c;
  }
  return unavailable(std::string(name) + " not found next to the executable (" +
                     candidates.front() + "); set $" + env_var);
}

// Reads report lines until EOF or the deadline.
struct Reader {
  int fd;
  int64_t deadline_ms;
  std::string buf;
  bool eof = false;

  std::optional<json> next() {
    for (;;) {
      if (const size_t nl = buf.find('\n'); nl != std::string::npos) {
        json j = json::parse(buf.substr(0, nl), nullptr, false);
        buf.erase(0, nl + 1);
        return j;
      }
      if (eof) return std::nullopt;
      pollfd p{fd, POLLIN, 0};
      const int64_t left = deadline_ms - now_ms();
      if (left <= 0) return std::nullopt;
      const int r = ::poll(&p, 1, static_cast<int>(left));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return std::nullopt;
      char tmp[4096];
      const ssize_t n = ::read(fd, tmp, sizeof tmp);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        eof = true;
        continue;
      }
      buf.append(tmp, static_cast<size_t>(n));
    }
  }

  static int64_t now_ms() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
  }
};

// Waits up to `ms` for the shim to be gone; kills it if it is not.
void reap_shim(int pid, uint64_t start_time, int ms) {
  if (pid <= 0) return;
  auto fd = open_pidfd(pid, start_time);
  if (!fd.ok()) return;
  pollfd p{fd->get(), POLLIN, 0};
  if (::poll(&p, 1, ms) <= 0) {
    (void)kill(pid, start_time, SIGKILL);
    ::poll(&p, 1, 1000);
  }
}

Result<Started> spawn_and_wait(const ProcessSpec& spec, const std::string& shim) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return errno_to_error("pipe", errno);
  UniqueFd rd(p[0]);
  // Kept away from 3: posix_spawn's dup2 onto the same number would leave
  // the close-on-exec flag set on older glibc.
  UniqueFd wr(::fcntl(p[1], F_DUPFD_CLOEXEC, 10));
  ::close(p[1]);
  if (!wr.valid()) return errno_to_error("dup", errno);

  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  posix_spawn_file_actions_adddup2(&fa, wr.get(), kShimReportFd);
  posix_spawn_file_actions_addclosefrom_np(&fa, kShimReportFd + 1);
  sigset_t none, all;
  ::sigemptyset(&none);
  ::sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  std::vector<char*> argv = {const_cast<char*>("berth-shim"), const_cast<char*>("--bundle"),
                             const_cast<char*>(spec.bundle_dir.c_str()), nullptr};
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, shim.c_str(), &fa, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  wr.reset();
  if (rc != 0) return errno_to_error("start " + shim, rc);
  // The first shim process forks the real one and exits at once. (ECHILD:
  // berthd ignores SIGCHLD, the kernel reaped it.)
  while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }

  Reader reader{rd.get(), Reader::now_ms() + kReportTimeoutMs};
  int shim_pid = 0;
  uint64_t shim_start = 0;
  std::optional<json> first = reader.next();
  if (first && first->contains("shim_pid")) {
    shim_pid = first->value("shim_pid", 0);
    shim_start = first->value("shim_start_time", uint64_t{0});
    first = reader.next();
  }
  if (!first || !first->is_object() || !first->contains("ok")) {
    reap_shim(shim_pid, shim_start, 0);
    return internal_error(reader.eof ? "berth-shim exited without reporting"
                                     : "berth-shim did not report in time");
  }
  const json& r = *first;
  if (!r.value("ok", false)) {
    reap_shim(shim_pid, shim_start, 10'000);
    return Error(error_kind_from_name(r.value("kind", "internal")), r.value("message", ""));
  }
  Started s{};
  s.pid = r.value("pid", 0);
  s.pid_start_time = r.value("pid_start_time", uint64_t{0});
  s.shim_pid = shim_pid;
  s.shim_start_time = shim_start;
  return s;
}

template <typename T>
std::optional<T> get(const json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return std::nullopt;
  return it->get<T>();
}

}  // namespace

Result<Started> start(const ProcessSpec& spec) {
  if (spec.args.empty() || spec.args[0].empty()) return invalid_argument("no command specified");
  struct stat st {};
  if (::stat(spec.bundle_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return internal_error("bundle directory " + spec.bundle_dir + " does not exist");
  }
  const std::string here = self_dir();
  auto shim = find_binary("BERTH_SHIM", {here + "/berth-shim"}, "berth-shim");
  if (!shim.ok()) return shim.error();
  auto init = find_binary("BERTH_INIT", {here + "/berth-init", dir_of(*shim) + "/berth-init"},
                          "berth-init");
  if (!init.ok()) return init.error();

  // A restarted container reuses its bundle: drop the last run's records.
  for (const char* f : {"/exit.json", "/state.json", "/shim.pid", "/init.pid"}) {
    ::unlink((spec.bundle_dir + f).c_str());
  }
  ShimConfig cfg{spec, *init};
  BERTH_TRY(write_file_atomic(spec.bundle_dir + "/config.json", encode_shim_config(cfg), 0600));
  return spawn_and_wait(spec, *shim);
}

int start_error_exit_code(const Error& e) {
  const std::string& m = e.message();
  if (m.find("executable file not found") != std::string::npos ||
      m.find("no such file or directory") != std::string::npos) {
    return 127;
  }
  if (m.find("permission denied") != std::string::npos) return 126;
  return 128;
}

std::optional<Started> read_state(const std::string& bundle_dir) {
  auto text = read_file(bundle_dir + "/state.json");
  if (!text.ok()) return std::nullopt;
  const json j = json::parse(*text, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  const auto shim_pid = get<int>(j, "shim_pid");
  const auto shim_start = get<uint64_t>(j, "shim_start_time");
  const auto pid = get<int>(j, "pid");
  const auto pid_start = get<uint64_t>(j, "pid_start_time");
  if (!shim_pid || !shim_start || !pid || !pid_start) return std::nullopt;
  return Started{*pid, *pid_start, *shim_pid, *shim_start};
}

std::optional<ExitStatus> read_exit(const std::string& bundle_dir) {
  auto text = read_file(bundle_dir + "/exit.json");
  if (!text.ok()) return std::nullopt;
  const json j = json::parse(*text, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  const auto code = get<int>(j, "exit_code");
  const auto finished = get<int64_t>(j, "finished_at");
  if (!code || !finished) return std::nullopt;
  ExitStatus out{*code, *finished};
  if (const auto it = j.find("oom_killed"); it != j.end() && it->is_boolean()) {
    out.oom_killed = it->get<bool>();
  }
  return out;
}

std::optional<ExitStatus> wait_exit(const std::string& bundle_dir, const Started& started,
                                    std::chrono::milliseconds timeout) {
  auto fd = open_pidfd(started.shim_pid, started.shim_start_time);
  if (fd.ok()) {
    pollfd p{fd->get(), POLLIN, 0};
    int r;
    do {
      r = ::poll(&p, 1, static_cast<int>(timeout.count()));
    } while (r < 0 && errno == EINTR);
    if (r <= 0) return std::nullopt;
  }
  return read_exit(bundle_dir);
}

}  // namespace berth::runtime
