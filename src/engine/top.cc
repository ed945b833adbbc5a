// `docker top`: as dockerd's ContainerTop (daemon/top_unix.go) — `ps` on
// the host with the user's arguments (default -ef) and `-q` with the
// container's pids (retried without when ps refuses the combination), the
// PID column found in the header, and only the container's rows kept. The
// container's processes are those in its PID namespace (the shim made one).
#include <dirent.h>
#include <unistd.h>

#include <climits>
#include <regex>
#include <set>
#include <sstream>

#include "engine/engine.h"
#include "firewall/nft_exec.h"

namespace berth::engine {
namespace {

std::string ns_of(int pid) {
  char buf[PATH_MAX];
  const std::string link = "/proc/" + std::to_string(pid) + "/ns/pid";
  ssize_t n = ::readlink(link.c_str(), buf, sizeof buf - 1);
  if (n <= 0) return "";
  return std::string(buf, static_cast<size_t>(n));
}

std::vector<int> pids_in_namespace_of(int pid) {
  std::vector<int> out;
  const std::string ns = ns_of(pid);
  if (ns.empty()) return out;
  DIR* d = ::opendir("/proc");
  if (!d) return out;
  while (auto* e = ::readdir(d)) {
    char* end = nullptr;
    long p = std::strtol(e->d_name, &end, 10);
    if (!end || *end != '\0' || p <= 0) continue;
    if (ns_of(static_cast<int>(p)) == ns) out.push_back(static_cast<int>(p));
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

// Go's strings.Fields for ASCII white space.
std::vector<std::string> fields(const std::string& line) {
  std::vector<std::string> out;
  std::istringstream in(line);
  std::string f;
  while (in >> f) out.push_back(f);
  return out;
}

}  // namespace

Result<Engine::TopResult> Engine::top_container(const std::string& term,
                                                const std::string& ps_args_in) {
  int pid = 0;
  std::string id;
  {
    std::lock_guard lock(mu_);
    auto c = find_container_locked(term);
    if (!c.ok()) return c.error();
    if (c->status != "running") return conflict("container " + c->id + " is not running");
    pid = c->pid;
    id = c->id;
  }
  const std::string ps_args = ps_args_in.empty() ? "-ef" : ps_args_in;
  // validatePSArgs: only pid= may rename a PID column.
  static const std::regex kRename(R"(\s+(\S*)=\s*(PID\S*))");
  for (std::sregex_iterator it(ps_args.begin(), ps_args.end(), kRename), end; it != end; ++it) {
    if ((*it)[1] != "pid") {
      return invalid_argument("specifying \"" + (*it)[1].str() + "=" + (*it)[2].str() +
                              "\" is not allowed");
    }
  }
  std::vector<int> pids = pids_in_namespace_of(pid);
  if (pids.empty()) return conflict("container " + id + " is not running");
  std::vector<std::string> args;
  {
    std::string a;
    std::istringstream in(ps_args);
    while (std::getline(in, a, ' ')) {
      if (!a.empty()) args.push_back(a);
    }
  }
  std::string q = "-q";
  std::string list;
  for (size_t i = 0; i < pids.size(); ++i) list += (i ? "," : "") + std::to_string(pids[i]);
  std::vector<std::string> with_q = args;
  with_q.push_back(q);
  with_q.push_back(list);
  auto out = firewall::exec_capture("ps", with_q, "", std::chrono::seconds(10));
  if (!out.ok() || out->exit_code != 0) {
    out = firewall::exec_capture("ps", args, "", std::chrono::seconds(10));
    if (!out.ok()) return out.error().wrap("ps");
    if (out->exit_code != 0) {
      std::string first = out->err.substr(0, out->err.find('\n'));
      if (first.empty()) first = "exit status " + std::to_string(out->exit_code);
      return internal_error("ps: " + first);
    }
  }
  // parsePSOutput.
  TopResult r;
  std::istringstream lines(out->out);
  std::string line;
  if (!std::getline(lines, line)) return internal_error("Couldn't find PID field in ps output");
  r.titles = fields(line);
  int pid_index = -1;
  for (size_t i = 0; i < r.titles.size(); ++i) {
    if (r.titles[i] == "PID") pid_index = static_cast<int>(i);
  }
  if (pid_index < 0) return internal_error("Couldn't find PID field in ps output");
  const std::set<int> mine(pids.begin(), pids.end());
  while (std::getline(lines, line)) {
    auto f = fields(line);
    if (f.empty()) continue;
    if (static_cast<int>(f.size()) <= pid_index) continue;
    int p = 0;
    try {
      p = std::stoi(f[pid_index]);
    } catch (...) {
      return internal_error("Unexpected pid '" + f[pid_index] + "'");
    }
    if (!mine.count(p)) continue;
    // The last column takes the rest of the line (a command with spaces).
    if (f.size() > r.titles.size()) {
      std::string rest;
      for (size_t i = r.titles.size() - 1; i < f.size(); ++i) rest += (rest.empty() ? "" : " ") + f[i];
      f.resize(r.titles.size() - 1);
      f.push_back(rest);
    }
    r.processes.push_back(std::move(f));
  }
  return r;
}

}  // namespace berth::engine
