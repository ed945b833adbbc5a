// Runs the nft program once: the input on stdin, stdout and stderr captured.
// Internal to the firewall module (NftFirewall) and its tests; berth code
// outside src/firewall goes through Firewall, which only ever touches the
// `ip berth` table.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "common/result.h"

namespace berth::firewall {

struct ExecOutput {
  int exit_code = 0;  // 128 + signal number when the child was killed
  std::string out;
  std::string err;
};

// Spawns `program args...` (PATH lookup when program has no '/') in the
// calling thread's namespaces, feeds `input` on stdin and waits up to
// `timeout`, killing the child after it. An Error only when the process could
// not be run (kUnavailable: not installed, no memfd) or timed out; a non-zero
// exit is a normal result.
Result<ExecOutput> exec_capture(const std::string& program, const std::vector<std::string>& args,
                                const std::string& input,
                                std::chrono::milliseconds timeout = std::chrono::seconds(30));

}  // namespace berth::firewall
