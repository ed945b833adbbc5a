#include "cli/go_time.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>

namespace berth::cli {
namespace {

class GoTimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tz = std::getenv("TZ");
    saved_ = tz != nullptr ? std::optional<std::string>(tz) : std::nullopt;
    setenv("TZ", "UTC", 1);
    tzset();
  }
  void TearDown() override {
    if (saved_) {
      setenv("TZ", saved_->c_str(), 1);
    } else {
      unsetenv("TZ");
    }
    tzset();
  }
  std::optional<std::string> saved_;
};

TEST_F(GoTimeTest, TimeString) {
  EXPECT_EQ(go_time_string("2026-11-28T02:04:55.940668344Z"),
            "2026-11-28 02:04:55.940668344 +0000 UTC");
  EXPECT_EQ(go_time_string("2026-11-27T10:00:00Z"), "2026-11-27 10:00:00 +0000 UTC");
  EXPECT_EQ(go_time_string("2026-11-27T10:00:00.100Z"), "2026-11-27 10:00:00.1 +0000 UTC");
  // An offset that is not the local zone's gets a fabricated zone name.
  EXPECT_EQ(go_time_string("2026-11-28T03:04:05.5+02:00"), "2026-11-28 03:04:05.5 +0200 +0200");
  EXPECT_EQ(go_time_string("0001-01-01T00:00:00Z"), "0001-01-01 00:00:00 +0000 UTC");
  EXPECT_EQ(go_time_string("not a time"), "not a time");
}

TEST_F(GoTimeTest, LocalZoneNameForMatchingOffset) {
  setenv("TZ", "CET-1", 1);
  tzset();
  EXPECT_EQ(go_time_string("2026-01-10T12:00:00+01:00"), "2026-01-10 12:00:00 +0100 CET");
}

TEST_F(GoTimeTest, Ansic) {
  EXPECT_EQ(go_ansic("2025-05-30T12:00:00.000000000+00:00"), "Fri May 30 12:00:00 2025");
  EXPECT_EQ(go_ansic("2026-11-01T09:08:07Z"), "Sun Nov  1 09:08:07 2026");
  EXPECT_EQ(go_ansic("garbage"), "garbage");
}

}  // namespace
}  // namespace berth::cli
