// -u resolution (runc's rules), capabilities (moby's rules), PATH lookup.
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>

#include "runtime/init.h"
#include "runtime/runtime.h"
#include "runtime/user.h"

namespace berth::runtime {
namespace {

constexpr char kPasswd[] =
    "root:x:0:0:root:/root:/bin/bash\n"
    "# comment\n"
    "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
    "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
    "broken line\n"
    "app:x:1000:1000::/home/app:/bin/sh\n";
constexpr char kGroup[] =
    "root:x:0:\n"
    "wheel:x:10:root,app\n"
    "nogroup:x:65534:\n"
    "app:x:1000:\n"
    "docker:x:999:app\n";

TEST(ResolveUser, DefaultIsRootWithItsGroups) {
  auto u = resolve_user("", kPasswd, kGroup);
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->uid, 0u);
  EXPECT_EQ(u->gid, 0u);
  EXPECT_EQ(u->home, "/root");
  EXPECT_EQ(u->sgids, std::vector<uint32_t>{10});
}

TEST(ResolveUser, ByNameAndById) {
  auto u = resolve_user("nobody", kPasswd, kGroup);
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->uid, 65534u);
  EXPECT_EQ(u->gid, 65534u);
  EXPECT_TRUE(u->sgids.empty());
  u = resolve_user("1000", kPasswd, kGroup);
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->gid, 1000u);
  EXPECT_EQ(u->home, "/home/app");
  EXPECT_EQ(u->sgids, (std::vector<uint32_t>{10, 999}));
}

TEST(ResolveUser, NumericWithoutEntries) {
  auto u = resolve_user("4242:4343", kPasswd, kGroup);
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->uid, 4242u);
  EXPECT_EQ(u->gid, 4343u);
  EXPECT_EQ(u->home, "/");
  EXPECT_TRUE(u->sgids.empty());
}

TEST(ResolveUser, ExplicitGroupByNameDropsSupplementary) {
  auto u = resolve_user("app:nogroup", kPasswd, kGroup);
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->uid, 1000u);
  EXPECT_EQ(u->gid, 65534u);
  EXPECT_TRUE(u->sgids.empty());
}

TEST(ResolveUser, Errors) {
  auto u = resolve_user("ghost", kPasswd, kGroup);
  ASSERT_FALSE(u.ok());
  EXPECT_EQ(u.error().kind(), ErrorKind::kInvalidArgument);
  EXPECT_EQ(u.error().message(), "unable to find user ghost: no matching entries in passwd file");
  u = resolve_user("app:ghosts", kPasswd, kGroup);
  ASSERT_FALSE(u.ok());
  EXPECT_EQ(u.error().message(), "unable to find group ghosts: no matching entries in group file");
  EXPECT_FALSE(resolve_user("nobody", "", "").ok());
  EXPECT_TRUE(resolve_user("0", "", "").ok());
}

bool has(const std::vector<int>& v, int c) { return std::find(v.begin(), v.end(), c) != v.end(); }

TEST(Capabilities, DockerDefaults) {
  auto caps = effective_capabilities({}, {}, false);
  ASSERT_TRUE(caps.ok());
  EXPECT_EQ(caps->size(), 14u);
  EXPECT_TRUE(has(*caps, CAP_CHOWN));
  EXPECT_TRUE(has(*caps, CAP_NET_RAW));
  EXPECT_TRUE(has(*caps, CAP_AUDIT_WRITE));
  EXPECT_FALSE(has(*caps, CAP_NET_ADMIN));
  EXPECT_FALSE(has(*caps, CAP_SYS_ADMIN));
}

TEST(Capabilities, AddDropAllPrivileged) {
  auto caps = effective_capabilities({"net_admin", "CAP_SYS_TIME"}, {"NET_RAW"}, false);
  ASSERT_TRUE(caps.ok());
  EXPECT_TRUE(has(*caps, CAP_NET_ADMIN));
  EXPECT_TRUE(has(*caps, CAP_SYS_TIME));
  EXPECT_FALSE(has(*caps, CAP_NET_RAW));
  caps = effective_capabilities({"NET_BIND_SERVICE"}, {"ALL"}, false);
  ASSERT_TRUE(caps.ok());
  EXPECT_EQ(*caps, std::vector<int>{CAP_NET_BIND_SERVICE});
  caps = effective_capabilities({"ALL"}, {"SYS_ADMIN"}, false);
  ASSERT_TRUE(caps.ok());
  EXPECT_TRUE(has(*caps, CAP_NET_ADMIN));
  EXPECT_FALSE(has(*caps, CAP_SYS_ADMIN));
  auto all = effective_capabilities({}, {"ALL"}, true);
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(has(*all, CAP_SYS_ADMIN));
  auto bad = effective_capabilities({"FOO"}, {}, false);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(), "invalid CapAdd: unknown capability: \"CAP_FOO\"");
  EXPECT_EQ(capability_name(CAP_NET_ADMIN), "CAP_NET_ADMIN");
}

TEST(LookPath, LikeGo) {
  char tmpl[] = "/tmp/berth-lp-XXXXXX";
  const std::string dir = ::mkdtemp(tmpl);
  const std::string exe = dir + "/tool", plain = dir + "/data";
  std::ofstream(exe) << "#!/bin/sh\n";
  std::ofstream(plain) << "x";
  ::chmod(exe.c_str(), 0755);
  ::chmod(plain.c_str(), 0644);

  auto r = init::look_path("tool", "/nonexistent:" + dir);
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.path, exe);
  r = init::look_path("nope", dir);
  EXPECT_EQ(r.error, "exec: \"nope\": executable file not found in $PATH");
  r = init::look_path(dir + "/missing", "");
  EXPECT_EQ(r.error,
            "exec: \"" + dir + "/missing\": stat " + dir + "/missing: no such file or directory");
  r = init::look_path(dir, "");
  EXPECT_EQ(r.error, "exec: \"" + dir + "\": is a directory");
  // As root, a file without any x bit is still not executable.
  r = init::look_path(plain, "");
  EXPECT_EQ(r.error, "exec: \"" + plain + "\": permission denied");
  EXPECT_TRUE(r.permission);
  r = init::look_path("data", dir);  // not executable: keep looking, then not found
  EXPECT_NE(r.error.find("executable file not found"), std::string::npos);

  ::unlink(exe.c_str());
  ::unlink(plain.c_str());
  ::rmdir(dir.c_str());
}

TEST(StartErrorExitCode, AsMoby) {
  EXPECT_EQ(
      start_error_exit_code(invalid_argument("exec: \"x\": executable file not found in $PATH")),
      127);
  EXPECT_EQ(start_error_exit_code(invalid_argument("exec: \"/x\": permission denied")), 126);
  EXPECT_EQ(start_error_exit_code(internal_error("boom")), 128);
}

}  // namespace
}  // namespace berth::runtime
