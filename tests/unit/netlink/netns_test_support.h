// Support for the netlink root tests: running programs from the calling
// thread (so that they inherit its network namespace), `ip -j` parsed, and
// NetnsThread, a thread parked in a network namespace of its own.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "netlink/netlink.h"

extern char** environ;

namespace berth::netlink::nltest {

using nlohmann::json;

struct Output {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline std::string read_all(int fd) {
  std::string s;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    s.append(buf, static_cast<size_t>(n));
  }
  return s;
}

// Runs a program from the calling thread. A child inherits the namespaces of
// the thread that spawns it, not those of the process's main thread.
inline Output run(const std::vector<std::string>& args) {
  Output o;
  int out_pipe[2];
  int err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) return o;
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    return o;
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2);
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (rc == 0) {
    // ip's output is small: reading stdout to EOF first cannot fill stderr.
    o.out = read_all(out_pipe[0]);
    o.err = read_all(err_pipe[0]);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    o.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  } else {
    o.err = std::string("spawn ") + args[0] + ": " + std::strerror(rc);
  }
  ::close(out_pipe[0]);
  ::close(err_pipe[0]);
  return o;
}

// `ip -j <args>` parsed; fails the test on a non-zero exit.
inline json ip_json(std::vector<std::string> args) {
  args.insert(args.begin(), {"ip", "-j"});
  Output o = run(args);
  EXPECT_EQ(o.exit_code, 0) << o.err;
  if (o.exit_code != 0 || o.out.empty()) return json::array();
  return json::parse(o.out);
}

// All link names in the calling thread's namespace, per `ip -j link`.
inline std::vector<std::string> ip_link_names() {
  std::vector<std::string> names;
  for (const auto& l : ip_json({"link", "show"})) names.push_back(l["ifname"].get<std::string>());
  std::sort(names.begin(), names.end());
  return names;
}

inline bool has_flag(const json& link, const std::string& flag) {
  for (const auto& f : link["flags"]) {
    if (f.get<std::string>() == flag) return true;
  }
  return false;
}

// A thread parked in a network namespace of its own, running closures on
// request. The namespace lives as long as the thread.
class NetnsThread {
 public:
  // `extra_flags` adds namespaces to unshare along with CLONE_NEWNET.
  explicit NetnsThread(int extra_flags = 0) {
    thread_ = std::thread([this, extra_flags] { loop(extra_flags); });
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return started_; });
  }
  ~NetnsThread() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

  // errno of unshare, 0 if the thread is in its new namespace.
  int unshare_errno() const { return unshare_errno_; }
  // A path other threads can open to join the namespace.
  std::string path() const {
    return "/proc/" + std::to_string(::getpid()) + "/task/" + std::to_string(tid_) + "/ns/net";
  }

  // Runs `fn` on the namespace's thread and waits for it.
  void run(std::function<void()> fn) {
    bool done = false;
    {
      std::lock_guard lock(mu_);
      tasks_.push_back([&] {
        fn();
        std::lock_guard l(mu_);
        done = true;
      });
    }
    cv_.notify_all();
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return done; });
  }

 private:
  void loop(int extra_flags) {
    if (::unshare(CLONE_NEWNET | extra_flags) != 0) unshare_errno_ = errno;
    tid_ = static_cast<pid_t>(::syscall(SYS_gettid));
    std::unique_lock lock(mu_);
    started_ = true;
    cv_.notify_all();
    for (;;) {
      cv_.wait(lock, [this] { return stop_ || !tasks_.empty(); });
      if (tasks_.empty()) return;
      auto task = std::move(tasks_.front());
      tasks_.pop_front();
      lock.unlock();
      task();
      lock.lock();
      cv_.notify_all();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  bool started_ = false;
  bool stop_ = false;
  int unshare_errno_ = 0;
  pid_t tid_ = 0;
  std::thread thread_;
};

inline BridgeSpec bridge(const std::string& name, const std::string& cidr_addr, int len) {
  BridgeSpec s;
  s.name = name;
  s.alias = "berth:" + name.substr(3);
  s.mtu = 1500;
  unsigned a = 0, b = 0, c = 0, d = 0;
  std::sscanf(cidr_addr.c_str(), "%u.%u.%u.%u", &a, &b, &c, &d);
  s.address = ipam::Ipv4{(a << 24) | (b << 16) | (c << 8) | d};
  s.prefix_len = len;
  return s;
}

inline std::unique_ptr<Netlink> open_here() {
  auto nl = open_netlink();
  EXPECT_TRUE(nl.ok()) << nl.error().message();
  return nl.ok() ? std::move(*nl) : nullptr;
}

}  // namespace berth::netlink::nltest
