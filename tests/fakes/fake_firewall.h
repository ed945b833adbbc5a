// A Firewall that records the scripts it was asked to apply, and can be told
// to fail the next apply, for unit tests of the engine.
#pragma once

#include <string>
#include <vector>

#include "firewall/firewall.h"

namespace berth::testing {

class FakeFirewall : public firewall::Firewall {
 public:
  Status apply(const std::string& script) override {
    if (fail_next) {
      fail_next = false;
      return unavailable("nft: injected failure");
    }
    applied.push_back(script);
    return ok_status();
  }

  std::vector<std::string> applied;
  bool fail_next = false;
};

}  // namespace berth::testing
