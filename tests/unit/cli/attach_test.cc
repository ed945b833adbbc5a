#include "cli/attach.h"

#include <gtest/gtest.h>

namespace berth::cli {
namespace {

TEST(EscapeProxy, CtrlPCtrlQDetachesAndIsNotForwarded) {
  EscapeProxy p;
  bool detached = false;
  EXPECT_EQ(p.feed("ls\r\x10", &detached), "ls\r");
  EXPECT_FALSE(detached);
  EXPECT_EQ(p.feed("\x11more", &detached), "");
  EXPECT_TRUE(detached);
}

TEST(EscapeProxy, CtrlPAloneIsForwardedWithTheNextByte) {
  EscapeProxy p;
  bool detached = false;
  EXPECT_EQ(p.feed("\x10", &detached), "");
  EXPECT_EQ(p.feed("a", &detached),
            "\x10"
            "a");
  EXPECT_EQ(p.feed("\x10\x10\x11", &detached), "\x10");
  EXPECT_TRUE(detached);
}

}  // namespace
}  // namespace berth::cli
