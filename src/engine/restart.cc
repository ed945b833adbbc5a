// Restart policies, as dockerd's restart manager (restartmanager.go) and
// monitor (handleContainerExit):
//   no            never;
//   on-failure[:N] when the exit code is not 0 and RestartCount < N (N 0 =
//                 no limit);
//   always        always, and at daemon start even after a manual stop;
//   unless-stopped always, unless stopped by the user (stop/kill), which is
//                 remembered across daemon restarts.
// A stop or kill with the stop signal (or SIGKILL, or any signal when no
// StopSignal is configured) cancels the next restart (ExitOnNext). The delay
// starts at 100 ms and doubles up to a minute; it resets when the container
// ran for 10 s or more. While waiting the container is "restarting" and its
// RestartCount has grown by one. A start by the user resets the count and
// the manual-stop flag.
#include <signal.h>

#include <spdlog/spdlog.h>

#include "common/go_json.h"
#include "engine/engine.h"
#include "runtime/runtime.h"

namespace berth::engine {
namespace {

constexpr int kFirstDelayMs = 100;
constexpr int kMaxDelayMs = 60 * 1000;
constexpr int64_t kResetAfterNanos = 10'000'000'000;

std::optional<ContainerSpec> spec_of(const store::ContainerRecord& c) {
  auto spec = spec_from_docker(nlohmann::json::parse(c.config_json),
                               nlohmann::json::parse(c.host_config_json),
                               nlohmann::json::parse(c.networking_json));
  if (!spec.ok()) return std::nullopt;
  return *spec;
}

// Signal number of a Config.StopSignal ("SIGTERM", "TERM", "15"), 0 if unknown.
int signal_number(const std::string& s) {
  if (s.empty()) return 0;
  if (std::all_of(s.begin(), s.end(), ::isdigit)) return std::stoi(s);
  std::string n = s;
  for (auto& ch : n) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  if (n.rfind("SIG", 0) == 0) n = n.substr(3);
  for (int i = 1; i < 65; ++i) {
    const char* abbrev = sigabbrev_np(i);
    if (abbrev && n == abbrev) return i;
  }
  return 0;
}

}  // namespace

bool should_restart(const RestartInput& in, int& delay_ms) {
  if (in.policy.empty() || in.policy == "no") return false;
  if (in.ran_nanos >= kResetAfterNanos) delay_ms = 0;
  if (delay_ms == 0) {
    delay_ms = kFirstDelayMs;
  } else if (delay_ms < kMaxDelayMs) {
    delay_ms = std::min(delay_ms * 2, kMaxDelayMs);
  }
  if (in.policy == "always") return true;
  if (in.policy == "unless-stopped") return !in.manually_stopped;
  if (in.policy == "on-failure") {
    return in.exit_code != 0 && (in.max_retries == 0 || in.restart_count < in.max_retries);
  }
  return false;
}

// What should_restart needs of a container after an exit (the manual-stop
// flag from the store).
RestartInput Engine::restart_input_locked(const store::ContainerRecord& c,
                                          const ContainerSpec& spec) {
  auto manual = store_.manually_stopped(c.id);
  RestartInput in;
  in.policy = spec.restart_policy;
  in.max_retries = spec.restart_max;
  in.exit_code = c.exit_code;
  in.restart_count = c.restart_count;
  in.manually_stopped = manual.ok() && *manual;
  return in;
}

bool Engine::decide_restart_locked(store::ContainerRecord& c, int64_t ran_nanos) {
  auto spec = spec_of(c);
  if (!spec || spec->restart_policy.empty() || spec->restart_policy == "no") return false;
  RestartInput in = restart_input_locked(c, *spec);
  in.ran_nanos = ran_nanos;
  int delay = 0;
  bool restart = false;
  {
    std::lock_guard rl(restart_mu_);
    if (exit_on_next_.erase(c.id)) return false;  // stopped or killed by the user
    restart = should_restart(in, backoff_ms_[c.id]);
    delay = backoff_ms_[c.id];
  }
  if (!restart) return false;
  const std::string& p = spec->restart_policy;
  c.restart_count++;
  c.status = "restarting";
  spdlog::info("container {} ({}) exited with {}: restart policy {}, restart {} in {} ms", c.name,
               c.id.substr(0, 12), c.exit_code, p, c.restart_count, delay);
  schedule_restart(c.id, delay);
  return true;
}

void Engine::schedule_restart(const std::string& id, int delay_ms) {
  std::lock_guard rl(restart_mu_);
  restart_due_.emplace(std::chrono::steady_clock::now() + std::chrono::milliseconds(delay_ms), id);
  if (!restarter_.joinable() && !restart_stop_) {
    restarter_ = std::thread([this] { restart_loop(); });
  }
  restart_cv_.notify_all();
}

void Engine::restart_loop() {
  std::unique_lock l(restart_mu_);
  while (!restart_stop_) {
    if (restart_due_.empty()) {
      restart_cv_.wait(l);
      continue;
    }
    auto it = restart_due_.begin();
    if (it->first > std::chrono::steady_clock::now()) {
      restart_cv_.wait_until(l, it->first);
      continue;
    }
    const std::string id = it->second;
    restart_due_.erase(it);
    l.unlock();
    restart_due(id);
    l.lock();
  }
}

void Engine::restart_due(const std::string& id) {
  store::ContainerRecord c;
  {
    std::lock_guard lock(mu_);
    auto got = store_.get_container(id);
    if (!got.ok() || !got->has_value()) return;  // removed meanwhile
    c = **got;
    if (c.status != "restarting") return;  // stopped or started by the user meanwhile
    auto st = start_locked(c);
    if (!st.ok()) {
      // Docker leaves it stopped with the error recorded; no more tries.
      auto now = store_.get_container(id);
      store::ContainerRecord failed = now.ok() && now->has_value() ? **now : c;
      failed.status = "exited";
      failed.error = st.error().message();
      (void)store_.update_container(failed);
      spdlog::error("container {}: restart failed: {}", c.name, st.error().message());
      return;
    }
  }
  watch(c);
}

void Engine::note_kill_locked(const store::ContainerRecord& c, int sig) {
  (void)store_.set_manually_stopped(c.id, true);
  auto spec = spec_of(c);
  const int stop_sig = spec ? signal_number(spec->stop_signal) : 0;
  const bool exit_on_next = sig == SIGKILL || stop_sig == 0 || stop_sig == sig;
  {
    std::lock_guard rl(restart_mu_);
    if (exit_on_next && c.status == "running") exit_on_next_.insert(c.id);
    for (auto it = restart_due_.begin(); it != restart_due_.end();) {
      it = it->second == c.id ? restart_due_.erase(it) : std::next(it);
    }
  }
  if (c.status == "restarting") {
    store::ContainerRecord stopped = c;
    stopped.status = "exited";
    (void)store_.update_container(stopped);
  }
}

void Engine::note_manual_start_locked(const std::string& id) {
  (void)store_.set_manually_stopped(id, false);
  std::lock_guard rl(restart_mu_);
  exit_on_next_.erase(id);
  backoff_ms_.erase(id);
  for (auto it = restart_due_.begin(); it != restart_due_.end();) {
    it = it->second == id ? restart_due_.erase(it) : std::next(it);
  }
}

void Engine::start_restart_policies() {
  std::vector<store::ContainerRecord> started;
  {
    std::lock_guard lock(mu_);
    auto all = store_.list_containers();
    if (!all.ok()) return;
    for (auto c : *all) {
      if (c.status != "exited" && c.status != "restarting") continue;
      {
        // An exit found at this start (watch) already has its restart
        // decided by this berthd (queued, or being started by the restarter).
        std::lock_guard rl(restart_mu_);
        if (c.status == "restarting" && backoff_ms_.count(c.id)) continue;
      }
      auto spec = spec_of(c);
      if (!spec) continue;
      int unused_delay = 0;
      const bool restart = should_restart(restart_input_locked(c, *spec), unused_delay);
      const std::string& p = spec->restart_policy;
      if (!restart) {
        if (c.status == "restarting") {
          c.status = "exited";
          (void)store_.update_container(c);
        }
        continue;
      }
      // dockerd starts these as a user's start would: count and flag reset.
      note_manual_start_locked(c.id);
      c.restart_count = 0;
      spdlog::info("daemon start: restarting container {} ({}), policy {}", c.name,
                   c.id.substr(0, 12), p);
      if (auto st = start_locked(c); !st.ok()) {
        spdlog::error("container {}: start at daemon start failed: {}", c.name,
                      st.error().message());
        continue;
      }
      started.push_back(c);
    }
  }
  for (const auto& c : started) watch(c);
}

void Engine::stop_restarts() {
  {
    std::lock_guard rl(restart_mu_);
    restart_stop_ = true;
    restart_cv_.notify_all();
  }
  if (restarter_.joinable()) restarter_.join();
}

}  // namespace berth::engine
