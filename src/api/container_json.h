// Docker Engine JSON for containers, pure: the create request decoded and
// normalised, and inspect/ps bodies built from records in dockerd's key
// order with the fields each API version had.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "api/api_version.h"
#include "common/go_json.h"
#include "engine/engine.h"
#include "store/records.h"

namespace berth::api {

// POST /containers/create?name=: the body as Docker's CLI sends it
// ({...Config, "HostConfig":{}, "NetworkingConfig":{"EndpointsConfig":{}}}).
// NetworkMode "default"/"" becomes "bridge" and the "default" endpoint key
// moves to "bridge", as dockerd does.
Result<engine::ContainerCreateRequest> decode_container_create(std::string_view body,
                                                              const std::string& name);

// What inspect and ps need besides the record.
struct ContainerView {
  const store::ContainerRecord* c = nullptr;
  std::vector<store::EndpointRecord> endpoints;      // active endpoints
  std::vector<store::NetworkRecord> networks;        // every network (names, ids, flags)
  std::vector<store::PortRecord> ports;              // published ports while running
  std::string bundle_dir;
  int64_t now = 0;
};

ojson container_inspect_json(const ContainerView& v, ApiVersion ver);
ojson container_summary_json(const ContainerView& v, ApiVersion ver);

// dockerd's Status column: "Up 5 seconds", "Exited (0) 2 minutes ago",
// "Created" (go-units HumanDuration).
std::string human_duration(int64_t nanos);
std::string status_text(const store::ContainerRecord& c, int64_t now);

// Path + args with args containing spaces quoted, as dockerd's Command.
std::string command_text(const std::vector<std::string>& args);

// GET /containers/json filters: id, name, label, status, exited, network,
// ancestor, before/since are not supported yet (invalid filter).
Result<bool> container_matches(const std::map<std::string, std::vector<std::string>>& f,
                               const ContainerView& v);

}  // namespace berth::api
