// `berth inspect` (any object, docker's generic inspect) and `berth
// container inspect`, as cli/command/system/inspect.go and
// cli/command/container/inspect.go in docker 28.2.2. Without a template
// the raw bodies are printed inside "[" "]", re-indented, as docker does;
// a template is tried on the typed object first (Go field names, integer
// numbers), then on the raw map with missingkey=error.
#include <ostream>

#include "cli/command.h"
#include "cli/go_template.h"
#include "cli/inspector.h"
#include "cli/json_text.h"
#include "cli/network_format.h"

namespace berth::cli {
namespace {

using ojson = nlohmann::ordered_json;
using Kind = GoType::Kind;
using T = FlagSpec::Type;

GoTypePtr structure(std::string name, std::vector<GoType::Field> fields, bool pointer = false) {
  auto t = std::make_shared<GoType>();
  t->kind = Kind::kStruct;
  t->name = std::move(name);
  t->fields = std::move(fields);
  t->pointer = pointer;
  return t;
}

// Fields whose Go name is their JSON key.
std::vector<GoType::Field> same(std::initializer_list<std::pair<const char*, GoTypePtr>> l) {
  std::vector<GoType::Field> out;
  for (const auto& [n, t] : l) out.push_back({n, n, t});
  return out;
}

// container.InspectResponse of API 1.50 (moby api/types/container), with
// the embedded ContainerJSONBase, NetworkSettingsBase and
// DefaultNetworkSettings promoted as Go does.
const GoType& container_inspect_type() {
  static const GoType kType = [] {
    auto str = go_scalar(Kind::kString);
    auto boolean = go_scalar(Kind::kBool);
    auto integer = go_scalar(Kind::kInt);
    auto strs = go_slice_of(str);
    auto str_map = go_map_of(str);
    auto empty_struct = structure("struct {}", {});
    auto port_set = go_map_of(empty_struct);
    auto binding =
        structure("nat.PortBinding", {{"HostIP", "HostIp", str}, {"HostPort", "HostPort", str}});
    auto port_map = go_map_of(go_slice_of(binding));
    auto health_log = structure("container.HealthcheckResult", same({{"Start", go_scalar(Kind::kTime)},
                                                                     {"End", go_scalar(Kind::kTime)},
                                                                     {"ExitCode", integer},
                                                                     {"Output", str}}));
    auto health = structure(
        "container.Health",
        same({{"Status", str}, {"FailingStreak", integer}, {"Log", go_slice_of(health_log)}}), true);
    auto state = structure("container.State",
                           same({{"Status", str},
                                 {"Running", boolean},
                                 {"Paused", boolean},
                                 {"Restarting", boolean},
                                 {"OOMKilled", boolean},
                                 {"Dead", boolean},
                                 {"Pid", integer},
                                 {"ExitCode", integer},
                                 {"Error", str},
                                 {"StartedAt", str},
                                 {"FinishedAt", str},
                                 {"Health", health}}),
                           true);
    auto restart =
        structure("container.RestartPolicy", same({{"Name", str}, {"MaximumRetryCount", integer}}));
    auto log_config = structure("container.LogConfig", same({{"Type", str}, {"Config", str_map}}));
    auto host_config = structure("container.HostConfig",
                                 {{"Binds", "Binds", strs},
                                  {"ContainerIDFile", "ContainerIDFile", str},
                                  {"LogConfig", "LogConfig", log_config},
                                  {"NetworkMode", "NetworkMode", str},
                                  {"PortBindings", "PortBindings", port_map},
                                  {"RestartPolicy", "RestartPolicy", restart},
                                  {"AutoRemove", "AutoRemove", boolean},
                                  {"VolumeDriver", "VolumeDriver", str},
                                  {"VolumesFrom", "VolumesFrom", strs},
                                  {"ConsoleSize", "ConsoleSize", go_slice_of(integer)},
                                  {"Annotations", "Annotations", str_map},
                                  {"CapAdd", "CapAdd", strs},
                                  {"CapDrop", "CapDrop", strs},
                                  {"CgroupnsMode", "CgroupnsMode", str},
                                  {"DNS", "Dns", strs},
                                  {"DNSOptions", "DnsOptions", strs},
                                  {"DNSSearch", "DnsSearch", strs},
                                  {"ExtraHosts", "ExtraHosts", strs},
                                  {"GroupAdd", "GroupAdd", strs},
                                  {"IpcMode", "IpcMode", str},
                                  {"Cgroup", "Cgroup", str},
                                  {"Links", "Links", strs},
                                  {"OomScoreAdj", "OomScoreAdj", integer},
                                  {"PidMode", "PidMode", str},
                                  {"Privileged", "Privileged", boolean},
                                  {"PublishAllPorts", "PublishAllPorts", boolean},
                                  {"ReadonlyRootfs", "ReadonlyRootfs", boolean},
                                  {"SecurityOpt", "SecurityOpt", strs},
                                  {"StorageOpt", "StorageOpt", str_map},
                                  {"Tmpfs", "Tmpfs", str_map},
                                  {"UTSMode", "UTSMode", str},
                                  {"UsernsMode", "UsernsMode", str},
                                  {"ShmSize", "ShmSize", integer},
                                  {"Sysctls", "Sysctls", str_map},
                                  {"Runtime", "Runtime", str},
                                  {"Isolation", "Isolation", str},
                                  {"CPUShares", "CpuShares", integer},
                                  {"Memory", "Memory", integer},
                                  {"NanoCPUs", "NanoCpus", integer},
                                  {"CgroupParent", "CgroupParent", str},
                                  {"CPUPeriod", "CpuPeriod", integer},
                                  {"CPUQuota", "CpuQuota", integer},
                                  {"CpusetCpus", "CpusetCpus", str},
                                  {"CpusetMems", "CpusetMems", str},
                                  {"MemoryReservation", "MemoryReservation", integer},
                                  {"MemorySwap", "MemorySwap", integer},
                                  {"MaskedPaths", "MaskedPaths", strs},
                                  {"ReadonlyPaths", "ReadonlyPaths", strs}},
                                 true);
    auto health_config = structure("container.HealthConfig",
                                   same({{"Test", strs},
                                         {"Interval", integer},
                                         {"Timeout", integer},
                                         {"StartPeriod", integer},
                                         {"StartInterval", integer},
                                         {"Retries", integer}}),
                                   true);
    auto config = structure("container.Config",
                            same({{"Hostname", str},
                                  {"Domainname", str},
                                  {"User", str},
                                  {"AttachStdin", boolean},
                                  {"AttachStdout", boolean},
                                  {"AttachStderr", boolean},
                                  {"ExposedPorts", port_set},
                                  {"Tty", boolean},
                                  {"OpenStdin", boolean},
                                  {"StdinOnce", boolean},
                                  {"Env", strs},
                                  {"Cmd", strs},
                                  {"Healthcheck", health_config},
                                  {"ArgsEscaped", boolean},
                                  {"Image", str},
                                  {"Volumes", port_set},
                                  {"WorkingDir", str},
                                  {"Entrypoint", strs},
                                  {"NetworkDisabled", boolean},
                                  {"MacAddress", str},
                                  {"OnBuild", strs},
                                  {"Labels", str_map},
                                  {"StopSignal", str},
                                  {"StopTimeout", nullptr},
                                  {"Shell", strs}}),
                            true);
    auto ipam =
        structure("network.EndpointIPAMConfig",
                  same({{"IPv4Address", str}, {"IPv6Address", str}, {"LinkLocalIPs", strs}}), true);
    auto endpoint = structure("network.EndpointSettings",
                              same({{"IPAMConfig", ipam},
                                    {"Links", strs},
                                    {"Aliases", strs},
                                    {"MacAddress", str},
                                    {"DriverOpts", str_map},
                                    {"GwPriority", integer},
                                    {"NetworkID", str},
                                    {"EndpointID", str},
                                    {"Gateway", str},
                                    {"IPAddress", str},
                                    {"IPPrefixLen", integer},
                                    {"IPv6Gateway", str},
                                    {"GlobalIPv6Address", str},
                                    {"GlobalIPv6PrefixLen", integer},
                                    {"DNSNames", strs}}),
                              true);
    auto address = structure("network.Address", same({{"Addr", str}, {"PrefixLen", integer}}));
    auto net_settings = structure("container.NetworkSettings",
                                  same({{"Bridge", str},
                                        {"SandboxID", str},
                                        {"SandboxKey", str},
                                        {"Ports", port_map},
                                        {"HairpinMode", boolean},
                                        {"LinkLocalIPv6Address", str},
                                        {"LinkLocalIPv6PrefixLen", integer},
                                        {"SecondaryIPAddresses", go_slice_of(address)},
                                        {"SecondaryIPv6Addresses", go_slice_of(address)},
                                        {"EndpointID", str},
                                        {"Gateway", str},
                                        {"GlobalIPv6Address", str},
                                        {"GlobalIPv6PrefixLen", integer},
                                        {"IPAddress", str},
                                        {"IPPrefixLen", integer},
                                        {"IPv6Gateway", str},
                                        {"MacAddress", str},
                                        {"Networks", go_map_of(endpoint)}}),
                                  true);
    auto mount = structure("container.MountPoint", same({{"Type", str},
                                                         {"Name", str},
                                                         {"Source", str},
                                                         {"Destination", str},
                                                         {"Driver", str},
                                                         {"Mode", str},
                                                         {"RW", boolean},
                                                         {"Propagation", str}}));
    auto graph = structure("storage.DriverData", same({{"Data", str_map}, {"Name", str}}));
    GoType t;
    t.kind = Kind::kStruct;
    t.name = "container.InspectResponse";
    t.fields = {{"ID", "Id", str},
                {"Created", "Created", str},
                {"Path", "Path", str},
                {"Args", "Args", strs},
                {"State", "State", state},
                {"Image", "Image", str},
                {"ResolvConfPath", "ResolvConfPath", str},
                {"HostnamePath", "HostnamePath", str},
                {"HostsPath", "HostsPath", str},
                {"LogPath", "LogPath", str},
                {"Name", "Name", str},
                {"RestartCount", "RestartCount", integer},
                {"Driver", "Driver", str},
                {"Platform", "Platform", str},
                {"MountLabel", "MountLabel", str},
                {"ProcessLabel", "ProcessLabel", str},
                {"AppArmorProfile", "AppArmorProfile", str},
                {"ExecIDs", "ExecIDs", strs},
                {"HostConfig", "HostConfig", host_config},
                {"GraphDriver", "GraphDriver", graph},
                {"SizeRw", "SizeRw", nullptr},
                {"SizeRootFs", "SizeRootFs", nullptr},
                {"Mounts", "Mounts", go_slice_of(mount)},
                {"Config", "Config", config},
                {"NetworkSettings", "NetworkSettings", net_settings}};
    return t;
  }();
  return kType;
}

enum class ObjectKind { kContainer, kImage, kNetwork, kVolume, kPlugin };

using Found = InspectObject;

const char* path_for(ObjectKind k) {
  switch (k) {
    case ObjectKind::kContainer:
      return "/containers/";
    case ObjectKind::kImage:
      return "/images/";
    case ObjectKind::kNetwork:
      return "/networks/";
    case ObjectKind::kVolume:
      return "/volumes/";
    case ObjectKind::kPlugin:
      return "/plugins/";
  }
  return "";
}

Result<Found> fetch(Context& ctx, ObjectKind k, const std::string& name, bool size) {
  std::string path = path_for(k) + client::path_escape(name);
  if (k == ObjectKind::kContainer || k == ObjectKind::kImage || k == ObjectKind::kPlugin) {
    path += "/json";
  }
  std::string query = k == ObjectKind::kContainer && size ? "size=1" : "";
  auto r = ctx.api().get(path, query);
  if (!r.ok()) return r.error();
  Found f;
  f.raw = r->body;
  if (k == ObjectKind::kContainer) f.type = &container_inspect_type();
  if (k == ObjectKind::kNetwork) f.type = &network_inspect_type();
  return f;
}

bool skippable(const Error& e) {
  return e.kind() == ErrorKind::kNotFound || e.kind() == ErrorKind::kForbidden;
}

int run_inspect(Context& ctx, const ParsedFlags& f) {
  const std::string type = f.get_string("type");
  static const std::vector<std::pair<std::string, ObjectKind>> kKinds = {
      {"container", ObjectKind::kContainer},
      {"image", ObjectKind::kImage},
      {"network", ObjectKind::kNetwork},
      {"volume", ObjectKind::kVolume},
      {"plugin", ObjectKind::kPlugin}};
  std::optional<ObjectKind> only;
  if (!type.empty()) {
    for (const auto& [n, k] : kKinds) {
      if (n == type) only = k;
    }
    bool swarm = type == "config" || type == "node" || type == "secret" || type == "service" ||
                 type == "task";
    if (!only && !swarm) {
      return ctx.fail("unknown type: \"" + type +
                      "\": must be one of \"config\", \"container\", \"image\", \"network\", "
                      "\"node\", \"plugin\", \"secret\", \"service\", \"task\", \"volume\"");
    }
    if (!only) {
      // berth has no swarm: docker's swarm inspectors end in "This node
      // is not a swarm manager".
      return ctx.fail(
          "Error response from daemon: This node is not a swarm manager. Use \"docker swarm "
          "init\" or \"docker swarm join\" to connect this node to swarm and try again.");
    }
  }
  const bool size = f.get_bool("size");
  auto get = [&](const std::string& name) -> Result<Found> {
    if (only) return fetch(ctx, *only, name, size);
    // container, image, network, volume, then (after the swarm check,
    // which docker makes through /info) plugin.
    for (ObjectKind k :
         {ObjectKind::kContainer, ObjectKind::kImage, ObjectKind::kNetwork, ObjectKind::kVolume}) {
      auto r = fetch(ctx, k, name, size);
      if (r.ok() || !skippable(r.error())) return r;
    }
    (void)ctx.api().get("/info");
    auto r = fetch(ctx, ObjectKind::kPlugin, name, size);
    if (r.ok() || !skippable(r.error())) return r;
    return not_found("Error: No such object: " + name);
  };
  return render_inspect(ctx, f.args, f.get_string("format"), get);
}

int run_container_inspect(Context& ctx, const ParsedFlags& f) {
  const bool size = f.get_bool("size");
  return render_inspect(ctx, f.args, f.get_string("format"), [&](const std::string& name) {
    return fetch(ctx, ObjectKind::kContainer, name, size);
  });
}

}  // namespace

Command object_inspect_command() {
  Command c;
  c.name = "inspect";
  c.use = "[OPTIONS] NAME|ID [NAME|ID...]";
  c.short_help = "Return low-level information on berth objects";
  c.args = Command::Args::kAtLeast1;
  c.early_ping = false;
  c.flags = {flag("format", 'f', T::kString, "string", inspect_format_help()),
             flag("size", 's', T::kBool, "", "Display total file sizes if the type is container"),
             flag("type", 0, T::kString, "string", "Only inspect objects of the given type")};
  c.run = run_inspect;
  return c;
}

Command container_inspect_command() {
  Command c;
  c.name = "inspect";
  c.use = "[OPTIONS] CONTAINER [CONTAINER...]";
  c.short_help = "Display detailed information on one or more containers";
  c.args = Command::Args::kAtLeast1;
  c.early_ping = false;
  c.flags = {flag("format", 'f', T::kString, "string", inspect_format_help()),
             flag("size", 's', T::kBool, "", "Display total file sizes")};
  c.run = run_container_inspect;
  return c;
}

}  // namespace berth::cli
