// The container verbs (create, run, start, stop, restart, kill, rm, wait,
// port, logs, ps) and the `container` management command, as
// cli/command/container/*.go in docker 28.2.2: the same requests
// (docker-api.md §3.9–3.18), output, messages and exit codes.
//
// A foreground `run` attaches as docker does (create → attach → wait →
// start → stream → exit with the wait's StatusCode). A daemon without
// /attach (berthd, for now) answers 404: berth then follows the logs for
// the output (create → attach 404 → wait → start → logs -f) and reports
// that interactive runs need -d; with --rm it re-creates the container
// without AutoRemove and removes it itself once the output is read, else a
// short-lived container's logs could be gone before they are read.
// Requests that docker sends in parallel (stop, kill, rm) are sent one
// after another.
#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <ostream>
#include <sstream>
#include <thread>

#include "cli/attach.h"
#include "cli/command.h"
#include "cli/container_create.h"
#include "cli/container_format.h"
#include "cli/filters.h"
#include "cli/image_ref.h"
#include "cli/network_format.h"
#include "cli/stdcopy.h"

namespace berth::cli {
namespace {

using ojson = nlohmann::ordered_json;
using T = FlagSpec::Type;

FlagSpec with(FlagSpec f, std::function<std::optional<std::string>(const std::string&)> v) {
  f.validate = std::move(v);
  return f;
}

FlagSpec hidden_alias(std::string name, const std::string& of, T type) {
  FlagSpec f;
  f.name = std::move(name);
  f.type = type;
  f.hidden = true;
  f.alias_of = of;
  return f;
}

std::optional<std::string> validate_int(const std::string& v) {
  auto n = parse_go_int(v);
  if (!n.ok()) return n.error().message();
  return std::nullopt;
}

std::optional<std::string> validate_filter(const std::string& v) {
  if (v.find('=') == std::string::npos) return "bad format of filter (expected name=value)";
  return std::nullopt;
}

long long now_unix() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string json_string(const ojson& j, const char* key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

// Joins values into a query the way url.Values.Encode does: the caller
// passes the keys already in sorted order.
std::string query_of(const std::vector<std::pair<std::string, std::string>>& kv) {
  std::string q;
  for (const auto& [k, v] : kv) {
    if (!q.empty()) q += "&";
    q += client::query_escape(k) + "=" + client::query_escape(v);
  }
  return q;
}

int fail_all(Context& ctx, const std::vector<std::string>& errors) {
  std::string all;
  for (size_t i = 0; i < errors.size(); ++i) all += (i > 0 ? "\n" : "") + errors[i];
  return ctx.fail(all);
}

// ------------------------------------------------------- create and run --

// docker's reportError(stderr, name, msg, true): "docker: msg" + usage hint.
int report_error(Context& ctx, const std::string& cmd, const std::string& message, int code) {
  ctx.err() << "berth: " << message << "\n\nRun 'berth " << cmd
            << " --help' for more information\n";
  return code;
}

// runStartContainerErr: 127 for a missing executable or file, 126 for
// permission problems, 125 for everything else.
int start_error_code(const std::string& message) {
  std::string m = message;
  const std::string prefix = "Error response from daemon: ";
  if (m.rfind(prefix, 0) == 0) m = m.substr(prefix.size());
  if (m.find("executable file not found") != std::string::npos ||
      m.find("no such file or directory") != std::string::npos ||
      m.find("system cannot find the file specified") != std::string::npos) {
    return 127;
  }
  if (m.find("permission denied") != std::string::npos ||
      m.find("is a directory") != std::string::npos) {
    return 126;
  }
  return 125;
}

std::vector<FlagSpec> container_flags(bool run) {
  std::vector<FlagSpec> f = {
      with(flag("add-host", 0, T::kList, "list", "Add a custom host-to-IP mapping (host:ip)"),
           validate_extra_host),
      with(flag("attach", 'a', T::kList, "list", "Attach to STDIN, STDOUT or STDERR"),
           validate_attach),
      flag("cap-add", 0, T::kList, "list", "Add Linux capabilities"),
      flag("cap-drop", 0, T::kList, "list", "Drop Linux capabilities"),
      with(flag("dns", 0, T::kList, "list", "Set custom DNS servers"), validate_ip_address),
      flag("dns-option", 0, T::kList, "list", "Set DNS options"),
      hidden_alias("dns-opt", "dns-option", T::kList),
      with(flag("dns-search", 0, T::kList, "list", "Set custom DNS search domains"),
           validate_dns_search),
      flag("domainname", 0, T::kString, "string", "Container NIS domain name"),
      flag("entrypoint", 0, T::kString, "string", "Overwrite the default ENTRYPOINT of the image"),
      with(flag("env", 'e', T::kList, "list", "Set environment variables"), validate_env),
      flag("env-file", 0, T::kList, "list", "Read in a file of environment variables"),
      flag("expose", 0, T::kList, "list", "Expose a port or a range of ports"),
      flag("help", 0, T::kBool, "", "Print usage"),
      flag("hostname", 'h', T::kString, "string", "Container host name"),
      flag("interactive", 'i', T::kBool, "", "Keep STDIN open even if not attached"),
      flag("ip", 0, T::kString, "string", "IPv4 address (e.g., 172.30.100.104)"),
      flag("ip6", 0, T::kString, "string", "IPv6 address (e.g., 2001:db8::33)"),
      with(flag("label", 'l', T::kList, "list", "Set meta data on a container"),
           validate_container_label),
      flag("label-file", 0, T::kList, "list", "Read in a line delimited file of labels"),
      flag("mac-address", 0, T::kString, "string",
           "Container MAC address (e.g., 92:d0:c6:0a:29:33)"),
      flag("name", 0, T::kString, "string", "Assign a name to the container"),
      with(flag("network", 0, T::kList, "network", "Connect a container to a network"),
           [](const std::string& v) -> std::optional<std::string> {
             auto n = parse_network_flag(v);
             if (!n.ok()) return n.error().message();
             return std::nullopt;
           }),
      flag("network-alias", 0, T::kList, "list", "Add network-scoped alias for the container"),
      hidden_alias("net-alias", "network-alias", T::kList),
      flag("privileged", 0, T::kBool, "", "Give extended privileges to this container"),
      flag("publish", 'p', T::kList, "list", "Publish a container's port(s) to the host"),
      flag("publish-all", 'P', T::kBool, "", "Publish all exposed ports to random ports"),
      // (docker's create help really reads "|missing".)
      flag("pull", 0, T::kString, "string",
           run ? "Pull image before running (\"always\", \"missing\", \"never\")"
               : "Pull image before creating (\"always\", \"|missing\", \"never\")",
           "missing"),
      flag("quiet", 'q', T::kBool, "", "Suppress the pull output"),
      flag("restart", 0, T::kString, "string", "Restart policy to apply when a container exits",
           "no"),
      flag("rm", 0, T::kBool, "",
           "Automatically remove the container and its associated anonymous volumes when it "
           "exits"),
      flag("stop-signal", 0, T::kString, "string", "Signal to stop the container"),
      with(flag("stop-timeout", 0, T::kString, "int", "Timeout (in seconds) to stop a container"),
           validate_int),
      flag("tty", 't', T::kBool, "", "Allocate a pseudo-TTY"),
      flag("user", 'u', T::kString, "string", "Username or UID (format: <name|uid>[:<group|gid>])"),
      flag("workdir", 'w', T::kString, "string", "Working directory inside the container"),
  };
  // The network's hidden --net shares --network's values, and its validator.
  FlagSpec net = hidden_alias("net", "network", T::kList);
  for (const auto& x : f) {
    if (x.name == "network") net.validate = x.validate;
  }
  f.push_back(net);
  if (run) {
    f.push_back(
        flag("detach", 'd', T::kBool, "", "Run container in background and print container ID"));
    f.push_back(
        flag("sig-proxy", 0, T::kBool, "", "Proxy received signals to the process", "true"));
  }
  return f;
}

ContainerCreateOptions options_from_flags(const ParsedFlags& f, const Context& ctx) {
  ContainerCreateOptions o;
  o.image = f.args[0];
  o.args.assign(f.args.begin() + 1, f.args.end());
  o.attach = f.get_list("attach");
  o.interactive = f.get_bool("interactive");
  o.tty = f.get_bool("tty");
  o.privileged = f.get_bool("privileged");
  o.publish_all = f.get_bool("publish-all");
  o.auto_remove = f.get_bool("rm");
  o.hostname = f.get_string("hostname");
  o.domainname = f.get_string("domainname");
  o.user = f.get_string("user");
  o.workdir = f.get_string("workdir");
  if (f.has("entrypoint")) o.entrypoint = f.get_string("entrypoint");
  o.env = f.get_list("env");
  o.env_files = f.get_list("env-file");
  o.labels = f.get_list("label");
  o.label_files = f.get_list("label-file");
  for (const auto& n : f.get_list("network")) {
    auto parsed = parse_network_flag(n);
    if (parsed.ok()) o.networks.push_back(*parsed);
  }
  o.aliases = f.get_list("network-alias");
  o.dns = f.get_list("dns");
  o.dns_search = f.get_list("dns-search");
  o.dns_options = f.get_list("dns-option");
  o.extra_hosts = f.get_list("add-host");
  o.cap_add = f.get_list("cap-add");
  o.cap_drop = f.get_list("cap-drop");
  o.publish = f.get_list("publish");
  o.expose = f.get_list("expose");
  o.ip = f.get_string("ip");
  o.ip6 = f.get_string("ip6");
  o.mac_address = f.get_string("mac-address");
  o.restart = f.get_string("restart", "no");
  o.stop_signal = f.get_string("stop-signal");
  if (f.has("stop-timeout")) {
    auto n = parse_go_int(f.get_string("stop-timeout"));
    if (n.ok()) o.stop_timeout = *n;
  }
  o.console_size = ctx.console_size();
  return o;
}

CreateIo real_io() {
  CreateIo io;
  io.read_file = [](const std::string& path) -> Result<std::string> {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      std::string reason = std::strerror(errno);
      if (!reason.empty()) reason[0] = static_cast<char>(std::tolower(reason[0]));
      return invalid_argument("open " + path + ": " + reason);
    }
    std::string data;
    char buf[8192];
    for (;;) {
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n < 0) {
        std::string reason = std::strerror(errno);
        if (!reason.empty()) reason[0] = static_cast<char>(std::tolower(reason[0]));
        ::close(fd);
        return invalid_argument("read " + path + ": " + reason);
      }
      if (n == 0) break;
      data.append(buf, static_cast<size_t>(n));
    }
    ::close(fd);
    return data;
  };
  io.lookup_env = [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
  return io;
}

// jsonmessage.DisplayJSONMessagesStream on a non-terminal: one line per
// status, the first error ends the pull.
Status show_pull_progress(Context& ctx, client::ResponseStream& s, bool quiet) {
  std::string buffer;
  bool more = true;
  while (more) {
    auto r = s.next(&buffer);
    if (!r.ok()) return r.error();
    more = *r;
    size_t nl;
    while ((nl = buffer.find('\n')) != std::string::npos || (!more && !buffer.empty())) {
      std::string line = nl == std::string::npos ? buffer : buffer.substr(0, nl);
      buffer = nl == std::string::npos ? "" : buffer.substr(nl + 1);
      ojson m = ojson::parse(line, nullptr, false);
      if (m.is_discarded() || !m.is_object()) continue;
      std::string error;
      if (m.contains("errorDetail") && m["errorDetail"].is_object()) {
        error = json_string(m["errorDetail"], "message");
      }
      if (error.empty()) error = json_string(m, "error");
      if (!error.empty()) return internal_error(error);
      if (quiet) continue;
      std::string text;
      std::string id = json_string(m, "id");
      if (!id.empty()) text += id + ": ";
      std::string progress = json_string(m, "progress");
      std::string stream = json_string(m, "stream");
      if (!stream.empty()) {
        text += stream;
      } else {
        text += json_string(m, "status") + (progress.empty() ? "" : " " + progress) + "\n";
      }
      ctx.err() << text << std::flush;
    }
  }
  return ok_status();
}

Status pull_image(Context& ctx, const ImageRef& ref, bool quiet) {
  std::string tag = ref.digest.empty() ? ref.tag : ref.digest;
  std::vector<std::pair<std::string, std::string>> q = {{"fromImage", ref.name()}};
  if (!tag.empty()) q.emplace_back("tag", tag);
  // base64url of "{}": the empty auth config docker sends for a registry
  // without credentials.
  auto s = ctx.api().stream("POST", "/images/create", query_of(q), nullptr,
                            {{"X-Registry-Auth", "e30="}});
  if (!s.ok()) return s.error();
  return show_pull_progress(ctx, **s, quiet);
}

struct Created {
  std::string id;
};

// createContainer: POST /containers/create, pulling on a 404 when the
// image reference names one. Errors carry docker's text.
Result<Created> create_container(Context& ctx, const ContainerCreateOptions& o, const ojson& body,
                                 const std::string& name, const std::string& pull, bool quiet) {
  auto ref = parse_image_reference(o.image);
  if (!ref.ok()) return ref.error();
  ImageRef tagged = tag_name_only(*ref);
  std::string query = name.empty() ? "" : "name=" + client::query_escape(name);
  if (pull == "always" && tagged.named) BERTH_TRY(pull_image(ctx, tagged, quiet));
  auto r = ctx.api().post("/containers/create", query, &body);
  if (!r.ok() && r.error().kind() == ErrorKind::kNotFound && tagged.named && pull == "missing") {
    if (!quiet)
      ctx.err() << "Unable to find image '" << tagged.familiar() << "' locally\n" << std::flush;
    BERTH_TRY(pull_image(ctx, tagged, quiet));
    r = ctx.api().post("/containers/create", query, &body);
  }
  if (!r.ok()) return r.error();
  ojson j = ojson::parse(r->body, nullptr, false);
  if (j.is_object() && j.contains("Warnings") && j["Warnings"].is_array()) {
    for (const auto& w : j["Warnings"]) {
      if (w.is_string()) ctx.err() << "WARNING: " << w.get<std::string>() << "\n";
    }
  }
  // localhostDNSWarning: the first loopback --dns server.
  for (const auto& d : body["HostConfig"]["Dns"]) {
    std::string ip = d.get<std::string>();
    if (ip.rfind("127.", 0) == 0 || ip == "::1") {
      ctx.err() << "WARNING: Localhost DNS (" << ip << ") may fail in containers.\n";
      break;
    }
  }
  return Created{json_string(j, "Id")};
}

std::optional<std::string> check_pull(const std::string& pull) {
  if (pull == "always" || pull == "missing" || pull == "never") return std::nullopt;
  return "invalid pull option: '" + pull + "': must be one of \"always\", \"missing\" or \"never\"";
}

int run_create(Context& ctx, const ParsedFlags& f) {
  const std::string pull = f.get_string("pull", "missing");
  if (auto bad = check_pull(pull)) return report_error(ctx, "create", *bad, 125);
  // docker asks the daemon's OS (a ping) before it parses the options.
  (void)ctx.api().api_version();
  ContainerCreateOptions o = options_from_flags(f, ctx);
  auto body = container_create_body(o, real_io());
  if (!body.ok()) return report_error(ctx, "create", body.error().message(), 125);
  auto c = create_container(ctx, o, *body, f.get_string("name"), pull, f.get_bool("quiet"));
  if (!c.ok()) return ctx.fail(c.error());
  ctx.out() << c->id << "\n";
  return 0;
}

// Forwards the signals berth receives to the container while a foreground
// `run` follows it (docker's --sig-proxy): POST /containers/{id}/kill. A
// window size change is also sent as a resize when the container has a
// TTY and stdout is a terminal (docker's MonitorTtySize).
class SignalProxy {
 public:
  SignalProxy(Context& ctx, std::string id, bool resize)
      : client_(ctx.new_client()), id_(std::move(id)), resize_(resize) {
    sigemptyset(&set_);
    for (int s : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH}) {
      sigaddset(&set_, s);
    }
    pthread_sigmask(SIG_BLOCK, &set_, &old_);
    thread_ = std::thread([this] { loop(); });
  }
  ~SignalProxy() {
    stopping_ = true;
    pthread_kill(thread_.native_handle(), SIGUSR2);
    thread_.join();
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }

 private:
  void loop() {
    const std::string path = "/containers/" + client::path_escape(id_);
    for (;;) {
      int sig = 0;
      if (sigwait(&set_, &sig) != 0) continue;
      if (stopping_) return;
      if (sig == SIGWINCH && resize_) {
        struct winsize ws {};
        if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0) {
          (void)client_->post(path + "/resize",
                              "h=" + std::to_string(ws.ws_row) + "&w=" + std::to_string(ws.ws_col));
        }
      }
      const char* name = sig == SIGINT    ? "INT"
                         : sig == SIGTERM ? "TERM"
                         : sig == SIGHUP  ? "HUP"
                         : sig == SIGQUIT ? "QUIT"
                         : sig == SIGUSR1 ? "USR1"
                         : sig == SIGUSR2 ? "USR2"
                                          : "WINCH";
      (void)client_->post(path + "/kill", std::string("signal=") + name);
    }
  }

  std::unique_ptr<client::ApiClient> client_;
  std::string id_;
  bool resize_;
  sigset_t set_{}, old_{};
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

// The StatusCode in a /wait reply; an Error in it gives 125, as docker.
int wait_status(Context& ctx, const std::string& body) {
  ojson j = ojson::parse(body, nullptr, false);
  if (j.is_object() && j.contains("Error") && j["Error"].is_object()) {
    std::string m = json_string(j["Error"], "Message");
    if (!m.empty()) {
      ctx.err() << "Error waiting for container: " << m << "\n";
      return 125;
    }
  }
  if (j.is_object() && j.contains("StatusCode") && j["StatusCode"].is_number()) {
    return j["StatusCode"].get<int>();
  }
  return 0;
}

// Copies a log stream to stdout/stderr, demultiplexing unless `tty`.
Status copy_logs(Context& ctx, client::ResponseStream& s, bool tty) {
  StdDemux demux;
  for (;;) {
    std::string chunk;
    auto more = s.next(&chunk);
    if (!more.ok()) return more.error();
    if (tty) {
      ctx.out() << chunk << std::flush;
    } else {
      Status st = demux.feed(chunk, [&](StdDemux::Stream which, std::string_view data) {
        std::ostream& o = which == StdDemux::Stream::kStderr ? ctx.err() : ctx.out();
        o << data << std::flush;
      });
      if (!st.ok()) return st;
    }
    if (!*more) return ok_status();
  }
}

// POST /containers/{id}/attach for the streams the config attaches.
Result<std::unique_ptr<client::HijackedConnection>> attach_container(Context& ctx,
                                                                     const std::string& path,
                                                                     const ojson& config) {
  std::vector<std::pair<std::string, std::string>> q;
  if (config.value("AttachStderr", false)) q.emplace_back("stderr", "1");
  if (config.value("AttachStdin", false)) q.emplace_back("stdin", "1");
  if (config.value("AttachStdout", false)) q.emplace_back("stdout", "1");
  q.emplace_back("stream", "1");
  return ctx.api().hijack(path + "/attach", query_of(q));
}

int run_run(Context& ctx, const ParsedFlags& f) {
  const std::string pull = f.get_string("pull", "missing");
  if (auto bad = check_pull(pull)) return report_error(ctx, "run", *bad, 125);
  (void)ctx.api().api_version();
  ContainerCreateOptions o = options_from_flags(f, ctx);
  const bool detach = f.get_bool("detach");
  o.detach = detach;
  auto body = container_create_body(o, real_io());
  if (!body.ok()) return report_error(ctx, "run", body.error().message(), 125);
  const bool attach_stdin = (*body)["AttachStdin"].get<bool>();
  const bool attach_any =
      attach_stdin || (*body)["AttachStdout"].get<bool>() || (*body)["AttachStderr"].get<bool>();
  if (!detach) {
    if (attach_stdin && o.tty && !(ctx.in_fd() >= 0 && isatty(ctx.in_fd()))) {
      return ctx.fail("the input device is not a TTY");
    }
  } else if (!o.attach.empty()) {
    return ctx.fail("conflicting options: cannot specify both --attach and --detach");
  }
  const std::string name = f.get_string("name");
  auto c = create_container(ctx, o, *body, name, pull, f.get_bool("quiet"));
  if (!c.ok()) {
    return report_error(ctx, "run", c.error().message(), start_error_code(c.error().message()));
  }
  std::string id = c->id;
  std::string path = "/containers/" + client::path_escape(id);

  // Attached: the output comes through /attach, as with docker. A daemon
  // without /attach (404) gets the logs instead, for output only.
  std::unique_ptr<client::HijackedConnection> conn;
  bool follow_logs = false;
  if (!detach && attach_any) {
    auto h = attach_container(ctx, path, *body);
    if (h.ok()) {
      conn = std::move(*h);
    } else if (h.error().kind() == ErrorKind::kNotFound && !attach_stdin) {
      follow_logs = true;
    } else if (h.error().kind() == ErrorKind::kNotFound) {
      return ctx.fail(h.error().message() +
                      " (this daemon cannot attach to containers yet: run interactive "
                      "containers with -d; container " +
                      id + " was created)");
    } else {
      return ctx.fail(h.error());
    }
  }
  // Following the logs of an --rm container could miss the output of a
  // short-lived process (the daemon removes it at exit): such a container
  // is created again without AutoRemove, and berth removes it itself.
  const bool remove_after = follow_logs && o.auto_remove;
  if (remove_after) {
    (void)ctx.api().del(path, "force=1");
    (*body)["HostConfig"]["AutoRemove"] = false;
    auto again = ctx.api().post("/containers/create",
                                name.empty() ? "" : "name=" + client::query_escape(name), &*body);
    if (!again.ok()) {
      return report_error(ctx, "run", again.error().message(),
                          start_error_code(again.error().message()));
    }
    ojson j = ojson::parse(again->body, nullptr, false);
    id = json_string(j, "Id");
    path = "/containers/" + client::path_escape(id);
  }
  auto remove = [&] {
    if (remove_after) (void)ctx.api().del(path, "force=1");
  };

  // The wait is registered before the start (its headers arrive at once)
  // so that a container that exits at once is not missed.
  auto wait = ctx.api().stream(
      "POST", path + "/wait",
      o.auto_remove && !remove_after ? "condition=removed" : "condition=next-exit");
  if (!attach_any) ctx.out() << id << "\n" << std::flush;
  std::unique_ptr<SignalProxy> proxy;
  if (!detach && f.get_bool("sig-proxy", true)) {
    proxy = std::make_unique<SignalProxy>(ctx, id, o.tty && ctx.console_size()[0] > 0);
  }
  auto started = ctx.api().post(path + "/start");
  if (!started.ok()) {
    conn.reset();
    int code = report_error(ctx, "run", started.error().message(),
                            start_error_code(started.error().message()));
    // With --rm, docker waits for the removal before it exits.
    if (o.auto_remove && !remove_after && wait.ok()) (void)(*wait)->rest();
    remove();
    return code;
  }
  if (!attach_any) return 0;

  if (conn) {
    if (o.tty && ctx.console_size()[0] > 0) {
      auto size = ctx.console_size();
      (void)ctx.api().post(path + "/resize",
                           "h=" + std::to_string(size[0]) + "&w=" + std::to_string(size[1]));
    }
    AttachStreams streams{ctx.out(), o.tty ? ctx.out() : ctx.err(), &ctx.in(), ctx.in_fd()};
    auto end = stream_attached(*conn, o.tty, attach_stdin, streams);
    if (!end.ok()) return ctx.fail(end.error());
    if (*end == AttachEnd::kDetached) return 0;
  } else if (follow_logs) {
    std::vector<std::pair<std::string, std::string>> q = {{"follow", "1"}};
    if ((*body)["AttachStderr"].get<bool>()) q.emplace_back("stderr", "1");
    if ((*body)["AttachStdout"].get<bool>()) q.emplace_back("stdout", "1");
    auto logs = ctx.api().stream("GET", path + "/logs", query_of(q));
    if (logs.ok()) {
      Status st = copy_logs(ctx, **logs, o.tty);
      if (!st.ok()) ctx.err() << st.error().message() << "\n";
    } else {
      ctx.err() << logs.error().message() << "\n";
    }
  }
  if (!wait.ok()) {
    ctx.err() << "error waiting for container: " << wait.error().message() << "\n";
    remove();
    return 125;
  }
  auto rest = (*wait)->rest();
  if (!rest.ok()) {
    ctx.err() << "error waiting for container: " << rest.error().message() << "\n";
    remove();
    return 125;
  }
  int status = wait_status(ctx, *rest);
  remove();
  return status;
}

Command create_command() {
  Command c;
  c.name = "create";
  c.use = "[OPTIONS] IMAGE [COMMAND] [ARG...]";
  c.short_help = "Create a new container";
  c.aliases_line = "berth container create, berth create";
  c.args = Command::Args::kAtLeast1;
  c.interspersed = false;
  c.early_ping = false;
  c.ping_on_flag_error = true;
  c.flags = container_flags(false);
  c.run = run_create;
  return c;
}

Command run_command() {
  Command c;
  c.name = "run";
  c.use = "[OPTIONS] IMAGE [COMMAND] [ARG...]";
  c.short_help = "Create and run a new container from an image";
  c.aliases_line = "berth container run, berth run";
  c.args = Command::Args::kAtLeast1;
  c.interspersed = false;
  c.top = true;
  c.early_ping = false;
  c.ping_on_flag_error = true;
  c.flags = container_flags(true);
  c.run = run_run;
  return c;
}

// ------------------------------------------------------------- lifecycle --

int run_start(Context& ctx, const ParsedFlags& f) {
  std::vector<std::string> failed;
  for (const auto& name : f.args) {
    auto r = ctx.api().post("/containers/" + client::path_escape(name) + "/start");
    if (!r.ok()) {
      ctx.err() << r.error().message() << "\n";
      failed.push_back(name);
      continue;
    }
    ctx.out() << name << "\n";
  }
  if (!failed.empty()) {
    std::string all;
    for (size_t i = 0; i < failed.size(); ++i) all += (i > 0 ? ", " : "") + failed[i];
    return ctx.fail("Error: failed to start containers: " + all);
  }
  return 0;
}

// stop and restart: ?signal=…&t=… (t only when -t was given).
std::string stop_query(const ParsedFlags& f) {
  std::vector<std::pair<std::string, std::string>> q;
  std::string sig = f.get_string("signal");
  if (!sig.empty()) q.emplace_back("signal", sig);
  if (f.has("timeout")) {
    auto n = parse_go_int(f.get_string("timeout"));
    q.emplace_back("t", std::to_string(n.ok() ? *n : 0));
  }
  return query_of(q);
}

int run_each(Context& ctx, const ParsedFlags& f, const std::string& verb,
             const std::string& query) {
  std::vector<std::string> errors;
  for (const auto& name : f.args) {
    auto r = ctx.api().post("/containers/" + client::path_escape(name) + "/" + verb, query);
    if (!r.ok()) {
      errors.push_back(r.error().message());
      continue;
    }
    ctx.out() << name << "\n";
  }
  if (!errors.empty()) return fail_all(ctx, errors);
  return 0;
}

std::vector<FlagSpec> stop_flags() {
  FlagSpec time =
      with(flag("time", 0, T::kString, "int", "Seconds to wait before killing the container"),
           validate_int);
  time.deprecated = "use --timeout instead";
  time.alias_of = "timeout";
  return {
      flag("signal", 's', T::kString, "string", "Signal to send to the container"),
      with(flag("timeout", 't', T::kString, "int", "Seconds to wait before killing the container"),
           validate_int),
      time};
}

Command simple_command(std::string name, std::string use, std::string short_help,
                       Command::Args args, std::vector<FlagSpec> flags,
                       std::function<int(Context&, const ParsedFlags&)> run) {
  Command c;
  c.name = name;
  c.use = std::move(use);
  c.short_help = std::move(short_help);
  c.aliases_line = "berth container " + name + ", berth " + name;
  c.args = args;
  c.early_ping = false;
  // start's (unsupported) --checkpoint flags carry a version annotation,
  // for which docker asks the daemon when it reports a bad flag.
  c.ping_on_flag_error = name == "start" || name == "logs";
  c.flags = std::move(flags);
  c.run = std::move(run);
  return c;
}

int run_rm(Context& ctx, const ParsedFlags& f) {
  const bool force = f.get_bool("force");
  std::vector<std::pair<std::string, std::string>> q;
  if (force) q.emplace_back("force", "1");
  if (f.get_bool("link")) q.emplace_back("link", "1");
  if (f.get_bool("volumes")) q.emplace_back("v", "1");
  std::vector<std::string> errors;
  for (const auto& name : f.args) {
    auto r = ctx.api().del("/containers/" + client::path_escape(name), query_of(q));
    if (!r.ok()) {
      // docker 28.2.2: with -f, a missing container is reported but is
      // not an error.
      if (force && r.error().kind() == ErrorKind::kNotFound) {
        ctx.err() << r.error().message() << "\n";
        continue;
      }
      errors.push_back(r.error().message());
      continue;
    }
    ctx.out() << name << "\n";
  }
  if (!errors.empty()) return fail_all(ctx, errors);
  return 0;
}

int run_wait(Context& ctx, const ParsedFlags& f) {
  std::vector<std::string> errors;
  for (const auto& name : f.args) {
    auto s = ctx.api().stream("POST", "/containers/" + client::path_escape(name) + "/wait");
    if (!s.ok()) {
      errors.push_back(s.error().message());
      continue;
    }
    auto body = (*s)->rest();
    if (!body.ok()) {
      errors.push_back(body.error().message());
      continue;
    }
    ojson j = ojson::parse(*body, nullptr, false);
    long long code = 0;
    if (j.is_object() && j.contains("StatusCode") && j["StatusCode"].is_number()) {
      code = j["StatusCode"].get<long long>();
    }
    ctx.out() << code << "\n" << std::flush;
  }
  if (!errors.empty()) return fail_all(ctx, errors);
  return 0;
}

// ------------------------------------------------------------ port, logs --

std::string join_host_port(const std::string& host, const std::string& port) {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + port;
  return host + ":" + port;
}

int run_port(Context& ctx, const ParsedFlags& f) {
  const std::string& name = f.args[0];
  auto r = ctx.api().get("/containers/" + client::path_escape(name) + "/json");
  if (!r.ok()) return ctx.fail(r.error());
  ojson c = ojson::parse(r->body, nullptr, false);
  ojson ports = ojson::object();
  if (c.is_object() && c.contains("NetworkSettings") && c["NetworkSettings"].is_object() &&
      c["NetworkSettings"].contains("Ports") && c["NetworkSettings"]["Ports"].is_object()) {
    ports = c["NetworkSettings"]["Ports"];
  }
  auto host_of = [](const ojson& b) {
    return join_host_port(json_string(b, "HostIp"), json_string(b, "HostPort"));
  };
  std::vector<std::string> out;
  if (f.args.size() > 1) {
    const std::string& want = f.args[1];
    std::string port = want.substr(0, want.find('/'));
    std::string proto = want.find('/') == std::string::npos ? "" : want.substr(want.find('/') + 1);
    if (proto.empty()) proto = "tcp";
    bool valid = !port.empty() && port.size() <= 5;
    long v = 0;
    for (char ch : port) {
      if (ch < '0' || ch > '9') valid = false;
      if (valid) v = v * 10 + (ch - '0');
    }
    if (!valid || v > 65535) {
      std::string why = !port.empty() && port.find_first_not_of("0123456789") == std::string::npos
                            ? "value out of range"
                            : "invalid syntax";
      return ctx.fail("Error: invalid port (" + port + "): strconv.ParseUint: parsing \"" + port +
                      "\": " + why);
    }
    auto it = ports.find(port + "/" + proto);
    if (it == ports.end() || !it->is_array() || it->empty()) {
      return ctx.fail("Error: No public port '" + want + "' published for " + name);
    }
    for (const auto& b : *it) out.push_back(host_of(b));
  } else {
    for (const auto& [from, frontends] : ports.items()) {
      if (!frontends.is_array()) continue;
      for (const auto& b : frontends) out.push_back(from + " -> " + host_of(b));
    }
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const std::string& a, const std::string& b) { return natural_less(a, b); });
  for (const auto& line : out) ctx.out() << line << "\n";
  return 0;
}

int run_logs(Context& ctx, const ParsedFlags& f) {
  const std::string& name = f.args[0];
  auto r = ctx.api().get("/containers/" + client::path_escape(name) + "/json");
  if (!r.ok()) return ctx.fail(r.error());
  ojson c = ojson::parse(r->body, nullptr, false);
  std::string id = json_string(c, "Id");
  bool tty = false;
  if (c.is_object() && c.contains("Config") && c["Config"].is_object()) {
    tty = c["Config"].value("Tty", false);
  }
  std::vector<std::pair<std::string, std::string>> q;
  if (f.get_bool("details")) q.emplace_back("details", "1");
  if (f.get_bool("follow")) q.emplace_back("follow", "1");
  long long now = now_unix();
  if (f.has("since") && !f.get_string("since").empty()) {
    auto ts = log_timestamp(f.get_string("since"), now);
    if (!ts.ok()) return ctx.fail(ts.error());
    q.emplace_back("since", *ts);
  }
  q.emplace_back("stderr", "1");
  q.emplace_back("stdout", "1");
  q.emplace_back("tail", f.get_string("tail", "all"));
  if (f.get_bool("timestamps")) q.emplace_back("timestamps", "1");
  if (f.has("until") && !f.get_string("until").empty()) {
    auto ts = log_timestamp(f.get_string("until"), now);
    if (!ts.ok()) return ctx.fail(ts.error());
    q.emplace_back("until", *ts);
  }
  auto s = ctx.api().stream("GET", "/containers/" + client::path_escape(id) + "/logs", query_of(q));
  if (!s.ok()) return ctx.fail(s.error());
  Status st = copy_logs(ctx, **s, tty);
  if (!st.ok()) return ctx.fail(st.error());
  return 0;
}

// -------------------------------------------------------------------- ps --

int run_ps(Context& ctx, const ParsedFlags& f) {
  PsOptions o;
  o.format = f.get_string("format");
  o.quiet = f.get_bool("quiet");
  o.size = f.get_bool("size");
  o.size_changed = f.has("size");
  o.no_trunc = f.get_bool("no-trunc");
  if (!o.format.empty() && o.quiet) {
    ctx.err() << "WARNING: Ignoring custom format, because both --format and --quiet are set.\n";
  }
  long long last = -1;
  if (f.has("last")) {
    auto n = parse_go_int(f.get_string("last"));
    if (n.ok()) last = *n;
  }
  if (f.get_bool("latest") && last == -1) last = 1;
  bool size = o.size;
  if (!o.format.empty()) {
    auto uses = ps_template_uses_size(o.format);
    if (!uses.ok()) return ctx.fail(uses.error());
    if (!o.quiet && !size && !o.size_changed && *uses) size = true;
  }
  std::vector<std::pair<std::string, std::string>> q;
  if (f.get_bool("all")) q.emplace_back("all", "1");
  auto filters = parse_filter_flags(f.get_list("filter"));
  if (!filters.empty()) q.emplace_back("filters", encode_filters(filters));
  if (last > 0) q.emplace_back("limit", std::to_string(last));
  if (size) q.emplace_back("size", "1");
  auto r = ctx.api().get("/containers/json", query_of(q));
  if (!r.ok()) return ctx.fail(r.error());
  ojson list = ojson::parse(r->body, nullptr, false);
  if (list.is_discarded()) return ctx.fail("Error reading JSON: invalid container list");
  auto out = render_container_list(list, o, size, now_unix());
  if (!out.ok()) return ctx.fail(out.error());
  ctx.out() << *out;
  return 0;
}

Command ps_command(bool in_group) {
  Command c;
  c.name = in_group ? "ls" : "ps";
  if (in_group) c.aliases = {"ps", "list"};
  c.use = "[OPTIONS]";
  c.short_help = "List containers";
  c.aliases_line = "berth container ls, berth container list, berth container ps, berth ps";
  c.args = Command::Args::kNone;
  c.top = true;
  c.early_ping = false;
  c.flags = {
      flag("all", 'a', T::kBool, "", "Show all containers (default shows just running)"),
      with(flag("filter", 'f', T::kList, "filter", "Filter output based on conditions provided"),
           validate_filter),
      flag("format", 0, T::kString, "string", list_format_help()),
      with(flag("last", 'n', T::kString, "int",
                "Show n last created containers (includes all states)", "-1"),
           validate_int),
      flag("latest", 'l', T::kBool, "", "Show the latest created container (includes all states)"),
      flag("no-trunc", 0, T::kBool, "", "Don't truncate output"),
      flag("quiet", 'q', T::kBool, "", "Only display container IDs"),
      flag("size", 's', T::kBool, "", "Display total file sizes")};
  c.run = run_ps;
  return c;
}

std::vector<Command> lifecycle_commands() {
  using A = Command::Args;
  std::vector<Command> v;
  v.push_back(create_command());
  v.push_back(run_command());
  v.push_back(simple_command("start", "[OPTIONS] CONTAINER [CONTAINER...]",
                             "Start one or more stopped containers", A::kAtLeast1, {}, run_start));
  v.push_back(simple_command(
      "stop", "[OPTIONS] CONTAINER [CONTAINER...]", "Stop one or more running containers",
      A::kAtLeast1, stop_flags(),
      [](Context& ctx, const ParsedFlags& f) { return run_each(ctx, f, "stop", stop_query(f)); }));
  auto restart_flags = stop_flags();
  restart_flags.pop_back();  // restart has no deprecated --time
  v.push_back(simple_command("restart", "[OPTIONS] CONTAINER [CONTAINER...]",
                             "Restart one or more containers", A::kAtLeast1, restart_flags,
                             [](Context& ctx, const ParsedFlags& f) {
                               return run_each(ctx, f, "restart", stop_query(f));
                             }));
  v.push_back(simple_command(
      "kill", "[OPTIONS] CONTAINER [CONTAINER...]", "Kill one or more running containers",
      A::kAtLeast1, {flag("signal", 's', T::kString, "string", "Signal to send to the container")},
      [](Context& ctx, const ParsedFlags& f) {
        std::string sig = f.get_string("signal");
        return run_each(ctx, f, "kill", sig.empty() ? "" : query_of({{"signal", sig}}));
      }));
  Command rm = simple_command(
      "rm", "[OPTIONS] CONTAINER [CONTAINER...]", "Remove one or more containers", A::kAtLeast1,
      {flag("force", 'f', T::kBool, "", "Force the removal of a running container (uses SIGKILL)"),
       flag("link", 'l', T::kBool, "", "Remove the specified link"),
       flag("volumes", 'v', T::kBool, "",
            "Remove anonymous volumes associated with the container")},
      run_rm);
  rm.aliases_line = "berth container rm, berth container remove, berth rm";
  v.push_back(rm);
  v.push_back(simple_command("wait", "CONTAINER [CONTAINER...]",
                             "Block until one or more containers stop, then print their exit codes",
                             A::kAtLeast1, {}, run_wait));
  v.push_back(simple_command("port", "CONTAINER [PRIVATE_PORT[/PROTO]]",
                             "List port mappings or a specific mapping for the container",
                             A::kOneOrTwo, {}, run_port));
  v.push_back(simple_command(
      "logs", "[OPTIONS] CONTAINER", "Fetch the logs of a container", A::kExactly1,
      {flag("details", 0, T::kBool, "", "Show extra details provided to logs"),
       flag("follow", 'f', T::kBool, "", "Follow log output"),
       flag("since", 0, T::kString, "string",
            "Show logs since timestamp (e.g. \"2013-01-02T13:23:37Z\") or relative (e.g. \"42m\" "
            "for 42 minutes)"),
       flag("tail", 'n', T::kString, "string", "Number of lines to show from the end of the logs",
            "all"),
       flag("timestamps", 't', T::kBool, "", "Show timestamps"),
       flag("until", 0, T::kString, "string",
            "Show logs before a timestamp (e.g. \"2013-01-02T13:23:37Z\") or relative (e.g. "
            "\"42m\" for 42 minutes)")},
      run_logs));
  return v;
}

}  // namespace

Command container_inspect_command();

std::vector<Command> container_top_commands() {
  auto v = lifecycle_commands();
  v.push_back(ps_command(false));
  v.push_back(rename_command());
  v.push_back(top_command());
  return v;
}

Command container_command() {
  Command c;
  c.name = "container";
  c.short_help = "Manage containers";
  c.early_ping = false;
  c.children = lifecycle_commands();
  for (auto& k : c.children) {
    k.top = false;
    if (k.name == "rm") k.aliases = {"remove"};
  }
  c.children.push_back(ps_command(true));
  c.children.push_back(container_inspect_command());
  c.children.push_back(rename_command());
  c.children.push_back(top_command());
  return c;
}

}  // namespace berth::cli
