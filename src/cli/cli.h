// The `berth` command line: docker-compatible verbs (network create, ls,
// inspect, rm, prune; version; info) driving berthd through its Docker
// Engine API. Output, messages and exit codes follow the docker CLI 28.2.2.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace berth::cli {

struct Io {
  std::ostream& out;
  std::ostream& err;
  std::istream& in;
  // The descriptor behind `in` when it is a real one (stdin of the CLI):
  // attached runs read it directly and may put a terminal in raw mode.
  int in_fd = -1;
};

// The environment berth reads (empty = unset).
struct Env {
  std::string berth_host;   // BERTH_HOST
  std::string docker_host;  // DOCKER_HOST
  std::string api_version;  // BERTH_API_VERSION, else DOCKER_API_VERSION: pins the version
  // [rows, cols] of the terminal on stdout; {0, 0} when it is not one.
  int console_rows = 0, console_cols = 0;
};

// Runs one invocation; `args` excludes the program name. Returns the exit
// status: 0, 1 for failed commands, 125 for bad flags, 64 for bad inspect
// templates, as docker.
int run(const std::vector<std::string>& args, const Env& env, Io& io);

// main(): reads the environment and uses the standard streams.
int run(int argc, char** argv);

}  // namespace berth::cli
