// What start() hands to berth-shim: the ProcessSpec plus the paths start()
// resolved, as bundle_dir/config.json. Internal to the runtime.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"
#include "runtime/runtime.h"

namespace berth::runtime {

struct ShimConfig {
  ProcessSpec spec;
  std::string init_path;  // berth-init on the host, opened by the shim before entering namespaces
};

std::string encode_shim_config(const ShimConfig& c);
Result<ShimConfig> decode_shim_config(std::string_view text);

// Data root of a bundle: spec.data_root, or <bundle>/../.. for
// <data-root>/containers/<id>.
std::string data_root_of(const ProcessSpec& spec);

}  // namespace berth::runtime

namespace berth::runtime {

// The shim reports to start() over the pipe on its fd 3, one JSON object per
// line: first {"shim_pid":N,"shim_start_time":T}, then either
// {"ok":true,"pid":P,"pid_start_time":T} or
// {"ok":false,"kind":"invalid_argument"|"internal"|…,"message":"…"}.
constexpr int kShimReportFd = 3;

std::string error_kind_name(ErrorKind k);
ErrorKind error_kind_from_name(const std::string& name);

}  // namespace berth::runtime
