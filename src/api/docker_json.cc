// Field order follows moby's Go structs (api/types/network/network.go
// Inspect, IPAM, IPAMConfig; api/types/system/info.go), because the docker
// CLI prints inspect bodies as received.
#include "api/docker_json.h"

#include <nlohmann/json.hpp>

#include "api/go_json_syntax.h"

namespace berth::api {
namespace {

ojson string_map(const std::map<std::string, std::string>& m) {
  ojson o = ojson::object();
  for (const auto& [k, v] : m) o[k] = v;
  return o;
}

// Go's json error text for a field of the wrong type.
Error type_error(const std::string& got, const std::string& field, const std::string& want) {
  return invalid_argument("invalid JSON: json: cannot unmarshal " + got +
                          " into Go struct field CreateRequest." + field + " of type " + want);
}

std::string json_kind(const nlohmann::json& j) {
  if (j.is_string()) return "string";
  if (j.is_number()) return "number";
  if (j.is_boolean()) return "bool";
  if (j.is_array()) return "array";
  if (j.is_object()) return "object";
  return "null";
}

Status get_string(const nlohmann::json& o, const char* key, const std::string& path,
                  std::string& out) {
  auto it = o.find(key);
  if (it == o.end() || it->is_null()) return ok_status();
  if (!it->is_string()) return type_error(json_kind(*it), path, "string");
  out = it->get<std::string>();
  return ok_status();
}

Status get_bool(const nlohmann::json& o, const char* key, const std::string& path, bool& out) {
  auto it = o.find(key);
  if (it == o.end() || it->is_null()) return ok_status();
  if (!it->is_boolean()) return type_error(json_kind(*it), path, "bool");
  out = it->get<bool>();
  return ok_status();
}

Status get_opt_bool(const nlohmann::json& o, const char* key, const std::string& path,
                    std::optional<bool>& out) {
  auto it = o.find(key);
  if (it == o.end() || it->is_null()) return ok_status();
  if (!it->is_boolean()) return type_error(json_kind(*it), path, "bool");
  out = it->get<bool>();
  return ok_status();
}

Status get_map(const nlohmann::json& o, const char* key, const std::string& path,
               std::map<std::string, std::string>& out) {
  auto it = o.find(key);
  if (it == o.end() || it->is_null()) return ok_status();
  if (!it->is_object()) return type_error(json_kind(*it), path, "map[string]string");
  for (auto e = it->begin(); e != it->end(); ++e) {
    if (!e->is_string()) return type_error(json_kind(*e), path, "string");
    out[e.key()] = e->get<std::string>();
  }
  return ok_status();
}

}  // namespace

ojson network_json(const store::NetworkRecord& n, ApiVersion v) {
  ojson j;
  j["Name"] = n.name;
  j["Id"] = n.id;
  j["Created"] = rfc3339_nano(n.created);
  j["Scope"] = n.scope;
  j["Driver"] = n.driver;
  if (v >= ApiVersion{148}) j["EnableIPv4"] = n.driver == "bridge";
  j["EnableIPv6"] = n.enable_ipv6;
  ojson ipam;
  ipam["Driver"] = n.ipam_driver;
  ipam["Options"] = n.ipam_options_null ? ojson(nullptr) : string_map(n.ipam_options);
  ojson configs = ojson::array();
  if (!n.subnet.empty()) {
    ojson c;
    c["Subnet"] = n.subnet;
    if (!n.ip_range.empty()) c["IPRange"] = n.ip_range;
    // Docker shows only what the user configured; a subnet it chose itself
    // comes with its gateway.
    if (n.gateway_from_user || !n.subnet_from_user) c["Gateway"] = n.gateway;
    if (!n.aux_addresses.empty()) c["AuxiliaryAddresses"] = string_map(n.aux_addresses);
    configs.push_back(std::move(c));
  }
  ipam["Config"] = std::move(configs);
  j["IPAM"] = std::move(ipam);
  j["Internal"] = n.internal;
  j["Attachable"] = n.attachable;
  j["Ingress"] = n.ingress;
  j["ConfigFrom"] = ojson{{"Network", ""}};
  j["ConfigOnly"] = false;
  j["Containers"] = ojson::object();
  j["Options"] = string_map(n.options);
  j["Labels"] = string_map(n.labels);
  return j;
}

Result<engine::NetworkCreateRequest> decode_network_create(std::string_view body) {
  // moby's httputils.ReadJSON: json.Decoder reads one value and its error
  // is wrapped in "invalid JSON: "; io.EOF (a body of blanks) has its own
  // text. The router turns a request without a body into "{}" (ReadJSON
  // skips the decoder then); an empty body here is io.EOF as Go prints it.
  const GoJsonValue v = go_json_read_value(body);
  if (v.error) {
    if (*v.error == "EOF") {
      return invalid_argument(body.empty() ? "invalid JSON: EOF"
                                           : "invalid JSON: got EOF while reading request body");
    }
    return invalid_argument("invalid JSON: " + *v.error);
  }
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(body.substr(0, v.end));
  } catch (const nlohmann::json::parse_error&) {
    // Go's syntax is satisfied but nlohmann refuses what Go would replace
    // with U+FFFD (invalid UTF-8, an escaped lone surrogate).
    return invalid_argument("invalid JSON: the request body is not valid JSON");
  } catch (const nlohmann::json::exception& e) {
    // Numbers beyond a double's range ("2E14114") throw out_of_range.
    return invalid_argument(std::string("invalid JSON: ") + e.what());
  }
  if (!j.is_object()) {
    return invalid_argument("invalid JSON: json: cannot unmarshal " + json_kind(j) +
                            " into Go value of type network.CreateRequest");
  }
  engine::NetworkCreateRequest r;
  BERTH_TRY(get_string(j, "Name", "Name", r.name));
  BERTH_TRY(get_string(j, "Driver", "Driver", r.driver));
  BERTH_TRY(get_string(j, "Scope", "Scope", r.scope));
  BERTH_TRY(get_bool(j, "Internal", "Internal", r.internal));
  BERTH_TRY(get_bool(j, "Attachable", "Attachable", r.attachable));
  BERTH_TRY(get_bool(j, "Ingress", "Ingress", r.ingress));
  BERTH_TRY(get_bool(j, "ConfigOnly", "ConfigOnly", r.config_only));
  BERTH_TRY(get_opt_bool(j, "EnableIPv4", "EnableIPv4", r.enable_ipv4));
  BERTH_TRY(get_opt_bool(j, "EnableIPv6", "EnableIPv6", r.enable_ipv6));
  BERTH_TRY(get_map(j, "Options", "Options", r.options));
  BERTH_TRY(get_map(j, "Labels", "Labels", r.labels));
  if (auto it = j.find("ConfigFrom"); it != j.end() && !it->is_null()) {
    if (!it->is_object()) return type_error(json_kind(*it), "ConfigFrom", "network.ConfigReference");
    r.config_from = true;
  }
  if (auto it = j.find("IPAM"); it != j.end() && !it->is_null()) {
    if (!it->is_object()) return type_error(json_kind(*it), "IPAM", "network.IPAM");
    r.ipam_given = true;
    BERTH_TRY(get_string(*it, "Driver", "IPAM.Driver", r.ipam_driver));
    BERTH_TRY(get_map(*it, "Options", "IPAM.Options", r.ipam_options));
    if (auto c = it->find("Config"); c != it->end() && !c->is_null()) {
      if (!c->is_array()) return type_error(json_kind(*c), "IPAM.Config", "[]network.IPAMConfig");
      for (const auto& e : *c) {
        if (!e.is_object()) return type_error(json_kind(e), "IPAM.Config", "network.IPAMConfig");
        ipam::ConfigRequest cr;
        BERTH_TRY(get_string(e, "Subnet", "IPAM.Config.Subnet", cr.subnet));
        BERTH_TRY(get_string(e, "IPRange", "IPAM.Config.IPRange", cr.ip_range));
        BERTH_TRY(get_string(e, "Gateway", "IPAM.Config.Gateway", cr.gateway));
        BERTH_TRY(get_map(e, "AuxiliaryAddresses", "IPAM.Config.AuxiliaryAddresses",
                          cr.aux_addresses));
        r.ipam_config.push_back(std::move(cr));
      }
    }
  }
  // After a value that decoded: ReadJSON's dec.More().
  if (go_json_more(body.substr(v.end))) return invalid_argument("unexpected content after JSON");
  return r;
}

ojson version_json(const SystemFacts& f, ApiVersion v) {
  const std::string built = rfc3339_nano(f.build_time);
  ojson details;
  details["ApiVersion"] = kMaxApi.str();
  details["Arch"] = "amd64";
  details["BuildTime"] = built;
  details["Experimental"] = "false";
  details["GitCommit"] = f.git_commit;
  details["GoVersion"] = "n/a (C++20)";
  details["KernelVersion"] = f.kernel;
  details["MinAPIVersion"] = kMinApi.str();
  details["Os"] = "linux";
  ojson engine;
  engine["Name"] = "Engine";
  engine["Version"] = f.version;
  engine["Details"] = std::move(details);
  ojson j;
  j["Platform"] = ojson{{"Name", "berth"}};
  j["Components"] = ojson::array({std::move(engine)});
  j["Version"] = f.version;
  j["ApiVersion"] = kMaxApi.str();
  j["MinAPIVersion"] = kMinApi.str();
  j["GitCommit"] = f.git_commit;
  j["GoVersion"] = "n/a (C++20)";
  j["Os"] = "linux";
  j["Arch"] = "amd64";
  j["KernelVersion"] = f.kernel;
  j["BuildTime"] = built;
  (void)v;
  return j;
}

ojson info_json(const SystemFacts& f, ApiVersion v) {
  ojson j;
  j["ID"] = f.engine_id;
  j["Containers"] = 0;
  j["ContainersRunning"] = 0;
  j["ContainersPaused"] = 0;
  j["ContainersStopped"] = 0;
  j["Images"] = 0;
  j["Driver"] = "overlay";
  j["DriverStatus"] = ojson::array();
  j["Plugins"] = ojson{{"Volume", ojson::array()},
                       {"Network", ojson::array({"bridge", "host", "null"})},
                       {"Authorization", nullptr},
                       {"Log", ojson::array({"json-file"})}};
  j["MemoryLimit"] = false;
  j["SwapLimit"] = false;
  j["CpuCfsPeriod"] = false;
  j["CpuCfsQuota"] = false;
  j["CPUShares"] = false;
  j["CPUSet"] = false;
  j["PidsLimit"] = false;
  j["IPv4Forwarding"] = true;
  j["Debug"] = false;
  j["NFd"] = 0;
  j["OomKillDisable"] = false;
  j["NGoroutines"] = 0;
  j["SystemTime"] = rfc3339_nano(now_nanos());
  j["LoggingDriver"] = "json-file";
  j["CgroupDriver"] = "none";
  j["CgroupVersion"] = "1";
  j["NEventsListener"] = 0;
  j["KernelVersion"] = f.kernel;
  j["OperatingSystem"] = f.os_name;
  j["OSVersion"] = "";
  j["OSType"] = "linux";
  j["Architecture"] = "x86_64";
  j["IndexServerAddress"] = "";
  j["RegistryConfig"] = ojson{{"InsecureRegistryCIDRs", ojson::array()},
                              {"IndexConfigs", ojson::object()},
                              {"Mirrors", ojson::array()}};
  j["NCPU"] = f.ncpu;
  j["MemTotal"] = f.mem_total;
  j["GenericResources"] = nullptr;
  j["DockerRootDir"] = f.data_root;
  j["HttpProxy"] = "";
  j["HttpsProxy"] = "";
  j["NoProxy"] = "";
  j["Name"] = f.hostname;
  j["Labels"] = ojson::array();
  j["ExperimentalBuild"] = false;
  j["ServerVersion"] = f.version;
  j["Runtimes"] = ojson{{"berth", ojson{{"path", "berth-shim"}}}};
  j["DefaultRuntime"] = "berth";
  j["Swarm"] = ojson{{"NodeID", ""},
                     {"NodeAddr", ""},
                     {"LocalNodeState", "inactive"},
                     {"ControlAvailable", false},
                     {"Error", ""},
                     {"RemoteManagers", nullptr}};
  j["LiveRestoreEnabled"] = true;
  j["Isolation"] = "";
  j["InitBinary"] = "berth-init";
  j["ContainerdCommit"] = ojson{{"ID", ""}};
  j["RuncCommit"] = ojson{{"ID", ""}};
  j["InitCommit"] = ojson{{"ID", ""}};
  j["SecurityOptions"] = ojson::array();
  j["Warnings"] = f.warnings.empty() ? ojson(nullptr) : ojson(f.warnings);
  (void)v;
  return j;
}

}  // namespace berth::api
