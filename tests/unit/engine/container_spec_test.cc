#include <gtest/gtest.h>

#include "engine/container_spec.h"

namespace berth::engine {
namespace {

using nlohmann::json;

TEST(ContainerSpec, FromTheDockerCliBody) {
  auto s = spec_from_docker(
      json::parse(R"({"Hostname":"","User":"root","Tty":true,"OpenStdin":true,"Env":["A=1"],
                      "Cmd":null,"Image":"host","Entrypoint":["bash"],"Labels":{"k":"v"}})"),
      json::parse(R"({"NetworkMode":"netlb","ConsoleSize":[30,100],"RestartPolicy":{"Name":"no"}})"),
      json::parse(R"({"netlb":{"Aliases":["tg-net"],"IPAMConfig":{"IPv4Address":"172.200.1.9"},
                      "GwPriority":5},"other":{}})"));
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(s->entrypoint, std::vector<std::string>{"bash"});
  EXPECT_TRUE(s->tty);
  EXPECT_EQ(s->console_rows, 30);
  ASSERT_EQ(s->endpoints.size(), 2u);
  EXPECT_EQ(s->endpoints[0].network, "netlb");  // NetworkMode's network first
  EXPECT_EQ(s->endpoints[0].aliases, std::vector<std::string>{"tg-net"});
  EXPECT_EQ(s->endpoints[0].ipv4, "172.200.1.9");
  EXPECT_EQ(s->endpoints[0].gw_priority, 5);
  EXPECT_EQ(s->endpoints[1].network, "other");
  EXPECT_EQ(s->labels.at("k"), "v");
}

TEST(ContainerSpec, DefaultModeIsBridgeAndContainerModeHasNoEndpoints) {
  auto s = spec_from_docker(json::parse(R"({"Image":"host","Cmd":["true"]})"), json::object(),
                            json::object());
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->network_mode, "bridge");
  ASSERT_EQ(s->endpoints.size(), 1u);
  auto c = spec_from_docker(json::parse(R"({"Image":"host"})"),
                            json::parse(R"({"NetworkMode":"container:web"})"), json::object());
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->is_container_mode());
  EXPECT_EQ(c->container_mode_target(), "web");
  EXPECT_TRUE(c->endpoints.empty());
}

TEST(ContainerSpec, ANullUnderTheModeKeyMeansDisconnectedFromIt) {
  // network disconnect of the NetworkMode network leaves {"netlb": null}.
  auto s = spec_from_docker(json::parse(R"({"Image":"host","Cmd":["true"]})"),
                            json::parse(R"({"NetworkMode":"netlb"})"),
                            json::parse(R"({"netlb":null,"other":{"GwPriority":2},"gone":null})"));
  ASSERT_TRUE(s.ok());
  ASSERT_EQ(s->endpoints.size(), 1u);
  EXPECT_EQ(s->endpoints[0].network, "other");
  EXPECT_EQ(s->endpoints[0].gw_priority, 2);
}

TEST(ContainerSpec, RestartPolicy) {
  auto s = spec_from_docker(json::parse(R"({"Image":"host"})"),
                            json::parse(R"({"RestartPolicy":{"Name":"on-failure","MaximumRetryCount":2}})"),
                            json::object());
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->restart_policy, "on-failure");
  EXPECT_EQ(s->restart_max, 2);
}

TEST(ValidateAtCreate, RestartPolicies) {
  auto check = [](const char* host_config) {
    auto s = spec_from_docker(json::parse(R"({"Image":"host"})"), json::parse(host_config),
                              json::object());
    EXPECT_TRUE(s.ok());
    auto st = validate_at_create(*s);
    return st.ok() ? std::string() : st.error().message();
  };
  EXPECT_EQ(check(R"({"RestartPolicy":{"Name":"unless-stopped"}})"), "");
  EXPECT_EQ(check(R"({"RestartPolicy":{"Name":"on-failure","MaximumRetryCount":3}})"), "");
  EXPECT_EQ(check(R"({"RestartPolicy":{"Name":"sometimes"}})"),
            "invalid restart policy: unknown policy 'sometimes'; use one of 'no', 'always', "
            "'on-failure', or 'unless-stopped'");
  EXPECT_EQ(check(R"({"RestartPolicy":{"Name":"always","MaximumRetryCount":2}})"),
            "invalid restart policy: maximum retry count can only be used with 'on-failure'");
  EXPECT_EQ(check(R"({"RestartPolicy":{"Name":"on-failure","MaximumRetryCount":-1}})"),
            "invalid restart policy: maximum retry count cannot be negative");
  EXPECT_EQ(check(R"({"AutoRemove":true,"RestartPolicy":{"Name":"always"}})"),
            "can't create 'AutoRemove' container with restart policy");
}

TEST(ShouldRestart, PoliciesAsDockersRestartManager) {
  int d = 0;
  auto in = [](std::string p, int code, int count = 0, int max = 0, bool manual = false) {
    RestartInput r;
    r.policy = std::move(p);
    r.exit_code = code;
    r.restart_count = count;
    r.max_retries = max;
    r.manually_stopped = manual;
    return r;
  };
  EXPECT_FALSE(should_restart(in("no", 1), d));
  EXPECT_TRUE(should_restart(in("always", 0), d));
  EXPECT_TRUE(should_restart(in("always", 0, 0, 0, true), d));
  EXPECT_TRUE(should_restart(in("unless-stopped", 0), d));
  EXPECT_FALSE(should_restart(in("unless-stopped", 0, 0, 0, true), d));
  EXPECT_FALSE(should_restart(in("on-failure", 0), d));
  EXPECT_TRUE(should_restart(in("on-failure", 3, 1, 2), d));
  EXPECT_FALSE(should_restart(in("on-failure", 3, 2, 2), d));
  EXPECT_TRUE(should_restart(in("on-failure", 3, 50, 0), d));  // 0: no limit
}

TEST(ShouldRestart, BackoffDoublesToAMinuteAndResetsAfterTenSecondsUp) {
  RestartInput r;
  r.policy = "always";
  r.ran_nanos = 300'000'000;
  int d = 0;
  std::vector<int> delays;
  for (int i = 0; i < 12; ++i) {
    EXPECT_TRUE(should_restart(r, d));
    delays.push_back(d);
  }
  EXPECT_EQ(delays, (std::vector<int>{100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600, 51200,
                                      60000, 60000}));
  r.ran_nanos = 10'000'000'000;
  EXPECT_TRUE(should_restart(r, d));
  EXPECT_EQ(d, 100);
  // The state advances even when the policy says no (Docker's order).
  r.policy = "on-failure";
  r.exit_code = 0;
  r.ran_nanos = 0;
  EXPECT_FALSE(should_restart(r, d));
  EXPECT_EQ(d, 200);
}

TEST(ContainerSpec, MalformedListsAreRefused) {
  EXPECT_FALSE(spec_from_docker(json::parse(R"({"Cmd":[1]})"), json::object(), json::object()).ok());
  EXPECT_FALSE(
      spec_from_docker(json::object(), json::parse(R"({"Dns":{"a":1}})"), json::object()).ok());
}

TEST(ValidateAtCreate, DockersConflicts) {
  ContainerSpec s;
  s.network_mode = "container:web";
  s.hostname = "h";
  EXPECT_EQ(validate_at_create(s).error().message(),
            "conflicting options: hostname and the network mode");
  s.hostname.clear();
  s.publishes_ports = true;
  EXPECT_EQ(validate_at_create(s).error().message(),
            "conflicting options: port publishing and the container type network mode");
  s.publishes_ports = false;
  s.extra_hosts = {"a:1.2.3.4"};
  EXPECT_EQ(validate_at_create(s).error().message(),
            "conflicting options: custom host-to-IP mapping and the network mode");
  s.extra_hosts.clear();
  s.network_mode = "container:";
  EXPECT_EQ(validate_at_create(s).error().message(),
            "invalid network mode: invalid container format container:<name|id>");

  ContainerSpec b;
  b.endpoints = {EndpointRequest{"bridge", {}, "172.17.0.9"}};
  EXPECT_EQ(validate_at_create(b).error().message(),
            "invalid endpoint settings:\nuser specified IP address is supported on user defined "
            "networks only");
  b.endpoints = {EndpointRequest{"bridge", {"x"}, ""}};
  EXPECT_NE(validate_at_create(b).error().message().find("network-scoped alias"),
            std::string::npos);
  b.endpoints = {EndpointRequest{"netlb", {"x"}, "10.0.0.2"}};
  EXPECT_TRUE(validate_at_create(b).ok());
}

TEST(ChooseGateway, PriorityThenNonInternalThenName) {
  EXPECT_EQ(choose_gateway({{"netlb", 0, false}, {"auto1", 0, false}}), 1);  // by name
  EXPECT_EQ(choose_gateway({{"netlb", 10, false}, {"auto1", 0, false}}), 0);  // priority
  EXPECT_EQ(choose_gateway({{"aaa", 0, true}, {"zzz", 0, false}}), 1);        // internal last
  EXPECT_EQ(choose_gateway({{"aaa", 0, true}}), -1);                          // none can
  EXPECT_EQ(choose_gateway({}), -1);
}

}  // namespace
}  // namespace berth::engine
