#include <gtest/gtest.h>

#include "api/docker_json.h"
#include "api/filters.h"

namespace berth::api {
namespace {

store::NetworkRecord netlb() {
  store::NetworkRecord n;
  n.id = std::string(64, 'a');
  n.name = "netlb";
  n.driver = "bridge";
  n.created = 1764295495940668344;
  n.subnet = "172.200.1.0/24";
  n.ip_range = "172.200.1.0/24";
  n.gateway = "172.200.1.1";
  n.gateway_from_user = true;
  n.subnet_from_user = true;
  return n;
}

std::vector<std::string> keys(const ojson& j) {
  std::vector<std::string> k;
  for (auto it = j.begin(); it != j.end(); ++it) k.push_back(it.key());
  return k;
}

TEST(NetworkJson, KeyOrderIsDockerds) {
  auto j = network_json(netlb(), kMaxApi);
  EXPECT_EQ(keys(j), (std::vector<std::string>{
                         "Name", "Id", "Created", "Scope", "Driver", "EnableIPv4", "EnableIPv6",
                         "IPAM", "Internal", "Attachable", "Ingress", "ConfigFrom", "ConfigOnly",
                         "Containers", "Options", "Labels"}));
  EXPECT_EQ(keys(j["IPAM"]), (std::vector<std::string>{"Driver", "Options", "Config"}));
}

TEST(NetworkJson, TheLecturesNetworkExactly) {
  EXPECT_EQ(go_json(network_json(netlb(), kMaxApi)),
            R"({"Name":"netlb","Id":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",)"
            R"("Created":"2025-11-28T02:04:55.940668344Z","Scope":"local","Driver":"bridge",)"
            R"("EnableIPv4":true,"EnableIPv6":false,"IPAM":{"Driver":"default","Options":{},)"
            R"("Config":[{"Subnet":"172.200.1.0/24","IPRange":"172.200.1.0/24",)"
            R"("Gateway":"172.200.1.1"}]},"Internal":false,"Attachable":false,"Ingress":false,)"
            R"("ConfigFrom":{"Network":""},"ConfigOnly":false,"Containers":{},"Options":{},)"
            R"("Labels":{}})"
            "\n");
}

TEST(NetworkJson, EnableIPv4OnlyFromApi148) {
  EXPECT_FALSE(network_json(netlb(), ApiVersion{147}).contains("EnableIPv4"));
  EXPECT_TRUE(network_json(netlb(), ApiVersion{148}).contains("EnableIPv4"));
  EXPECT_FALSE(network_json(netlb(), ApiVersion{141}).contains("EnableIPv4"));
}

TEST(NetworkJson, GatewayShownOnlyWhenConfiguredOrChosen) {
  auto n = netlb();
  n.gateway_from_user = false;
  n.ip_range.clear();
  EXPECT_EQ(network_json(n, kMaxApi)["IPAM"]["Config"][0].dump(), R"({"Subnet":"172.200.1.0/24"})");
  n.subnet_from_user = false;  // chosen by berth: Docker shows both
  EXPECT_EQ(network_json(n, kMaxApi)["IPAM"]["Config"][0].dump(),
            R"({"Subnet":"172.200.1.0/24","Gateway":"172.200.1.1"})");
}

TEST(NetworkJson, GoEscapingOfLabels) {
  auto n = netlb();
  n.labels = {{"maintainer", "<ops&net>"}};
  const std::string s = go_json(network_json(n, kMaxApi));
  EXPECT_NE(s.find(R"("maintainer":"\u003cops\u0026net\u003e")"), std::string::npos) << s;
}

TEST(NetworkJson, HostAndNoneHaveEmptyConfigAndNullOptions) {
  store::NetworkRecord n;
  n.id = std::string(64, 'b');
  n.name = "none";
  n.driver = "null";
  n.ipam_options_null = true;
  auto j = network_json(n, kMaxApi);
  EXPECT_EQ(j["IPAM"].dump(), R"({"Driver":"default","Options":null,"Config":[]})");
  EXPECT_FALSE(j["EnableIPv4"].get<bool>());
}

TEST(DecodeCreate, TheDockerCliBody) {
  auto r = decode_network_create(
      R"({"Driver":"bridge","Scope":"","IPAM":{"Driver":"default","Options":{},)"
      R"("Config":[{"Subnet":"172.200.1.0/24","IPRange":"172.200.1.0/24","Gateway":"172.200.1.1"}]},)"
      R"("Internal":false,"Attachable":false,"Ingress":false,"ConfigOnly":false,"ConfigFrom":null,)"
      R"("Options":{},"Labels":{},"Name":"netlb"})");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->name, "netlb");
  ASSERT_EQ(r->ipam_config.size(), 1u);
  EXPECT_EQ(r->ipam_config[0].gateway, "172.200.1.1");
  EXPECT_FALSE(r->config_from);
  EXPECT_FALSE(r->enable_ipv6.has_value());
}

TEST(DecodeCreate, GoLikeErrors) {
  EXPECT_EQ(decode_network_create("").error().message(), "invalid JSON: EOF");
  EXPECT_EQ(decode_network_create(R"({"Name":5})").error().message(),
            "invalid JSON: json: cannot unmarshal number into Go struct field CreateRequest.Name "
            "of type string");
  EXPECT_EQ(decode_network_create("[]").error().message(),
            "invalid JSON: json: cannot unmarshal array into Go value of type "
            "network.CreateRequest");
  EXPECT_EQ(decode_network_create(R"({"IPAM":{"Config":[{"Subnet":1}]}})").error().message(),
            "invalid JSON: json: cannot unmarshal number into Go struct field "
            "CreateRequest.IPAM.Config.Subnet of type string");
  EXPECT_EQ(decode_network_create(R"({"Labels":{"a":1}})").error().kind(),
            ErrorKind::kInvalidArgument);
  EXPECT_FALSE(decode_network_create("{\"Name\":").ok());
}

TEST(SystemJson, VersionAndInfoCarryWhatTheCliPrints) {
  SystemFacts f;
  f.kernel = "6.1.0";
  f.warnings = {"WARNING: x"};
  auto v = version_json(f, kMaxApi);
  EXPECT_EQ(v["ApiVersion"], "1.50");
  EXPECT_EQ(v["MinAPIVersion"], "1.41");
  EXPECT_EQ(v["Components"][0]["Details"]["MinAPIVersion"], "1.41");
  auto i = info_json(f, kMaxApi);
  EXPECT_EQ(i["Warnings"][0], "WARNING: x");
  EXPECT_FALSE(i["Swarm"]["ControlAvailable"].get<bool>());
  f.warnings.clear();
  EXPECT_TRUE(info_json(f, kMaxApi)["Warnings"].is_null());
}

}  // namespace
}  // namespace berth::api

namespace berth::api {
namespace {

// Found by api_decode_fuzz: nlohmann throws out_of_range for huge numbers
// even when asked not to throw.
TEST(DecodeCreate, HugeNumbersAreAnErrorNotAnException) {
  auto r = decode_network_create("2E14114");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), ErrorKind::kInvalidArgument);
  EXPECT_FALSE(parse_filters("2E14114").ok());
  EXPECT_FALSE(decode_network_create(R"({"Name":1e999})").ok());
}

}  // namespace
}  // namespace berth::api
