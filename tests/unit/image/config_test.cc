// Image references and `docker import --change` lines (pure).
#include <gtest/gtest.h>

#include "image/image.h"

namespace berth::image {
namespace {

using ojson = nlohmann::ordered_json;

TEST(Reference, FamiliarFormWithDefaultTag) {
  EXPECT_EQ(parse_reference("ubuntu")->str(), "ubuntu:latest");
  EXPECT_EQ(parse_reference("ubuntu:14.04")->str(), "ubuntu:14.04");
  EXPECT_EQ(parse_reference("docker.io/library/nginx:1.23.3-alpine")->str(), "nginx:1.23.3-alpine");
  EXPECT_EQ(parse_reference("docker.io/dbgurum/nginxlb:1.0")->str(), "dbgurum/nginxlb:1.0");
  EXPECT_EQ(parse_reference("localhost:5000/x")->str(), "localhost:5000/x:latest");
  EXPECT_EQ(parse_reference("localhost:5000/x:2")->repo, "localhost:5000/x");
}

TEST(Reference, DockerErrors) {
  EXPECT_EQ(parse_reference("").error().message(), "invalid reference format");
  EXPECT_EQ(parse_reference("a:b:c").error().message(), "invalid reference format");
  EXPECT_EQ(parse_reference("x:-bad").error().message(), "invalid reference format");
  EXPECT_EQ(parse_reference("Ubuntu").error().message(),
            "invalid reference format: repository name (Ubuntu) must be lowercase");
  EXPECT_FALSE(parse_reference("x@sha256:abc").ok());
  EXPECT_FALSE(parse_reference(std::string(64, 'a')).ok());
}

TEST(Reference, IdLike) {
  EXPECT_TRUE(looks_like_id("sha256:0123abcd"));
  EXPECT_TRUE(looks_like_id("0123abcd"));
  EXPECT_FALSE(looks_like_id("busybox"));
  EXPECT_FALSE(looks_like_id(""));
}

TEST(Sha256, OfKnownBytes) {
  EXPECT_EQ(sha256_digest(""), "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Changes, ExecAndShellForms) {
  ojson c = empty_container_config();
  ASSERT_TRUE(apply_changes(c, {"CMD [\"/bin/sh\"]"}).ok());
  EXPECT_EQ(c["Cmd"].dump(), R"(["/bin/sh"])");
  ASSERT_TRUE(apply_changes(c, {"CMD echo hi there"}).ok());
  EXPECT_EQ(c["Cmd"].dump(), R"(["/bin/sh","-c","echo hi there"])");
  ASSERT_TRUE(apply_changes(c, {"ENTRYPOINT [\"/init\"]"}).ok());
  EXPECT_EQ(c["Entrypoint"].dump(), R"(["/init"])");
  EXPECT_TRUE(c["Cmd"].is_null());  // a new entrypoint resets the command
}

TEST(Changes, EnvWorkdirExposeUser) {
  ojson c = empty_container_config();
  ASSERT_TRUE(apply_changes(c, {"ENV A=1 B=\"two words\"", "ENV C 3", "ENV A=9", "WORKDIR /srv",
                                "WORKDIR app", "EXPOSE 80 53/udp", "USER nobody"})
                  .ok());
  EXPECT_EQ(c["Env"].dump(), R"(["A=9","B=two words","C=3"])");
  EXPECT_EQ(c["WorkingDir"], "/srv/app");
  EXPECT_EQ(c["ExposedPorts"].dump(), R"({"80/tcp":{},"53/udp":{}})");
  EXPECT_EQ(c["User"], "nobody");
  // dockerd's key order: ExposedPorts right after AttachStderr.
  std::vector<std::string> keys;
  for (auto it = c.begin(); it != c.end(); ++it) keys.push_back(it.key());
  EXPECT_EQ(keys[6], "ExposedPorts");
}

TEST(Changes, Refused) {
  ojson c = empty_container_config();
  EXPECT_EQ(apply_changes(c, {"RUN true"}).error().message(), "RUN is not a valid change command");
  EXPECT_EQ(apply_changes(c, {"EXPOSE 99999"}).error().message(), "invalid containerPort: 99999");
  EXPECT_FALSE(apply_changes(c, {"ENV"}).ok());
}

TEST(ImportConfig, IdIsTheConfigsDigest) {
  const std::string cfg = import_config(empty_container_config(), "Imported from -", "2026-01-01T00:00:00Z",
                                        "sha256:" + std::string(64, '1'));
  auto j = nlohmann::json::parse(cfg);
  EXPECT_EQ(j["rootfs"]["diff_ids"][0], "sha256:" + std::string(64, '1'));
  EXPECT_EQ(j["comment"], "Imported from -");
  EXPECT_EQ(sha256_digest(cfg), sha256_digest(cfg));
}

}  // namespace
}  // namespace berth::image
