// port_requests(): HostConfig.PortBindings / PublishAllPorts as the proxy's
// requests, with Docker's texts for bad entries. Pure.
#include <netinet/in.h>

#include <gtest/gtest.h>

#include "engine/engine.h"

namespace berth::engine {
namespace {

using nlohmann::json;

TEST(PortRequests, EveryForm) {
  json hc = json::parse(R"({"PortBindings":{
    "80/tcp":[{"HostIp":"","HostPort":"8080"},{"HostIp":"127.0.0.1","HostPort":"8081"}],
    "53/udp":[{"HostIp":"","HostPort":""}],
    "90/tcp":[{"HostIp":"10.0.0.1","HostPort":"8000-8009"}],
    "91/tcp":[{"HostIp":"::","HostPort":"9100"}]}})");
  auto r = port_requests(json::object(), hc);
  ASSERT_TRUE(r.ok()) << r.error().message();
  ASSERT_EQ(r->size(), 4u);  // the IPv6 binding is skipped
  // JSON object order: "53/udp", "80/tcp", "90/tcp".
  EXPECT_EQ((*r)[0].proto, IPPROTO_UDP);
  EXPECT_EQ((*r)[0].host_port_first, 0);  // ephemeral
  EXPECT_EQ((*r)[1].host_port_first, 8080);
  EXPECT_EQ((*r)[1].host_port_last, 8080);
  EXPECT_EQ((*r)[1].host_ip, 0u);
  EXPECT_EQ((*r)[2].host_ip, 0x7f000001u);
  EXPECT_EQ((*r)[3].host_port_first, 8000);
  EXPECT_EQ((*r)[3].host_port_last, 8009);
  EXPECT_EQ((*r)[3].container_port, 90);
}

TEST(PortRequests, PublishAllUsesExposedPortsWithoutBindings) {
  json cfg = json::parse(R"({"ExposedPorts":{"80/tcp":{},"7000/udp":{}}})");
  json hc = json::parse(R"({"PublishAllPorts":true,"PortBindings":{"80/tcp":[{"HostPort":"8080"}]}})");
  auto r = port_requests(cfg, hc);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].host_port_first, 8080);
  EXPECT_EQ((*r)[1].container_port, 7000);
  EXPECT_EQ((*r)[1].host_port_first, 0);
  hc["PublishAllPorts"] = false;
  EXPECT_EQ(port_requests(cfg, hc)->size(), 1u);
}

TEST(PortRequests, DockersErrors) {
  auto err = [](const char* hc) {
    auto r = port_requests(json::object(), json::parse(hc));
    return r.ok() ? std::string("ok") : r.error().message();
  };
  EXPECT_EQ(err(R"({"PortBindings":{"70000/tcp":[]}})"), "invalid port specification: \"70000\"");
  EXPECT_EQ(err(R"({"PortBindings":{"80/foo":[]}})"), "invalid proto: foo");
  EXPECT_EQ(err(R"({"PortBindings":{"80/tcp":[{"HostPort":"70000"}]}})"), "invalid hostPort: 70000");
  EXPECT_EQ(err(R"({"PortBindings":{"80/tcp":[{"HostPort":"9-8"}]}})"), "invalid hostPort: 9-8");
  EXPECT_EQ(err(R"({"PortBindings":{"80/tcp":[{"HostIp":"1.2.3","HostPort":"80"}]}})"),
            "invalid IP address: 1.2.3");
}

}  // namespace
}  // namespace berth::engine
