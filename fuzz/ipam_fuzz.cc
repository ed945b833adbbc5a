// Fuzzes IPv4/CIDR parsing, IPAM validation and allocator operations.
#include <cstddef>
#include <cstdint>
#include <string>

#include "ipam/ipam.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string s(reinterpret_cast<const char*>(data), size);
  (void)berth::ipam::parse_ipv4(s);
  auto p = berth::ipam::parse_cidr(s);
  (void)berth::ipam::parse_pool_spec(s);
  // Split the input into the four fields of one IPAM config.
  berth::ipam::ConfigRequest r;
  std::string* fields[] = {&r.subnet, &r.ip_range, &r.gateway};
  size_t f = 0;
  for (char c : s) {
    if (c == '|' && f < 3) {
      ++f;
    } else if (f < 3) {
      fields[f]->push_back(c);
    } else {
      r.aux_addresses["a"].push_back(c);
    }
  }
  auto v = berth::ipam::validate({r});
  if (p && p->len >= 16) {
    berth::ipam::Allocator a(p->canonical());
    for (size_t i = 0; i < size && i < 64; ++i) {
      if (data[i] & 1) {
        auto got = a.allocate_any();
        if (got.ok() && (data[i] & 2)) a.release(*got);
      } else {
        (void)a.allocate(berth::ipam::Ipv4{p->network().v + data[i]});
      }
    }
  }
  return 0;
}
