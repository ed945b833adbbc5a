// Helpers of the end-to-end tests: berth run in-process and the stock
// docker CLI run as a child, both against one FakeEngine, and a fixture
// that requires the same exit status, stdout, stderr (with "docker" read
// as "berth") and requests.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "cli/cli.h"
#include "unit/client/fake_engine.h"

namespace berth::cli::e2e {

using testing::FakeEngine;
using testing::FakeReply;

constexpr const char* kDocker = "/usr/local/bin/docker";

struct Outcome {
  int rc = -1;
  std::string out, err;
};

inline Outcome run_berth(const FakeEngine& engine, std::vector<std::string> args,
                         const std::string& input = "") {
  args.insert(args.begin(), {"-H", engine.host()});
  std::ostringstream out, err;
  std::istringstream in(input);
  Io io{out, err, in};
  Outcome o;
  o.rc = run(args, Env{}, io);
  o.out = out.str();
  o.err = err.str();
  return o;
}

inline std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

inline Outcome run_docker(const FakeEngine& engine, std::vector<std::string> args,
                          const std::string& input = "") {
  const std::string dir = engine.dir();
  const std::string in_path = dir + "/stdin", out_path = dir + "/stdout",
                    err_path = dir + "/stderr";
  std::ofstream(in_path) << input;
  args.insert(args.begin(), {kDocker, "-H", engine.host()});
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::string cfg = "DOCKER_CONFIG=" + dir + "/docker-config";
  std::string home = "HOME=" + dir;
  std::vector<char*> envp = {cfg.data(), home.data(), const_cast<char*>("PATH=/usr/bin:/bin"),
                             nullptr};
  pid_t pid = fork();
  if (pid == 0) {
    int i = open(in_path.c_str(), O_RDONLY);
    int o = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int e = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(i, 0);
    dup2(o, 1);
    dup2(e, 2);
    execve(kDocker, argv.data(), envp.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  Outcome r;
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(out_path);
  r.err = slurp(err_path);
  return r;
}

// docker's texts name docker; berth's name berth.
inline std::string as_docker(std::string s) {
  for (auto [from, to] : {std::pair<std::string, std::string>{"berth daemon", "docker daemon"},
                          {"Docker daemon", "docker daemon"},
                          {"berth: ", "docker: "},
                          {"'berth ", "'docker "},
                          {"Usage:  berth", "Usage:  docker"},
                          {": berth ", ": docker "}}) {
    for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) {
      s.replace(p, from.size(), to);
    }
  }
  return s;
}

class SameAsDocker : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access(kDocker, X_OK) != 0) GTEST_SKIP() << "SKIPPED: docker CLI not found at " << kDocker;
  }

  // `help`: the output is a help text, where every "berth" reads "docker".
  // `ordered`: false for commands whose requests docker sends in
  // parallel (stop, kill, rm): the requests are compared as a set.
  void expect_same(const std::vector<std::string>& args, const std::string& input = "",
                   bool help = false, bool same_requests = true, bool ordered = true) {
    engine_.clear_requests();
    Outcome d = run_docker(engine_, args, input);
    auto docker_requests = engine_.requests();
    engine_.clear_requests();
    Outcome b = run_berth(engine_, args, input);
    auto berth_requests = engine_.requests();
    std::string what;
    for (const auto& a : args) what += " " + a;
    EXPECT_EQ(b.rc, d.rc) << what;
    if (help) {
      for (size_t p = b.out.find("berth"); p != std::string::npos; p = b.out.find("berth", p)) {
        b.out.replace(p, 5, "docker");
      }
    }
    EXPECT_EQ(b.out, d.out) << what;
    EXPECT_EQ(as_docker(b.err), as_docker(d.err)) << what;
    if (!same_requests) return;
    ASSERT_EQ(berth_requests.size(), docker_requests.size()) << what;
    if (!ordered) {
      auto key = [](const testing::RecordedRequest& r) {
        return r.method + " " + r.target + " " + r.body;
      };
      std::vector<std::string> b, d;
      for (const auto& r : berth_requests) b.push_back(key(r));
      for (const auto& r : docker_requests) d.push_back(key(r));
      std::sort(b.begin(), b.end());
      std::sort(d.begin(), d.end());
      EXPECT_EQ(b, d) << what;
      return;
    }
    for (size_t i = 0; i < berth_requests.size(); ++i) {
      EXPECT_EQ(berth_requests[i].method, docker_requests[i].method) << what;
      EXPECT_EQ(berth_requests[i].target, docker_requests[i].target) << what;
      EXPECT_EQ(berth_requests[i].body, docker_requests[i].body) << what;
    }
  }

  FakeEngine engine_;
};

}  // namespace berth::cli::e2e
