// Docker Engine JSON for networks and the system endpoints, pure: records in,
// nlohmann::ordered_json out in dockerd's key order, with the fields each API
// version had; request bodies in, engine requests out with Go-like errors.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "api/api_version.h"
#include "common/go_json.h"
#include "common/result.h"
#include "engine/engine.h"
#include "store/records.h"

namespace berth::api {

// network.Inspect (GET /networks/{id}) and network.Summary (GET /networks).
ojson network_json(const store::NetworkRecord& n, ApiVersion v);

// Decodes POST /networks/create. Errors are 400 "invalid JSON: ..." in the
// shape of Go's encoding/json messages.
Result<engine::NetworkCreateRequest> decode_network_create(std::string_view body);

struct SystemFacts {
  std::string version = "0.1.0";
  std::string git_commit = "unknown";
  std::string kernel;
  std::string os_name;
  std::string hostname;
  std::string engine_id;
  std::string data_root;
  int ncpu = 1;
  int64_t mem_total = 0;
  int64_t build_time = 0;  // nanoseconds
  std::vector<std::string> warnings;
  int networks = 0;
};

ojson version_json(const SystemFacts& f, ApiVersion v);
ojson info_json(const SystemFacts& f, ApiVersion v);

}  // namespace berth::api
