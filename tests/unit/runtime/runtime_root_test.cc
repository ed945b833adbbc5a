// Real containers on the host image, each joined to a network namespace the
// test created under its own temporary data root (never the machine's own
// network namespace). Needs root. Everything started is killed by pid in
// TearDown and the data root is removed.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "runtime/runtime.h"

namespace berth::runtime {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

std::string random_id() {
  static std::mt19937_64 rng(std::random_device{}());
  std::string out;
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = 0; i < 64; ++i) out += kHex[rng() % 16];
  return out;
}

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Pids of processes whose command line mentions `needle`.
std::vector<int> processes_mentioning(const std::string& needle) {
  std::vector<int> out;
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string name = e.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string cmd = slurp("/proc/" + name + "/cmdline");
    for (char& c : cmd) {
      if (c == '\0') c = ' ';
    }
    if (cmd.find(needle) != std::string::npos) out.push_back(std::stoi(name));
  }
  return out;
}

class RuntimeRootTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    ::setenv("BERTH_SHIM", BERTH_SHIM_PATH, 1);
    ::setenv("BERTH_INIT", BERTH_INIT_PATH, 1);
    char tmpl[] = "/tmp/berth-rt-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    fs::create_directories(root_ + "/netns");
    fs::create_directories(root_ + "/containers");
    netns_ = root_ + "/netns/test";
    Status s = create_netns(netns_);
    ASSERT_TRUE(s.ok()) << s.error().message();
  }

  void TearDown() override {
    if (root_.empty()) return;
    for (const auto& [bundle, st] : started_) {
      (void)kill(st.pid, st.pid_start_time, SIGKILL);
      if (!wait_exit(bundle, st, milliseconds(5000)).has_value()) {
        (void)kill(st.shim_pid, st.shim_start_time, SIGKILL);
      }
    }
    for (const auto& e : fs::directory_iterator(root_ + "/netns")) {
      (void)remove_netns(e.path());
    }
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  ProcessSpec spec(std::vector<std::string> args) {
    ProcessSpec s;
    s.id = random_id();
    s.bundle_dir = root_ + "/containers/" + s.id;
    fs::create_directories(s.bundle_dir);
    s.args = std::move(args);
    s.hostname = s.id.substr(0, 12);
    s.env = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
             "HOSTNAME=" + s.hostname};
    s.netns_path = netns_;
    s.log_path = s.bundle_dir + "/" + s.id + "-json.log";
    HostsSpec h;
    h.hostname = s.hostname;
    h.addresses = {"172.30.0.2"};
    s.hosts_file = s.bundle_dir + "/hosts";
    s.hostname_file = s.bundle_dir + "/hostname";
    s.resolv_conf_file = s.bundle_dir + "/resolv.conf";
    EXPECT_TRUE(write_bundle_file(s.hosts_file, hosts_file(h)).ok());
    EXPECT_TRUE(write_bundle_file(s.hostname_file, hostname_file(s.hostname)).ok());
    EXPECT_TRUE(
        write_bundle_file(s.resolv_conf_file,
                          resolv_conf_user_network("nameserver 10.9.9.9\n", "/etc/resolv.conf"))
            .ok());
    return s;
  }

  // Starts and remembers the container for TearDown.
  Started run(const ProcessSpec& s) {
    auto r = start(s);
    EXPECT_TRUE(r.ok()) << r.error().message();
    if (!r.ok()) return Started{};
    started_.emplace_back(s.bundle_dir, *r);
    return *r;
  }

  // Runs to completion; returns the exit code (-1 on timeout).
  int run_to_exit(const ProcessSpec& s) {
    const Started st = run(s);
    if (st.pid == 0) return -1;
    auto e = wait_exit(s.bundle_dir, st, milliseconds(10000));
    return e ? e->exit_code : -1;
  }

  static std::string log_text(const ProcessSpec& s, const char* stream = nullptr) {
    auto lines = read_log(s.log_path, LogFilter{});
    std::string out;
    if (!lines.ok()) return out;
    for (const LogLine& l : *lines) {
      if (!stream || l.stream == stream) out += l.text;
    }
    return out;
  }

  static bool wait_for_log(const ProcessSpec& s, const std::string& needle, int ms = 5000) {
    for (int i = 0; i < ms / 20; ++i) {
      if (log_text(s).find(needle) != std::string::npos) return true;
      std::this_thread::sleep_for(milliseconds(20));
    }
    return false;
  }

  std::string root_, netns_;
  std::vector<std::pair<std::string, Started>> started_;
};

TEST_F(RuntimeRootTest, EchoHelloLogsAndExitsZero) {
  ProcessSpec s = spec({"echo", "hello"});
  EXPECT_EQ(run_to_exit(s), 0);
  auto lines = read_log(s.log_path, LogFilter{});
  ASSERT_TRUE(lines.ok());
  ASSERT_EQ(lines->size(), 1u);
  EXPECT_EQ((*lines)[0].text, "hello\n");
  EXPECT_EQ((*lines)[0].stream, "stdout");
  auto e = read_exit(s.bundle_dir);
  ASSERT_TRUE(e.has_value());
  EXPECT_GT(e->finished_at_nanos, 0);
  EXPECT_FALSE(fs::exists(s.bundle_dir + "/shim.sock"));
}

TEST_F(RuntimeRootTest, ExitCodeAndStderr) {
  ProcessSpec s = spec({"sh", "-c", "echo out; echo err >&2; exit 3"});
  EXPECT_EQ(run_to_exit(s), 3);
  EXPECT_EQ(log_text(s, "stdout"), "out\n");
  EXPECT_EQ(log_text(s, "stderr"), "err\n");
}

TEST_F(RuntimeRootTest, StateFilesForReadoption) {
  ProcessSpec s = spec({"sleep", "30"});
  // A descriptor berthd forgot to mark close-on-exec must not reach the shim.
  const std::string canary = root_ + "/canary";
  const int leaked = ::open(canary.c_str(), O_WRONLY | O_CREAT, 0600);
  ASSERT_GE(leaked, 0);
  const Started st = run(s);
  ::close(leaked);
  for (const auto& e : fs::directory_iterator("/proc/" + std::to_string(st.shim_pid) + "/fd")) {
    std::error_code ec;
    EXPECT_NE(fs::read_symlink(e.path(), ec).string(), canary);
  }
  ASSERT_GT(st.pid, 0);
  auto state = read_state(s.bundle_dir);
  ASSERT_TRUE(state.has_value());
  EXPECT_EQ(state->pid, st.pid);
  EXPECT_EQ(state->pid_start_time, st.pid_start_time);
  EXPECT_EQ(state->shim_pid, st.shim_pid);
  EXPECT_EQ(state->shim_start_time, st.shim_start_time);
  EXPECT_EQ(slurp(s.bundle_dir + "/shim.pid"), std::to_string(st.shim_pid) + "\n");
  EXPECT_EQ(slurp(s.bundle_dir + "/init.pid"), std::to_string(st.pid) + "\n");
  EXPECT_TRUE(alive(st.pid, st.pid_start_time));
  EXPECT_FALSE(alive(st.pid, st.pid_start_time + 1));
  EXPECT_FALSE(read_exit(s.bundle_dir).has_value());
  // The shim is in a session and process group of its own, not in ours.
  EXPECT_NE(::getsid(st.shim_pid), ::getsid(0));
  EXPECT_NE(::getpgid(st.shim_pid), ::getpgid(0));
  // Its stdio is /dev/null; besides it holds only its own descriptors.
  EXPECT_EQ(fs::read_symlink("/proc/" + std::to_string(st.shim_pid) + "/fd/0"), "/dev/null");
  EXPECT_EQ(fs::read_symlink("/proc/" + std::to_string(st.shim_pid) + "/fd/2"), "/dev/null");
}

TEST_F(RuntimeRootTest, MissingExecutableFailsAndLeavesNothing) {
  ProcessSpec s = spec({"berth-no-such-command"});
  auto r = start(s);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("executable file not found in $PATH"), std::string::npos)
      << r.error().message();
  EXPECT_EQ(r.error().message(),
            "exec: \"berth-no-such-command\": executable file not found in $PATH");
  EXPECT_EQ(r.error().kind(), ErrorKind::kInvalidArgument);
  EXPECT_EQ(start_error_exit_code(r.error()), 127);
  EXPECT_TRUE(processes_mentioning(s.bundle_dir).empty());
  EXPECT_FALSE(fs::exists(s.bundle_dir + "/state.json"));
  EXPECT_FALSE(fs::exists(s.bundle_dir + "/shim.sock"));

  s = spec({"/etc/hostname"});  // exists, not executable
  r = start(s);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "exec: \"/etc/hostname\": permission denied");
  EXPECT_EQ(start_error_exit_code(r.error()), 126);
  EXPECT_TRUE(processes_mentioning(s.bundle_dir).empty());
}

TEST_F(RuntimeRootTest, UnknownUserFailsAndLeavesNothing) {
  ProcessSpec s = spec({"true"});
  s.user.user = "berth-ghost";
  auto r = start(s);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(),
            "unable to find user berth-ghost: no matching entries in passwd file");
  EXPECT_TRUE(processes_mentioning(s.bundle_dir).empty());

  s = spec({"true"});
  s.cwd = "/berth-no-such-dir";
  r = start(s);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(
      r.error().message(),
      "chdir to cwd (\"/berth-no-such-dir\") set in config.json failed: no such file or directory");
  EXPECT_TRUE(processes_mentioning(s.bundle_dir).empty());
}

TEST_F(RuntimeRootTest, UserEnvAndCwd) {
  ProcessSpec s = spec({"sh", "-c", "id -u; id -g; echo $HOME; echo $FOO; pwd"});
  s.user.user = "nobody";
  s.env.push_back("FOO=bar baz");
  s.cwd = "/tmp";
  EXPECT_EQ(run_to_exit(s), 0);
  EXPECT_EQ(log_text(s), "65534\n65534\n/nonexistent\nbar baz\n/tmp\n");

  s = spec({"sh", "-c", "id -u; id -g"});
  s.user.user = "4242:4343";
  EXPECT_EQ(run_to_exit(s), 0);
  EXPECT_EQ(log_text(s), "4242\n4343\n");
}

TEST_F(RuntimeRootTest, HostnameAndEtcFiles) {
  ProcessSpec s =
      spec({"sh", "-c", "hostname; cat /etc/hostname; cat /etc/hosts; cat /etc/resolv.conf"});
  EXPECT_EQ(run_to_exit(s), 0);
  EXPECT_EQ(log_text(s), s.hostname + "\n" + slurp(s.hostname_file) + slurp(s.hosts_file) +
                             slurp(s.resolv_conf_file));
  char host[256] = {};
  ::gethostname(host, sizeof host);
  EXPECT_NE(std::string(host), s.hostname);  // the host's name is untouched
}

TEST_F(RuntimeRootTest, PidNamespaceWithBerthInitAsPid1) {
  ProcessSpec s = spec(
      {"sh", "-c", "echo $$; tr '\\0' ' ' < /proc/1/cmdline; echo; ls /proc | grep -c '^[0-9]'"});
  EXPECT_EQ(run_to_exit(s), 0);
  // sh is PID 2; PID 1 is berth-init; /proc is the container's own (pids 1, 2
  // and the pipeline's processes only).
  std::istringstream lines(log_text(s));
  std::string pid, cmdline, count;
  std::getline(lines, pid);
  std::getline(lines, cmdline);
  std::getline(lines, count);
  EXPECT_EQ(pid, "2");
  EXPECT_EQ(cmdline.rfind("berth-init -- sh -c", 0), 0u) << cmdline;
  EXPECT_LE(std::stoi(count), 5);
}

TEST_F(RuntimeRootTest, InitReapsOrphans) {
  // The subshell's child is orphaned to PID 1 when the subshell exits; berth-init
  // must reap it, or it would stay a zombie.
  ProcessSpec s =
      spec({"sh", "-c", "( true & ); sleep 0.3; cat /proc/[0-9]*/stat | grep -c ') Z ' || true"});
  EXPECT_EQ(run_to_exit(s), 0);
  EXPECT_EQ(log_text(s), "0\n");
}

TEST_F(RuntimeRootTest, JoinsTheGivenNetworkNamespaceOnly) {
  ProcessSpec s =
      spec({"sh", "-c",
            "readlink /proc/self/ns/net; grep -c '" + root_ + "/netns' /proc/self/mountinfo"});
  EXPECT_EQ(run_to_exit(s), 1);  // grep -c prints 0 and exits 1
  struct stat st {};
  ASSERT_EQ(::stat(netns_.c_str(), &st), 0);
  EXPECT_EQ(log_text(s), "net:[" + std::to_string(st.st_ino) + "]\n0\n");
}

TEST_F(RuntimeRootTest, CommandInheritsOnlyStdio) {
  // No pipeline: sh itself holds nothing but what it inherited while ls runs.
  ProcessSpec s = spec({"sh", "-c", "ls /proc/$$/fd"});
  EXPECT_EQ(run_to_exit(s), 0);
  EXPECT_EQ(log_text(s), "0\n1\n2\n");
}

TEST_F(RuntimeRootTest, MountsStayInsideTheContainer) {
  ProcessSpec s = spec({"sh", "-c",
                        "ls /sys/class/net; touch /proc/sys/kernel/x 2>/dev/null || echo ro-sys; "
                        "wc -c < /proc/keys; ls /sys/firmware | wc -l; echo done; sleep 5"});
  const Started st = run(s);
  ASSERT_GT(st.pid, 0);
  ASSERT_TRUE(wait_for_log(s, "done\n")) << log_text(s);
  // The container's own sysfs shows its netns (lo only); /proc/keys and
  // /sys/firmware are masked and /proc/sys read-only, as in Docker.
  const std::string log = log_text(s);
  EXPECT_EQ(log.rfind("lo\n", 0), 0u) << log;
  EXPECT_NE(log.find("ro-sys\n"), std::string::npos) << log;
  EXPECT_NE(log.find("\n0\n0\ndone\n"), std::string::npos) << log;
  // Nothing propagated to the host's mount table.
  const std::string host_mounts = slurp("/proc/self/mountinfo");
  EXPECT_EQ(host_mounts.find(" /etc/hosts "), std::string::npos);
  EXPECT_EQ(host_mounts.find(s.bundle_dir), std::string::npos);
}

TEST_F(RuntimeRootTest, PrivilegedGetsEveryCapabilityAndWritableSys) {
  ProcessSpec s = spec({"sh", "-c",
                        "grep CapBnd /proc/self/status; grep ' /sys ' /proc/self/mountinfo | tail "
                        "-n 1 | grep -c ' /sys rw,'"});
  s.privileged = true;
  EXPECT_EQ(run_to_exit(s), 0);
  const std::string log = log_text(s);
  std::ifstream last("/proc/sys/kernel/cap_last_cap");
  int last_cap = 0;
  last >> last_cap;
  std::string own_bnd;
  std::istringstream status(slurp("/proc/self/status"));
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("CapBnd:", 0) == 0) own_bnd = line;
  }
  // Never more than berthd has itself.
  EXPECT_EQ(log, own_bnd + "\n1\n");
}

TEST_F(RuntimeRootTest, DefaultCapabilitiesAndCapAdd) {
  const auto cap_eff = [](const std::string& log) -> uint64_t {
    const size_t p = log.find("CapEff:");
    if (p == std::string::npos) return 0;
    return std::stoull(log.substr(p + 7), nullptr, 16);
  };
  ProcessSpec s = spec({"grep", "Cap", "/proc/self/status"});
  EXPECT_EQ(run_to_exit(s), 0);
  uint64_t eff = cap_eff(log_text(s));
  EXPECT_EQ(eff, 0xa80425fbULL) << log_text(s);  // Docker's default set
  EXPECT_NE(log_text(s).find("CapInh:\t0000000000000000"), std::string::npos);

  s = spec({"grep", "Cap", "/proc/self/status"});
  s.cap_add = {"NET_ADMIN"};
  EXPECT_EQ(run_to_exit(s), 0);
  eff = cap_eff(log_text(s));
  EXPECT_TRUE(eff & (1ULL << 12));
  EXPECT_TRUE(eff & (1ULL << 13));

  s = spec({"grep", "Cap", "/proc/self/status"});
  s.user.user = "nobody";
  EXPECT_EQ(run_to_exit(s), 0);
  EXPECT_EQ(cap_eff(log_text(s)), 0u);
  EXPECT_NE(log_text(s).find("CapBnd:\t00000000a80425fb"), std::string::npos);
}

TEST_F(RuntimeRootTest, TtyWithOpenStdinStaysUpUntilKilled) {
  // No rc files: root's ~/.bashrc on a developer machine may run slow tools
  // (found waiting on one for 20 s); the prompt comes from PS1 instead.
  ProcessSpec s = spec({"bash", "--norc", "--noprofile"});
  s.tty = true;
  s.open_stdin = true;
  s.env.push_back("TERM=xterm");
  s.env.push_back("PS1=\\u@\\h:\\w\\$ ");
  const Started st = run(s);
  ASSERT_GT(st.pid, 0);
  // Wait (up to 20 s on a loaded machine) until bash, init's child, sleeps
  // reading the terminal: its prompt has been written by then.
  bool reading = false;
  for (int i = 0; i < 400 && !reading; ++i) {
    std::ifstream children("/proc/" + std::to_string(st.pid) + "/task/" +
                           std::to_string(st.pid) + "/children");
    int child = 0;
    if (children >> child) {
      std::ifstream wchan("/proc/" + std::to_string(child) + "/wchan");
      std::string w;
      wchan >> w;
      // readline waits in select/poll, plain reads in n_tty_read.
      reading = w.find("tty_read") != std::string::npos || w.find("poll") != std::string::npos ||
                w.find("select") != std::string::npos || w == "wait_woken";
    }
    if (!reading) std::this_thread::sleep_for(milliseconds(50));
  }
  {
    std::ifstream children("/proc/" + std::to_string(st.pid) + "/task/" +
                           std::to_string(st.pid) + "/children");
    std::string all((std::istreambuf_iterator<char>(children)), {});
    std::string w;
    int child = std::atoi(all.c_str());
    std::ifstream wchan("/proc/" + std::to_string(child) + "/wchan");
    wchan >> w;
    EXPECT_TRUE(reading) << "bash never waited for input; children [" << all << "] wchan " << w;
  }
  EXPECT_TRUE(alive(st.pid, st.pid_start_time));
  EXPECT_TRUE(alive(st.shim_pid, st.shim_start_time));
  EXPECT_TRUE(resize(s.bundle_dir, 40, 100).ok());
  ASSERT_TRUE(kill(st.pid, st.pid_start_time, SIGKILL).ok());
  auto e = wait_exit(s.bundle_dir, st, milliseconds(5000));
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->exit_code, 137);
  EXPECT_FALSE(alive(st.shim_pid, st.shim_start_time));
  EXPECT_FALSE(kill(st.pid, st.pid_start_time, SIGKILL).ok());
  // bash got the tty as its controlling terminal (job control works) and its
  // prompt, a line without "\n", was logged when the stream ended.
  const std::string log = log_text(s);
  EXPECT_EQ(log.find("no job control"), std::string::npos) << log;
  EXPECT_NE(log.find("@" + s.hostname + ":/# "), std::string::npos) << log;
}

TEST_F(RuntimeRootTest, TtySizeAndResize) {
  ProcessSpec s =
      spec({"sh", "-c", "stty size; trap 'stty size; exit 4' WINCH; while :; do sleep 0.05; done"});
  s.tty = true;
  s.console_rows = 30;
  s.console_cols = 90;
  const Started st = run(s);
  ASSERT_GT(st.pid, 0);
  ASSERT_TRUE(wait_for_log(s, "30 90\r\n")) << log_text(s);
  Status r = resize(s.bundle_dir, 40, 100);
  ASSERT_TRUE(r.ok()) << r.error().message();
  auto e = wait_exit(s.bundle_dir, st, milliseconds(5000));
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->exit_code, 4);
  EXPECT_EQ(log_text(s), "30 90\r\n40 100\r\n");

  ProcessSpec p = spec({"sleep", "5"});
  const Started ps = run(p);
  ASSERT_GT(ps.pid, 0);
  Status no_tty = resize(p.bundle_dir, 10, 10);
  ASSERT_FALSE(no_tty.ok());
  EXPECT_EQ(no_tty.error().kind(), ErrorKind::kInvalidArgument);
}

TEST_F(RuntimeRootTest, OpenStdinPipeKeepsCatRunning) {
  ProcessSpec s = spec({"cat"});
  s.open_stdin = true;
  const Started st = run(s);
  ASSERT_GT(st.pid, 0);
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_TRUE(alive(st.pid, st.pid_start_time));

  ProcessSpec t = spec({"cat"});  // without -i, stdin is /dev/null
  EXPECT_EQ(run_to_exit(t), 0);
}

TEST_F(RuntimeRootTest, SignalsAreForwardedToTheCommand) {
  ProcessSpec s = spec(
      {"sh", "-c", "trap 'echo got-term; exit 5' TERM; echo ready; while :; do sleep 0.05; done"});
  const Started st = run(s);
  ASSERT_GT(st.pid, 0);
  ASSERT_TRUE(wait_for_log(s, "ready\n"));
  ASSERT_TRUE(kill(st.pid, st.pid_start_time, SIGTERM).ok());
  auto e = wait_exit(s.bundle_dir, st, milliseconds(5000));
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->exit_code, 5);
  EXPECT_EQ(log_text(s), "ready\ngot-term\n");
}

TEST_F(RuntimeRootTest, KilledBySignalIs128PlusSignal) {
  ProcessSpec s = spec({"sh", "-c", "kill -TERM $$"});
  EXPECT_EQ(run_to_exit(s), 143);
}

TEST_F(RuntimeRootTest, ShimSurvivesItsParentBeingKilled) {
  ProcessSpec s = spec({"sh", "-c", "while :; do echo tick; sleep 0.05; done"});
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  const pid_t parent = ::fork();
  ASSERT_GE(parent, 0);
  if (parent == 0) {
    // Stands in for berthd: starts the container, reports, waits to be killed.
    ::close(p[0]);
    auto r = start(s);
    Started st = r.ok() ? *r : Started{};
    if (::write(p[1], &st, sizeof st) != sizeof st) ::_exit(1);
    ::pause();
    ::_exit(0);
  }
  ::close(p[1]);
  Started st{};
  ASSERT_EQ(::read(p[0], &st, sizeof st), static_cast<ssize_t>(sizeof st));
  ::close(p[0]);
  ASSERT_GT(st.pid, 0);
  started_.emplace_back(s.bundle_dir, st);

  ::kill(parent, SIGKILL);
  ::waitpid(parent, nullptr, 0);
  ASSERT_TRUE(wait_for_log(s, "tick\n"));
  const size_t before = log_text(s).size();
  std::this_thread::sleep_for(milliseconds(500));
  EXPECT_TRUE(alive(st.pid, st.pid_start_time));
  EXPECT_TRUE(alive(st.shim_pid, st.shim_start_time));
  EXPECT_GT(log_text(s).size(), before);

  ASSERT_TRUE(kill(st.pid, st.pid_start_time, SIGKILL).ok());
  auto e = wait_exit(s.bundle_dir, st, milliseconds(5000));
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->exit_code, 137);
}

TEST_F(RuntimeRootTest, ParallelStarts) {
  constexpr int kN = 20;
  std::vector<ProcessSpec> specs;
  for (int i = 0; i < kN; ++i) specs.push_back(spec({"sh", "-c", "echo " + std::to_string(i)}));
  std::vector<Result<Started>> results(kN, Result<Started>(internal_error("not run")));
  std::vector<std::thread> threads;
  for (int i = 0; i < kN; ++i) {
    threads.emplace_back([&, i] { results[i] = start(specs[i]); });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < kN; ++i) {
    ASSERT_TRUE(results[i].ok()) << results[i].error().message();
    started_.emplace_back(specs[i].bundle_dir, *results[i]);
  }
  for (int i = 0; i < kN; ++i) {
    auto e = wait_exit(specs[i].bundle_dir, *results[i], milliseconds(10000));
    ASSERT_TRUE(e.has_value());
    EXPECT_EQ(e->exit_code, 0);
    EXPECT_EQ(log_text(specs[i]), std::to_string(i) + "\n");
  }
}

TEST_F(RuntimeRootTest, HostNetworkModeStaysInOurNetns) {
  ProcessSpec s = spec({"readlink", "/proc/self/ns/net"});
  s.netns_path = "";
  EXPECT_EQ(run_to_exit(s), 0);
  EXPECT_EQ(log_text(s), fs::read_symlink("/proc/self/ns/net").string() + "\n");
}

TEST_F(RuntimeRootTest, ShimIsSmall) {
  ProcessSpec s = spec({"sleep", "5"});
  const Started st = run(s);
  ASSERT_GT(st.pid, 0);
  const std::string status = slurp("/proc/" + std::to_string(st.shim_pid) + "/status");
  const size_t p = status.find("VmRSS:");
  ASSERT_NE(p, std::string::npos);
  const long rss_kib = std::stol(status.substr(p + 6));
  const auto field = [&](const char* name) {
    const size_t at = status.find(name);
    return at == std::string::npos ? -1L : std::stol(status.substr(at + std::strlen(name)));
  };
  std::cout << "berth-shim VmRSS: " << rss_kib << " KiB (anon " << field("RssAnon:") << ", file "
            << field("RssFile:") << ")\n";
  EXPECT_LT(rss_kib, 8 * 1024);
}

TEST(NetnsRoot, CreateAndRemove) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  char tmpl[] = "/tmp/berth-ns-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string path = std::string(tmpl) + "/ns1";
  ASSERT_TRUE(create_netns(path).ok());
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  struct stat own {};
  ASSERT_EQ(::stat("/proc/self/ns/net", &own), 0);
  EXPECT_NE(st.st_ino, own.st_ino);
  EXPECT_NE(slurp("/proc/self/mountinfo").find(path), std::string::npos);
  Status again = create_netns(path);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().kind(), ErrorKind::kConflict);

  ASSERT_TRUE(remove_netns(path).ok());
  EXPECT_FALSE(fs::exists(path));
  EXPECT_EQ(slurp("/proc/self/mountinfo").find(path), std::string::npos);
  EXPECT_EQ(remove_netns(path).error().kind(), ErrorKind::kNotFound);
  ::rmdir(tmpl);
}

}  // namespace
}  // namespace berth::runtime
