#include "cli/tabwriter.h"

#include <gtest/gtest.h>

namespace berth::cli {
namespace {

TEST(Tabwriter, DockerNetworkTable) {
  // docker network ls, captured from the docker CLI 28.2.2.
  std::string in =
      "NETWORK ID\tNAME\tDRIVER\tSCOPE\n"
      "5f0481616f45\tbridge\tbridge\tlocal\n"
      "cce1ab37271c\thost\thost\tlocal\n"
      "471bd587ce6e\tnetlb\tbridge\tlocal\n"
      "64bdde571690\tnone\tnull\tlocal\n";
  EXPECT_EQ(tabwrite(in, 10, 3),
            "NETWORK ID     NAME      DRIVER    SCOPE\n"
            "5f0481616f45   bridge    bridge    local\n"
            "cce1ab37271c   host      host      local\n"
            "471bd587ce6e   netlb     bridge    local\n"
            "64bdde571690   none      null      local\n");
}

TEST(Tabwriter, WideCellsAndEmptyCells) {
  EXPECT_EQ(tabwrite_rows({{"NAME", "LABELS", "X"}, {"a-very-long-network-name", "", "1"}}, 10, 3),
            "NAME                       LABELS    X\n"
            "a-very-long-network-name             1\n");
}

TEST(Tabwriter, WidthCountsCodePoints) {
  EXPECT_EQ(tabwrite("ünï\tx\nab\ty\n", 1, 1), "ünï x\nab  y\n");
}

TEST(Tabwriter, LineWithoutTabsEndsTheColumnBlock) {
  // docker version: min width 20, padding 1.
  EXPECT_EQ(
      tabwrite("Client:\n Version:\t1\n API version:\t1.50\n\nServer: x\n Engine:\n  Version:\t2\n",
               20, 1),
      "Client:\n"
      " Version:           1\n"
      " API version:       1.50\n"
      "\n"
      "Server: x\n"
      " Engine:\n"
      "  Version:          2\n");
}

TEST(Tabwriter, BlocksAreIndependentAndTrailingTextIsNotACell) {
  EXPECT_EQ(tabwrite("a\tb\tlong-trailing\nccccccccccccc\td\n", 1, 1),
            "a             b long-trailing\nccccccccccccc d\n");
  EXPECT_EQ(tabwrite("aaaa\tb\n\nc\td", 1, 1), "aaaa b\n\nc d");
  EXPECT_EQ(tabwrite("", 10, 3), "");
}

}  // namespace
}  // namespace berth::cli
