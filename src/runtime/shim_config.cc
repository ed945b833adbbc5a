#include "runtime/shim_config.h"

#include <nlohmann/json.hpp>

namespace berth::runtime {
namespace {

using nlohmann::json;

template <typename T>
void get_to(const json& j, const char* key, T& out) {
  const auto it = j.find(key);
  if (it != j.end() && !it->is_null()) it->get_to(out);
}

}  // namespace

std::string encode_shim_config(const ShimConfig& c) {
  const ProcessSpec& s = c.spec;
  json j = {
      {"id", s.id},
      {"bundle_dir", s.bundle_dir},
      {"args", s.args},
      {"env", s.env},
      {"cwd", s.cwd},
      {"user", s.user.user},
      {"hostname", s.hostname},
      {"tty", s.tty},
      {"open_stdin", s.open_stdin},
      {"console_rows", s.console_rows},
      {"console_cols", s.console_cols},
      {"netns_path", s.netns_path},
      {"rootfs", s.rootfs},
      {"lower_dirs", s.lower_dirs},
      {"upper_dir", s.upper_dir},
      {"work_dir", s.work_dir},
      {"hosts_file", s.hosts_file},
      {"hostname_file", s.hostname_file},
      {"resolv_conf_file", s.resolv_conf_file},
      {"cap_add", s.cap_add},
      {"cap_drop", s.cap_drop},
      {"privileged", s.privileged},
      {"log_path", s.log_path},
      {"data_root", s.data_root},
      {"init_path", c.init_path},
  };
  return j.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

Result<ShimConfig> decode_shim_config(std::string_view text) {
  const json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return invalid_argument("config.json is not a JSON object");
  ShimConfig c;
  ProcessSpec& s = c.spec;
  try {
    get_to(j, "id", s.id);
    get_to(j, "bundle_dir", s.bundle_dir);
    get_to(j, "args", s.args);
    get_to(j, "env", s.env);
    get_to(j, "cwd", s.cwd);
    get_to(j, "user", s.user.user);
    get_to(j, "hostname", s.hostname);
    get_to(j, "tty", s.tty);
    get_to(j, "open_stdin", s.open_stdin);
    get_to(j, "console_rows", s.console_rows);
    get_to(j, "console_cols", s.console_cols);
    get_to(j, "netns_path", s.netns_path);
    get_to(j, "rootfs", s.rootfs);
    if (j.contains("lower_dirs")) get_to(j, "lower_dirs", s.lower_dirs);
    if (j.contains("upper_dir")) get_to(j, "upper_dir", s.upper_dir);
    if (j.contains("work_dir")) get_to(j, "work_dir", s.work_dir);
    get_to(j, "hosts_file", s.hosts_file);
    get_to(j, "hostname_file", s.hostname_file);
    get_to(j, "resolv_conf_file", s.resolv_conf_file);
    get_to(j, "cap_add", s.cap_add);
    get_to(j, "cap_drop", s.cap_drop);
    get_to(j, "privileged", s.privileged);
    get_to(j, "log_path", s.log_path);
    get_to(j, "data_root", s.data_root);
    get_to(j, "init_path", c.init_path);
  } catch (const json::exception& e) {
    return invalid_argument(std::string("config.json: ") + e.what());
  }
  return c;
}

std::string data_root_of(const ProcessSpec& spec) {
  if (!spec.data_root.empty()) return spec.data_root;
  std::string d = spec.bundle_dir;
  while (d.size() > 1 && d.back() == '/') d.pop_back();
  for (int i = 0; i < 2; ++i) {
    const size_t slash = d.rfind('/');
    if (slash == std::string::npos || slash == 0) return "";
    d.resize(slash);
  }
  return d;
}

}  // namespace berth::runtime

namespace berth::runtime {

std::string error_kind_name(ErrorKind k) {
  switch (k) {
    case ErrorKind::kInvalidArgument:
      return "invalid_argument";
    case ErrorKind::kForbidden:
      return "forbidden";
    case ErrorKind::kNotFound:
      return "not_found";
    case ErrorKind::kConflict:
      return "conflict";
    case ErrorKind::kUnavailable:
      return "unavailable";
    case ErrorKind::kInternal:
      return "internal";
  }
  return "internal";
}

ErrorKind error_kind_from_name(const std::string& name) {
  for (ErrorKind k : {ErrorKind::kInvalidArgument, ErrorKind::kForbidden, ErrorKind::kNotFound,
                      ErrorKind::kConflict, ErrorKind::kUnavailable}) {
    if (error_kind_name(k) == name) return k;
  }
  return ErrorKind::kInternal;
}

}  // namespace berth::runtime
