// Container JSON in moby's struct order (api/types/container: InspectResponse,
// State, Config, NetworkSettings; network.EndpointSettings; Summary).
#include "api/container_json.h"

#include <map>
#include <set>

#include <algorithm>
#include <regex>

#include <nlohmann/json.hpp>

#include "api/go_json_syntax.h"

namespace berth::api {
namespace {

using nlohmann::json;

ojson get_or(const ojson& o, const std::string& key, ojson dflt) {
  auto it = o.find(key);
  return it == o.end() ? dflt : *it;
}

const store::NetworkRecord* network_by_id(const ContainerView& v, const std::string& id) {
  for (const auto& n : v.networks) {
    if (n.id == id) return &n;
  }
  return nullptr;
}

const store::NetworkRecord* network_by_term(const ContainerView& v, const std::string& term) {
  for (const auto& n : v.networks) {
    if (n.name == term || n.id == term) return &n;
  }
  for (const auto& n : v.networks) {
    if (!term.empty() && n.id.rfind(term, 0) == 0) return &n;
  }
  return nullptr;
}

std::vector<std::string> strings_of(const ojson& j) {
  std::vector<std::string> out;
  if (j.is_array()) {
    for (const auto& e : j) {
      if (e.is_string()) out.push_back(e.get<std::string>());
    }
  } else if (j.is_string()) {
    out.push_back(j.get<std::string>());
  }
  return out;
}

std::vector<std::string> process_args(const ojson& config) {
  auto args = strings_of(get_or(config, "Entrypoint", nullptr));
  auto cmd = strings_of(get_or(config, "Cmd", nullptr));
  args.insert(args.end(), cmd.begin(), cmd.end());
  return args;
}

// One network's EndpointSettings, filled from the active endpoint when the
// container runs and left empty (but present) when it does not.
ojson endpoint_settings(const ContainerView& v, const std::string& net_key, const ojson& requested,
                        ApiVersion ver) {
  const auto& c = *v.c;
  const store::NetworkRecord* net = network_by_term(v, net_key);
  const store::EndpointRecord* ep = nullptr;
  if (net) {
    for (const auto& e : v.endpoints) {
      if (e.network_id == net->id) ep = &e;
    }
  }
  ojson e;
  ojson ipam = get_or(requested, "IPAMConfig", nullptr);
  if (ipam.is_object() && ipam.empty()) ipam = nullptr;
  e["IPAMConfig"] = ipam;
  e["Links"] = get_or(requested, "Links", nullptr);
  ojson aliases = get_or(requested, "Aliases", nullptr);
  const bool user_net = net && !net->predefined;
  if (ver < ApiVersion{145} && user_net && ep) {
    // Before 1.45 the short id was listed among the aliases.
    if (!aliases.is_array()) aliases = ojson::array();
    aliases.push_back(c.id.substr(0, 12));
  }
  e["Aliases"] = aliases;
  e["MacAddress"] = ep ? ep->mac : "";
  e["DriverOpts"] = get_or(requested, "DriverOpts", nullptr);
  if (ver >= ApiVersion{148}) e["GwPriority"] = get_or(requested, "GwPriority", 0);
  e["NetworkID"] = net ? net->id : "";
  e["EndpointID"] = ep ? ep->id : "";
  e["Gateway"] = ep ? ep->gateway : "";
  e["IPAddress"] = ep ? ep->ip : "";
  e["IPPrefixLen"] = ep ? ep->prefix_len : 0;
  e["IPv6Gateway"] = "";
  e["GlobalIPv6Address"] = "";
  e["GlobalIPv6PrefixLen"] = 0;
  if (ver >= ApiVersion{144}) {
    if (user_net && ep) {
      std::vector<std::string> names{c.name};
      for (const auto& a : strings_of(get_or(requested, "Aliases", nullptr))) names.push_back(a);
      names.push_back(c.id.substr(0, 12));
      if (!c.hostname.empty()) names.push_back(c.hostname);
      std::vector<std::string> dedup;
      for (const auto& n : names) {
        if (std::find(dedup.begin(), dedup.end(), n) == dedup.end()) dedup.push_back(n);
      }
      e["DNSNames"] = dedup;
    } else {
      e["DNSNames"] = nullptr;
    }
  }
  return e;
}

ojson network_settings(const ContainerView& v, ApiVersion ver, bool summary) {
  const auto& c = *v.c;
  const ojson requested = ojson::parse(c.networking_json);
  const ojson config = ojson::parse(c.config_json);
  const bool running = c.status == "running";

  ojson networks = ojson::object();
  const std::string mode = c.network_mode;
  if (mode.rfind("container:", 0) != 0) {
    const store::NetworkRecord* mode_net = network_by_term(v, mode);
    const std::string mode_key = mode_net ? mode_net->name : mode;
    const bool mode_detached = requested.is_object() && requested.contains(mode) &&
                               requested[mode].is_null();  // network disconnect
    if (!mode_detached) {
      networks[mode_key] = endpoint_settings(v, mode, get_or(requested, mode, ojson::object()), ver);
    }
    if (requested.is_object()) {
      for (auto it = requested.begin(); it != requested.end(); ++it) {
        if (it.key() == mode || it.key() == mode_key || it->is_null()) continue;
        const store::NetworkRecord* n = network_by_term(v, it.key());
        networks[n ? n->name : it.key()] = endpoint_settings(v, it.key(), it.value(), ver);
      }
    }
  }
  if (summary) return ojson{{"Networks", networks}};

  ojson ns;
  ns["Bridge"] = "";
  ns["SandboxID"] = running && !c.netns_path.empty() ? c.id : "";
  ns["SandboxKey"] = running ? c.netns_path : "";
  ojson ports = ojson::object();
  if (running) {
    // Docker's nat.PortMap: every exposed port, with its host bindings or null.
    std::map<std::string, ojson> pm;
    if (auto ex = config.find("ExposedPorts"); ex != config.end() && ex->is_object()) {
      for (auto it = ex->begin(); it != ex->end(); ++it) pm[it.key()] = nullptr;
    }
    for (const auto& p : v.ports) {
      auto& list = pm[std::to_string(p.container_port) + "/" + p.proto];
      if (list.is_null()) list = ojson::array();
      list.push_back(ojson{{"HostIp", p.host_ip}, {"HostPort", std::to_string(p.host_port)}});
    }
    for (auto& [k, val] : pm) ports[k] = std::move(val);
  }
  ns["Ports"] = ports;
  ns["HairpinMode"] = false;
  ns["LinkLocalIPv6Address"] = "";
  ns["LinkLocalIPv6PrefixLen"] = 0;
  ns["SecondaryIPAddresses"] = nullptr;
  ns["SecondaryIPv6Addresses"] = nullptr;
  // The deprecated top-level fields are filled for the default bridge only.
  const store::EndpointRecord* def = nullptr;
  for (const auto& e : v.endpoints) {
    const auto* n = network_by_id(v, e.network_id);
    if (n && n->name == "bridge" && n->predefined) def = &e;
  }
  ns["EndpointID"] = def ? def->id : "";
  ns["Gateway"] = def ? def->gateway : "";
  ns["GlobalIPv6Address"] = "";
  ns["GlobalIPv6PrefixLen"] = 0;
  ns["IPAddress"] = def ? def->ip : "";
  ns["IPPrefixLen"] = def ? def->prefix_len : 0;
  ns["IPv6Gateway"] = "";
  ns["MacAddress"] = def ? def->mac : "";
  ns["Networks"] = networks;
  return ns;
}

// container.Config in moby's field order, from what create stored.
ojson config_json(const ojson& stored) {
  ojson c;
  c["Hostname"] = get_or(stored, "Hostname", "");
  c["Domainname"] = get_or(stored, "Domainname", "");
  c["User"] = get_or(stored, "User", "");
  c["AttachStdin"] = get_or(stored, "AttachStdin", false);
  c["AttachStdout"] = get_or(stored, "AttachStdout", false);
  c["AttachStderr"] = get_or(stored, "AttachStderr", false);
  if (auto ex = stored.find("ExposedPorts"); ex != stored.end() && ex->is_object() && !ex->empty()) {
    c["ExposedPorts"] = *ex;
  }
  c["Tty"] = get_or(stored, "Tty", false);
  c["OpenStdin"] = get_or(stored, "OpenStdin", false);
  c["StdinOnce"] = get_or(stored, "StdinOnce", false);
  c["Env"] = get_or(stored, "Env", nullptr);
  c["Cmd"] = get_or(stored, "Cmd", nullptr);
  c["Image"] = get_or(stored, "Image", "");
  c["Volumes"] = get_or(stored, "Volumes", nullptr);
  c["WorkingDir"] = get_or(stored, "WorkingDir", "");
  c["Entrypoint"] = get_or(stored, "Entrypoint", nullptr);
  c["OnBuild"] = get_or(stored, "OnBuild", nullptr);
  ojson labels = get_or(stored, "Labels", ojson::object());
  c["Labels"] = labels.is_null() ? ojson::object() : labels;
  if (auto s = stored.find("StopSignal"); s != stored.end() && s->is_string() && !s->get<std::string>().empty()) {
    c["StopSignal"] = *s;
  }
  if (auto s = stored.find("StopTimeout"); s != stored.end() && s->is_number()) c["StopTimeout"] = *s;
  return c;
}

}  // namespace

Result<engine::ContainerCreateRequest> decode_container_create(std::string_view body,
                                                              const std::string& name) {
  // runconfig's loadJSON: json.Decoder reads one value and its error is
  // wrapped in "invalid JSON: " (io.EOF too: "invalid JSON: EOF").
  const GoJsonValue v = go_json_read_value(body);
  if (v.error) return invalid_argument("invalid JSON: " + *v.error);
  ojson j;
  try {
    j = ojson::parse(body.substr(0, v.end));
  } catch (const ojson::exception& e) {
    // Go's syntax is satisfied but nlohmann refuses invalid UTF-8, a lone
    // surrogate or a number beyond a double's range.
    return invalid_argument(std::string("invalid JSON: ") + e.what());
  }
  if (!j.is_object()) {
    return invalid_argument("invalid JSON: json: cannot unmarshal " + std::string(j.type_name()) +
                            " into Go value of type container.CreateRequest");
  }
  engine::ContainerCreateRequest r;
  r.name = name;
  auto check = [](const ojson& v, const char* field, bool (ojson::*pred)() const,
                  const char* want) -> Status {
    if (v.is_null() || (v.*pred)()) return ok_status();
    return invalid_argument("invalid JSON: json: cannot unmarshal " + std::string(v.type_name()) +
                            " into Go struct field CreateRequest." + field + " of type " + want);
  };
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    if (k == "HostConfig" || k == "NetworkingConfig") continue;
    r.config[k] = it.value();
  }
  for (const char* f : {"Hostname", "Domainname", "User", "Image", "WorkingDir", "StopSignal"}) {
    BERTH_TRY(check(get_or(j, f, nullptr), f, &ojson::is_string, "string"));
  }
  for (const char* f : {"Tty", "OpenStdin", "StdinOnce", "AttachStdin", "AttachStdout", "AttachStderr"}) {
    BERTH_TRY(check(get_or(j, f, nullptr), f, &ojson::is_boolean, "bool"));
  }
  for (const char* f : {"Env"}) BERTH_TRY(check(get_or(j, f, nullptr), f, &ojson::is_array, "[]string"));
  for (const char* f : {"Labels", "ExposedPorts", "Volumes"}) {
    BERTH_TRY(check(get_or(j, f, nullptr), f, &ojson::is_object, "map"));
  }
  ojson hc = get_or(j, "HostConfig", ojson::object());
  if (hc.is_null()) hc = ojson::object();
  BERTH_TRY(check(hc, "HostConfig", &ojson::is_object, "container.HostConfig"));
  ojson nc = get_or(j, "NetworkingConfig", ojson::object());
  if (nc.is_null()) nc = ojson::object();
  BERTH_TRY(check(nc, "NetworkingConfig", &ojson::is_object, "network.NetworkingConfig"));
  ojson eps = get_or(nc, "EndpointsConfig", ojson::object());
  if (eps.is_null()) eps = ojson::object();
  BERTH_TRY(check(eps, "NetworkingConfig.EndpointsConfig", &ojson::is_object, "map"));

  // dockerd: NetworkMode "default" means the daemon's default network.
  std::string mode = hc.contains("NetworkMode") && hc["NetworkMode"].is_string()
                         ? hc["NetworkMode"].get<std::string>()
                         : "";
  if (mode.empty() || mode == "default") {
    hc["NetworkMode"] = "bridge";
    if (eps.contains("default")) {
      eps["bridge"] = eps["default"];
      eps.erase("default");
    }
  }
  r.host_config = hc;
  r.endpoints_config = eps;
  // After a value that decoded: loadJSON's dec.More().
  if (go_json_more(body.substr(v.end))) return invalid_argument("unexpected content after JSON");
  return r;
}

std::string human_duration(int64_t nanos) {
  const double secs = static_cast<double>(nanos) / 1e9;
  const int64_t s = static_cast<int64_t>(secs);
  if (s < 1) return "Less than a second";
  if (s == 1) return "1 second";
  if (s < 60) return std::to_string(s) + " seconds";
  const int64_t m = static_cast<int64_t>(secs / 60);
  if (m == 1) return "About a minute";
  if (m < 60) return std::to_string(m) + " minutes";
  const int64_t h = static_cast<int64_t>(secs / 3600 + 0.5);
  if (h == 1) return "About an hour";
  if (h < 48) return std::to_string(h) + " hours";
  if (h < 24 * 7 * 2) return std::to_string(h / 24) + " days";
  if (h < 24 * 30 * 2) return std::to_string(h / 24 / 7) + " weeks";
  if (h < 24 * 365 * 2) return std::to_string(h / 24 / 30) + " months";
  return std::to_string(static_cast<int64_t>(secs / 3600 / 24 / 365)) + " years";
}

std::string status_text(const store::ContainerRecord& c, int64_t now) {
  if (c.status == "running") return "Up " + human_duration(now - c.started_at);
  if (c.status == "restarting") {
    return "Restarting (" + std::to_string(c.exit_code) + ") " +
           human_duration(now - c.finished_at) + " ago";
  }
  if (c.status == "exited") {
    if (c.finished_at == 0) return "Exited (" + std::to_string(c.exit_code) + ")";
    return "Exited (" + std::to_string(c.exit_code) + ") " + human_duration(now - c.finished_at) +
           " ago";
  }
  return "Created";
}

std::string command_text(const std::vector<std::string>& args) {
  std::string out;
  for (size_t i = 0; i < args.size(); ++i) {
    if (i) out += ' ';
    if (i > 0 && args[i].find(' ') != std::string::npos) {
      out += "'" + args[i] + "'";
    } else {
      out += args[i];
    }
  }
  return out;
}

ojson container_inspect_json(const ContainerView& v, ApiVersion ver) {
  const auto& c = *v.c;
  const ojson stored = ojson::parse(c.config_json);
  ojson host_config = ojson::parse(c.host_config_json);
  const auto args = process_args(stored);
  ojson j;
  j["Id"] = c.id;
  j["Created"] = rfc3339_nano(c.created);
  j["Path"] = args.empty() ? "" : args[0];
  j["Args"] = args.size() > 1 ? ojson(std::vector<std::string>(args.begin() + 1, args.end()))
                              : ojson::array();
  const bool running = c.status == "running";
  ojson state;
  state["Status"] = c.status;
  state["Running"] = running || c.status == "restarting";
  state["Paused"] = false;
  state["Restarting"] = c.status == "restarting";
  state["OOMKilled"] = false;
  state["Dead"] = false;
  state["Pid"] = running ? c.pid : 0;
  state["ExitCode"] = c.exit_code;
  state["Error"] = c.error;
  state["StartedAt"] = rfc3339_nano(c.started_at);
  state["FinishedAt"] = rfc3339_nano(c.finished_at);
  j["State"] = std::move(state);
  j["Image"] = c.image_id;
  const bool own_files = c.network_mode.rfind("container:", 0) != 0;
  j["ResolvConfPath"] = own_files && c.started_at ? v.bundle_dir + "/resolv.conf" : "";
  j["HostnamePath"] = own_files && c.started_at ? v.bundle_dir + "/hostname" : "";
  j["HostsPath"] = own_files && c.started_at ? v.bundle_dir + "/hosts" : "";
  j["LogPath"] = c.started_at ? v.bundle_dir + "/" + c.id + "-json.log" : "";
  j["Name"] = "/" + c.name;
  j["RestartCount"] = c.restart_count;
  j["Driver"] = "host";
  j["Platform"] = "linux";
  j["MountLabel"] = "";
  j["ProcessLabel"] = "";
  j["AppArmorProfile"] = "";
  j["ExecIDs"] = nullptr;
  j["HostConfig"] = host_config;
  j["GraphDriver"] = ojson{{"Data", nullptr}, {"Name", "host"}};
  j["Mounts"] = ojson::array();
  j["Config"] = config_json(stored);
  j["NetworkSettings"] = network_settings(v, ver, false);
  return j;
}

ojson container_summary_json(const ContainerView& v, ApiVersion ver) {
  const auto& c = *v.c;
  const ojson stored = ojson::parse(c.config_json);
  ojson j;
  j["Id"] = c.id;
  j["Names"] = ojson::array({"/" + c.name});
  j["Image"] = c.image;
  j["ImageID"] = c.image_id;
  j["Command"] = command_text(process_args(stored));
  j["Created"] = c.created / 1000000000;
  // Published ports show as {"IP":"0.0.0.0","PrivatePort":80,"PublicPort":
  // 8080,"Type":"tcp"}, exposed but unpublished ones as {"PrivatePort":80,
  // "Type":"tcp"}, while the container runs.
  ojson ports = ojson::array();
  if (c.status == "running") {
    std::set<std::string> published;
    for (const auto& p : v.ports) {
      ports.push_back(ojson{{"IP", p.host_ip},
                            {"PrivatePort", p.container_port},
                            {"PublicPort", p.host_port},
                            {"Type", p.proto}});
      published.insert(std::to_string(p.container_port) + "/" + p.proto);
    }
    if (auto ex = stored.find("ExposedPorts"); ex != stored.end() && ex->is_object()) {
      for (auto it = ex->begin(); it != ex->end(); ++it) {
        const std::string& key = it.key();
        if (published.count(key)) continue;
        const auto slash = key.find('/');
        ojson port;
        try {
          port["PrivatePort"] = std::stoi(key.substr(0, slash));
        } catch (...) {
          continue;
        }
        port["Type"] = slash == std::string::npos ? "tcp" : key.substr(slash + 1);
        ports.push_back(std::move(port));
      }
    }
  }
  j["Ports"] = ports;
  ojson labels = get_or(stored, "Labels", ojson::object());
  j["Labels"] = labels.is_null() ? ojson::object() : labels;
  j["State"] = c.status;
  j["Status"] = status_text(c, v.now);
  j["HostConfig"] = ojson{{"NetworkMode", c.network_mode}};
  j["NetworkSettings"] = network_settings(v, ver, true);
  j["Mounts"] = ojson::array();
  return j;
}

Result<bool> container_matches(const std::map<std::string, std::vector<std::string>>& f,
                               const ContainerView& v) {
  const auto& c = *v.c;
  static const std::vector<std::string> kKeys = {"id", "name", "label", "status", "exited",
                                                 "network", "ancestor"};
  for (const auto& [k, vals] : f) {
    if (std::find(kKeys.begin(), kKeys.end(), k) == kKeys.end()) {
      return invalid_argument("invalid filter '" + k + "'");
    }
  }
  auto any = [](const std::vector<std::string>& vals, auto pred) {
    if (vals.empty()) return true;
    return std::any_of(vals.begin(), vals.end(), pred);
  };
  for (const auto& [k, vals] : f) {
    bool ok = true;
    if (k == "id") {
      ok = any(vals, [&](const std::string& x) { return c.id.rfind(x, 0) == 0; });
    } else if (k == "name") {
      ok = any(vals, [&](const std::string& x) {
        try {
          return std::regex_search("/" + c.name, std::regex(x));
        } catch (const std::regex_error&) {
          return false;
        }
      });
    } else if (k == "status") {
      for (const auto& x : vals) {
        static const std::vector<std::string> kStates = {"created", "restarting", "running",
                                                         "removing", "paused", "exited", "dead"};
        if (std::find(kStates.begin(), kStates.end(), x) == kStates.end()) {
          return invalid_argument("invalid filter 'status=" + x + "'");
        }
      }
      ok = any(vals, [&](const std::string& x) { return x == c.status; });
    } else if (k == "exited") {
      ok = c.status == "exited" &&
           any(vals, [&](const std::string& x) { return x == std::to_string(c.exit_code); });
    } else if (k == "label") {
      const ojson labels = get_or(ojson::parse(c.config_json), "Labels", ojson::object());
      for (const auto& want : vals) {
        auto eq = want.find('=');
        const std::string key = want.substr(0, eq);
        if (!labels.is_object() || !labels.contains(key)) {
          ok = false;
        } else if (eq != std::string::npos && labels[key] != want.substr(eq + 1)) {
          ok = false;
        }
      }
    } else if (k == "network") {
      ok = any(vals, [&](const std::string& x) {
        for (const auto& e : v.endpoints) {
          const auto* n = network_by_id(v, e.network_id);
          if (n && (n->name == x || n->id.rfind(x, 0) == 0)) return true;
        }
        return c.network_mode == x;
      });
    } else if (k == "ancestor") {
      ok = any(vals, [&](const std::string& x) { return c.image == x || c.image_id == x; });
    }
    if (!ok) return false;
  }
  return true;
}

}  // namespace berth::api
