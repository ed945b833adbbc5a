// Image configs: what `docker import` writes (moby daemon/images/
// image_import.go) and its --change lines (the commit subset of the
// Dockerfile instructions: builder/dockerfile BuildFromConfig).
#include <algorithm>
#include <cctype>

#include "image/image.h"

namespace berth::image {
namespace {

using ojson = nlohmann::ordered_json;

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

// JSON form ["a","b"] or the shell form wrapped in /bin/sh -c.
Result<ojson> exec_or_shell(const std::string& rest, const std::string& instr) {
  if (!rest.empty() && rest[0] == '[') {
    nlohmann::json j = nlohmann::json::parse(rest, nullptr, false);
    if (!j.is_discarded() && j.is_array() &&
        std::all_of(j.begin(), j.end(), [](const auto& x) { return x.is_string(); })) {
      ojson out = ojson::array();
      for (const auto& x : j) out.push_back(x.template get<std::string>());
      return out;
    }
  }
  if (rest.empty()) return invalid_argument(instr + " requires at least one argument");
  return ojson::array({"/bin/sh", "-c", rest});
}

// Splits "a=b c=\"d e\"" into pairs; shell-like quotes and backslashes.
Result<std::vector<std::pair<std::string, std::string>>> parse_kv(const std::string& rest,
                                                                   const std::string& instr) {
  std::vector<std::pair<std::string, std::string>> out;
  if (rest.find('=') == std::string::npos ||
      rest.find_first_of(" \t") < rest.find('=')) {
    // Legacy form: KEY VALUE...
    const auto sp = rest.find_first_of(" \t");
    if (sp == std::string::npos) {
      return invalid_argument(instr + " must have two arguments");
    }
    out.emplace_back(rest.substr(0, sp), trim(rest.substr(sp)));
    return out;
  }
  std::vector<std::string> words;
  std::string cur;
  bool in_word = false;
  char quote = 0;
  for (size_t i = 0; i < rest.size(); ++i) {
    const char c = rest[i];
    if (quote) {
      if (c == quote) quote = 0;
      else if (c == '\\' && quote == '"' && i + 1 < rest.size()) cur += rest[++i];
      else cur += c;
    } else if (c == '"' || c == '\'') {
      quote = c;
      in_word = true;
    } else if (c == '\\' && i + 1 < rest.size()) {
      cur += rest[++i];
      in_word = true;
    } else if (std::isspace(static_cast<unsigned char>(c))) {
      if (in_word) words.push_back(cur);
      cur.clear();
      in_word = false;
    } else {
      cur += c;
      in_word = true;
    }
  }
  if (quote) return invalid_argument(instr + ": unmatched quote in \"" + rest + "\"");
  if (in_word) words.push_back(cur);
  for (const auto& w : words) {
    const auto eq = w.find('=');
    if (eq == std::string::npos || eq == 0) {
      return invalid_argument("Syntax error - can't find = in \"" + w + "\". Must be of the form: name=value");
    }
    out.emplace_back(w.substr(0, eq), w.substr(eq + 1));
  }
  return out;
}

// dockerd's key order for container.Config; omitempty keys only when set.
ojson canonical(const ojson& c) {
  static const char* kOrder[] = {"Hostname",   "Domainname", "User",        "AttachStdin",
                                 "AttachStdout", "AttachStderr", "ExposedPorts", "Tty",
                                 "OpenStdin",  "StdinOnce",  "Env",         "Cmd",
                                 "Healthcheck", "ArgsEscaped", "Image",     "Volumes",
                                 "WorkingDir", "Entrypoint", "NetworkDisabled", "MacAddress",
                                 "OnBuild",    "Labels",     "StopSignal",  "StopTimeout",
                                 "Shell"};
  ojson out = ojson::object();
  for (const char* k : kOrder) {
    if (c.contains(k)) out[k] = c[k];
  }
  for (auto it = c.begin(); it != c.end(); ++it) {
    if (!out.contains(it.key())) out[it.key()] = it.value();
  }
  return out;
}

}  // namespace

ojson empty_container_config() {
  ojson c = ojson::object();
  c["Hostname"] = "";
  c["Domainname"] = "";
  c["User"] = "";
  c["AttachStdin"] = false;
  c["AttachStdout"] = false;
  c["AttachStderr"] = false;
  c["Tty"] = false;
  c["OpenStdin"] = false;
  c["StdinOnce"] = false;
  c["Env"] = nullptr;
  c["Cmd"] = nullptr;
  c["Image"] = "";
  c["Volumes"] = nullptr;
  c["WorkingDir"] = "";
  c["Entrypoint"] = nullptr;
  c["OnBuild"] = nullptr;
  c["Labels"] = nullptr;
  return c;
}

Status apply_changes(ojson& config, const std::vector<std::string>& changes) {
  for (const auto& raw : changes) {
    const std::string line = trim(raw);
    if (line.empty()) continue;
    const auto sp = line.find_first_of(" \t");
    std::string instr = line.substr(0, sp);
    const std::string rest = sp == std::string::npos ? "" : trim(line.substr(sp));
    std::string upper = instr;
    for (auto& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    if (upper == "CMD" || upper == "ENTRYPOINT") {
      auto v = exec_or_shell(rest, upper);
      if (!v.ok()) return v.error();
      config[upper == "CMD" ? "Cmd" : "Entrypoint"] = *v;
      // Docker: a new ENTRYPOINT resets an inherited CMD.
      if (upper == "ENTRYPOINT") config["Cmd"] = nullptr;
    } else if (upper == "ENV" || upper == "LABEL") {
      auto kv = parse_kv(rest, upper);
      if (!kv.ok()) return kv.error();
      if (upper == "ENV") {
        ojson env = config.contains("Env") && config["Env"].is_array() ? config["Env"] : ojson::array();
        for (const auto& [k, v] : *kv) {
          const std::string entry = k + "=" + v;
          bool replaced = false;
          for (auto& e : env) {
            const std::string s = e.get<std::string>();
            if (s.substr(0, s.find('=')) == k) {
              e = entry;
              replaced = true;
            }
          }
          if (!replaced) env.push_back(entry);
        }
        config["Env"] = env;
      } else {
        if (!config.contains("Labels") || !config["Labels"].is_object()) config["Labels"] = ojson::object();
        for (const auto& [k, v] : *kv) config["Labels"][k] = v;
      }
    } else if (upper == "WORKDIR") {
      if (rest.empty()) return invalid_argument("WORKDIR requires exactly one argument");
      std::string dir = rest;
      if (dir[0] != '/') {
        const std::string base = config.contains("WorkingDir") && config["WorkingDir"].is_string()
                                     ? config["WorkingDir"].get<std::string>()
                                     : "";
        dir = (base.empty() ? "/" : base + "/") + dir;
      }
      config["WorkingDir"] = dir;
    } else if (upper == "EXPOSE") {
      if (rest.empty()) return invalid_argument("EXPOSE requires at least one argument");
      if (!config.contains("ExposedPorts") || !config["ExposedPorts"].is_object()) {
        config["ExposedPorts"] = ojson::object();
      }
      size_t pos = 0;
      while (pos < rest.size()) {
        size_t end = rest.find_first_of(" \t", pos);
        if (end == std::string::npos) end = rest.size();
        std::string port = rest.substr(pos, end - pos);
        pos = rest.find_first_not_of(" \t", end);
        if (pos == std::string::npos) pos = rest.size();
        if (port.empty()) continue;
        std::string num = port.substr(0, port.find('/'));
        std::string proto = port.find('/') == std::string::npos ? "tcp" : port.substr(port.find('/') + 1);
        for (auto& ch : proto) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        const bool digits = !num.empty() && std::all_of(num.begin(), num.end(), ::isdigit) &&
                            num.size() <= 5 && std::stoi(num) <= 65535;
        if (!digits || (proto != "tcp" && proto != "udp" && proto != "sctp")) {
          return invalid_argument("invalid containerPort: " + port);
        }
        config["ExposedPorts"][num + "/" + proto] = ojson::object();
      }
    } else if (upper == "USER") {
      if (rest.empty()) return invalid_argument("USER requires exactly one argument");
      config["User"] = rest;
    } else if (upper == "STOPSIGNAL") {
      if (rest.empty()) return invalid_argument("STOPSIGNAL requires exactly one argument");
      config["StopSignal"] = rest;
    } else if (upper == "VOLUME") {
      auto v = exec_or_shell(rest, upper);
      if (!v.ok()) return v.error();
      if (!config.contains("Volumes") || !config["Volumes"].is_object()) config["Volumes"] = ojson::object();
      if (rest[0] == '[') {
        for (const auto& x : *v) config["Volumes"][x.get<std::string>()] = ojson::object();
      } else {
        config["Volumes"][rest] = ojson::object();
      }
    } else {
      return invalid_argument(instr + " is not a valid change command");
    }
  }
  config = canonical(config);
  return ok_status();
}

std::string import_config(const ojson& container_config, const std::string& comment,
                          const std::string& created, const std::string& diff_id) {
  ojson j = ojson::object();
  j["architecture"] = "amd64";
  j["comment"] = comment;
  j["config"] = container_config;
  j["created"] = created;
  ojson h = ojson::object();
  h["created"] = created;
  h["comment"] = comment;
  j["history"] = ojson::array({h});
  j["os"] = "linux";
  ojson rootfs = ojson::object();
  rootfs["type"] = "layers";
  rootfs["diff_ids"] = ojson::array({diff_id});
  j["rootfs"] = rootfs;
  return j.dump();
}

}  // namespace berth::image
