// berth-shim's life: read bundle_dir/config.json, create the container's
// terminal or pipes and the control socket, fork the container's PID 1 into a
// new PID namespace (container_child.cc), learn through the sync pipe whether
// the command was exec'd and report that to start(), then copy the
// container's output into the json-file log, answer control requests, and,
// when PID 1 exits, write exit.json and exit.
//
// The shim is single-threaded and event-driven (poll over the output fds, a
// signalfd for SIGCHLD, the listening socket and its clients). It never
// changes its own namespaces except pid_for_children, so it keeps seeing the
// host's mount table and berthd's netns bind mounts. Its stdio is /dev/null
// and it sits in a session of its own: berthd can be killed (even with its
// process group) without touching it.
#include "runtime/shim.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/go_json.h"
#include "common/unique_fd.h"
#include "runtime/container_child.h"
#include "runtime/file_io.h"
#include "runtime/log_splitter.h"
#include "runtime/shim_config.h"

namespace berth::runtime {
namespace {

using nlohmann::json;

void write_line(int fd, const json& j) {
  const std::string s = j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
  size_t off = 0;
  while (off < s.size()) {
    const ssize_t n = ::write(fd, s.data() + off, s.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

Status set_nonblocking(int fd) {
  const int fl = ::fcntl(fd, F_GETFL);
  if (fl < 0 || ::fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0) {
    return errno_to_error("set O_NONBLOCK", errno);
  }
  return ok_status();
}

Result<std::pair<UniqueFd, UniqueFd>> make_pipe() {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return errno_to_error("pipe", errno);
  return std::make_pair(UniqueFd(p[0]), UniqueFd(p[1]));
}

// One output of the container: the pty master, or the read end of the
// stdout or stderr pipe.
struct Output {
  int fd = -1;  // borrowed from Shim
  LogSplitter splitter;
  bool open = true;
};

struct Client {
  UniqueFd fd;
  std::string in;
};

class Shim {
 public:
  Shim(std::string bundle, int report_fd) : bundle_(std::move(bundle)), report_fd_(report_fd) {}

  int run();

 private:
  Status prepare();
  Status launch();
  void serve();
  void finish();

  Status open_streams();
  Status listen_control();
  void read_output(Output& o, bool draining);
  void handle_client(Client& c);
  json handle_request(const json& req);
  void append_log(const std::string& entries);
  void reap();

  std::string bundle_;
  int report_fd_;
  ShimConfig cfg_;

  UniqueFd log_;
  UniqueFd master_, slave_;     // tty
  UniqueFd stdin_r_, stdin_w_;  // -i without tty
  UniqueFd out_r_, out_w_, err_r_, err_w_;
  UniqueFd netns_, init_, sigfd_, listen_;
  std::vector<Output> outputs_;
  std::vector<std::unique_ptr<Client>> clients_;

  pid_t child_ = -1;
  bool exited_ = false;
  int status_ = 0;
  int64_t finished_at_ = 0;
};

int Shim::run() {
  Status s = prepare();
  if (s.ok()) s = launch();
  if (!s.ok()) {
    if (child_ > 0) {
      ::kill(child_, SIGKILL);
      while (::waitpid(child_, nullptr, 0) < 0 && errno == EINTR) {
      }
    }
    ::unlink((bundle_ + "/shim.sock").c_str());
    write_line(report_fd_, {{"ok", false},
                            {"kind", error_kind_name(s.error().kind())},
                            {"message", s.error().message()}});
    return 1;
  }
  const uint64_t shim_start = process_start_time(::getpid());
  const uint64_t pid_start = process_start_time(child_);
  const json state = {{"shim_pid", ::getpid()},
                      {"shim_start_time", shim_start},
                      {"pid", child_},
                      {"pid_start_time", pid_start}};
  Status w = write_file_atomic(bundle_ + "/state.json", state.dump() + "\n");
  if (w.ok()) w = write_file_atomic(bundle_ + "/shim.pid", std::to_string(::getpid()) + "\n");
  if (w.ok()) w = write_file_atomic(bundle_ + "/init.pid", std::to_string(child_) + "\n");
  if (!w.ok()) {
    // Without state.json berthd could not re-adopt the container: refuse it.
    ::kill(child_, SIGKILL);
    while (::waitpid(child_, nullptr, 0) < 0 && errno == EINTR) {
    }
    write_line(report_fd_, {{"ok", false}, {"kind", "internal"}, {"message", w.error().message()}});
    return 1;
  }
  write_line(report_fd_, {{"ok", true}, {"pid", child_}, {"pid_start_time", pid_start}});
  ::close(report_fd_);
  report_fd_ = -1;
  serve();
  finish();
  return 0;
}

Status Shim::prepare() {
  auto text = read_file(bundle_ + "/config.json");
  if (!text.ok()) return text.error();
  auto cfg = decode_shim_config(*text);
  if (!cfg.ok()) return cfg.error();
  cfg_ = std::move(*cfg);
  const ProcessSpec& spec = cfg_.spec;
  if (spec.args.empty()) return invalid_argument("no command specified");

  if (!spec.log_path.empty()) {
    log_.reset(::open(spec.log_path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640));
    if (!log_.valid()) return errno_to_error("open log " + spec.log_path, errno);
  }
  if (!spec.netns_path.empty()) {
    netns_.reset(::open(spec.netns_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!netns_.valid()) return errno_to_error("open network namespace " + spec.netns_path, errno);
  }
  init_.reset(::open(cfg_.init_path.c_str(), O_PATH | O_CLOEXEC));
  if (!init_.valid()) return errno_to_error("open berth-init " + cfg_.init_path, errno);

  sigset_t chld;
  ::sigemptyset(&chld);
  ::sigaddset(&chld, SIGCHLD);
  ::sigprocmask(SIG_BLOCK, &chld, nullptr);
  sigfd_.reset(::signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!sigfd_.valid()) return errno_to_error("signalfd", errno);

  BERTH_TRY(open_streams());
  return listen_control();
}

Status Shim::open_streams() {
  const ProcessSpec& spec = cfg_.spec;
  if (spec.tty) {
    master_.reset(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!master_.valid()) return errno_to_error("open /dev/ptmx", errno);
    if (::grantpt(master_.get()) != 0 || ::unlockpt(master_.get()) != 0) {
      return errno_to_error("unlock pty", errno);
    }
    char name[128];
    if (::ptsname_r(master_.get(), name, sizeof name) != 0) return errno_to_error("ptsname", errno);
    slave_.reset(::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!slave_.valid()) return errno_to_error(std::string("open ") + name, errno);
    if (spec.console_rows > 0 && spec.console_cols > 0) {
      winsize ws{};
      ws.ws_row = static_cast<unsigned short>(spec.console_rows);
      ws.ws_col = static_cast<unsigned short>(spec.console_cols);
      ::ioctl(master_.get(), TIOCSWINSZ, &ws);
    }
    BERTH_TRY(set_nonblocking(master_.get()));
    outputs_.push_back({master_.get(), LogSplitter("stdout")});
    return ok_status();
  }
  if (spec.open_stdin) {
    auto p = make_pipe();
    if (!p.ok()) return p.error();
    stdin_r_ = std::move(p->first);
    stdin_w_ = std::move(p->second);
  } else {
    stdin_r_.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (!stdin_r_.valid()) return errno_to_error("open /dev/null", errno);
  }
  auto o = make_pipe();
  if (!o.ok()) return o.error();
  out_r_ = std::move(o->first);
  out_w_ = std::move(o->second);
  auto e = make_pipe();
  if (!e.ok()) return e.error();
  err_r_ = std::move(e->first);
  err_w_ = std::move(e->second);
  BERTH_TRY(set_nonblocking(out_r_.get()));
  BERTH_TRY(set_nonblocking(err_r_.get()));
  outputs_.push_back({out_r_.get(), LogSplitter("stdout")});
  outputs_.push_back({err_r_.get(), LogSplitter("stderr")});
  return ok_status();
}

// The socket is bound through /proc/self/fd/N/shim.sock so that the length
// of bundle_dir does not count against sun_path's 108 bytes.
Status Shim::listen_control() {
  UniqueFd dir(::open(bundle_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!dir.valid()) return errno_to_error("open " + bundle_, errno);
  const std::string path = "/proc/self/fd/" + std::to_string(dir.get()) + "/shim.sock";
  ::unlink(path.c_str());
  listen_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!listen_.valid()) return errno_to_error("socket", errno);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  if (::bind(listen_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    return errno_to_error("bind " + bundle_ + "/shim.sock", errno);
  }
  ::chmod(path.c_str(), 0600);
  if (::listen(listen_.get(), 16) != 0) return errno_to_error("listen", errno);
  return ok_status();
}

Status Shim::launch() {
  auto caps = effective_capabilities(cfg_.spec.cap_add, cfg_.spec.cap_drop, cfg_.spec.privileged);
  if (!caps.ok()) return caps.error();
  int last_cap = 40;
  if (auto t = read_file("/proc/sys/kernel/cap_last_cap"); t.ok()) last_cap = std::atoi(t->c_str());

  auto sync = make_pipe();
  if (!sync.ok()) return sync.error();

  ChildPlan plan;
  plan.spec = &cfg_.spec;
  plan.data_root = data_root_of(cfg_.spec);
  plan.caps = *caps;
  plan.last_cap = last_cap;
  plan.netns_fd = netns_.get();
  plan.init_fd = init_.get();
  plan.sync_fd = sync->second.get();
  if (cfg_.spec.tty) {
    plan.stdin_fd = plan.stdout_fd = plan.stderr_fd = plan.tty_fd = slave_.get();
  } else {
    plan.stdin_fd = stdin_r_.get();
    plan.stdout_fd = out_w_.get();
    plan.stderr_fd = err_w_.get();
  }

  // The next child is PID 1 of a new PID namespace; the shim itself stays
  // where it is. (fork after unshare rather than clone(): glibc's fork keeps
  // its own state right in the child.)
  if (::unshare(CLONE_NEWPID) != 0) return errno_to_error("unshare PID namespace", errno);
  child_ = ::fork();
  if (child_ < 0) return errno_to_error("fork", errno);
  if (child_ == 0) {
    sync->first.reset();
    run_container_child(plan);
  }

  // The child's ends stay with the child only: EOF on the outputs and the
  // sync pipe then means the container closed them.
  sync->second.reset();
  slave_.reset();
  stdin_r_.reset();
  out_w_.reset();
  err_w_.reset();
  netns_.reset();
  init_.reset();

  std::string msg;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(sync->first.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    msg.append(buf, static_cast<size_t>(n));
  }
  if (msg == "K") return ok_status();
  if (msg.empty()) {
    int status = 0;
    ::waitpid(child_, &status, 0);
    child_ = -1;
    return internal_error("the container's init exited before starting the command (status " +
                          std::to_string(status) + ")");
  }
  const std::string text = msg.substr(1);
  return msg[0] == 'A' ? invalid_argument(text) : internal_error(text);
}

void Shim::append_log(const std::string& entries) {
  if (!log_.valid() || entries.empty()) return;
  size_t off = 0;
  while (off < entries.size()) {
    const ssize_t n = ::write(log_.get(), entries.data() + off, entries.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // a full disk loses log lines, never the container
    off += static_cast<size_t>(n);
  }
}

void Shim::read_output(Output& o, bool draining) {
  char buf[32 * 1024];
  for (;;) {
    const ssize_t n = ::read(o.fd, buf, sizeof buf);
    if (n > 0) {
      append_log(o.splitter.feed(std::string_view(buf, static_cast<size_t>(n)), now_nanos()));
      if (!draining) return;  // one read per wakeup keeps the control socket responsive
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    // EOF, or EIO on a pty master once no slave is open.
    o.open = false;
    append_log(o.splitter.flush(now_nanos()));
    return;
  }
}

json Shim::handle_request(const json& req) {
  const std::string op = req.value("op", "");
  if (op == "ping") return {{"ok", true}, {"pid", child_}};
  if (op == "resize") {
    if (!master_.valid()) return {{"ok", false}, {"error", "the container has no tty"}};
    const int rows = req.value("rows", 0), cols = req.value("cols", 0);
    if (rows <= 0 || cols <= 0 || rows > 65535 || cols > 65535) {
      return {{"ok", false}, {"error", "invalid console size"}};
    }
    winsize ws{};
    ws.ws_row = static_cast<unsigned short>(rows);
    ws.ws_col = static_cast<unsigned short>(cols);
    if (::ioctl(master_.get(), TIOCSWINSZ, &ws) != 0) {
      return {{"ok", false}, {"error", std::string("resize: ") + std::strerror(errno)}};
    }
    return {{"ok", true}};
  }
  // TODO(attach issue): "attach" switches the connection to raw streams: the
  // shim then writes the container's output to it as it logs it, and copies
  // what it reads into master_ / stdin_w_.
  return {{"ok", false}, {"error", "unknown op \"" + op + "\""}};
}

void Shim::handle_client(Client& c) {
  char buf[4096];
  const ssize_t n = ::read(c.fd.get(), buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (n <= 0 || c.in.size() > 65536) {
    c.fd.reset();
    return;
  }
  c.in.append(buf, static_cast<size_t>(n));
  size_t nl;
  while ((nl = c.in.find('\n')) != std::string::npos) {
    const json req = json::parse(c.in.substr(0, nl), nullptr, false);
    c.in.erase(0, nl + 1);
    const json reply =
        req.is_object() ? handle_request(req) : json{{"ok", false}, {"error", "invalid request"}};
    write_line(c.fd.get(), reply);
  }
}

void Shim::reap() {
  signalfd_siginfo si;
  while (::read(sigfd_.get(), &si, sizeof si) == sizeof si) {
  }
  int status = 0;
  const pid_t p = ::waitpid(child_, &status, WNOHANG);
  if (p == child_) {
    exited_ = true;
    status_ = status;
    finished_at_ = now_nanos();
  }
}

void Shim::serve() {
  while (!exited_) {
    std::vector<pollfd> fds;
    fds.push_back({sigfd_.get(), POLLIN, 0});
    fds.push_back({listen_.get(), POLLIN, 0});
    const size_t first_output = fds.size();
    for (const Output& o : outputs_) fds.push_back({o.open ? o.fd : -1, POLLIN, 0});
    const size_t first_client = fds.size();
    for (const auto& c : clients_) fds.push_back({c->fd.get(), POLLIN, 0});

    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[0].revents) reap();
    for (size_t i = 0; i < outputs_.size(); ++i) {
      if (fds[first_output + i].revents) read_output(outputs_[i], false);
    }
    if (fds[1].revents & POLLIN) {
      const int c = ::accept4(listen_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (c >= 0) clients_.push_back(std::make_unique<Client>(Client{UniqueFd(c), ""}));
    }
    for (size_t i = 0; i < fds.size() - first_client; ++i) {
      if (fds[first_client + i].revents) handle_client(*clients_[i]);
    }
    std::erase_if(clients_, [](const auto& c) { return !c->fd.valid(); });
  }
}

void Shim::finish() {
  // PID 1 of a namespace exits only after every other process in it is gone
  // (the kernel kills and reaps them first), so nothing writes any more:
  // read what is buffered up to EOF (EIO on the pty master), bounded in time
  // in case a descriptor leaked to a process outside.
  const int64_t deadline = now_nanos() + 2'000'000'000;
  for (Output& o : outputs_) {
    while (o.open && now_nanos() < deadline) {
      pollfd p{o.fd, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      read_output(o, true);
    }
    if (o.open) append_log(o.splitter.flush(now_nanos()));
  }
  int code = 128;
  if (WIFEXITED(status_)) code = WEXITSTATUS(status_);
  if (WIFSIGNALED(status_)) code = 128 + WTERMSIG(status_);
  const json exit = {{"exit_code", code}, {"finished_at", finished_at_}, {"oom_killed", false}};
  (void)write_file_atomic(bundle_ + "/exit.json", exit.dump() + "\n");
  ::unlink((bundle_ + "/shim.sock").c_str());
}

}  // namespace

int shim_main(int argc, char** argv) {
  std::string bundle;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--bundle") == 0) bundle = argv[i + 1];
  }
  const int report = kShimReportFd;
  if (::fcntl(report, F_SETFD, FD_CLOEXEC) != 0) return 2;  // not started by start()
  if (bundle.empty()) {
    write_line(report,
               {{"ok", false}, {"kind", "internal"}, {"message", "berth-shim: no --bundle"}});
    return 2;
  }
  ::signal(SIGPIPE, SIG_IGN);
  const pid_t p = ::fork();
  if (p < 0) {
    write_line(report,
               {{"ok", false}, {"kind", "internal"}, {"message", "berth-shim: fork failed"}});
    return 1;
  }
  if (p > 0) ::_exit(0);  // start() reaps this process; the shim lives on as init's child
  if (::chdir("/") != 0) return 1;
  write_line(report,
             {{"shim_pid", ::getpid()}, {"shim_start_time", process_start_time(::getpid())}});
  Shim shim(bundle, report);
  return shim.run();
}

}  // namespace berth::runtime
