#include "common/random_id.h"

#include <sys/random.h>

#include <cstdint>
#include <stdexcept>

namespace berth {

std::string random_id() {
  static constexpr char kHex[] = "0123456789abcdef";
  for (;;) {
    uint8_t buf[32];
    size_t got = 0;
    while (got < sizeof buf) {
      ssize_t n = getrandom(buf + got, sizeof buf - got, 0);
      if (n < 0) throw std::runtime_error("getrandom failed");
      got += static_cast<size_t>(n);
    }
    std::string s(64, '0');
    for (size_t i = 0; i < sizeof buf; ++i) {
      s[2 * i] = kHex[buf[i] >> 4];
      s[2 * i + 1] = kHex[buf[i] & 0xf];
    }
    // Docker's stringid.GenerateRandomID avoids ids whose 12-character
    // short form is all digits (it would parse as a number in some tools).
    if (s.substr(0, 12).find_first_not_of("0123456789") != std::string::npos) return s;
  }
}

}  // namespace berth
