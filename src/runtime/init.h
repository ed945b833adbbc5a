// berth-init: PID 1 of every container. It resolves the command through PATH
// as runc does (Go's exec.LookPath), starts it in a session of its own (with
// the container's tty as controlling terminal when there is one), reports to
// berth-shim whether the exec worked, forwards the signals it receives to the
// command, reaps every zombie the PID namespace hands it, and exits with the
// command's status (128+N when the command was killed by signal N).
//
// It is linked statically and uses nothing but libc and std::string, so the
// same binary can later be bind-mounted into any imported root file system.
//
// Protocol with berth-shim: fd 3 is the sync pipe. berth-init writes "K" once
// the command was exec'd, or "A<message>" (the user's mistake: command not
// found, permission) / "E<message>" (anything else) when it was not, then
// closes it. Command line: berth-init [--tty] -- ARGS...
#pragma once

#include <string>

namespace berth::runtime::init {

constexpr int kSyncFd = 3;

struct LookPathResult {
  std::string path;         // resolved path when error is empty
  std::string error;        // Go's text: exec: "foo": executable file not found in $PATH
  bool permission = false;  // the error is a permission error (exit code 126)
};

// exec.LookPath(file) with PATH = `path_env`: a name with '/' is checked
// as is; otherwise each PATH entry ("" = ".") is tried in order.
LookPathResult look_path(const std::string& file, const std::string& path_env);

// Go's text for an errno: strerror with a lower-case first letter
// ("no such file or directory").
std::string go_errno_text(int err);

int init_main(int argc, char** argv);

}  // namespace berth::runtime::init
