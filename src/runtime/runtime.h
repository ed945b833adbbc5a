// berth::runtime — running a container's process tree and the files Docker
// puts into it. The engine calls start() with a ProcessSpec; start() launches
// `berth-shim` (one per container, in its own session, outside the
// container's namespaces), which clone()s the container's PID 1 (`berth-init`)
// into new UTS, mount, PID and IPC namespaces joined to the network namespace
// berthd prepared, and from then on owns the container's terminal or stdio
// pipes, its json-file log and its exit status. berthd may die and restart at
// any time: everything it needs to re-adopt a container is in the bundle
// directory (state.json, exit.json, shim.sock).
//
// Bundle directory (<data-root>/containers/<id>, created by berthd):
//   config.json   the ProcessSpec, written by start() for the shim
//   state.json    {"shim_pid","shim_start_time","pid","pid_start_time"},
//                 written atomically by the shim once the command was exec'd
//   shim.pid, init.pid   the same pids as text, for people and scripts
//   shim.sock     the shim's control socket (resize; attach later)
//   exit.json     {"exit_code","finished_at","oom_killed"}, written
//                 atomically by the shim when the container's init exited;
//                 the shim exits right after writing it
//
// Threading: every function may be called from any thread; none changes the
// calling thread's namespaces (create_netns uses a short-lived thread of its
// own). start() blocks until the container's command was exec'd (a few ms).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/unique_fd.h"

namespace berth::runtime {

// ---------------------------------------------------------------------------
// Processes

// `-u` as given: "", "name", "uid", "uid:gid", "name:group", "uid:group"…
// Resolved by the container's init in the container's /etc/passwd and
// /etc/group (numeric ids need no entry). "" is root (uid 0, gid 0).
struct UserSpec {
  std::string user;
};

struct ProcessSpec {
  std::string id;          // container id (64 hex)
  std::string bundle_dir;  // <data-root>/containers/<id>; exists, owned by berthd
  // Entrypoint + cmd; args[0] is resolved via PATH inside the container.
  std::vector<std::string> args;
  // KEY=VALUE (the engine adds PATH/HOSTNAME/TERM like Docker); HOME is added
  // from passwd when absent, as runc does.
  std::vector<std::string> env;
  std::string cwd = "/";
  UserSpec user;
  std::string hostname;
  bool tty = false;
  bool open_stdin = false;  // -i: stdin stays open (pty master or pipe held by the shim)
  int console_rows = 0, console_cols = 0;  // initial pty size; 0 = kernel default
  std::string netns_path;  // bind-mounted netns to join; "" = stay in berthd's netns (--net=host)
  std::string rootfs;      // "" = the host's file system (the built-in `host` image)
  // An imported image: `rootfs` (an existing empty directory) becomes an
  // overlay of lower_dirs (topmost first) with upper_dir/work_dir (existing
  // directories on the same file system) inside the container's mount
  // namespace, then the container pivot_roots into it.
  std::vector<std::string> lower_dirs;
  std::string upper_dir, work_dir;
  // Files in bundle_dir to bind over /etc/hosts, /etc/hostname and
  // /etc/resolv.conf; "" = leave that file alone.
  std::string hosts_file, hostname_file, resolv_conf_file;
  std::vector<std::string> cap_add, cap_drop;  // Docker names: "NET_ADMIN", "CAP_NET_ADMIN", "ALL"
  bool privileged = false;
  std::string log_path;  // json-file log the shim appends to ("" = no log)
  // Mounts under this directory (other containers' netns files, later their
  // root file systems) are detached inside the container, so that a
  // container on the host image does not pin them. "" = derived from
  // bundle_dir (<data-root>/containers/<id> → <data-root>).
  std::string data_root;
};

struct Started {
  int pid;                  // the container's init (berth-init, PID 1 inside), as the host sees it
  uint64_t pid_start_time;  // process_start_time(pid)
  int shim_pid;
  uint64_t shim_start_time;
};

// Starts berth-shim (found next to the running executable, or $BERTH_SHIM),
// which starts the container; returns once the command was exec'd, or an
// Error with Docker-like text when it could not be (executable not found →
// message containing "executable file not found in $PATH", unknown user →
// "unable to find user X: no matching entries in passwd file"). Leaves no
// process behind on error (the shim is gone when start() returns).
// Error kinds: InvalidArgument for what the user asked wrong (command, user,
// group, cwd, capability names), Internal/Unavailable for the rest.
// berth-init is found next to berth-shim, or at $BERTH_INIT.
Result<Started> start(const ProcessSpec& spec);

// The exit code Docker records for a container whose start failed with `e`:
// 127 when the command does not exist, 126 when it cannot be invoked
// (permission denied), else 128 (moby daemon/start.go).
int start_error_exit_code(const Error& e);

// The pids the shim recorded in bundle_dir/state.json (for re-adoption after a
// restart of berthd); nullopt when the file is missing or unreadable.
std::optional<Started> read_state(const std::string& bundle_dir);

// Exit status the shim recorded in bundle_dir/exit.json, if the container has exited.
struct ExitStatus {
  int exit_code;              // the command's code, 128+N when killed by signal N
  int64_t finished_at_nanos;  // Unix nanoseconds
  bool oom_killed = false;    // always false until berth uses cgroups
};
std::optional<ExitStatus> read_exit(const std::string& bundle_dir);

// Is (pid, start_time) still the same live process? (guards against pid
// reuse). A zombie counts as gone.
bool alive(int pid, uint64_t start_time);
uint64_t process_start_time(int pid);  // field 22 of /proc/PID/stat, 0 if gone

// A pidfd for (pid, start_time), or NotFound when that process is gone. It
// polls readable (POLLIN) when the process exits: berthd watches the shim's
// pidfd and reads exit.json when it fires. Opened O_CLOEXEC.
Result<UniqueFd> open_pidfd(int pid, uint64_t start_time);

// Blocks until the shim of `started` has exited (or `timeout` passed) and
// returns read_exit(bundle_dir) — nullopt on timeout or when the shim died
// without writing exit.json. For tests and simple callers; berthd polls
// open_pidfd(shim) in its event loop instead.
std::optional<ExitStatus> wait_exit(const std::string& bundle_dir, const Started& started,
                                    std::chrono::milliseconds timeout);

// Sends a signal to the container's init (berth-init forwards it to the
// command; SIGKILL kills the whole container). NotFound when (pid,
// start_time) is gone. Uses a pidfd, so a reused pid is never signalled.
Status kill(int pid, uint64_t start_time, int sig);

// Resizes the container's pty (through the shim's control socket
// bundle_dir/shim.sock). InvalidArgument when the container has no tty,
// Unavailable when the shim does not answer (container gone).
Status resize(const std::string& bundle_dir, int rows, int cols);

// Connects to the shim's control socket bundle_dir/shim.sock (works for any
// length of bundle_dir). Protocol: one JSON request per line, one JSON reply
// per line: {"op":"resize","rows":R,"cols":C} → {"ok":true} or
// {"ok":false,"error":"..."}; {"op":"ping"} → {"ok":true,"pid":N}.
// Reserved for the attach issue: {"op":"attach","stdin":b,"stdout":b,
// "stderr":b} → {"ok":true}, after which the connection carries raw streams.
Result<UniqueFd> connect_shim(const std::string& bundle_dir);

// Capabilities: Docker's default set (moby oci/caps/defaults.go) adjusted by
// --cap-add/--cap-drop/--privileged, as kernel capability numbers, sorted.
// Names are case-insensitive, with or without "CAP_"; "ALL" in cap_add gives
// every capability the kernel knows, in cap_drop starts from none. An unknown
// name is InvalidArgument: `invalid CapAdd: unknown capability: "CAP_FOO"`.
// The engine may call this at create to validate.
Result<std::vector<int>> effective_capabilities(const std::vector<std::string>& cap_add,
                                                const std::vector<std::string>& cap_drop,
                                                bool privileged);
// "CAP_NET_ADMIN" for 12; "" for an unknown number.
std::string capability_name(int cap);

// ---------------------------------------------------------------------------
// Network namespaces as files

// Creates a network namespace and bind-mounts it at `path` (the file is
// created; its directory must exist). Done on a short-lived thread:
// unshare(CLONE_NEWNET), bind-mount /proc/self/task/<tid>/ns/net onto path.
// lo stays down — the endpoint code brings it up. Conflict if path exists.
Status create_netns(const std::string& path);
// umount2(MNT_DETACH) + unlink. NotFound when path does not exist; a path
// that is a plain file (a half-created netns) is unlinked.
Status remove_netns(const std::string& path);

// ---------------------------------------------------------------------------
// The files Docker writes (pure)

// One line "<ip>\t<names>" (names space-separated), e.g. from --add-host.
struct HostsEntry {
  std::string ip;
  std::string names;
};

struct HostsSpec {
  std::vector<HostsEntry> extra_hosts;  // --add-host, in order; host-gateway already resolved
  std::vector<std::string> addresses;   // the container's addresses, one per network, in order
  std::string hostname;
  std::string domainname;  // --domainname
  bool ipv6 = true;        // false: no IPv6 lines (BuildNoIPv6)
};

// /etc/hosts as Docker 28 writes it (libnetwork/etchosts):
//   127.0.0.1\tlocalhost
//   ::1\tlocalhost ip6-localhost ip6-loopback
//   fe00::\tip6-localnet
//   ff00::\tip6-mcastprefix
//   ff02::1\tip6-allnodes
//   ff02::2\tip6-allrouters
//   <extra hosts>
//   <ip>\t<hostname>      (or "<ip>\t<fqdn> <short>" with a domain or a dotted hostname)
std::string hosts_file(const HostsSpec& spec);

// /etc/hostname: "<hostname>\n".
std::string hostname_file(const std::string& hostname);

// --dns, --dns-search, --dns-option; an empty list means "not given".
struct DnsOverrides {
  std::vector<std::string> servers;
  std::vector<std::string> search;  // "." entries are dropped (Docker: "no search")
  std::vector<std::string> options;
};

// One upstream of the embedded DNS server for a user-defined network.
struct ExtDnsServer {
  std::string addr;
  bool host_loopback = false;  // from the host's file and only reachable in the host's netns
};

// /etc/resolv.conf for a container on a user-defined network (Docker 28,
// libnetwork/internal/resolvconf): Docker's header, `nameserver 127.0.0.11`,
// the host's search and options plus `ndots:0` unless an ndots option is
// present, the host's unrecognised lines, and the trailer comments
// ("# Based on host file: '<host_path>' (internal resolver)", ExtServers,
// Overrides, "Option ndots from"). `host_text` is the host's file (or
// --resolv-conf), `host_path` its path as shown in the trailer.
std::string resolv_conf_user_network(std::string_view host_text, const std::string& host_path,
                                     const DnsOverrides& overrides = {}, bool ipv6 = false);
// The upstreams the embedded DNS should use for such a container.
std::vector<ExtDnsServer> resolv_conf_ext_servers(std::string_view host_text,
                                                  const DnsOverrides& overrides = {},
                                                  bool ipv6 = false);

// /etc/resolv.conf on the default bridge ("legacy"): the host's servers minus
// loopback ones (and IPv6 ones unless ipv6), or 8.8.8.8/8.8.4.4 with
// "# Used default nameservers." when none is left; header and trailer as Docker 28.
std::string resolv_conf_default_bridge(std::string_view host_text, const std::string& host_path,
                                       const DnsOverrides& overrides = {}, bool ipv6 = false);

// --net=host: a copy of the host's file.
std::string resolv_conf_host_mode(std::string_view host_text);

// Writes a file of the bundle directory: new files via a temporary file and
// rename (atomic), existing files by truncating in place — they may be bind-
// mounted into a running container, and a rename would leave the container on
// the old inode (Docker rewrites /etc/hosts the same way on network connect).
Status write_bundle_file(const std::string& path, std::string_view content);

// ---------------------------------------------------------------------------
// json-file logs

// One line of a json-file log:
// {"log":"text\n","stream":"stdout","time":"2026-11-28T02:10:26.123456789Z"}
struct LogLine {
  std::string stream;  // "stdout" or "stderr"
  std::string text;    // with its "\n" (none for a partial line)
  int64_t time_nanos;  // Unix nanoseconds
};

// Parses one line (without or with its trailing "\n"); nullopt if it is not a
// json-file entry.
std::optional<LogLine> parse_log_line(std::string_view line);

// Formats one entry exactly as dockerd's json-file driver (jsonlog
// MarshalJSONBuf): keys log, stream, time; <, >, & and control bytes as
// \u00XX, invalid UTF-8 as \ufffd; ends with "\n".
std::string format_log_line(std::string_view stream, std::string_view text, int64_t time_nanos);

// `docker logs` selection. As dockerd: tail counts entries of both streams
// from the end of the file, then since/until and the stream choice filter.
struct LogFilter {
  int tail = -1;            // -1 = all
  int64_t since_nanos = 0;  // 0 = from the start; entries with time >= since
  int64_t until_nanos = 0;  // 0 = no end; entries with time <= until
  bool stdout_stream = true;
  bool stderr_stream = true;
};

// Parses the complete lines of `data` (a whole file or a chunk appended since
// the last call); `*consumed` (optional) is set to the bytes up to and
// including the last "\n", where the next chunk must start. Unparseable lines
// are skipped.
std::vector<LogLine> parse_log_chunk(std::string_view data, size_t* consumed = nullptr);

// Applies `filter` to parsed entries (pure).
std::vector<LogLine> select_log_lines(std::vector<LogLine> lines, const LogFilter& filter);

// Reads and filters the log file; an absent file is an empty log. `*end_offset`
// (optional) receives the offset to continue from for `logs -f`.
Result<std::vector<LogLine>> read_log(const std::string& path, const LogFilter& filter,
                                      uint64_t* end_offset = nullptr);

}  // namespace berth::runtime
