// See container_child.h. Order matters:
//  1. setns(net) first: sethostname and mounts do not depend on it, but the
//     sysfs/proc views that follow should belong to the container's netns.
//  2. / becomes MS_REC|MS_PRIVATE before any mount, or the container's mounts
//     would propagate to the host (PITFALLS.md).
//  3. Bundle files are bind-mounted over /etc/*, mounts under the data root
//     are detached (a container on the host image would otherwise hold every
//     other container's netns bind mount, and keep those namespaces and their
//     veths alive after berthd unmounted them), then a fresh /proc is mounted
//     — by PID 1 of the new PID namespace, which this process is — and a
//     fresh sysfs, with Docker's masked and read-only paths on top.
//  4. The user is looked up in the container's /etc/passwd and /etc/group.
//  5. Capabilities: the bounding set is cut to the container's set and the
//     inheritable and ambient sets are cleared (CVE-2022-24769), then
//     setgroups/setgid/setuid. execve recomputes the rest the way Docker's
//     containers see it: root gets the bounding set as permitted and
//     effective, any other uid gets none.
//  6. The working directory is entered as the user, so permissions apply.
#include "runtime/container_child.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "runtime/file_io.h"
#include "runtime/init.h"
#include "runtime/user.h"

namespace berth::runtime {
namespace {

int g_sync_fd = -1;

[[noreturn]] void fail(char kind, const std::string& message) {
  const std::string msg = std::string(1, kind) + message;
  if (g_sync_fd >= 0) {
    ssize_t n = ::write(g_sync_fd, msg.data(), msg.size());
    (void)n;
  }
  ::_exit(127);
}

[[noreturn]] void fail_errno(const std::string& what) {
  fail('E', what + ": " + init::go_errno_text(errno));
}

bool exists(const char* path) {
  struct stat st {};
  return ::stat(path, &st) == 0;
}

// mountinfo escapes ' ', '\t', '\n' and '\\' as \ooo.
std::string unescape_mount_path(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '3') {
      out += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

void detach_mounts_under(const std::string& root) {
  if (root.empty() || root == "/") return;
  auto info = read_file("/proc/self/mountinfo");
  if (!info.ok()) fail('E', "read mountinfo: " + info.error().message());
  std::vector<std::string> targets;
  const std::string prefix = root.back() == '/' ? root : root + "/";
  size_t pos = 0;
  while (pos < info->size()) {
    size_t nl = info->find('\n', pos);
    if (nl == std::string::npos) nl = info->size();
    const std::string_view line(info->data() + pos, nl - pos);
    pos = nl + 1;
    // "id parent major:minor root mount-point options …": field 5.
    size_t start = 0;
    for (int field = 0; field < 4; ++field) {
      start = line.find(' ', start);
      if (start == std::string_view::npos) break;
      ++start;
    }
    if (start == std::string_view::npos) continue;
    const size_t end = line.find(' ', start);
    const std::string mp = unescape_mount_path(line.substr(start, end - start));
    if (mp.compare(0, prefix.size(), prefix) == 0) targets.push_back(mp);
  }
  // Deepest first; a parent's detach takes its children along (EINVAL after).
  std::sort(targets.begin(), targets.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  for (const std::string& t : targets) ::umount2(t.c_str(), MNT_DETACH);
}

void bind_file(const std::string& source, const char* target, bool host_image) {
  if (source.empty()) return;
  // The host image cannot get files the host lacks; an imported image gets
  // them created by the rootfs step (next issue).
  if (host_image && !exists(target)) return;
  if (::mount(source.c_str(), target, nullptr, MS_BIND, nullptr) != 0) {
    fail_errno(std::string("bind-mount ") + source + " on " + target);
  }
}

void mount_proc_and_ipc() {
  if (::mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) {
    fail_errno("mount proc on /proc");
  }
  // A private /dev/shm (Docker's 64 MiB default) and POSIX message queues
  // that belong to the new IPC namespace.
  if (exists("/dev/shm") && ::mount("shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                                    "mode=1777,size=65536k") != 0) {
    fail_errno("mount tmpfs on /dev/shm");
  }
  if (exists("/dev/mqueue")) {
    ::mount("mqueue", "/dev/mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr);
  }
}

// A fresh sysfs shows the container's network namespace under
// /sys/class/net (sysfs belongs to the netns of whoever mounts it); read-only
// unless privileged, as Docker mounts it.
void mount_sys(bool privileged) {
  if (!exists("/sys")) return;
  unsigned long flags = MS_NOSUID | MS_NODEV | MS_NOEXEC;
  if (!privileged) flags |= MS_RDONLY;
  if (::mount("sysfs", "/sys", "sysfs", flags, nullptr) == 0) return;
  // EBUSY: the network namespace's sysfs is mounted already with other
  // flags (--net=host): bind the host's /sys instead, as runc falls back to.
  if (errno != EBUSY && errno != EPERM) fail_errno("mount sysfs on /sys");
  if (::mount("/sys", "/sys", nullptr, MS_BIND | MS_REC, nullptr) != 0) fail_errno("bind /sys");
  if (!privileged &&
      ::mount("/sys", "/sys", nullptr,
              MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) {
    fail_errno("make /sys read-only");
  }
}

// Docker's default masked and read-only paths (moby oci/defaults.go), so that
// root in a container cannot read kernel memory or keys, or write
// /proc/sysrq-trigger. Skipped for --privileged, as in Docker.
void mask_paths() {
  static constexpr const char* kMasked[] = {
      "/proc/asound",     "/proc/acpi",        "/proc/interrupts",
      "/proc/kcore",      "/proc/keys",        "/proc/latency_stats",
      "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
      "/proc/scsi",       "/sys/firmware",     "/sys/devices/virtual/powercap",
  };
  static constexpr const char* kReadOnly[] = {
      "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
  };
  for (const char* p : kMasked) {
    struct stat st {};
    if (::stat(p, &st) != 0) continue;
    const int rc = S_ISDIR(st.st_mode) ? ::mount("tmpfs", p, "tmpfs", MS_RDONLY, nullptr)
                                       : ::mount("/dev/null", p, nullptr, MS_BIND, nullptr);
    if (rc != 0) fail_errno(std::string("mask ") + p);
  }
  for (const char* p : kReadOnly) {
    if (!exists(p)) continue;
    if (::mount(p, p, nullptr, MS_BIND | MS_REC, nullptr) != 0 ||
        ::mount(p, p, nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY, nullptr) != 0) {
      fail_errno(std::string("make ") + p + " read-only");
    }
  }
}

// A directory (and its parents) inside the new root; an existing entry of
// another type is left for the mount to complain about.
void make_dirs(const std::string& path) {
  for (size_t pos = 1; pos <= path.size(); ++pos) {
    if (pos != path.size() && path[pos] != '/') continue;
    const std::string part = path.substr(0, pos);
    if (::mkdir(part.c_str(), 0755) != 0 && errno != EEXIST) fail_errno("mkdir " + part);
  }
}

// A plain file to mount over, inside the new root. A symlink there (an
// image's /etc/resolv.conf → /run/…) is replaced: following it would leave
// the root before pivot_root.
void make_mount_file(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISLNK(st.st_mode)) return;
    if (::unlink(path.c_str()) != 0) fail_errno("unlink " + path);
  }
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) fail_errno("create " + path);
  ::close(fd);
}

// Docker's /dev (moby oci/defaults.go + runc's default devices): a tmpfs
// with the six character devices, /dev/tty, devpts with its own ptmx,
// /dev/shm and /dev/mqueue mount points, the /proc/self/fd links, and the
// container's terminal as /dev/console.
void populate_dev(const std::string& root, int tty_fd) {
  const std::string dev = root + "/dev";
  make_dirs(dev);
  if (::mount("tmpfs", dev.c_str(), "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k") != 0) {
    fail_errno("mount tmpfs on /dev");
  }
  struct Node {
    const char* name;
    unsigned major, minor;
  };
  static constexpr Node kNodes[] = {{"null", 1, 3},   {"zero", 1, 5},    {"full", 1, 7},
                                    {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0}};
  for (const Node& n : kNodes) {
    const std::string p = dev + "/" + n.name;
    if (::mknod(p.c_str(), S_IFCHR | 0666, makedev(n.major, n.minor)) != 0) fail_errno("mknod " + p);
    if (::chmod(p.c_str(), 0666) != 0) fail_errno("chmod " + p);
  }
  for (const char* d : {"/pts", "/shm", "/mqueue"}) make_dirs(dev + d);
  if (::mount("devpts", (dev + "/pts").c_str(), "devpts", MS_NOSUID | MS_NOEXEC,
              "newinstance,ptmxmode=0666,mode=0620,gid=5") != 0) {
    fail_errno("mount devpts on /dev/pts");
  }
  static constexpr std::pair<const char*, const char*> kLinks[] = {
      {"pts/ptmx", "ptmx"},          {"/proc/self/fd", "fd"},       {"/proc/self/fd/0", "stdin"},
      {"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"}, {"/proc/kcore", "core"}};
  for (const auto& [target, name] : kLinks) {
    if (::symlink(target, (dev + "/" + name).c_str()) != 0) fail_errno(std::string("symlink /dev/") + name);
  }
  if (tty_fd >= 0) {
    char buf[256] = {};
    const std::string link = "/proc/self/fd/" + std::to_string(tty_fd);
    const ssize_t n = ::readlink(link.c_str(), buf, sizeof buf - 1);
    if (n > 0) {
      make_mount_file(dev + "/console");
      if (::mount(buf, (dev + "/console").c_str(), nullptr, MS_BIND, nullptr) != 0) {
        fail_errno("bind the terminal on /dev/console");
      }
    }
  }
}

// The root file system of an imported image: overlay of its layers and the
// container's writable layer, /dev, the bundle's /etc files, then
// pivot_root (the old root is detached, so nothing of the host's mounts —
// other containers' netns files among them — stays reachable).
void enter_image_rootfs(const ChildPlan& plan) {
  const ProcessSpec& spec = *plan.spec;
  const std::string& root = spec.rootfs;
  // The mount options must fit in a page: with many layers the lower
  // directories are named relative to their common parent, entered first
  // (the overlay2 driver's trick).
  std::string parent;
  for (const auto& d : spec.lower_dirs) {
    const std::string p = d.substr(0, d.rfind('/'));
    if (parent.empty()) parent = p;
    if (p != parent || p.empty()) {
      parent.clear();
      break;
    }
  }
  if (!parent.empty() && ::chdir(parent.c_str()) != 0) fail_errno("chdir " + parent);
  std::string opts = "lowerdir=";
  for (size_t i = 0; i < spec.lower_dirs.size(); ++i) {
    if (i) opts += ':';
    const std::string& d = spec.lower_dirs[i];
    opts += parent.empty() ? d : d.substr(parent.size() + 1);
  }
  opts += ",upperdir=" + spec.upper_dir + ",workdir=" + spec.work_dir;
  if (::mount("overlay", root.c_str(), "overlay", 0, opts.c_str()) != 0) {
    fail_errno("mount overlay on " + root + " (" + std::to_string(spec.lower_dirs.size()) + " layers)");
  }
  for (const char* d : {"/proc", "/sys", "/etc", "/tmp"}) make_dirs(root + d);
  populate_dev(root, plan.tty_fd);
  const std::pair<const std::string*, const char*> files[] = {
      {&spec.hosts_file, "/etc/hosts"},
      {&spec.hostname_file, "/etc/hostname"},
      {&spec.resolv_conf_file, "/etc/resolv.conf"}};
  for (const auto& [source, target] : files) {
    if (source->empty()) continue;
    const std::string t = root + target;
    make_mount_file(t);
    if (::mount(source->c_str(), t.c_str(), nullptr, MS_BIND, nullptr) != 0) {
      fail_errno("bind-mount " + *source + " on " + target);
    }
  }
  if (::chdir(root.c_str()) != 0) fail_errno("chdir " + root);
  // pivot_root(".", "."): the old root ends up on top of the new one and is
  // detached at once (runc's trick; no directory for the old root needed).
  if (::syscall(SYS_pivot_root, ".", ".") != 0) fail_errno("pivot_root " + root);
  if (::umount2(".", MNT_DETACH) != 0) fail_errno("detach the old root");
  if (::chdir("/") != 0) fail_errno("chdir /");
}

ExecUser resolve(const std::string& spec) {
  // Absent files are empty: a numeric user still works, a name does not.
  auto passwd = read_file("/etc/passwd");
  auto group = read_file("/etc/group");
  auto user = resolve_user(spec, passwd.ok() ? *passwd : "", group.ok() ? *group : "");
  if (!user.ok()) fail('A', user.error().message());
  return *user;
}

void drop_capabilities(const ChildPlan& plan) {
  for (int c = 0; c <= plan.last_cap; ++c) {
    if (std::binary_search(plan.caps.begin(), plan.caps.end(), c)) continue;
    if (::prctl(PR_CAPBSET_DROP, c, 0, 0, 0) != 0 && errno != EINVAL) {
      fail_errno("drop capability " + std::to_string(c) + " from the bounding set");
    }
  }
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (::syscall(SYS_capget, &hdr, data) != 0) fail_errno("capget");
  for (auto& d : data) d.inheritable = 0;
  if (::syscall(SYS_capset, &hdr, data) != 0) fail_errno("capset");
  ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
}

void become(const ExecUser& u) {
  if (::setgroups(u.sgids.size(), reinterpret_cast<const gid_t*>(u.sgids.data())) != 0) {
    fail_errno("setgroups");
  }
  if (::setgid(u.gid) != 0) fail_errno("setgid " + std::to_string(u.gid));
  if (::setuid(u.uid) != 0) fail_errno("setuid " + std::to_string(u.uid));
}

// Moves `fd` above the range the child is about to fill (0..4).
int lift(int fd) {
  if (fd < 0) return -1;
  const int out = ::fcntl(fd, F_DUPFD_CLOEXEC, 10);
  if (out < 0) fail_errno("dup");
  return out;
}

}  // namespace

void run_container_child(const ChildPlan& plan) {
  g_sync_fd = plan.sync_fd;
  const ProcessSpec& spec = *plan.spec;
  const bool host_image = spec.rootfs.empty();

  if (::unshare(CLONE_NEWUTS | CLONE_NEWNS | CLONE_NEWIPC) != 0) fail_errno("unshare");
  if (plan.netns_fd >= 0 && ::setns(plan.netns_fd, CLONE_NEWNET) != 0) {
    fail_errno("join network namespace " + spec.netns_path);
  }
  if (!spec.hostname.empty() && ::sethostname(spec.hostname.data(), spec.hostname.size()) != 0) {
    fail_errno("sethostname " + spec.hostname);
  }
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    fail_errno("make / private");
  }
  if (!host_image) {
    enter_image_rootfs(plan);
  } else {
    bind_file(spec.hosts_file, "/etc/hosts", host_image);
    bind_file(spec.hostname_file, "/etc/hostname", host_image);
    bind_file(spec.resolv_conf_file, "/etc/resolv.conf", host_image);
    detach_mounts_under(plan.data_root);
  }
  mount_proc_and_ipc();
  mount_sys(spec.privileged);
  if (!spec.privileged) mask_paths();

  const ExecUser user = resolve(spec.user.user);

  std::vector<std::string> env = spec.env;
  if (std::none_of(env.begin(), env.end(),
                   [](const std::string& e) { return e.rfind("HOME=", 0) == 0; })) {
    env.push_back("HOME=" + user.home);
  }
  if (plan.tty_fd >= 0) {
    // The user must own its terminal, as with runc's console.
    if (::fchown(plan.tty_fd, user.uid, static_cast<gid_t>(-1)) != 0) {
      fail_errno("chown the container's tty");
    }
  }

  // fds: 0-2 stdio, 3 the sync pipe for berth-init, 4 berth-init itself.
  const int in = lift(plan.stdin_fd), out = lift(plan.stdout_fd), err = lift(plan.stderr_fd);
  const int sync = lift(plan.sync_fd), init = lift(plan.init_fd);
  if (::dup2(in, 0) < 0 || ::dup2(out, 1) < 0 || ::dup2(err, 2) < 0) fail_errno("dup2 stdio");
  if (::dup2(sync, init::kSyncFd) < 0) fail_errno("dup2 sync pipe");
  g_sync_fd = init::kSyncFd;
  if (::dup3(init, 4, O_CLOEXEC) < 0) fail_errno("dup3 berth-init");
  ::syscall(SYS_close_range, 5U, ~0U, 0U);

  drop_capabilities(plan);
  become(user);
  if (::chdir(spec.cwd.empty() ? "/" : spec.cwd.c_str()) != 0) {
    fail('A', "chdir to cwd (\"" + spec.cwd +
                  "\") set in config.json failed: " + init::go_errno_text(errno));
  }

  // The shim blocks SIGCHLD and ignores SIGPIPE; both survive execve.
  sigset_t none;
  ::sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::signal(SIGPIPE, SIG_DFL);

  std::vector<const char*> argv = {"berth-init"};
  if (spec.tty) argv.push_back("--tty");
  argv.push_back("--");
  for (const std::string& a : spec.args) argv.push_back(a.c_str());
  argv.push_back(nullptr);
  std::vector<const char*> envp;
  for (const std::string& e : env) envp.push_back(e.c_str());
  envp.push_back(nullptr);
  ::syscall(SYS_execveat, 4, "", argv.data(), envp.data(), AT_EMPTY_PATH);
  fail_errno("exec berth-init");
}

}  // namespace berth::runtime
