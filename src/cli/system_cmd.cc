// `berth version` and `berth info`, as cli/command/system/{version,info}.go
// in docker 28.2.2: the Client part describes berth itself, the Server part
// comes from GET /version and GET /info. `version` renders docker's own
// template through berth's template engine, so -f sees the same data model.
#include <sys/utsname.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <ostream>

#include "cli/command.h"
#include "cli/go_template.h"
#include "cli/go_time.h"
#include "cli/tabwriter.h"

namespace berth::cli {
namespace {

using ojson = nlohmann::ordered_json;
using Kind = GoType::Kind;

constexpr const char* kVersionTemplate =
    R"({{with .Client -}}
Client:{{if ne .Platform nil}}{{if ne .Platform.Name ""}} {{.Platform.Name}}{{end}}{{end}}
 Version:	{{.Version}}
 API version:	{{.APIVersion}}{{if ne .APIVersion .DefaultAPIVersion}} (downgraded from {{.DefaultAPIVersion}}){{end}}
 Go version:	{{.GoVersion}}
 Git commit:	{{.GitCommit}}
 Built:	{{.BuildTime}}
 OS/Arch:	{{.Os}}/{{.Arch}}
 Context:	{{.Context}}
{{- end}}

{{- if ne .Server nil}}{{with .Server}}

Server:{{if ne .Platform.Name ""}} {{.Platform.Name}}{{end}}
 {{- range $component := .Components}}
 {{$component.Name}}:
  {{- if eq $component.Name "Engine" }}
  Version:	{{.Version}}
  API version:	{{index .Details "ApiVersion"}} (minimum version {{index .Details "MinAPIVersion"}})
  Go version:	{{index .Details "GoVersion"}}
  Git commit:	{{index .Details "GitCommit"}}
  Built:	{{index .Details "BuildTime"}}
  OS/Arch:	{{index .Details "Os"}}/{{index .Details "Arch"}}
  Experimental:	{{index .Details "Experimental"}}
  {{- else }}
  Version:	{{$component.Version}}
  {{- $detailsOrder := getDetailsOrder $component}}
  {{- range $key := $detailsOrder}}
  {{$key}}:	{{index $component.Details $key}}
   {{- end}}
  {{- end}}
 {{- end}}
 {{- end}}{{- end}})";

const char* go_arch() {
#if defined(__x86_64__)
  return "amd64";
#elif defined(__aarch64__)
  return "arm64";
#elif defined(__i386__)
  return "386";
#elif defined(__arm__)
  return "arm";
#else
  static utsname u;
  uname(&u);
  return u.machine;
#endif
}

// berth's build time as docker prints its own (time.ANSIC).
std::string build_time() {
  static const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::string date = __DATE__;  // "Nov 28 2026"
  const std::string time = __TIME__;  // "03:20:00"
  int month = 1;
  for (int i = 0; i < 12; ++i) {
    if (date.compare(0, 3, kMonths[i]) == 0) month = i + 1;
  }
  int day = std::atoi(date.substr(4, 2).c_str());
  char buf[48];
  snprintf(buf, sizeof buf, "%s-%02d-%02dT%sZ", date.substr(7, 4).c_str(), month, day,
           time.c_str());
  return go_ansic(buf);
}

std::string git_commit() {
#ifdef BERTH_GIT_COMMIT
  return BERTH_GIT_COMMIT;
#else
  return "unknown";
#endif
}

GoTypePtr structure(std::string name, std::vector<GoType::Field> fields, bool pointer = false) {
  auto t = std::make_shared<GoType>();
  t->kind = Kind::kStruct;
  t->name = std::move(name);
  t->fields = std::move(fields);
  t->pointer = pointer;
  return t;
}

const GoType& version_info_type() {
  static const GoType kType = [] {
    auto str = go_scalar(Kind::kString);
    auto details = std::make_shared<GoType>();
    details->kind = Kind::kMap;
    details->elem = str;
    auto component = structure(
        "types.ComponentVersion",
        {{"Name", "Name", str}, {"Version", "Version", str}, {"Details", "Details", details}});
    auto components = std::make_shared<GoType>();
    components->kind = Kind::kSlice;
    components->elem = component;
    auto client = structure(
        "system.clientVersion",
        {{"Platform", "Platform", structure("*system.platformInfo", {{"Name", "Name", str}}, true)},
         {"Version", "Version", str},
         {"APIVersion", "ApiVersion", str},
         {"DefaultAPIVersion", "DefaultAPIVersion", str},
         {"GitCommit", "GitCommit", str},
         {"GoVersion", "GoVersion", str},
         {"Os", "Os", str},
         {"Arch", "Arch", str},
         {"BuildTime", "BuildTime", str},
         {"Context", "Context", str}});
    auto server = structure(
        "*types.Version",
        {{"Platform", "Platform", structure("struct { Name string }", {{"Name", "Name", str}})},
         {"Components", "Components", components},
         {"Version", "Version", str},
         {"APIVersion", "ApiVersion", str},
         {"MinAPIVersion", "MinAPIVersion", str},
         {"GitCommit", "GitCommit", str},
         {"GoVersion", "GoVersion", str},
         {"Os", "Os", str},
         {"Arch", "Arch", str},
         {"KernelVersion", "KernelVersion", str},
         {"Experimental", "Experimental", go_scalar(Kind::kBool)},
         {"BuildTime", "BuildTime", str}},
        true);
    GoType t;
    t.kind = Kind::kStruct;
    t.name = "system.versionInfo";
    t.fields = {{"Client", "Client", client}, {"Server", "Server", server}};
    return t;
  }();
  return kType;
}

ojson client_version(const std::string& api_version) {
  ojson c = ojson::object();
  c["Version"] = kBerthVersion;
  c["ApiVersion"] = api_version;
  c["DefaultAPIVersion"] = std::string(client::kMaxApiVersion);
  c["GitCommit"] = git_commit();
  c["GoVersion"] = "n/a";
  c["Os"] = "linux";
  c["Arch"] = go_arch();
  c["BuildTime"] = build_time();
  c["Context"] = "default";
  return c;
}

ojson sorted_object(const ojson& j) {
  if (!j.is_object()) return j;
  std::map<std::string, ojson> m;
  for (const auto& [k, v] : j.items()) m[k] = v;
  ojson out = ojson::object();
  for (auto& [k, v] : m) out[k] = v;
  return out;
}

int run_version(Context& ctx, const ParsedFlags& f) {
  std::string format = f.get_string("format");
  std::string text = format.empty() ? kVersionTemplate : format == "json" ? "{{json .}}" : format;
  std::map<std::string, GoFunc> funcs;
  funcs["getDetailsOrder"] = [](const std::vector<ojson>& args) -> Result<ojson> {
    ojson keys = ojson::array();
    if (args.size() == 1 && args[0].is_object() && args[0].contains("Details") &&
        args[0]["Details"].is_object()) {
      std::vector<std::string> k;
      for (const auto& [key, v] : args[0]["Details"].items()) k.push_back(key);
      std::sort(k.begin(), k.end());
      for (auto& s : k) keys.push_back(s);
    }
    return keys;
  };
  auto tmpl = GoTemplate::parse(text, "version", funcs);
  if (!tmpl.ok()) {
    ctx.err() << "template parsing error: " << tmpl.error().message() << "\n";
    return 64;
  }

  std::optional<Error> server_error;
  auto api_version = ctx.api().api_version();
  ojson data = ojson::object();
  data["Client"] =
      client_version(api_version.ok() ? *api_version : std::string(client::kMaxApiVersion));
  data["Server"] = nullptr;
  auto r = ctx.api().get("/version");
  if (!r.ok()) {
    server_error = r.error();
  } else {
    ojson sv = ojson::parse(r->body, nullptr, false);
    if (!sv.is_object()) sv = ojson::object();
    bool found_engine = false;
    if (sv.contains("Components") && sv["Components"].is_array()) {
      for (auto& c : sv["Components"]) {
        if (!c.is_object()) continue;
        if (c.contains("Details")) c["Details"] = sorted_object(c["Details"]);
        if (c.value("Name", "") == "Engine") {
          found_engine = true;
          if (c.contains("Details") && c["Details"].contains("BuildTime") &&
              c["Details"]["BuildTime"].is_string()) {
            c["Details"]["BuildTime"] = go_ansic(c["Details"]["BuildTime"].get<std::string>());
          }
        }
      }
    }
    if (!found_engine) {
      auto s = [&](const char* k) {
        return sv.contains(k) && sv[k].is_string() ? sv[k] : ojson("");
      };
      ojson details = ojson::object();
      details["ApiVersion"] = s("ApiVersion");
      details["Arch"] = s("Arch");
      details["BuildTime"] = go_ansic(s("BuildTime").get<std::string>());
      details["Experimental"] = sv.value("Experimental", false) ? "true" : "false";
      details["GitCommit"] = s("GitCommit");
      details["GoVersion"] = s("GoVersion");
      details["MinAPIVersion"] = s("MinAPIVersion");
      details["Os"] = s("Os");
      if (!sv.contains("Components") || !sv["Components"].is_array()) {
        sv["Components"] = ojson::array();
      }
      sv["Components"].push_back(
          ojson{{"Name", "Engine"}, {"Version", s("Version")}, {"Details", details}});
    }
    data["Server"] = sv;
  }

  std::string out;
  Status s = tmpl->execute(data, &version_info_type(), &out);
  ctx.out() << tabwrite(out + "\n", 20, 1) << std::flush;
  if (server_error) return ctx.fail(*server_error);
  if (!s.ok()) return ctx.fail(s.error());
  return 0;
}

// ------------------------------------------------------------------ info --

std::string str(const ojson& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "";
  if (it->is_string()) return it->get<std::string>();
  return go_print(*it);
}

std::string num(const ojson& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "0";
  return go_print(*it);
}

std::string boolean(const ojson& j, const char* key) {
  auto it = j.find(key);
  return (it != j.end() && it->is_boolean() && it->get<bool>()) ? "true" : "false";
}

std::vector<std::string> str_list(const ojson& j, const char* key) {
  std::vector<std::string> out;
  auto it = j.find(key);
  if (it == j.end() || !it->is_array()) return out;
  for (const auto& e : *it) out.push_back(e.is_string() ? e.get<std::string>() : go_print(e));
  return out;
}

std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i > 0 ? sep : "") + v[i];
  return s;
}

// go-units BytesSize: "%.4g" of the size in the largest binary unit below it.
std::string bytes_size(double size) {
  static const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"};
  int i = 0;
  while (size >= 1024 && i < 8) {
    size /= 1024;
    ++i;
  }
  char buf[64];
  snprintf(buf, sizeof buf, "%.4g%s", size, kUnits[i]);
  return buf;
}

struct SecurityOpt {
  std::string name;
  std::vector<std::pair<std::string, std::string>> options;
};

// system.DecodeSecurityOptions.
Result<std::vector<SecurityOpt>> decode_security_options(const std::vector<std::string>& opts) {
  std::vector<SecurityOpt> out;
  for (const auto& opt : opts) {
    if (opt.find('=') == std::string::npos) {
      out.push_back({opt, {}});
      continue;
    }
    SecurityOpt so;
    size_t start = 0;
    for (;;) {
      size_t comma = opt.find(',', start);
      std::string part =
          opt.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      size_t eq = part.find('=');
      if (eq == std::string::npos) {
        return invalid_argument("invalid security option \"" + part + "\"");
      }
      std::string k = part.substr(0, eq), v = part.substr(eq + 1);
      if (k.empty() || v.empty()) return invalid_argument("invalid empty security option");
      if (k == "name") {
        so.name = v;
      } else {
        so.options.emplace_back(k, v);
      }
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    out.push_back(so);
  }
  return out;
}

void line(std::ostream& o, const std::string& label, const std::string& value) {
  o << label << " " << value << "\n";
}
void line_non_empty(std::ostream& o, const std::string& label, const std::string& value) {
  if (!value.empty()) line(o, label, value);
}

// prettyPrintServerInfo; returns the errors it met.
std::vector<std::string> print_server_info(std::ostream& o, std::ostream& err, const ojson& i) {
  std::vector<std::string> errors;
  line(o, " Containers:", num(i, "Containers"));
  line(o, "  Running:", num(i, "ContainersRunning"));
  line(o, "  Paused:", num(i, "ContainersPaused"));
  line(o, "  Stopped:", num(i, "ContainersStopped"));
  line(o, " Images:", num(i, "Images"));
  line_non_empty(o, " Server Version:", str(i, "ServerVersion"));
  line_non_empty(o, " Storage Driver:", str(i, "Driver"));
  for (const char* key : {"DriverStatus", "SystemStatus"}) {
    auto it = i.find(key);
    if (it == i.end() || !it->is_array()) continue;
    for (const auto& pair : *it) {
      if (!pair.is_array() || pair.size() < 2) continue;
      o << (std::string(key) == "DriverStatus" ? "  " : " ") << go_print(pair[0]) << ": "
        << go_print(pair[1]) << "\n";
    }
  }
  line_non_empty(o, " Logging Driver:", str(i, "LoggingDriver"));
  line_non_empty(o, " Cgroup Driver:", str(i, "CgroupDriver"));
  line_non_empty(o, " Cgroup Version:", str(i, "CgroupVersion"));
  const ojson plugins =
      i.contains("Plugins") && i["Plugins"].is_object() ? i["Plugins"] : ojson::object();
  o << " Plugins:\n";
  line(o, "  Volume:", join(str_list(plugins, "Volume"), " "));
  line(o, "  Network:", join(str_list(plugins, "Network"), " "));
  auto authz = str_list(plugins, "Authorization");
  if (!authz.empty()) line(o, "  Authorization:", join(authz, " "));
  line(o, "  Log:", join(str_list(plugins, "Log"), " "));
  auto cdi = str_list(i, "CDISpecDirs");
  if (!cdi.empty()) {
    o << " CDI spec directories:\n";
    for (const auto& d : cdi) o << "  " << d << "\n";
  }
  const ojson swarm = i.contains("Swarm") && i["Swarm"].is_object() ? i["Swarm"] : ojson::object();
  std::string state = str(swarm, "LocalNodeState");
  line(o, " Swarm:", state);
  if (state != "inactive" && state != "locked") {
    line(o, "  NodeID:", str(swarm, "NodeID"));
    line_non_empty(o, "  Error:", str(swarm, "Error"));
    line(o, "  Is Manager:", boolean(swarm, "ControlAvailable"));
    line(o, "  Node Address:", str(swarm, "NodeAddr"));
  }
  auto rt = i.find("Runtimes");
  if (rt != i.end() && rt->is_object() && !rt->empty()) {
    std::vector<std::string> names;
    for (const auto& [k, v] : rt->items()) names.push_back(k);
    std::sort(names.begin(), names.end());  // Go's map order is random
    line(o, " Runtimes:", join(names, " "));
    line(o, " Default Runtime:", str(i, "DefaultRuntime"));
  }
  if (str(i, "OSType") == "linux") {
    auto commit = [&](const char* key) {
      auto it = i.find(key);
      return it != i.end() && it->is_object() ? str(*it, "ID") : std::string();
    };
    line(o, " Init Binary:", str(i, "InitBinary"));
    line(o, " containerd version:", commit("ContainerdCommit"));
    line(o, " runc version:", commit("RuncCommit"));
    line(o, " init version:", commit("InitCommit"));
    auto sec = str_list(i, "SecurityOptions");
    if (!sec.empty()) {
      auto kvs = decode_security_options(sec);
      if (!kvs.ok()) {
        errors.push_back(kvs.error().message());
      } else {
        o << " Security Options:\n";
        for (const auto& so : *kvs) {
          o << "  " << so.name << "\n";
          for (const auto& [k, v] : so.options) {
            if (k == "profile") line(o, "   Profile:", v);
          }
        }
      }
    }
  }
  if (str(i, "OSType") == "windows") line(o, " Default Isolation:", str(i, "Isolation"));
  line_non_empty(o, " Kernel Version:", str(i, "KernelVersion"));
  line_non_empty(o, " Operating System:", str(i, "OperatingSystem"));
  line_non_empty(o, " OSType:", str(i, "OSType"));
  line_non_empty(o, " Architecture:", str(i, "Architecture"));
  line(o, " CPUs:", num(i, "NCPU"));
  double mem =
      i.contains("MemTotal") && i["MemTotal"].is_number() ? i["MemTotal"].get<double>() : 0;
  line(o, " Total Memory:", bytes_size(mem));
  line_non_empty(o, " Name:", str(i, "Name"));
  line_non_empty(o, " ID:", str(i, "ID"));
  line(o, " Docker Root Dir:", str(i, "DockerRootDir"));
  line(o, " Debug Mode:", boolean(i, "Debug"));
  if (boolean(i, "Debug") == "true") {
    line(o, "  File Descriptors:", num(i, "NFd"));
    line(o, "  Goroutines:", num(i, "NGoroutines"));
    line(o, "  System Time:", str(i, "SystemTime"));
    line(o, "  EventsListeners:", num(i, "NEventsListener"));
  }
  line_non_empty(o, " HTTP Proxy:", str(i, "HttpProxy"));
  line_non_empty(o, " HTTPS Proxy:", str(i, "HttpsProxy"));
  line_non_empty(o, " No Proxy:", str(i, "NoProxy"));
  auto labels = str_list(i, "Labels");
  if (!labels.empty()) {
    o << " Labels:\n";
    for (const auto& l : labels) o << "  " << l << "\n";
  }
  line(o, " Experimental:", boolean(i, "ExperimentalBuild"));
  auto reg = i.find("RegistryConfig");
  if (reg != i.end() && reg->is_object()) {
    auto cidrs = str_list(*reg, "InsecureRegistryCIDRs");
    auto idx = reg->find("IndexConfigs");
    bool has_idx = idx != reg->end() && idx->is_object() && !idx->empty();
    if (!cidrs.empty() || has_idx) {
      o << " Insecure Registries:\n";
      if (has_idx) {
        std::vector<std::string> names;
        for (const auto& [k, v] : idx->items()) {
          if (v.is_object() &&
              !(v.contains("Secure") && v["Secure"].is_boolean() && v["Secure"].get<bool>())) {
            names.push_back(str(v, "Name"));
          }
        }
        std::sort(names.begin(), names.end());
        for (const auto& n : names) o << "  " << n << "\n";
      }
      for (const auto& c : cidrs) o << "  " << c << "\n";
    }
    auto mirrors = str_list(*reg, "Mirrors");
    if (!mirrors.empty()) {
      o << " Registry Mirrors:\n";
      for (const auto& m : mirrors) o << "  " << m << "\n";
    }
  }
  line(o, " Live Restore Enabled:", boolean(i, "LiveRestoreEnabled"));
  line_non_empty(o, " Product License:", str(i, "ProductLicense"));
  auto pools = i.find("DefaultAddressPools");
  if (pools != i.end() && pools->is_array() && !pools->empty()) {
    o << " Default Address Pools:\n";
    for (const auto& p : *pools) {
      o << "   Base: " << str(p, "Base") << ", Size: " << num(p, "Size") << "\n";
    }
  }
  o << "\n";
  for (const auto& w : str_list(i, "Warnings")) err << w << "\n";
  return errors;
}

// system.Info's fields (docker 28) with their JSON keys and zero kinds, so
// templates use Go's names and absent fields print Go's zero values.
GoType info_type(const ojson& server) {
  struct F {
    const char* name;
    const char* key;
    Kind kind;
  };
  static const F kFields[] = {{"ID", "ID", Kind::kString},
                              {"Containers", "Containers", Kind::kInt},
                              {"ContainersRunning", "ContainersRunning", Kind::kInt},
                              {"ContainersPaused", "ContainersPaused", Kind::kInt},
                              {"ContainersStopped", "ContainersStopped", Kind::kInt},
                              {"Images", "Images", Kind::kInt},
                              {"Driver", "Driver", Kind::kString},
                              {"DriverStatus", "DriverStatus", Kind::kSlice},
                              {"SystemStatus", "SystemStatus", Kind::kSlice},
                              {"Plugins", "Plugins", Kind::kAny},
                              {"MemoryLimit", "MemoryLimit", Kind::kBool},
                              {"SwapLimit", "SwapLimit", Kind::kBool},
                              {"KernelMemory", "KernelMemory", Kind::kBool},
                              {"KernelMemoryTCP", "KernelMemoryTCP", Kind::kBool},
                              {"CPUCfsPeriod", "CpuCfsPeriod", Kind::kBool},
                              {"CPUCfsQuota", "CpuCfsQuota", Kind::kBool},
                              {"CPUShares", "CPUShares", Kind::kBool},
                              {"CPUSet", "CPUSet", Kind::kBool},
                              {"PidsLimit", "PidsLimit", Kind::kBool},
                              {"IPv4Forwarding", "IPv4Forwarding", Kind::kBool},
                              {"BridgeNfIptables", "BridgeNfIptables", Kind::kBool},
                              {"BridgeNfIP6tables", "BridgeNfIp6tables", Kind::kBool},
                              {"Debug", "Debug", Kind::kBool},
                              {"NFd", "NFd", Kind::kInt},
                              {"OomKillDisable", "OomKillDisable", Kind::kBool},
                              {"NGoroutines", "NGoroutines", Kind::kInt},
                              {"SystemTime", "SystemTime", Kind::kString},
                              {"LoggingDriver", "LoggingDriver", Kind::kString},
                              {"CgroupDriver", "CgroupDriver", Kind::kString},
                              {"CgroupVersion", "CgroupVersion", Kind::kString},
                              {"NEventsListener", "NEventsListener", Kind::kInt},
                              {"KernelVersion", "KernelVersion", Kind::kString},
                              {"OperatingSystem", "OperatingSystem", Kind::kString},
                              {"OSVersion", "OSVersion", Kind::kString},
                              {"OSType", "OSType", Kind::kString},
                              {"Architecture", "Architecture", Kind::kString},
                              {"IndexServerAddress", "IndexServerAddress", Kind::kString},
                              {"RegistryConfig", "RegistryConfig", Kind::kAny},
                              {"NCPU", "NCPU", Kind::kInt},
                              {"MemTotal", "MemTotal", Kind::kInt},
                              {"GenericResources", "GenericResources", Kind::kSlice},
                              {"DockerRootDir", "DockerRootDir", Kind::kString},
                              {"HTTPProxy", "HttpProxy", Kind::kString},
                              {"HTTPSProxy", "HttpsProxy", Kind::kString},
                              {"NoProxy", "NoProxy", Kind::kString},
                              {"Name", "Name", Kind::kString},
                              {"Labels", "Labels", Kind::kSlice},
                              {"ExperimentalBuild", "ExperimentalBuild", Kind::kBool},
                              {"ServerVersion", "ServerVersion", Kind::kString},
                              {"Runtimes", "Runtimes", Kind::kMap},
                              {"DefaultRuntime", "DefaultRuntime", Kind::kString},
                              {"Swarm", "Swarm", Kind::kAny},
                              {"LiveRestoreEnabled", "LiveRestoreEnabled", Kind::kBool},
                              {"Isolation", "Isolation", Kind::kString},
                              {"InitBinary", "InitBinary", Kind::kString},
                              {"ContainerdCommit", "ContainerdCommit", Kind::kAny},
                              {"RuncCommit", "RuncCommit", Kind::kAny},
                              {"InitCommit", "InitCommit", Kind::kAny},
                              {"SecurityOptions", "SecurityOptions", Kind::kSlice},
                              {"ProductLicense", "ProductLicense", Kind::kString},
                              {"DefaultAddressPools", "DefaultAddressPools", Kind::kSlice},
                              {"FirewallBackend", "FirewallBackend", Kind::kAny},
                              {"CDISpecDirs", "CDISpecDirs", Kind::kSlice},
                              {"Containerd", "Containerd", Kind::kAny},
                              {"Warnings", "Warnings", Kind::kSlice},
                              {"ServerErrors", "ServerErrors", Kind::kSlice},
                              {"ClientInfo", "ClientInfo", Kind::kAny},
                              {"ClientErrors", "ClientErrors", Kind::kSlice}};
  GoType t;
  t.kind = Kind::kStruct;
  t.name = "system.dockerInfo";
  std::vector<std::string> keys;
  for (const auto& f : kFields) {
    t.fields.push_back({f.name, f.key, f.kind == Kind::kAny ? nullptr : go_scalar(f.kind)});
    keys.push_back(f.key);
  }
  // Fields a newer daemon adds stay reachable under their JSON names.
  if (server.is_object()) {
    for (const auto& [k, v] : server.items()) {
      if (std::find(keys.begin(), keys.end(), k) == keys.end()) t.fields.push_back({k, k, nullptr});
    }
  }
  return t;
}

int run_info(Context& ctx, const ParsedFlags& f) {
  std::string format = f.get_string("format");
  std::optional<GoTemplate> tmpl;
  if (!format.empty()) {
    auto t = GoTemplate::parse(format == "json" ? "{{json .}}" : format);
    if (!t.ok()) {
      ctx.err() << "template parsing error: " << t.error().message() << "\n";
      return 64;
    }
    tmpl = std::move(*t);
  }
  ojson client_info = ojson::object();
  client_info["Debug"] = false;
  client_info["Version"] = kBerthVersion;
  client_info["DefaultAPIVersion"] = std::string(client::kMaxApiVersion);
  client_info["GitCommit"] = git_commit();
  client_info["GoVersion"] = "n/a";
  client_info["Os"] = "linux";
  client_info["Arch"] = go_arch();
  client_info["BuildTime"] = build_time();
  client_info["Context"] = "default";
  client_info["Plugins"] = ojson::array();
  client_info["Warnings"] = nullptr;

  auto r = ctx.api().get("/info");
  ojson server = ojson::object();
  std::optional<Error> server_error;
  if (r.ok()) {
    server = ojson::parse(r->body, nullptr, false);
    if (!server.is_object()) server = ojson::object();
  } else {
    server_error = r.error();
  }

  if (tmpl) {
    if (server_error) ctx.err() << server_error->message() << "\n";
    ojson data = server;
    data["ClientInfo"] = client_info;
    GoType type = info_type(server);
    std::string out;
    Status s = tmpl->execute(data, &type, &out);
    ctx.out() << out << "\n" << std::flush;
    if (!s.ok()) return ctx.fail(s.error());
    return server_error && server_error->kind() == ErrorKind::kUnavailable ? 1 : 0;
  }

  std::ostream& o = ctx.out();
  o << "Client:\n";
  line_non_empty(o, " Version:   ", kBerthVersion);
  line(o, " Context:   ", "default");
  line(o, " Debug Mode:", "false");
  o << "\nServer:\n";
  if (server_error) {
    o << std::flush;
    if (server_error->kind() == ErrorKind::kUnavailable) return ctx.fail(*server_error);
    ctx.err() << "ERROR: " << server_error->message() << "\n";
    return ctx.fail("errors pretty printing info");
  }
  auto errors = print_server_info(o, ctx.err(), server);
  o << std::flush;
  if (!errors.empty()) {
    for (const auto& e : errors) ctx.err() << "ERROR: " << e << "\n";
    return ctx.fail("errors pretty printing info");
  }
  return 0;
}

FlagSpec format_flag() {
  FlagSpec f;
  f.name = "format";
  f.shorthand = 'f';
  f.type = FlagSpec::Type::kString;
  f.value_name = "string";
  f.usage = inspect_format_help();
  return f;
}

}  // namespace

Command version_command() {
  Command c;
  c.name = "version";
  c.use = "[OPTIONS]";
  c.short_help = "Show the berth version information";
  c.early_ping = false;
  c.top = true;
  c.args = Command::Args::kNone;
  c.flags = {format_flag()};
  c.run = run_version;
  return c;
}

Command info_command() {
  Command c;
  c.name = "info";
  c.use = "[OPTIONS]";
  c.short_help = "Display system-wide information";
  c.top = true;
  c.args = Command::Args::kNone;
  c.flags = {format_flag()};
  c.run = run_info;
  return c;
}

}  // namespace berth::cli
