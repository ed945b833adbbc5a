#include "daemon/daemon.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <utility>  // before Asio (PITFALLS.md)

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <spdlog/spdlog.h>

#include "api/router.h"
#include "common/random_id.h"
#include "common/unique_fd.h"
#include "dns/server.h"
#include "runtime/runtime.h"
#include "engine/engine.h"
#include "firewall/firewall.h"
#include "netlink/netlink.h"
#include "proxy/proxy.h"
#include "store/store.h"

namespace berth::daemon {
namespace {

namespace fs = std::filesystem;

// Holds <data-root>/berthd.lock with flock for the life of the process, so a
// second berthd on the same data root refuses to start.
Result<UniqueFd> lock_data_root(const std::string& root) {
  const std::string path = root + "/berthd.lock";
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd.valid()) return unavailable("open " + path + ": " + std::strerror(errno));
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    char buf[32] = {};
    ssize_t n = ::pread(fd.get(), buf, sizeof buf - 1, 0);
    std::string pid = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "?";
    while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
    return conflict("another berthd (pid " + pid + ") is running with data root " + root +
                    "; stop it or choose another --data-root");
  }
  std::string me = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd.get(), 0) != 0 || ::pwrite(fd.get(), me.data(), me.size(), 0) < 0) {
    return unavailable("write " + path + ": " + std::strerror(errno));
  }
  return fd;
}

// Thousands of published ports and DNS sockets come later: take the hard
// limit of open files.
void raise_nofile() {
  struct rlimit rl {};
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &rl) == 0) {
      spdlog::debug("open file limit raised to {}", static_cast<long long>(rl.rlim_cur));
    }
  }
}

std::string read_first_line(const std::string& path) {
  std::ifstream f(path);
  std::string line;
  std::getline(f, line);
  return line;
}

std::string os_pretty_name() {
  std::ifstream f("/etc/os-release");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("PRETTY_NAME=", 0) == 0) {
      std::string v = line.substr(12);
      if (v.size() >= 2 && v.front() == '"') v = v.substr(1, v.size() - 2);
      return v;
    }
  }
  return "Linux";
}

std::string engine_id(const std::string& root) {
  const std::string path = root + "/engine-id";
  std::string id = read_first_line(path);
  if (id.size() == 64) return id;
  id = random_id();
  std::ofstream(path) << id << "\n";
  return id;
}

api::SystemFacts static_facts(const DaemonConfig& cfg) {
  api::SystemFacts f;
  struct utsname u {};
  if (::uname(&u) == 0) f.kernel = u.release;
  f.os_name = os_pretty_name();
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  f.hostname = host;
  f.engine_id = engine_id(cfg.data_root);
  f.data_root = cfg.data_root;
  f.ncpu = static_cast<int>(::sysconf(_SC_NPROCESSORS_ONLN));
  f.mem_total = static_cast<int64_t>(::sysconf(_SC_PHYS_PAGES)) * ::sysconf(_SC_PAGESIZE);
  struct stat st {};
  if (::stat("/proc/self/exe", &st) == 0) {
    f.build_time = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  }
  return f;
}

}  // namespace

int run(const DaemonConfig& cfg) {
  ::signal(SIGPIPE, SIG_IGN);  // splice() and writes to closed sockets (PITFALLS.md)
  std::error_code ec;
  fs::create_directories(cfg.data_root, ec);
  if (ec) {
    spdlog::critical("cannot create data root {}: {}", cfg.data_root, ec.message());
    return 1;
  }
  ::chmod(cfg.data_root.c_str(), 0711);
  auto lock = lock_data_root(cfg.data_root);
  if (!lock.ok()) {
    spdlog::critical("{}", lock.error().message());
    return 1;
  }
  raise_nofile();

  auto store = store::SqliteStore::open(cfg.data_root + "/berth.db");
  if (!store.ok()) {
    spdlog::critical("{}", store.error().message());
    return 1;
  }
  auto nl = netlink::open_netlink();
  if (!nl.ok()) {
    spdlog::critical("netlink: {}", nl.error().message());
    return 1;
  }
  firewall::NftFirewall fw;

  engine::EngineConfig ecfg;
  ecfg.data_root = cfg.data_root;
  ecfg.bip = cfg.bip_prefix;
  ecfg.default_pools = cfg.pools;
  ecfg.mtu = cfg.mtu;
  ecfg.iptables = cfg.iptables;
  ecfg.ip_forward = cfg.ip_forward;
  ecfg.resolv_conf = cfg.resolv_conf;
  ecfg.dns = cfg.dns;
  ecfg.proxy_mode = cfg.userland_proxy == "always"  ? firewall::ProxyMode::kAlways
                    : cfg.userland_proxy == "false" ? firewall::ProxyMode::kFalse
                                                    : firewall::ProxyMode::kTrue;
  // One userland proxy for every published port, on its own thread. With
  // --userland-proxy=false it only holds the ports.
  proxy::Options popts;
  popts.serve = cfg.userland_proxy != "false";
  // Proxy threads (default 0 = one per CPU, at most 8); a knob for measurements.
  if (const char* t = std::getenv("BERTH_PROXY_THREADS")) popts.threads = std::atoi(t);
  std::tie(popts.ephemeral_first, popts.ephemeral_last) = proxy::local_port_range();
  proxy::Proxy port_proxy(popts);
  engine::Engine engine(ecfg, **store, **nl, fw);

  // The embedded DNS: its upstreams are the daemon's --dns, else the
  // nameservers of --resolv-conf (loopback ones included), all contacted
  // from berthd's own namespace.
  dns::ServerConfig dcfg;
  dcfg.ttl = static_cast<uint32_t>(cfg.dns_ttl);
  dcfg.upstream_timeout_ms = cfg.dns_timeout_ms;
  dcfg.dead_hold_ms = cfg.dns_dead_time * 1000;
  dcfg.cache_entries = static_cast<size_t>(cfg.dns_cache_size);
  dcfg.max_concurrent = static_cast<size_t>(cfg.dns_max_concurrent);
  dcfg.firewall = cfg.iptables;
  if (!cfg.dns.empty()) {
    dcfg.upstreams = cfg.dns;
  } else {
    std::ifstream rf(cfg.resolv_conf);
    std::stringstream rs;
    rs << rf.rdbuf();
    for (const auto& s : runtime::resolv_conf_ext_servers(rs.str())) dcfg.upstreams.push_back(s.addr);
  }
  dns::Server dns_server(dcfg);
  if (auto st = dns_server.start(); !st.ok()) {
    spdlog::critical("embedded DNS: {}", st.error().message());
    return 1;
  }
  engine.set_dns(&dns_server);
  engine.set_proxy(&port_proxy);
  if (auto st = engine.start(); !st.ok()) {
    spdlog::critical("start: {}", st.error().message());
    return 1;
  }
  for (const auto& w : engine.warnings()) spdlog::warn("{}", w);

  const api::SystemFacts facts = static_facts(cfg);
  api::Router router(engine, [&] {
    api::SystemFacts f = facts;
    f.warnings = engine.warnings();
    return f;
  });

  fs::create_directories(fs::path(cfg.socket_path).parent_path(), ec);
  boost::asio::io_context io;
  http::UnixServer server(
      io, cfg.socket_path, [&](http::Request& r) { return router.handle(r); },
      [&](const http::Request& head) { return router.spool_dir(head); });
  if (auto st = server.start(); !st.ok()) {
    spdlog::critical("{}", st.error().message());
    return 1;
  }
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int sig) {
    spdlog::info("signal {}: shutting down", sig);
    server.stop();
    io.stop();
  });
  spdlog::info("berthd 0.1.0 listening on unix://{} (data root {})", cfg.socket_path,
               cfg.data_root);

  std::thread second([&] { io.run(); });
  io.run();
  second.join();
  engine.shutdown();  // the reaper may still tell the DNS server about exits
  dns_server.stop();
  spdlog::info("berthd stopped");
  return 0;
}

}  // namespace berth::daemon
