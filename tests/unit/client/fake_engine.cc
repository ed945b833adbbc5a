#include "unit/client/fake_engine.h"

#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <utility>  // before Asio

#include "common/go_json.h"

namespace berth::testing {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using ojson = nlohmann::ordered_json;

FakeReply json_reply(unsigned status, const std::string& body) {
  return FakeReply{status, "application/json", body};
}

FakeReply message(unsigned status, const std::string& text) {
  return json_reply(status, go_json(ojson{{"message", text}}));
}

// The container, image, volume and plugin routes (docker-api.md §3.9–3.18).
std::optional<FakeReply> answer_containers(const RecordedRequest& r, const std::string& path,
                                           const std::string& list) {
  const std::string& m = r.method;
  auto starts = [&](const std::string& p) { return path.rfind(p, 0) == 0; };
  auto query_has = [&](const std::string& q) { return r.target.find(q) != std::string::npos; };
  static const std::string kWebId =
      "3f4e5d6c7b8a9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f80";
  static const std::string kTtyId(64, '7');
  const std::string created = FakeEngine::kCreatedId;
  // Per-image IDs: the image name repeated to 64 characters.
  auto image_id = [](const std::string& image) {
    std::string id;
    while (id.size() < 64) id += image;
    return id.substr(0, 64);
  };
  auto no_such = [](const std::string& n) { return message(404, "No such container: " + n); };
  auto wait_reply = [](int code, int delay_ms) {
    FakeReply w;
    w.chunked = true;
    w.delay_ms = delay_ms;
    w.chunks = {"{\"StatusCode\":" + std::to_string(code) + "}\n"};
    return w;
  };
  std::string output = FakeEngine::frame(1, "hello\n") + FakeEngine::frame(2, "oops\n") +
                       FakeEngine::frame(1, "part1 ") + FakeEngine::frame(1, "part2\n");

  if (m == "GET" && path == "/containers/json") return json_reply(200, list);
  if (m == "POST" && path == "/containers/create") {
    ojson body = ojson::parse(r.body, nullptr, false);
    std::string image = body.is_object() ? body.value("Image", "") : "";
    if (query_has("name=taken")) {
      return message(409,
                     "Conflict. The container name \"/taken\" is already in use by container "
                     "\"f3dc\". You have to remove (or rename) that container to be able to "
                     "reuse that name.");
    }
    if (image == "missing:1.0") return message(404, "No such image: missing:1.0");
    if (image == "missing2") return message(404, "No such image: missing2:latest");
    if (image == "streampull") return message(404, "No such image: streampull:latest");
    if (image == "nocmd") return message(400, "no command specified");
    std::string id = created;
    for (const char* special : {"exit3", "startfail", "notfound127", "perm126", "nonet"}) {
      if (image == special) id = image_id(image);
    }
    ojson res{{"Id", id}, {"Warnings", ojson::array()}};
    if (image == "warn") {
      res["Warnings"] = ojson::array(
          {"Published ports are discarded when using host network mode", "second warning"});
    }
    return json_reply(201, go_json(res));
  }
  if (m == "POST" && path == "/images/create") {
    if (query_has("fromImage=docker.io%2Flibrary%2Fmissing&")) {
      return message(404,
                     "pull access denied for missing: this engine cannot pull from registries; "
                     "load the image with 'docker load' or 'docker import'");
    }
    if (query_has("fromImage=docker.io%2Flibrary%2Fmissing2&")) {
      return message(500, "pull access denied for missing2");
    }
    FakeReply pull;
    pull.chunked = true;
    pull.chunks = {"{\"status\":\"Pulling from library/streampull\",\"id\":\"latest\"}\r\n",
                   "{\"errorDetail\":{\"message\":\"pull access denied xyz\"},\"error\":\"pull "
                   "access denied xyz\"}\r\n"};
    return pull;
  }
  if (!starts("/containers/")) {
    if (m == "GET" && (starts("/images/") || starts("/plugins/") || starts("/volumes/"))) {
      std::string name = path.substr(path.find('/', 1) + 1);
      name = name.substr(0, name.find('/'));
      if (starts("/images/")) return message(404, "No such image: " + name + ":latest");
      if (starts("/volumes/")) return message(404, "get " + name + ": no such volume");
      return message(404, "plugin \"" + name + "\" not found");
    }
    return std::nullopt;
  }
  std::string rest = path.substr(12);
  std::string name = rest.substr(0, rest.find('/'));
  std::string verb = rest.find('/') == std::string::npos ? "" : rest.substr(rest.find('/') + 1);
  bool is_web = name == "web" || (name.size() >= 3 && kWebId.rfind(name, 0) == 0);
  bool is_tty = name == "ttyc" || name == kTtyId;
  if (m == "GET" && verb == "json") {
    if (is_web) return json_reply(200, FakeEngine::container_inspect_json());
    if (is_tty) {
      ojson c = ojson::parse(FakeEngine::container_inspect_json());
      c["Id"] = kTtyId;
      c["Name"] = "/ttyc";
      c["Config"]["Tty"] = true;
      return json_reply(200, go_json(c));
    }
    return no_such(name);
  }
  if (m == "GET" && verb == "logs") {
    FakeReply logs;
    logs.chunked = true;
    if (is_tty) {
      logs.content_type = "application/vnd.docker.raw-stream";
      logs.chunks = {"raw tty\r\n", "line2\r\n"};
      return logs;
    }
    if (!is_web && name != created && name != image_id("exit3")) return no_such(name);
    logs.content_type = "application/vnd.docker.multiplexed-stream";
    // Split inside a frame header, as a network may.
    logs.chunks = {output.substr(0, 10), output.substr(10)};
    return logs;
  }
  if (m == "POST" && verb == "attach") {
    FakeReply a;
    a.upgrade = true;
    a.content_type = "application/vnd.docker.multiplexed-stream";
    // Only the streams asked for; a container that fails to start
    // produces no output.
    if (name == created || name == image_id("exit3")) {
      bool out = query_has("stdout=1"), err = query_has("stderr=1");
      if (out) a.body += FakeEngine::frame(1, "hello\n");
      if (err) a.body += FakeEngine::frame(2, "oops\n");
      if (out) a.body += FakeEngine::frame(1, "part1 ") + FakeEngine::frame(1, "part2\n");
    }
    return a;
  }
  if (m == "POST" && verb == "wait") {
    if (name == "missing") return no_such(name);
    if (name == "ok1") return wait_reply(3, 50);
    if (name == "errw") {
      FakeReply w = wait_reply(0, 50);
      w.chunks = {"{\"Error\":{\"Message\":\"boom\"},\"StatusCode\":0}\n"};
      return w;
    }
    if (name == image_id("exit3")) return wait_reply(3, 200);
    return wait_reply(0, 200);
  }
  if (m == "POST" && verb == "start") {
    if (name == "missing") return no_such(name);
    if (name == "stopped") return FakeReply{304, "", ""};
    if (name == image_id("startfail")) {
      return message(500,
                     "failed to set up container networking: driver failed programming external "
                     "connectivity on endpoint x (y): Bind for 0.0.0.0:5001 failed: port is "
                     "already allocated");
    }
    if (name == image_id("notfound127")) {
      return message(400,
                     "failed to create task: exec: \"nope\": executable file not found in $PATH");
    }
    if (name == image_id("perm126")) return message(400, "exec /etc: permission denied");
    if (name == image_id("nonet")) {
      return message(404, "failed to set up container networking: network nonexist not found");
    }
    return FakeReply{204, "", ""};
  }
  if (m == "POST" && (verb == "stop" || verb == "restart" || verb == "kill")) {
    if (name == "missing") return no_such(name);
    if (name == "stopped" && verb == "stop") return FakeReply{304, "", ""};
    if (name == "stopped" && verb == "kill") {
      return message(409, "cannot kill container: stopped: container 123 is not running");
    }
    return FakeReply{204, "", ""};
  }
  if (m == "DELETE" && verb.empty()) {
    if (name == "missing") return no_such(name);
    if (name == "running") {
      return message(409,
                     "cannot remove container \"/running\": container is running: stop the "
                     "container before removing or force remove");
    }
    return FakeReply{204, "", ""};
  }
  return std::nullopt;
}

}  // namespace

std::string FakeEngine::networks_json() {
  return R"JSON([
{"Name":"netlb","Id":"471bd587ce6e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f80aaaa","Created":"2026-11-28T02:04:55.940668344Z","Scope":"local","Driver":"bridge","EnableIPv4":true,"EnableIPv6":false,"IPAM":{"Driver":"default","Options":{},"Config":[{"Subnet":"172.200.1.0/24","IPRange":"172.200.1.0/24","Gateway":"172.200.1.1"}]},"Internal":false,"Attachable":false,"Ingress":false,"ConfigFrom":{"Network":""},"ConfigOnly":false,"Containers":{},"Options":{},"Labels":{"com.example.a":"x<y>&z"}},
{"Name":"bridge","Id":"5f0481616f45aaaabbbbccccddddeeeeffff000011112222333344445555666677","Created":"2026-11-27T10:00:00Z","Scope":"local","Driver":"bridge","EnableIPv4":true,"EnableIPv6":false,"IPAM":{"Driver":"default","Options":null,"Config":[{"Subnet":"172.17.0.0/16","Gateway":"172.17.0.1"}]},"Internal":false,"Attachable":false,"Ingress":false,"ConfigFrom":{"Network":""},"ConfigOnly":false,"Containers":{},"Options":{"com.docker.network.bridge.default_bridge":"true","com.docker.network.bridge.name":"berth0"},"Labels":{}},
{"Name":"host","Id":"cce1ab37271c00001111222233334444555566667777888899990000aaaabbbb","Created":"2026-11-27T10:00:00.1Z","Scope":"local","Driver":"host","EnableIPv4":true,"EnableIPv6":false,"IPAM":{"Driver":"default","Options":null,"Config":null},"Internal":false,"Attachable":false,"Ingress":false,"ConfigFrom":{"Network":""},"ConfigOnly":false,"Containers":{},"Options":{},"Labels":{}},
{"Name":"none","Id":"64bdde57169000001111222233334444555566667777888899990000aaaabbbb","Created":"2026-11-27T10:00:00.123456Z","Scope":"local","Driver":"null","EnableIPv4":true,"EnableIPv6":false,"IPAM":{"Driver":"default","Options":null,"Config":null},"Internal":false,"Attachable":false,"Ingress":false,"ConfigFrom":{"Network":""},"ConfigOnly":false,"Containers":{},"Options":{},"Labels":{}},
{"Name":"net10","Id":"99990000aaaabbbb64bdde57169000001111222233334444555566667777888f","Created":"2026-11-28T03:04:05.5Z","Scope":"local","Driver":"bridge","EnableIPv4":true,"EnableIPv6":true,"IPAM":{"Driver":"default","Options":{},"Config":[{"Subnet":"10.10.0.0/16"},{"Subnet":"fd00::/64","Gateway":"fd00::1"}]},"Internal":true,"Attachable":true,"Ingress":false,"ConfigFrom":{"Network":""},"ConfigOnly":false,"Containers":{"3f4e5d6c7b8a9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f80":{"Name":"web","EndpointID":"8d1f0a9c2b3e4d5f6a7b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b","MacAddress":"5e:1c:93:0a:7f:21","IPv4Address":"10.10.0.2/16","IPv6Address":""}},"Options":{"foo":"bar"},"Labels":{"k":"v"}},
{"Name":"net2","Id":"12345678901234567890123456789012345678901234567890123456789012ab","Created":"2026-11-28T03:04:06Z","Scope":"local","Driver":"bridge","EnableIPv4":true,"EnableIPv6":false,"IPAM":{"Driver":"default","Options":{},"Config":[]},"Internal":false,"Attachable":false,"Ingress":false,"ConfigFrom":{"Network":""},"ConfigOnly":false,"Containers":{},"Options":{},"Labels":null}
])JSON";
}

std::string FakeEngine::version_json() {
  return R"JSON({"Platform":{"Name":"berth engine"},"Components":[{"Name":"Engine","Version":"0.1.0","Details":{"ApiVersion":"1.50","Arch":"amd64","BuildTime":"2025-05-30T12:00:00.000000000+00:00","Experimental":"false","GitCommit":"abc1234","GoVersion":"n/a","KernelVersion":"6.1.0","MinAPIVersion":"1.41","Os":"linux"}},{"Name":"berth-shim","Version":"0.1.0","Details":{"GitCommit":"abc1234","Zeta":"z"}}],"Version":"0.1.0","ApiVersion":"1.50","MinAPIVersion":"1.41","GitCommit":"abc1234","GoVersion":"n/a","Os":"linux","Arch":"amd64","KernelVersion":"6.1.0","BuildTime":"2025-05-30T12:00:00.000000000+00:00"}
)JSON";
}

std::string FakeEngine::info_json() {
  return R"JSON({"ID":"b3c1f1d2-1111-2222-3333-444455556666","Containers":3,"ContainersRunning":1,"ContainersPaused":0,"ContainersStopped":2,"Images":2,"Driver":"overlay","DriverStatus":[["Backing Filesystem","extfs"],["Supports d_type","true"]],"Plugins":{"Volume":["local"],"Network":["bridge","host","null"],"Authorization":null,"Log":["json-file"]},"MemoryLimit":true,"SwapLimit":false,"CpuCfsPeriod":true,"CpuCfsQuota":true,"CPUShares":true,"CPUSet":true,"PidsLimit":true,"IPv4Forwarding":true,"Debug":true,"NFd":23,"OomKillDisable":false,"NGoroutines":4,"SystemTime":"2026-11-28T02:04:55.940668344Z","LoggingDriver":"json-file","CgroupDriver":"cgroupfs","CgroupVersion":"1","NEventsListener":0,"KernelVersion":"6.1.0-18-amd64","OperatingSystem":"Debian GNU/Linux 12 (bookworm)","OSVersion":"12","OSType":"linux","Architecture":"x86_64","IndexServerAddress":"https://index.docker.io/v1/","RegistryConfig":{"IndexConfigs":{"docker.io":{"Mirrors":[],"Name":"docker.io","Official":true,"Secure":true},"reg.local:5000":{"Mirrors":[],"Name":"reg.local:5000","Official":false,"Secure":false}},"InsecureRegistryCIDRs":["127.0.0.0/8","::1/128"],"Mirrors":["https://mirror.example"]},"NCPU":2,"MemTotal":8340406272,"GenericResources":null,"DockerRootDir":"/var/lib/berth","HttpProxy":"http://proxy:3128","HttpsProxy":"","NoProxy":"localhost","Name":"host1","Labels":["a=b","c=d"],"ExperimentalBuild":false,"ServerVersion":"0.1.0","Runtimes":{"berth":{"path":"berth-shim"}},"DefaultRuntime":"berth","Swarm":{"NodeID":"","NodeAddr":"","LocalNodeState":"inactive","ControlAvailable":false,"Error":"","RemoteManagers":null},"LiveRestoreEnabled":true,"Isolation":"","InitBinary":"berth-init","ContainerdCommit":{"ID":""},"RuncCommit":{"ID":""},"InitCommit":{"ID":""},"SecurityOptions":["name=seccomp,profile=builtin","name=cgroupns"],"ProductLicense":"Apache-2.0","DefaultAddressPools":[{"Base":"172.17.0.0/16","Size":16},{"Base":"192.168.0.0/16","Size":20}],"CDISpecDirs":["/etc/cdi"],"Warnings":["WARNING: No swap limit support","WARNING: bridge-nf-call-iptables is disabled"]}
)JSON";
}

std::string FakeEngine::container_inspect_json() {
  return R"JSON({"Id":"3f4e5d6c7b8a9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f80","Created":"2026-11-28T02:04:55.940668344Z","Path":"sleep","Args":["1000"],"State":{"Status":"running","Running":true,"Paused":false,"Restarting":false,"OOMKilled":false,"Dead":false,"Pid":4242,"ExitCode":0,"Error":"","StartedAt":"2026-11-28T02:04:56.1Z","FinishedAt":"0001-01-01T00:00:00Z"},"Image":"sha256:0000000000000000000000000000000000000000000000000000000000000000","ResolvConfPath":"/var/lib/berth/containers/3f4e/resolv.conf","HostnamePath":"/var/lib/berth/containers/3f4e/hostname","HostsPath":"/var/lib/berth/containers/3f4e/hosts","LogPath":"/var/lib/berth/containers/3f4e/3f4e-json.log","Name":"/web","RestartCount":0,"Driver":"host","Platform":"linux","MountLabel":"","ProcessLabel":"","AppArmorProfile":"","ExecIDs":null,"HostConfig":{"Binds":null,"ContainerIDFile":"","LogConfig":{"Type":"json-file","Config":{}},"NetworkMode":"netlb","PortBindings":{"5001/tcp":[{"HostIp":"","HostPort":"5001"}],"53/udp":[{"HostIp":"127.0.0.1","HostPort":"5353"}]},"RestartPolicy":{"Name":"no","MaximumRetryCount":0},"AutoRemove":false,"VolumeDriver":"","VolumesFrom":null,"ConsoleSize":[0,0],"CapAdd":null,"CapDrop":null,"CgroupnsMode":"private","Dns":[],"DnsOptions":[],"DnsSearch":[],"ExtraHosts":null,"GroupAdd":null,"IpcMode":"private","Cgroup":"","Links":null,"OomScoreAdj":0,"PidMode":"","Privileged":false,"PublishAllPorts":false,"ReadonlyRootfs":false,"SecurityOpt":null,"UTSMode":"","UsernsMode":"","ShmSize":67108864,"Runtime":"berth","Isolation":"","CpuShares":0,"Memory":0,"NanoCpus":0,"CgroupParent":"","BlkioWeight":0,"BlkioWeightDevice":[],"BlkioDeviceReadBps":[],"BlkioDeviceWriteBps":[],"BlkioDeviceReadIOps":[],"BlkioDeviceWriteIOps":[],"CpuPeriod":0,"CpuQuota":0,"CpuRealtimePeriod":0,"CpuRealtimeRuntime":0,"CpusetCpus":"","CpusetMems":"","Devices":[],"DeviceCgroupRules":null,"DeviceRequests":null,"MemoryReservation":0,"MemorySwap":0,"MemorySwappiness":null,"OomKillDisable":null,"PidsLimit":null,"Ulimits":[],"CpuCount":0,"CpuPercent":0,"IOMaximumIOps":0,"IOMaximumBandwidth":0,"MaskedPaths":["/proc/kcore"],"ReadonlyPaths":["/proc/sys"]},"GraphDriver":{"Data":null,"Name":"host"},"Mounts":[],"Config":{"Hostname":"3f4e5d6c7b8a","Domainname":"","User":"","AttachStdin":false,"AttachStdout":false,"AttachStderr":false,"ExposedPorts":{"5001/tcp":{},"53/udp":{}},"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","A=x<y>&z"],"Cmd":["sleep","1000"],"Image":"host","Volumes":null,"WorkingDir":"/","Entrypoint":null,"OnBuild":null,"Labels":{"com.example.k":"v"},"StopTimeout":5},"NetworkSettings":{"Bridge":"","SandboxID":"9e82bdbb1d55aaaa","SandboxKey":"/run/berth/netns/9e82bdbb1d55","Ports":{"5001/tcp":[{"HostIp":"0.0.0.0","HostPort":"5001"},{"HostIp":"::","HostPort":"5001"}],"53/udp":[{"HostIp":"127.0.0.1","HostPort":"5353"}],"80/tcp":null},"HairpinMode":false,"LinkLocalIPv6Address":"","LinkLocalIPv6PrefixLen":0,"SecondaryIPAddresses":null,"SecondaryIPv6Addresses":null,"EndpointID":"","Gateway":"","GlobalIPv6Address":"","GlobalIPv6PrefixLen":0,"IPAddress":"","IPPrefixLen":0,"IPv6Gateway":"","MacAddress":"","Networks":{"netlb":{"IPAMConfig":null,"Links":null,"Aliases":["tg-net"],"MacAddress":"02:42:ac:c8:01:02","DriverOpts":null,"GwPriority":0,"NetworkID":"471bd587ce6e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f80aaaa","EndpointID":"8d1f0a9c2b3e4d5f6a7b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b","Gateway":"172.200.1.1","IPAddress":"172.200.1.2","IPPrefixLen":24,"IPv6Gateway":"","GlobalIPv6Address":"","GlobalIPv6PrefixLen":0,"DNSNames":["web","tg-net","3f4e5d6c7b8a"]}}}})JSON"
         "\n";
}

std::string FakeEngine::frame(int stream, const std::string& payload) {
  std::string f(8, '\0');
  f[0] = static_cast<char>(stream);
  size_t n = payload.size();
  f[4] = static_cast<char>((n >> 24) & 0xff);
  f[5] = static_cast<char>((n >> 16) & 0xff);
  f[6] = static_cast<char>((n >> 8) & 0xff);
  f[7] = static_cast<char>(n & 0xff);
  return f + payload;
}

std::string FakeEngine::containers_json() const {
  // Times well away from the HumanDuration boundaries, so that the docker
  // CLI and berth, run one after the other, print the same.
  long long t = started_unix_;
  ojson list = ojson::array();
  list.push_back(ojson::parse(
      R"({"Id":"3f4e5d6c7b8a9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f80","Names":["/web"],"Image":"nginx:1.23.3-alpine","ImageID":"sha256:99084313ba86","Command":"/docker-entrypoint.sh nginx -g 'daemon off;'","Created":0,"Ports":[{"PrivatePort":80,"Type":"tcp"},{"IP":"0.0.0.0","PrivatePort":5001,"PublicPort":5001,"Type":"tcp"},{"IP":"::","PrivatePort":5001,"PublicPort":5001,"Type":"tcp"},{"IP":"0.0.0.0","PrivatePort":8000,"PublicPort":7000,"Type":"tcp"},{"IP":"0.0.0.0","PrivatePort":8001,"PublicPort":8001,"Type":"udp"},{"IP":"0.0.0.0","PrivatePort":8002,"PublicPort":8002,"Type":"udp"},{"PrivatePort":81,"Type":"tcp"},{"PrivatePort":82,"Type":"tcp"}],"Labels":{"com.example.b":"2","com.example.a":"x<y>&z"},"State":"running","Status":"Up 3 hours","HostConfig":{"NetworkMode":"netlb"},"NetworkSettings":{"Networks":{"netlb":{"IPAMConfig":null,"Links":null,"Aliases":["tg-net"],"MacAddress":"02:42:ac:c8:01:02","DriverOpts":null,"GwPriority":0,"NetworkID":"471bd587ce6e","EndpointID":"8d1f0a9c2b3e","Gateway":"172.200.1.1","IPAddress":"172.200.1.2","IPPrefixLen":24,"IPv6Gateway":"","GlobalIPv6Address":"","GlobalIPv6PrefixLen":0,"DNSNames":["web","tg-net","3f4e5d6c7b8a"]}}},"Mounts":[{"Type":"bind","Source":"/very/long/path/to/somewhere","Destination":"/x","Mode":"","RW":true,"Propagation":"rprivate"},{"Type":"volume","Name":"vol1","Driver":"local","Source":"/var/lib/x","Destination":"/y"}]})"));
  list.back()["Created"] = t - 3 * 3600 - 600;
  list.push_back(ojson::parse(
      R"({"Id":"45f165d6751caaaabbbbccccddddeeeeffff00001111222233334444555566667","Names":["/nettest1","/other/link"],"Image":"ubuntu:14.04","ImageID":"sha256:31eb","Command":"/bin/bash","Created":0,"Ports":[],"Labels":{},"State":"exited","Status":"Exited (137) 2 days ago","HostConfig":{"NetworkMode":"bridge"},"NetworkSettings":{"Networks":{"bridge":{"IPAddress":""}}},"Mounts":[],"SizeRw":12345,"SizeRootFs":987654321})"));
  list.back()["Created"] = t - 50 * 3600;
  list.push_back(ojson::parse(R"({"Id":"78b47cf5e59f0000"})"));
  return go_json(list);
}

FakeEngine::FakeEngine(std::string api_version) : api_version_(std::move(api_version)) {
  char tmpl[] = "/tmp/berth-fake-engine-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  socket_path_ = dir_ + "/engine.sock";
  listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, socket_path_.c_str(), sizeof(addr.sun_path) - 1);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 16) != 0) {
    throw std::runtime_error("cannot listen on " + socket_path_);
  }
  started_unix_ = static_cast<long long>(std::time(nullptr));
  acceptor_ = std::thread([this] { serve(); });
}

FakeEngine::~FakeEngine() {
  stopping_ = true;
  acceptor_.join();
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (int fd : conn_fds_) ::shutdown(fd, SHUT_RDWR);
  }
  for (auto& w : workers_) w.join();
  ::close(listen_fd_);
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

void FakeEngine::set_reply(const std::string& method_and_path, FakeReply reply) {
  std::lock_guard<std::mutex> lock(mu_);
  overrides_[method_and_path] = std::move(reply);
}

void FakeEngine::set_head_ping_status(unsigned status) {
  std::lock_guard<std::mutex> lock(mu_);
  head_ping_status_ = status;
}

std::vector<RecordedRequest> FakeEngine::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

void FakeEngine::clear_requests() {
  std::lock_guard<std::mutex> lock(mu_);
  requests_.clear();
}

void FakeEngine::serve() {
  while (!stopping_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    std::lock_guard<std::mutex> lock(mu_);
    conn_fds_.push_back(fd);
    workers_.emplace_back([this, fd] { handle(fd); });
  }
}

void FakeEngine::handle(int fd) {
  asio::io_context io;
  asio::local::stream_protocol::socket sock(io);
  sock.assign(asio::local::stream_protocol(), fd);
  boost::beast::flat_buffer buf;
  for (;;) {
    http::request<http::string_body> req;
    boost::system::error_code ec;
    http::read(sock, buf, req, ec);
    if (ec) break;
    RecordedRequest r;
    r.method = std::string(req.method_string());
    r.target = std::string(req.target());
    r.body = req.body();
    for (const auto& f : req) r.headers[std::string(f.name_string())] = std::string(f.value());
    {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back(r);
    }
    FakeReply reply = answer(r);
    if (reply.upgrade) {
      std::string head = "HTTP/1.1 101 UPGRADED\r\nContent-Type: " + reply.content_type +
                         "\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n";
      asio::write(sock, asio::buffer(head), ec);
      if (!ec) asio::write(sock, asio::buffer(reply.body), ec);
      // The output ends; stdin is read until the client half-closes (up to
      // a second), so that closing does not reset a connection that still
      // has unread input, as a real daemon reads its container's stdin.
      sock.shutdown(asio::socket_base::shutdown_send, ec);
      for (int waited = 0; waited < 1000; waited += 10) {
        pollfd p{sock.native_handle(), POLLIN, 0};
        if (::poll(&p, 1, 10) <= 0) continue;
        char drain[4096];
        if (::read(sock.native_handle(), drain, sizeof drain) <= 0) break;
      }
      break;
    }
    if (reply.chunked) {
      std::string head = "HTTP/1.1 " + std::to_string(reply.status) + " OK\r\n";
      if (!api_version_.empty()) head += "Api-Version: " + api_version_ + "\r\n";
      head += "Content-Type: " + reply.content_type +
              "\r\nDocker-Experimental: false\r\nOstype: linux\r\nServer: Docker/28.2.2 "
              "(linux)\r\nTransfer-Encoding: chunked\r\n\r\n";
      asio::write(sock, asio::buffer(head), ec);
      if (reply.delay_ms > 0 && !ec) {
        std::this_thread::sleep_for(std::chrono::milliseconds(reply.delay_ms));
      }
      for (size_t i = 0; i < reply.chunks.size() && !ec; ++i) {
        if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
        char size[32];
        snprintf(size, sizeof size, "%zx\r\n", reply.chunks[i].size());
        asio::write(sock, asio::buffer(size + reply.chunks[i] + "\r\n"), ec);
      }
      if (!ec) asio::write(sock, asio::buffer(std::string("0\r\n\r\n")), ec);
      if (ec || !req.keep_alive()) break;
      continue;
    }
    http::response<http::string_body> res{static_cast<http::status>(reply.status), 11};
    if (!api_version_.empty()) res.set("Api-Version", api_version_);
    res.set("Docker-Experimental", "false");
    res.set("Ostype", "linux");
    res.set(http::field::server, "Docker/28.2.2 (linux)");
    if (!reply.content_type.empty() && !(reply.status == 204)) {
      res.set(http::field::content_type, reply.content_type);
    }
    res.body() = reply.body;
    res.keep_alive(req.keep_alive());
    if (reply.status != 204) res.content_length(reply.body.size());
    if (r.method == "HEAD") {
      http::response_serializer<http::string_body> sr{res};
      sr.split(true);
      http::write_header(sock, sr, ec);
    } else {
      http::write(sock, res, ec);
    }
    if (ec || !req.keep_alive()) break;
  }
  boost::system::error_code ignored;
  sock.shutdown(asio::socket_base::shutdown_both, ignored);
}

FakeReply FakeEngine::answer(const RecordedRequest& r) {
  std::string path = r.target.substr(0, r.target.find('?'));
  if (path == "/_ping") {
    std::lock_guard<std::mutex> lock(mu_);
    if (r.method == "HEAD") return FakeReply{head_ping_status_, "text/plain; charset=utf-8", ""};
    return FakeReply{200, "text/plain; charset=utf-8", "OK"};
  }
  if (path.rfind("/v1.", 0) == 0) path = path.substr(path.find('/', 1));
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto o = overrides_.find(r.method + " " + path);
    if (o != overrides_.end()) return o->second;
  }
  if (r.method == "GET" && path == "/version") return json_reply(200, version_json());
  if (r.method == "GET" && path == "/info") return json_reply(200, info_json());
  ojson nets = ojson::parse(networks_json());
  if (r.method == "GET" && path == "/networks") return json_reply(200, go_json(nets));
  if (r.method == "POST" && path == "/networks/create") {
    ojson body = ojson::parse(r.body, nullptr, false);
    std::string name = body.is_object() ? body.value("Name", "") : "";
    if (name == "bridge") return message(409, "network with name bridge already exists");
    if (name == "textual") return FakeReply{400, "text/plain", "plain text error\n"};
    if (name == "charset") {
      return FakeReply{400, "application/json; charset=utf-8", "{\"message\":\"x\"}"};
    }
    if (name == "empty") return FakeReply{400, "application/json", ""};
    if (name == "nomsg") return json_reply(400, "{\"foo\":1}\n");
    return json_reply(
        201,
        go_json(ojson{{"Id", "471bd587ce6e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f80aaaa"},
                      {"Warning", ""}}));
  }
  if (r.method == "POST" && path == "/networks/prune") {
    return json_reply(200, "{\"NetworksDeleted\":[\"netprune1\",\"netauto\"]}\n");
  }
  if (path.rfind("/networks/", 0) == 0) {
    std::string name = path.substr(10);
    for (const auto& n : nets) {
      std::string nm = n["Name"].get<std::string>(), id = n["Id"].get<std::string>();
      if (nm == name || id.rfind(name, 0) == 0) {
        if (r.method == "GET") return json_reply(200, go_json(n));
        if (r.method == "DELETE") {
          if (nm == "bridge" || nm == "host" || nm == "none") {
            return message(403, nm + " is a pre-defined network and cannot be removed");
          }
          return FakeReply{204, "", ""};
        }
      }
    }
    return message(404, "network " + name + " not found");
  }
  if (auto c = answer_containers(r, path, containers_json())) return *c;
  return message(404, "page not found");
}

}  // namespace berth::testing
