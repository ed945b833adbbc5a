// Docker's capability model (moby oci/caps): a default set for every
// container, --cap-add/--cap-drop applied to it, everything for
// --privileged. Names are normalised to "CAP_X" upper case; "ALL" is special.
#include <algorithm>
#include <cctype>
#include <fstream>

#include "runtime/runtime.h"

namespace berth::runtime {
namespace {

// Kernel numbering (include/uapi/linux/capability.h).
constexpr const char* kNames[] = {
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};
constexpr int kKnown = static_cast<int>(std::size(kNames));

// moby oci/caps/defaults.go DefaultCapabilities().
constexpr const char* kDefaults[] = {
    "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
    "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
    "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
    "CAP_KILL",    "CAP_AUDIT_WRITE",
};

int number_of(const std::string& name) {
  for (int i = 0; i < kKnown; ++i) {
    if (name == kNames[i]) return i;
  }
  return -1;
}

// The highest capability the running kernel knows; every name berth knows
// when /proc is unreadable.
int last_cap() {
  static const int last = [] {
    std::ifstream f("/proc/sys/kernel/cap_last_cap");
    int n = -1;
    if (f >> n && n >= 0) return std::min(n, kKnown - 1);
    return kKnown - 1;
  }();
  return last;
}

// "net_admin" → "CAP_NET_ADMIN"; "all" → "ALL".
std::string normalise(const std::string& in) {
  std::string s = in;
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (s == "ALL") return s;
  if (s.rfind("CAP_", 0) != 0) s = "CAP_" + s;
  return s;
}

Result<std::vector<std::string>> normalise_all(const std::vector<std::string>& in,
                                               const char* what) {
  std::vector<std::string> out;
  for (const std::string& c : in) {
    const std::string n = normalise(c);
    if (n != "ALL" && number_of(n) < 0) {
      return invalid_argument(std::string("invalid ") + what + ": unknown capability: \"" + n +
                              "\"");
    }
    out.push_back(n);
  }
  return out;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

std::string capability_name(int cap) { return cap >= 0 && cap < kKnown ? kNames[cap] : ""; }

Result<std::vector<int>> effective_capabilities(const std::vector<std::string>& cap_add,
                                                const std::vector<std::string>& cap_drop,
                                                bool privileged) {
  std::vector<int> all;
  for (int i = 0; i <= last_cap(); ++i) all.push_back(i);
  if (privileged) return all;

  auto drops = normalise_all(cap_drop, "CapDrop");
  if (!drops.ok()) return drops.error();
  auto adds = normalise_all(cap_add, "CapAdd");
  if (!adds.ok()) return adds.error();

  std::vector<int> caps;
  if (contains(*adds, "ALL")) {
    for (int c : all) {
      if (!contains(*drops, kNames[c])) caps.push_back(c);
    }
  } else {
    if (!contains(*drops, "ALL")) {
      for (const char* d : kDefaults) {
        if (!contains(*drops, d)) caps.push_back(number_of(d));
      }
    }
    for (const std::string& a : *adds) caps.push_back(number_of(a));
  }
  std::sort(caps.begin(), caps.end());
  caps.erase(std::unique(caps.begin(), caps.end()), caps.end());
  // Capabilities the kernel does not know cannot be granted.
  caps.erase(std::remove_if(caps.begin(), caps.end(), [](int c) { return c > last_cap(); }),
             caps.end());
  return caps;
}

}  // namespace berth::runtime
