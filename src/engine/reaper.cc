// Watching containers end. Each running container's shim has a pidfd in one
// epoll set; the reaper thread wakes when a shim exits (it writes exit.json
// first), records the exit, releases the container's network (endpoints,
// addresses, namespace) and fires the waiters. On start, containers that
// ran before a restart of berthd are re-adopted the same way (live restore).
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <filesystem>
#include <set>

#include <spdlog/spdlog.h>

#include "common/go_json.h"
#include "engine/engine.h"
#include "runtime/runtime.h"

namespace berth::engine {

namespace fs = std::filesystem;

void Engine::watch(const store::ContainerRecord& c) {
  auto fd = runtime::open_pidfd(c.shim_pid, static_cast<uint64_t>(c.shim_start_time));
  if (!fd.ok()) {
    // The shim is already gone: the exit is recorded right away.
    handle_exit(c.id);
    return;
  }
  const int raw = fd->get();
  {
    std::lock_guard wl(watched_mu_);
    watched_[raw] = {c.id, std::move(*fd)};
  }
  struct epoll_event ev {};
  ev.events = EPOLLIN;
  ev.data.fd = raw;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, raw, &ev) != 0) {
    spdlog::error("watch container {}: epoll_ctl: {}", c.id.substr(0, 12), strerror(errno));
  }
}

void Engine::reaper_loop() {
  for (;;) {
    struct epoll_event evs[16];
    int n = ::epoll_wait(epoll_.get(), evs, 16, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      spdlog::error("reaper: epoll_wait: {}", strerror(errno));
      return;
    }
    for (int i = 0; i < n; ++i) {
      const int fd = evs[i].data.fd;
      if (fd == wake_.get()) return;
      std::string id;
      {
        std::lock_guard wl(watched_mu_);
        auto it = watched_.find(fd);
        if (it == watched_.end()) continue;
        id = it->second.first;
        ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
        watched_.erase(it);  // closes the pidfd
      }
      handle_exit(id);
    }
  }
}

void Engine::handle_exit(const std::string& id) {
  ExitEvent ev;
  bool remove = false;
  {
    std::lock_guard lock(mu_);
    auto got = store_.get_container(id);
    if (!got.ok() || !got->has_value()) return;
    store::ContainerRecord c = **got;
    if (c.status != "running") return;
    auto exit = runtime::read_exit(bundle_dir(id));
    if (exit) {
      c.exit_code = exit->exit_code;
      c.finished_at = exit->finished_at_nanos;
    } else {
      // The shim died without recording the exit (killed itself): Docker
      // reports such a task as exit 255.
      c.exit_code = 255;
      c.finished_at = now_nanos();
      c.error = "the container's shim exited without recording the exit status";
      if (runtime::alive(c.pid, static_cast<uint64_t>(c.pid_start_time))) {
        (void)runtime::kill(c.pid, static_cast<uint64_t>(c.pid_start_time), SIGKILL);
      }
    }
    teardown_network_locked(c);
    c.status = "exited";
    c.pid = 0;
    c.pid_start_time = 0;
    c.shim_pid = 0;
    c.shim_start_time = 0;
    c.netns_path.clear();
    const bool restarting = decide_restart_locked(c, c.finished_at - c.started_at);
    if (auto st = store_.update_container(c); !st.ok()) {
      spdlog::error("container {}: record exit: {}", c.name, st.error().message());
    }
    dns_detach_locked(id);
    dns_sync_locked();
    spdlog::info("container {} ({}) exited with {}", c.name, id.substr(0, 12), c.exit_code);
    ev.exit_code = c.exit_code;
    ev.error = c.error;
    auto spec = spec_from_docker(nlohmann::json::parse(c.config_json),
                                 nlohmann::json::parse(c.host_config_json),
                                 nlohmann::json::parse(c.networking_json));
    remove = spec.ok() && spec->auto_remove && !restarting;
  }
  fire_waiters(id, WaitCondition::kNextExit, ev);
  if (remove) (void)remove_container(id);
}

Status Engine::reconcile_containers() {
  auto all = store_.list_containers();
  if (!all.ok()) return all.error();
  std::set<std::string> netns_in_use;
  for (const auto& c : *all) {
    if (c.status != "running") continue;
    if (runtime::alive(c.shim_pid, static_cast<uint64_t>(c.shim_start_time))) {
      spdlog::info("re-adopting container {} ({}), pid {}", c.name, c.id.substr(0, 12), c.pid);
      if (!c.netns_path.empty()) netns_in_use.insert(fs::path(c.netns_path).filename());
      continue;  // watched once the reaper runs
    }
  }
  // Network namespaces of containers that are no longer running.
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(cfg_.data_root + "/netns", ec)) {
    const std::string name = entry.path().filename();
    bool running = netns_in_use.count(name) > 0;
    for (const auto& c : *all) {
      if (c.id == name && c.status == "running") running = true;
    }
    if (!running) {
      spdlog::info("reconcile: removing stale network namespace {}", entry.path().string());
      (void)runtime::remove_netns(entry.path());
    }
  }
  return ok_status();
}

void Engine::shutdown() {
  stop_restarts();
  if (reaper_.joinable()) {
    uint64_t one = 1;
    if (::write(wake_.get(), &one, sizeof one) < 0) spdlog::warn("reaper wake: {}", strerror(errno));
    reaper_.join();
  }
}

Engine::~Engine() { shutdown(); }

}  // namespace berth::engine
