// The body of POST /containers/create as docker 28.2.2's `create` and `run`
// build it from their flags (cli/command/container/opts.go parse()): the
// same validation, the same messages, and the JSON in Go's struct order,
// byte for byte, so that berthd sees exactly what the docker CLI sends.
// Pure: files (--env-file, --label-file) and the environment (-e NAME) are
// read through the functions passed in.
#pragma once

#include <array>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace berth::cli {

using ojson = nlohmann::ordered_json;

// One --network value (opts.NetworkOpt): a bare name, or the long syntax
// "name=netlb,alias=a,ip=…,ip6=…,mac-address=…,gw-priority=N,driver-opt=k=v,
// link-local-ip=…" (keys and values lower-cased, as docker does).
struct NetworkAttachment {
  std::string target;
  std::vector<std::string> aliases;
  std::vector<std::pair<std::string, std::string>> driver_opts;  // sorted by key on output
  std::string ipv4, ipv6, mac_address;
  std::vector<std::string> link_local_ips;
  int gw_priority = 0;
};

// Parses one --network value; the error is the flag's reason
// ("invalid field key foo", "network name/id is not specified").
Result<NetworkAttachment> parse_network_flag(const std::string& value);

struct ContainerCreateOptions {
  std::string image;
  std::vector<std::string> args;    // the command after the image
  std::vector<std::string> attach;  // -a: stdin/stdout/stderr (lower-cased)
  bool interactive = false, tty = false, privileged = false, publish_all = false,
       auto_remove = false;
  std::string hostname, domainname, user, workdir;
  std::optional<std::string> entrypoint;  // set when --entrypoint was given
  std::vector<std::string> env;           // -e, as given
  std::vector<std::string> env_files, labels, label_files;
  std::vector<NetworkAttachment> networks;
  std::vector<std::string> aliases, dns, dns_search, dns_options, extra_hosts;
  std::vector<std::string> cap_add, cap_drop, publish, expose;
  std::string ip, ip6, mac_address;
  std::string restart = "no";
  std::string stop_signal;
  std::optional<long long> stop_timeout;
  std::array<int, 2> console_size = {0, 0};
  // `run -d` clears the attach flags and StdinOnce after parsing.
  bool detach = false;
};

struct CreateIo {
  // Reads a whole file; the error message is Go's ("open x: no such file
  // or directory").
  std::function<Result<std::string>(const std::string& path)> read_file;
  // os.LookupEnv.
  std::function<std::optional<std::string>(const std::string& name)> lookup_env;
};

// The create body (Config + HostConfig + NetworkingConfig), or docker's
// parse error ("invalid proto: foo", "conflicting options: …").
Result<ojson> container_create_body(const ContainerCreateOptions& o, const CreateIo& io);

// ---- pieces, exposed for tests -------------------------------------------

struct PortMapping {
  std::string port;  // "80/tcp"
  std::string host_ip, host_port;
};
// nat.ParsePortSpec: "[ip:][hostPort:]containerPort[/proto]", ranges on
// either side, "[v6]" addresses; and the "published=…,target=…" form.
Result<std::vector<PortMapping>> parse_port_spec(const std::string& spec);

// ExposedPorts and PortBindings for -p values and --expose values.
struct PortConfig {
  ojson exposed = ojson::object();   // {"80/tcp":{}} sorted
  ojson bindings = ojson::object();  // {"80/tcp":[{"HostIp":"","HostPort":"8080"}]}
};
Result<PortConfig> port_config(const std::vector<std::string>& publish,
                               const std::vector<std::string>& expose);

// opts.parseKeyValueFile: KEY=VALUE lines; `lookup` fills "KEY" lines
// (env files) or, when empty, such lines are dropped (label files).
Result<std::vector<std::string>> parse_key_value_file(
    const std::string& name, const std::string& content,
    const std::function<std::optional<std::string>(const std::string&)>& lookup);

// Upper-cased, "CAP_"-prefixed (but "ALL"), sorted, without duplicates.
std::vector<std::string> normalize_capabilities(const std::vector<std::string>& caps);

// Flag validators (the reason, or nothing when the value is fine).
std::optional<std::string> validate_env(const std::string& v);
std::optional<std::string> validate_container_label(const std::string& v);
std::optional<std::string> validate_extra_host(const std::string& v);
std::optional<std::string> validate_ip_address(const std::string& v);
std::optional<std::string> validate_dns_search(const std::string& v);
std::optional<std::string> validate_attach(const std::string& v);
// strconv.ParseInt(s, 0, 64), with Go's message on failure.
Result<long long> parse_go_int(const std::string& s);

// Values as the flags store them: --add-host as "name:ip", --dns
// normalised (net.IP.String()).
std::string normalize_extra_host(const std::string& v);
std::string normalize_ip(const std::string& v);
// net.ParseMAC.
bool valid_mac(const std::string& v);

}  // namespace berth::cli
