// Fuzzes what the API decodes from clients: create bodies, filters, paths.
#include <cstddef>
#include <cstdint>
#include <string>

#include "api/api_version.h"
#include "api/container_json.h"
#include "api/docker_json.h"
#include "api/filters.h"
#include "api/go_json_syntax.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string s(reinterpret_cast<const char*>(data), size);
  (void)berth::api::decode_network_create(s);
  (void)berth::api::decode_container_create(s, "fuzz");
  // Go's scanner: the first value read never extends past the body, and a
  // body without a syntax error is one whole value.
  const auto v = berth::api::go_json_read_value(s);
  if (!v.error && v.end > s.size()) __builtin_trap();
  const auto e = berth::api::go_json_syntax_error(s);
  if (!e && (v.error || s.find_first_not_of(" \t\r\n", v.end) != std::string::npos))
    __builtin_trap();
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
