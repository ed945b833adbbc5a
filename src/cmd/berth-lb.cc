// berth-lb: an HTTP load balancer configured with nginx.conf, with nginx's
// command-line habits:
//   berth-lb [-c FILE] [-g 'pid FILE; worker_processes N;']   run (foreground)
//   berth-lb -t [-c FILE]                test the configuration
//   berth-lb -s reload|stop|quit [-c FILE]   signal the running one (pid file)
// Signals: HUP reload (new workers on the same sockets, old ones drain),
// QUIT graceful stop, TERM/INT fast stop.
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <list>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include "lb/config.h"
#include "lb/proxy.h"

using namespace berth::lb;

namespace {

const char* kDefaultConf = "/etc/berth-lb/nginx.conf";
const char* kDefaultPid = "/run/berth-lb.pid";

void emerg(const std::string& m) { std::cerr << "berth-lb: [emerg] " << m << "\n"; }
void notice(const std::string& m) { std::cerr << "berth-lb: [notice] " << m << "\n"; }

struct Overrides {
  std::string pid;
  int workers = 0;
};

bool parse_g(const std::string& g, Overrides& o) {
  std::stringstream ss(g);
  std::string stmt;
  while (std::getline(ss, stmt, ';')) {
    std::stringstream ws(stmt);
    std::string name, val;
    ws >> name >> val;
    if (name.empty()) continue;
    if (name == "pid") o.pid = val;
    else if (name == "worker_processes") o.workers = std::atoi(val.c_str());
    else if (name == "daemon") continue;
    else {
      emerg("unknown directive \"" + name + "\" in command line");
      return false;
    }
  }
  return true;
}

berth::Result<Config> load(const std::string& file, const Overrides& o) {
  auto c = load_config(file);
  if (!c) return c;
  if (!o.pid.empty()) c->pid_file = o.pid;
  if (o.workers > 0) c->workers = o.workers;
  if (c->pid_file.empty()) c->pid_file = kDefaultPid;
  return c;
}

int send_signal(const std::string& file, const Overrides& o, const std::string& what) {
  int sig = what == "reload" ? SIGHUP : what == "stop" ? SIGTERM : what == "quit" ? SIGQUIT : what == "reopen" ? SIGUSR1 : 0;
  if (!sig) {
    std::cerr << "berth-lb: invalid option: \"-s " << what << "\"\n";
    return 1;
  }
  auto c = load(file, o);
  if (!c) {
    emerg(c.error().message());
    return 1;
  }
  std::ifstream in(c->pid_file);
  if (!in) {
    std::cerr << "berth-lb: [error] open() \"" << c->pid_file << "\" failed (" << errno << ": " << strerror(errno) << ")\n";
    return 1;
  }
  std::string s;
  std::getline(in, s);
  long pid = std::atol(s.c_str());
  if (pid <= 0) {
    std::cerr << "berth-lb: [error] invalid PID number \"" << s << "\" in \"" << c->pid_file << "\"\n";
    return 1;
  }
  if (kill(static_cast<pid_t>(pid), sig) != 0) {
    std::cerr << "berth-lb: [alert] kill(" << pid << ", " << sig << ") failed (" << errno << ": " << strerror(errno) << ")\n";
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string conf = kDefaultConf, sig, g;
  bool test = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto need = [&](std::string& dst) {
      if (i + 1 >= argc) {
        std::cerr << "berth-lb: option \"" << a << "\" requires " << (a == "-c" ? "file name" : "parameter") << "\n";
        std::exit(1);
      }
      dst = argv[++i];
    };
    if (a == "-c") need(conf);
    else if (a == "-s") need(sig);
    else if (a == "-g") need(g);
    else if (a == "-t" || a == "-T") test = true;
    else if (a == "-v" || a == "-V") {
      std::cerr << "berth-lb version: berth-lb/0.1 (nginx.conf subset)\n";
      return 0;
    } else if (a == "-h" || a == "-?") {
      std::cerr << "Usage: berth-lb [-?hvt] [-s signal] [-c filename] [-g directives]\n\n"
                   "Options:\n  -?,-h         : this help\n  -v            : show version and exit\n"
                   "  -t            : test configuration and exit\n"
                   "  -s signal     : send signal to the running process: stop, quit, reopen, reload\n"
                   "  -c filename   : set configuration file (default: " << kDefaultConf << ")\n"
                   "  -g directives : set global directives (pid, worker_processes)\n";
      return 0;
    } else {
      std::cerr << "berth-lb: invalid option: \"" << a << "\"\n";
      return 1;
    }
  }
  Overrides ov;
  if (!g.empty() && !parse_g(g, ov)) return 1;
  if (!sig.empty()) return send_signal(conf, ov, sig);

  auto cfg = load(conf, ov);
  if (test) {
    if (!cfg) {
      emerg(cfg.error().message());
      std::cerr << "berth-lb: configuration file " << conf << " test failed\n";
      return 1;
    }
    std::cerr << "berth-lb: the configuration file " << conf << " syntax is ok\n"
              << "berth-lb: configuration file " << conf << " test is successful\n";
    return 0;
  }
  if (!cfg) {
    emerg(cfg.error().message());
    return 1;
  }

  // Signals go to this thread only (sigtimedwait below); workers inherit the mask.
  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGHUP, SIGQUIT, SIGTERM, SIGINT, SIGUSR1}) sigaddset(&set, s);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);

  Listeners listeners;
  auto first = start_generation(std::make_shared<const Config>(std::move(*cfg)), listeners);
  if (!first) {
    emerg(first.error().message());
    return 1;
  }
  std::shared_ptr<Generation> cur = *first;
  std::list<std::shared_ptr<Generation>> old;
  std::string pid_file = load(conf, ov)->pid_file;
  {
    std::ofstream p(pid_file);
    p << getpid() << "\n";
    if (!p) emerg("open() \"" + pid_file + "\" failed (" + std::to_string(errno) + ": " + strerror(errno) + ")");
  }
  bool quitting = false;
  for (;;) {
    timespec ts{0, 100 * 1000 * 1000};
    int s = sigtimedwait(&set, nullptr, &ts);
    if (s == SIGHUP && !quitting) {
      notice("signal 1 (SIGHUP) received from the command line, reconfiguring");
      auto nc = load(conf, ov);
      if (!nc) {
        emerg(nc.error().message());
      } else {
        auto ng = start_generation(std::make_shared<const Config>(std::move(*nc)), listeners);
        if (!ng) {
          emerg(ng.error().message());
        } else {
          drain(*cur);
          old.push_back(cur);
          cur = *ng;
          listeners.retain(config_of(*cur));
        }
      }
    } else if (s == SIGQUIT && !quitting) {
      notice("signal 3 (SIGQUIT) received, shutting down gracefully");
      quitting = true;
      drain(*cur);
    } else if (s == SIGTERM || s == SIGINT) {
      notice("signal " + std::to_string(s) + " received, exiting");
      stop_now(*cur);
      for (auto& o : old) stop_now(*o);
      join(*cur);
      for (auto& o : old) join(*o);
      unlink(pid_file.c_str());
      return 0;
    }
    for (auto it = old.begin(); it != old.end();) {
      if (finished(**it)) {
        join(**it);
        it = old.erase(it);
      } else {
        ++it;
      }
    }
    if (quitting && finished(*cur) && old.empty()) {
      join(*cur);
      unlink(pid_file.c_str());
      return 0;
    }
  }
}
