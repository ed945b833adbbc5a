// Fuzzes the resolv.conf parser.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "dns/resolv_conf.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)berth::dns::parse_resolv_conf(
      std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
