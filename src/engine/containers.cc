// Container records: create (what Docker validates at create), lookup,
// removal, signals, and the waiters behind /wait, stop and rm -f.
#include <signal.h>

#include <filesystem>
#include <regex>

#include <spdlog/spdlog.h>

#include "common/go_json.h"
#include "common/random_id.h"
#include "engine/engine.h"
#include "engine/names.h"
#include "runtime/runtime.h"

namespace berth::engine {
namespace {

namespace fs = std::filesystem;

// The built-in image: the host's own file system.
bool is_host_image(const std::string& image) { return image == "host" || image == "host:latest"; }

constexpr const char* kHostImageId =
    "sha256:0000000000000000000000000000000000000000000000000000000000000000";

// Signal names as Docker accepts them: "TERM", "SIGTERM", "15".
std::optional<int> parse_signal(const std::string& s) {
  if (s.empty()) return std::nullopt;
  if (std::all_of(s.begin(), s.end(), ::isdigit)) {
    int n = std::stoi(s);
    if (n > 0 && n < 65) return n;
    return std::nullopt;
  }
  std::string n = s;
  for (auto& c : n) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (n.rfind("SIG", 0) == 0) n = n.substr(3);
  static const std::pair<const char*, int> kSignals[] = {
      {"HUP", SIGHUP},   {"INT", SIGINT},   {"QUIT", SIGQUIT}, {"ILL", SIGILL},
      {"TRAP", SIGTRAP}, {"ABRT", SIGABRT}, {"BUS", SIGBUS},   {"FPE", SIGFPE},
      {"KILL", SIGKILL}, {"USR1", SIGUSR1}, {"SEGV", SIGSEGV}, {"USR2", SIGUSR2},
      {"PIPE", SIGPIPE}, {"ALRM", SIGALRM}, {"TERM", SIGTERM}, {"CHLD", SIGCHLD},
      {"CONT", SIGCONT}, {"STOP", SIGSTOP}, {"TSTP", SIGTSTP}, {"TTIN", SIGTTIN},
      {"TTOU", SIGTTOU}, {"URG", SIGURG},   {"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ},
      {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH}, {"IO", SIGIO},
      {"PWR", SIGPWR},   {"SYS", SIGSYS}};
  for (const auto& [name, num] : kSignals) {
    if (n == name) return num;
  }
  return std::nullopt;
}

// moby daemon/commit.go merge(): what the request leaves empty comes from
// the image's config.
void merge_image_config(nlohmann::ordered_json& user, const store::ImageRecord& img) {
  auto blob = nlohmann::ordered_json::parse(img.config, nullptr, false);
  if (!blob.is_object() || !blob.contains("config") || !blob["config"].is_object()) return;
  const auto& ic = blob["config"];
  auto empty = [&](const char* k) {
    return !user.contains(k) || user[k].is_null() || (user[k].is_string() && user[k].get<std::string>().empty()) ||
           ((user[k].is_array() || user[k].is_object()) && user[k].empty());
  };
  auto has = [&](const char* k) { return ic.contains(k) && !ic[k].is_null(); };
  if (empty("User") && has("User")) user["User"] = ic["User"];
  if (has("ExposedPorts") && ic["ExposedPorts"].is_object()) {
    if (empty("ExposedPorts")) user["ExposedPorts"] = nlohmann::ordered_json::object();
    for (auto it = ic["ExposedPorts"].begin(); it != ic["ExposedPorts"].end(); ++it) {
      if (!user["ExposedPorts"].contains(it.key())) user["ExposedPorts"][it.key()] = it.value();
    }
  }
  if (has("Env") && ic["Env"].is_array()) {
    if (empty("Env")) {
      user["Env"] = ic["Env"];
    } else {
      for (const auto& e : ic["Env"]) {
        if (!e.is_string()) continue;
        const std::string s = e.get<std::string>();
        const std::string key = s.substr(0, s.find('='));
        bool present = false;
        for (const auto& u : user["Env"]) {
          if (u.is_string() && u.get<std::string>().substr(0, u.get<std::string>().find('=')) == key) present = true;
        }
        if (!present) user["Env"].push_back(s);
      }
    }
  }
  if (has("Labels") && ic["Labels"].is_object()) {
    if (!user.contains("Labels") || !user["Labels"].is_object()) user["Labels"] = nlohmann::ordered_json::object();
    for (auto it = ic["Labels"].begin(); it != ic["Labels"].end(); ++it) {
      if (!user["Labels"].contains(it.key())) user["Labels"][it.key()] = it.value();
    }
  }
  if (empty("Entrypoint")) {
    if (empty("Cmd") && has("Cmd")) user["Cmd"] = ic["Cmd"];
    if ((!user.contains("Entrypoint") || user["Entrypoint"].is_null()) && has("Entrypoint")) {
      user["Entrypoint"] = ic["Entrypoint"];
    }
  }
  if (empty("WorkingDir") && has("WorkingDir")) user["WorkingDir"] = ic["WorkingDir"];
  if (empty("StopSignal") && has("StopSignal")) user["StopSignal"] = ic["StopSignal"];
}

}  // namespace

std::string Engine::bundle_dir(const std::string& id) const {
  return cfg_.data_root + "/containers/" + id;
}

Result<ContainerCreated> Engine::create_container(const ContainerCreateRequest& req) {
  ContainerCreated out;
  // The image: the built-in `host`, or an imported one whose config fills
  // what the request left empty. A 404 here makes the docker CLI try to
  // pull, which berth refuses with guidance.
  nlohmann::ordered_json config = req.config;
  std::string image_id = kHostImageId;
  if (config.contains("Image") && config["Image"].is_string() &&
      !config["Image"].get<std::string>().empty() &&
      !is_host_image(config["Image"].get<std::string>())) {
    auto img = find_image(config["Image"].get<std::string>());
    if (!img.ok()) return img.error();
    merge_image_config(config, *img);
    image_id = img->id;
  }
  auto spec = spec_from_docker(nlohmann::json::parse(config.dump()),
                               nlohmann::json::parse(req.host_config.dump()),
                               nlohmann::json::parse(req.endpoints_config.dump()));
  if (!spec.ok()) return spec.error();
  if (spec->image.empty()) return invalid_argument("no image specified");
  if (spec->entrypoint.empty() && spec->cmd.empty()) {
    return invalid_argument("no command specified");
  }
  BERTH_TRY(validate_at_create(*spec));
  // Malformed PortBindings fail at create, as dockerd's validation does.
  if (auto pr = port_requests(nlohmann::json::parse(req.config.dump()),
                              nlohmann::json::parse(req.host_config.dump()));
      !pr.ok()) {
    return pr.error();
  }
  if (auto caps = runtime::effective_capabilities(spec->cap_add, spec->cap_drop, spec->privileged);
      !caps.ok()) {
    return caps.error();
  }
  if (!spec->stop_signal.empty() && !parse_signal(spec->stop_signal)) {
    return invalid_argument("Invalid signal: " + spec->stop_signal);
  }
  static const std::regex kName("^/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$");
  std::string name = req.name;
  if (!name.empty()) {
    if (!std::regex_match(name, kName)) {
      return invalid_argument("Invalid container name (" + name +
                              "), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
    }
    if (name[0] == '/') name = name.substr(1);
  }
  if (spec->is_host() && spec->publishes_ports) {
    out.warnings.push_back("Published ports are discarded when using host network mode");
  }

  std::lock_guard lock(mu_);
  // Networks named by the request must exist at start, not at create (the
  // docker CLI would take a 404 here for a missing image and try to pull);
  // what can be checked now is whether --ip suits the network.
  for (const auto& e : spec->endpoints) {
    if (e.ipv4.empty()) continue;
    auto ip = ipam::parse_ipv4(e.ipv4);
    if (!ip) {
      return invalid_argument("invalid endpoint settings:\ninvalid IPv4 address: " + e.ipv4);
    }
    auto n = find_locked(e.network);
    if (!n.ok()) continue;  // reported at start
    if (!n->subnet_from_user) {
      return invalid_argument(
          "invalid endpoint settings:\nuser specified IP address is supported only when "
          "connecting to networks with user configured subnets");
    }
    auto subnet = ipam::parse_cidr(n->subnet);
    if (subnet && !subnet->contains(*ip)) {
      return invalid_argument(
          "invalid endpoint settings:\nno configured subnet or ip-range contain the IP address " +
          e.ipv4);
    }
  }

  store::ContainerRecord c;
  c.id = random_id();
  c.created = now_nanos();
  c.image = spec->image;
  c.image_id = image_id;
  c.network_mode = spec->network_mode;
  c.hostname = spec->hostname;
  if (c.hostname.empty()) {
    if (spec->is_host()) {
      char host[256] = {};
      ::gethostname(host, sizeof host - 1);
      c.hostname = host;
    } else if (!spec->is_container_mode()) {
      c.hostname = c.id.substr(0, 12);
    }
  }
  config["Hostname"] = c.hostname;
  // The image's environment first, the user's entries override by key.
  std::vector<std::string> env = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"};
  for (const auto& e : spec->env) {
    const std::string key = e.substr(0, e.find('='));
    auto it = std::find_if(env.begin(), env.end(),
                           [&](const std::string& x) { return x.substr(0, x.find('=')) == key; });
    if (it != env.end()) *it = e;
    else env.push_back(e);
  }
  config["Env"] = env;
  c.config_json = config.dump();
  c.host_config_json = req.host_config.dump();
  c.networking_json = req.endpoints_config.dump();

  if (name.empty()) {
    for (int retry = 0; retry < 10; ++retry) {
      c.name = generate_name(retry);
      if (store_.insert_container(c).ok()) {
        out.id = c.id;
        return out;
      }
    }
    return internal_error("could not generate a unique container name");
  }
  c.name = name;
  BERTH_TRY(store_.insert_container(c));
  out.id = c.id;
  spdlog::info("container {} ({}) created", c.name, c.id.substr(0, 12));
  return out;
}

Result<store::ContainerRecord> Engine::find_container_locked(const std::string& term) {
  auto all = store_.list_containers();
  if (!all.ok()) return all.error();
  const std::string name = !term.empty() && term[0] == '/' ? term.substr(1) : term;
  std::vector<const store::ContainerRecord*> by_prefix;
  for (const auto& c : *all) {
    if (c.id == term) return c;
    if (c.name == name) return c;
    if (!term.empty() && c.id.rfind(term, 0) == 0) by_prefix.push_back(&c);
  }
  if (by_prefix.size() == 1) return *by_prefix.front();
  if (by_prefix.size() > 1) {
    return invalid_argument("multiple IDs found with provided prefix: " + term);
  }
  return not_found("No such container: " + term);
}

Result<store::ContainerRecord> Engine::find_container(const std::string& term) {
  std::lock_guard lock(mu_);
  return find_container_locked(term);
}

Result<std::vector<store::ContainerRecord>> Engine::list_containers() {
  std::lock_guard lock(mu_);
  return store_.list_containers();
}

Result<std::vector<store::EndpointRecord>> Engine::endpoints_of(const std::string& container_id) {
  auto all = store_.list_endpoints();
  if (!all.ok()) return all.error();
  std::vector<store::EndpointRecord> out;
  for (auto& e : *all) {
    if (e.container_id == container_id) out.push_back(std::move(e));
  }
  return out;
}

Status Engine::kill_container(const std::string& term, int sig) {
  std::lock_guard lock(mu_);
  auto c = find_container_locked(term);
  if (!c.ok()) return c.error();
  if (c->status != "running") {
    return conflict("cannot kill container: " + term + ": container " + c->id +
                    " is not running");
  }
  note_kill_locked(*c, sig);  // restart policies: a manual stop
  auto st = runtime::kill(c->pid, static_cast<uint64_t>(c->pid_start_time), sig);
  if (!st.ok() && st.error().kind() == ErrorKind::kNotFound) {
    return conflict("cannot kill container: " + term + ": container " + c->id +
                    " is not running");
  }
  return st;
}

Result<Engine::StopPlan> Engine::stop_plan(const std::string& term, std::optional<int> timeout,
                                           const std::string& signal) {
  std::lock_guard lock(mu_);
  auto c = find_container_locked(term);
  if (!c.ok()) return c.error();
  if (c->status == "restarting") note_kill_locked(*c, SIGKILL);  // cancels the restart
  StopPlan p;
  p.id = c->id;
  p.running = c->status == "running";
  auto spec = spec_from_docker(nlohmann::json::parse(c->config_json),
                               nlohmann::json::parse(c->host_config_json),
                               nlohmann::json::parse(c->networking_json));
  std::string sig = signal;
  if (sig.empty() && spec.ok()) sig = spec->stop_signal;
  if (!sig.empty()) {
    auto n = parse_signal(sig);
    if (!n) return invalid_argument("Invalid signal: " + sig);
    p.signal = *n;
  }
  if (timeout) {
    p.timeout = *timeout;
  } else if (spec.ok() && spec->stop_timeout >= 0) {
    p.timeout = spec->stop_timeout;
  }
  return p;
}

Status Engine::remove_container(const std::string& term) {
  store::ContainerRecord c;
  {
    std::lock_guard lock(mu_);
    auto found = find_container_locked(term);
    if (!found.ok()) return found.error();
    c = *found;
    if (c.status == "running") {
      return conflict("cannot remove container \"/" + c.name +
                      "\": container is running: stop the container before removing or force "
                      "remove");
    }
    BERTH_TRY(store_.delete_container(c.id));
    std::error_code ec;
    fs::remove_all(bundle_dir(c.id), ec);  // with the writable layer of an imported image
    if (ec) spdlog::warn("remove {}: {}", bundle_dir(c.id), ec.message());
    if (c.image_id != kHostImageId) release_image_dir_locked(c.image_id);
  }
  spdlog::info("container {} ({}) removed", c.name, c.id.substr(0, 12));
  fire_waiters(c.id, WaitCondition::kRemoved, ExitEvent{c.exit_code, ""});
  return ok_status();
}

Result<std::optional<ExitEvent>> Engine::add_waiter(const std::string& term, WaitCondition cond,
                                                    WaitCallback cb) {
  std::lock_guard lock(mu_);
  auto c = find_container_locked(term);
  if (!c.ok()) return c.error();
  if (cond == WaitCondition::kNotRunning && c->status != "running") {
    return std::optional<ExitEvent>(ExitEvent{c->exit_code, ""});
  }
  std::lock_guard wl(waiters_mu_);
  waiters_[c->id].push_back(Waiter{cond, std::move(cb)});
  return std::optional<ExitEvent>();
}

void Engine::fire_waiters(const std::string& id, WaitCondition cond, const ExitEvent& ev) {
  std::vector<Waiter> fire;
  {
    std::lock_guard wl(waiters_mu_);
    auto it = waiters_.find(id);
    if (it == waiters_.end()) return;
    auto& list = it->second;
    for (auto w = list.begin(); w != list.end();) {
      // An exit satisfies not-running and next-exit; removal satisfies all.
      const bool match = cond == WaitCondition::kRemoved || w->cond != WaitCondition::kRemoved;
      if (match) {
        fire.push_back(std::move(*w));
        w = list.erase(w);
      } else {
        ++w;
      }
    }
    if (list.empty()) waiters_.erase(it);
  }
  for (auto& w : fire) w.cb(ev);
}

Status Engine::resize_container(const std::string& term, int rows, int cols) {
  std::string dir;
  {
    std::lock_guard lock(mu_);
    auto c = find_container_locked(term);
    if (!c.ok()) return c.error();
    if (c->status != "running") {
      return conflict("cannot resize container " + c->id + ": container is not running");
    }
    dir = bundle_dir(c->id);
  }
  return runtime::resize(dir, rows, cols);
}

}  // namespace berth::engine
