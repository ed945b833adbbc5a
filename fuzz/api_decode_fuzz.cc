// Fuzzes what the API decodes from clients: create bodies, filters, paths.
#include <cstddef>
#include <cstdint>
#include <string>

#include "api/api_version.h"
#include "api/docker_json.h"
#include "api/filters.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string s(reinterpret_cast<const char*>(data), size);
  (void)berth::api::decode_network_create(s);
  auto f = berth::api::parse_filters(s);
  if (f.ok()) {
    berth::store::NetworkRecord n;
    n.name = "fuzz";
    n.id = std::string(64, 'a');
    (void)berth::api::network_matches(*f, n);
    (void)berth::api::prune_matches(*f, n, 1);
  }
  (void)berth::api::route_path(s);
  (void)berth::api::parse_query(s);
  return 0;
}
