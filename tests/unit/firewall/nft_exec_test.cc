// exec_capture, the process runner behind NftFirewall, exercised with
// ordinary programs: no root, no nft, no network.
#include "firewall/nft_exec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "firewall/firewall.h"

namespace berth::firewall {
namespace {

using ::testing::HasSubstr;

TEST(ExecCaptureTest, FeedsStdinAndCapturesStdout) {
  auto r = exec_capture("cat", {}, "table ip berth {}\n");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->exit_code, 0);
  EXPECT_EQ(r->out, "table ip berth {}\n");
  EXPECT_EQ(r->err, "");
}

TEST(ExecCaptureTest, LargeInputAndOutputDoNotDeadlock) {
  std::string big(4 << 20, 'x');  // far beyond a pipe's 64 KiB
  auto r = exec_capture("sh", {"-c", "cat; cat /dev/stdin >&2"}, big);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->out.size(), big.size());
  EXPECT_EQ(r->out, big);
  EXPECT_EQ(r->err.size(), big.size());  // /dev/stdin reopened: from the start again
}

TEST(ExecCaptureTest, ExitCodeAndStderr) {
  auto r = exec_capture("sh", {"-c", "echo oops >&2; exit 3"}, "");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_EQ(r->err, "oops\n");
}

TEST(ExecCaptureTest, KilledBySignal) {
  auto r = exec_capture("sh", {"-c", "kill -TERM $$"}, "");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 128 + 15);
}

TEST(ExecCaptureTest, MissingProgramIsUnavailable) {
  auto r = exec_capture("/nonexistent/berth-no-such-nft", {"-f", "-"}, "");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), ErrorKind::kUnavailable);
  EXPECT_THAT(r.error().message(), HasSubstr("No such file or directory"));
}

TEST(ExecCaptureTest, TimeoutKillsTheChild) {
  auto start = std::chrono::steady_clock::now();
  auto r = exec_capture("sleep", {"10"}, "", std::chrono::milliseconds(200));
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), ErrorKind::kUnavailable);
  EXPECT_THAT(r.error().message(), HasSubstr("killed"));
  EXPECT_LT(took, std::chrono::seconds(5));
}

TEST(NftFirewallTest, MissingNftBinaryIsUnavailable) {
  NftFirewall fw("/nonexistent/nft");
  auto st = fw.apply(render_delete());
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind(), ErrorKind::kUnavailable);
  EXPECT_THAT(st.error().message(), HasSubstr("nft -f: cannot run /nonexistent/nft"));
}

TEST(NftFirewallTest, NonZeroExitCarriesStderr) {
  // A stand-in for nft that fails like nft does: message on stderr, exit 1.
  NftFirewall fw("/bin/false");
  auto st = fw.check("table ip berth {}\n");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message(), "nft -c -f: exit code 1");
}

}  // namespace
}  // namespace berth::firewall
