// The engine: the only orchestrator. It validates requests, writes the store
// (the source of truth) and derives kernel state from it — bridges through
// netlink, the `ip berth` table through the firewall — undoing each step when
// a later one fails, so a failed operation leaves nothing behind.
//
// Threading: every public method may be called from any thread; calls are
// serialised by one mutex (network changes are rare and short).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <set>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <thread>

#include "common/result.h"
#include "common/unique_fd.h"
#include "dns/server.h"
#include "engine/container_spec.h"
#include "firewall/firewall.h"
#include "ipam/ipam.h"
#include "netlink/netlink.h"
#include "proxy/proxy.h"
#include "store/records.h"
#include "store/store.h"

namespace berth::engine {

struct EngineConfig {
  std::string data_root;
  // --bip: the default bridge's gateway address and prefix.
  ipam::Prefix bip{ipam::Ipv4{(172u << 24) | (17u << 16) | 1u}, 16};
  std::vector<ipam::PoolSpec> default_pools = ipam::docker_default_pools();
  int mtu = 1500;           // default bridge only, as Docker
  bool iptables = true;     // false: no firewall rules at all
  bool ip_forward = true;   // turn net.ipv4.ip_forward on at start
  std::string resolv_conf = "/etc/resolv.conf";
  std::string default_bridge_name = "berth0";
  std::vector<std::string> dns;  // --dns: the embedded DNS's upstreams (later issue)
  // --userland-proxy: the nft shape for host-local clients (ports.cc).
  firewall::ProxyMode proxy_mode = firewall::ProxyMode::kTrue;
};

// HostConfig.PortBindings (and PublishAllPorts over Config.ExposedPorts) as
// the proxy's requests, in Docker's order (by port key). Docker's 400 texts
// for malformed entries. Pure (ports.cc).
Result<std::vector<proxy::Request>> port_requests(const nlohmann::json& config,
                                                  const nlohmann::json& host_config);

// POST /containers/create as the API decoded it: Docker's JSON, normalised
// (NetworkMode "default" → "bridge", the "default" endpoint key moved).
struct ContainerCreateRequest {
  std::string name;  // "" = a generated name
  // Ordered as the client sent them: inspect shows HostConfig as given.
  nlohmann::ordered_json config = nlohmann::ordered_json::object();
  nlohmann::ordered_json host_config = nlohmann::ordered_json::object();
  nlohmann::ordered_json endpoints_config = nlohmann::ordered_json::object();
};

struct ContainerCreated {
  std::string id;
  std::vector<std::string> warnings;
};

// What /wait waits for (Docker's WaitCondition).
enum class WaitCondition { kNotRunning, kNextExit, kRemoved };

struct ExitEvent {
  int exit_code = 0;
  std::string error;
};

// Called once, from the engine's reaper thread or the calling thread.
using WaitCallback = std::function<void(const ExitEvent&)>;

// A network create request as the API decoded it (Docker's CreateRequest).
struct NetworkCreateRequest {
  std::string name;
  std::string driver;  // "" = bridge
  std::string scope;
  bool internal = false;
  bool attachable = false;
  bool ingress = false;
  bool config_only = false;
  bool config_from = false;
  std::optional<bool> enable_ipv4;
  std::optional<bool> enable_ipv6;
  bool ipam_given = false;
  std::string ipam_driver;
  std::map<std::string, std::string> ipam_options;
  std::vector<ipam::ConfigRequest> ipam_config;
  std::map<std::string, std::string> options;
  std::map<std::string, std::string> labels;
};

class Engine {
 public:
  Engine(EngineConfig cfg, store::SqliteStore& store, netlink::Netlink& nl,
         firewall::Firewall& fw);

  // Creates the predefined networks when missing and reconciles the kernel
  // with the store: recreates missing bridges, deletes links marked
  // "berth:<id>" that the store does not know, renders the nft table.
  Status start();

  Result<store::NetworkRecord> create_network(const NetworkCreateRequest& req);

  // Docker's lookup: full id, then exact name, then unique id prefix.
  Result<store::NetworkRecord> find_network(const std::string& term);
  Result<std::vector<store::NetworkRecord>> list_networks();
  Status remove_network(const std::string& term);

  // Removes every user-defined network without endpoints for which `select`
  // returns true; returns the names removed.
  Result<std::vector<std::string>> prune_networks(
      const std::function<bool(const store::NetworkRecord&)>& select);

  // ---- containers ----

  // Docker's create: validates what Docker validates at create, writes the
  // record (status "created"); no kernel object, allocation or process.
  Result<ContainerCreated> create_container(const ContainerCreateRequest& req);

  // Docker's lookup: full id, exact name (with or without '/'), unique id
  // prefix. Not found: NotFound "No such container: X".
  Result<store::ContainerRecord> find_container(const std::string& term);
  Result<std::vector<store::ContainerRecord>> list_containers();
  Result<std::vector<store::EndpointRecord>> endpoints_of(const std::string& container_id);

  // Starts a created or exited container: netns → endpoints → files →
  // process, undone in reverse on failure (the record stays as it was).
  // Returns false when it was already running (HTTP 304).
  Result<bool> start_container(const std::string& term);

  // Sends a signal to a running container's command. Conflict when it is
  // not running.
  Status kill_container(const std::string& term, int sig);

  // The stop signal (Config.StopSignal or SIGTERM) and timeout (seconds) a
  // stop should use; `running` false means there is nothing to stop.
  struct StopPlan {
    std::string id;
    bool running = false;
    int signal = 15;
    int timeout = 10;
  };
  Result<StopPlan> stop_plan(const std::string& term, std::optional<int> timeout,
                             const std::string& signal);

  // Removes a container that is not running (Conflict with Docker's message
  // when it runs). The API kills and waits first for `rm -f`.
  Status remove_container(const std::string& term);

  // Registers a callback for the condition. Returns the event at once (and
  // registers nothing) when it is already met (not-running while stopped).
  Result<std::optional<ExitEvent>> add_waiter(const std::string& term, WaitCondition cond,
                                              WaitCallback cb);

  // Resizes a running container's tty.
  Status resize_container(const std::string& term, int rows, int cols);

  // ---- connect / disconnect / rename / top (connect.cc, top.cc) ----

  // `docker network connect`: a running container gets a new interface
  // (address, veth, default route by Docker's order, /etc/hosts line) at
  // once; a stopped one only records the request. Docker's errors; a failure
  // leaves nothing behind.
  // `endpoint_config` is the client's EndpointConfig (Aliases, IPAMConfig,
  // MacAddress, GwPriority ...).
  Status connect_network(const std::string& net_term, const std::string& ctr_term,
                         const nlohmann::ordered_json& endpoint_config);
  // `docker network disconnect [-f]`.
  Status disconnect_network(const std::string& net_term, const std::string& ctr_term, bool force);

  // A network's active endpoints with their containers (inspect's Containers).
  struct NetworkAttachment {
    store::EndpointRecord endpoint;
    std::string container_name;
  };
  Result<std::vector<NetworkAttachment>> network_attachments(const std::string& network_id);

  // `docker rename`: Docker's errors (empty, same name, invalid, in use).
  Status rename_container(const std::string& term, const std::string& new_name);

  // `docker top`: `ps ps_args` on the host, rows of the container's processes.
  struct TopResult {
    std::vector<std::string> titles;
    std::vector<std::vector<std::string>> processes;
  };
  Result<TopResult> top_container(const std::string& term, const std::string& ps_args);

  // ---- images (images.cc) ----

  // `docker import`: a root file system tar (optionally compressed) at
  // `archive_path` becomes a one-layer image tagged `repo_tag` ("" = none).
  // Returns the image id. Nothing is left behind on error.
  struct ImportRequest {
    std::string archive_path;
    std::string repo_tag;  // NAME[:TAG] as given
    std::vector<std::string> changes;
    std::string message;
    std::string source = "-";
  };
  Result<std::string> import_image(const ImportRequest& req);

  // `docker load`: the images of a `docker save` archive. `lines` receives
  // what dockerd streams ("Loaded image: x:1", "Loaded image ID: sha256:…",
  // the renaming notes); `progress(layer, done, total)` is called while a
  // layer is extracted. All or nothing: a bad archive leaves no image.
  using LayerProgress = std::function<void(const std::string& layer, uint64_t done, uint64_t total)>;
  Status load_images(const std::string& archive_path, std::vector<std::string>& lines,
                     const LayerProgress& progress = {});

  // Docker's lookup: name[:tag], full id (with or without sha256:), unique
  // id prefix. NotFound "No such image: ubuntu:latest".
  Result<store::ImageRecord> find_image(const std::string& term);
  Result<std::vector<store::ImageRecord>> list_images();
  // Number of containers (any state) created from each image id.
  std::map<std::string, int> image_usage();

  // `docker rmi`: Docker's untag/delete rules and conflict messages.
  struct ImageDeleteItem {
    std::string untagged;
    std::string deleted;
  };
  Result<std::vector<ImageDeleteItem>> remove_image(const std::string& term, bool force);
  // `docker tag SOURCE TARGET`.
  Status tag_image(const std::string& source, const std::string& target);

  // <data-root>/images/<hex>: layers/0 … layers/N-1.
  std::string image_dir(const std::string& id) const;

  // Stops the reaper thread; running containers keep running (live restore).
  void shutdown();
  ~Engine();

  // Published ports (ports.cc). The proxy holds every host port; without one
  // (unit tests) ports are not published. Call before start().
  void set_proxy(proxy::Proxy* p) { proxy_ = p; }
  Result<std::vector<store::PortRecord>> ports_of(const std::string& container_id);

  // Problems found at start or since, for /info's Warnings.
  std::vector<std::string> warnings();

  const EngineConfig& config() const { return cfg_; }

  // The embedded DNS server (dns_sync.cc); set before start(), may be null
  // (unit tests). The engine tells it about every membership change.
  void set_dns(dns::Server* dns) { dns_ = dns; }

 private:
  Status ensure_predefined();
  Status reconcile_links();
  Status apply_firewall();
  Status create_bridge_for(const store::NetworkRecord& n);
  // `id` is the new network's ID, named in conflict messages as dockerd does.
  Result<store::NetworkRecord> build_bridge_network(const NetworkCreateRequest& req,
                                                    const std::string& id);
  Result<store::NetworkRecord> find_locked(const std::string& term);
  std::vector<ipam::Prefix> reserved_prefixes();

  // Containers (containers.cc, container_start.cc, reaper.cc).
  Result<store::ContainerRecord> find_container_locked(const std::string& term);
  Status reconcile_containers();
  Status start_locked(store::ContainerRecord& c);
  void teardown_network_locked(const store::ContainerRecord& c);
  // Ports (ports.cc): reserve before kernel objects, then program and serve.
  Result<std::unique_ptr<proxy::Reservation>> reserve_ports_locked(const ContainerSpec& s,
                                                                   const nlohmann::json& config,
                                                                   const nlohmann::json& host_config,
                                                                   const std::string& ep_name,
                                                                   const std::string& ep_id,
                                                                   const std::string& container_ip);
  Status publish_ports_locked(const store::ContainerRecord& c,
                              std::unique_ptr<proxy::Reservation> r,
                              const std::string& container_ip,
                              std::vector<std::function<void()>>& undo);
  void unpublish_ports_locked(const std::string& container_id);
  void restore_ports_locked();
  std::string bundle_dir(const std::string& id) const;
  void clear_image_staging();
  Result<store::ImageRecord> find_image_locked(const std::string& term);
  void release_image_dir_locked(const std::string& image_id);
  void watch(const store::ContainerRecord& c);
  void reaper_loop();
  void handle_exit(const std::string& id);
  void fire_waiters(const std::string& id, WaitCondition cond, const ExitEvent& ev);

  // Embedded DNS (dns_sync.cc): 127.0.0.11 in a container's netns, and the
  // names and gateway listeners rebuilt from the store after every change.
  Status dns_attach_locked(const store::ContainerRecord& c, const std::string& netns_path);
  void dns_detach_locked(const std::string& id);
  void dns_sync_locked();

  // Restart policies (restart.cc). decide_restart_locked runs in handle_exit
  // with the exited record: true when a restart is scheduled (the record is
  // then "restarting" with RestartCount + 1).
  bool decide_restart_locked(store::ContainerRecord& c, int64_t ran_nanos);
  RestartInput restart_input_locked(const store::ContainerRecord& c, const ContainerSpec& spec);
  void schedule_restart(const std::string& id, int delay_ms);
  void restart_loop();
  void restart_due(const std::string& id);
  void note_kill_locked(const store::ContainerRecord& c, int sig);
  void note_manual_start_locked(const std::string& id);
  void start_restart_policies();  // at daemon start: `always` & co
  void stop_restarts();
  // Rewrites a running container's /etc/hosts from its endpoints.
  void rewrite_hosts_locked(const store::ContainerRecord& c);

  EngineConfig cfg_;
  dns::Server* dns_ = nullptr;
  store::SqliteStore& store_;
  netlink::Netlink& nl_;
  firewall::Firewall& fw_;
  proxy::Proxy* proxy_ = nullptr;
  std::mutex mu_;
  std::vector<std::string> warnings_;

  struct Waiter {
    WaitCondition cond;
    WaitCallback cb;
  };
  std::mutex waiters_mu_;
  std::map<std::string, std::vector<Waiter>> waiters_;

  // The reaper: an epoll set of the shims' pidfds.
  UniqueFd epoll_;
  UniqueFd wake_;  // eventfd that ends the reaper
  std::mutex watched_mu_;
  std::map<int, std::pair<std::string, UniqueFd>> watched_;  // pidfd → (container id, fd)
  std::thread reaper_;

  // Restart manager state (restart.cc): Docker's backoff per container
  // (100 ms doubling, reset after 10 s up), containers whose next exit must
  // not restart them (ExitOnNext), and the timers.
  std::mutex restart_mu_;
  std::condition_variable restart_cv_;
  std::map<std::string, int> backoff_ms_;
  std::set<std::string> exit_on_next_;
  std::multimap<std::chrono::steady_clock::time_point, std::string> restart_due_;
  bool restart_stop_ = false;
  std::thread restarter_;
};

// Go's strconv.ParseBool: 1 t T TRUE true True 0 f F FALSE false False.
std::optional<bool> parse_go_bool(const std::string& s);

}  // namespace berth::engine
