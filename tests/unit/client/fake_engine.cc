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
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
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
  return message(404, "page not found");
}

}  // namespace berth::testing
