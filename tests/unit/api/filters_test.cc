#include <gtest/gtest.h>

#include "api/filters.h"

namespace berth::api {
namespace {

store::NetworkRecord net(std::string name, std::string driver, bool predefined = false) {
  store::NetworkRecord n;
  n.name = std::move(name);
  n.id = "4f1c2b3a" + std::string(56, 'e');
  n.driver = std::move(driver);
  n.predefined = predefined;
  return n;
}

TEST(Filters, ParsesMapAndLegacyListForms) {
  auto f = parse_filters(R"({"name":{"a":true,"b":false},"driver":["bridge"]})");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->at("name"), std::vector<std::string>{"a"});
  EXPECT_EQ(f->at("driver"), std::vector<std::string>{"bridge"});
  EXPECT_TRUE(parse_filters("")->empty());
  EXPECT_FALSE(parse_filters("[1]").ok());
  EXPECT_FALSE(parse_filters("{").ok());
}

TEST(Filters, QueryDecoding) {
  auto q = parse_query("filters=%7B%22name%22%3A%7B%22x%22%3Atrue%7D%7D&force=1&a+b=c");
  EXPECT_EQ(q["filters"], R"({"name":{"x":true}})");
  EXPECT_EQ(q["force"], "1");
  EXPECT_EQ(q["a b"], "c");
}

TEST(Filters, NameIsARegexpAndValuesOfOneKeyAreOred) {
  auto f = *parse_filters(R"({"name":{"^net":true,"zzz":true}})");
  EXPECT_TRUE(*network_matches(f, net("netlb", "bridge")));
  EXPECT_FALSE(*network_matches(f, net("mynet", "bridge")));
}

TEST(Filters, KeysAreAnded) {
  auto f = *parse_filters(R"({"name":{"net":true},"driver":{"null":true}})");
  EXPECT_FALSE(*network_matches(f, net("netlb", "bridge")));
  EXPECT_TRUE(*network_matches(f, net("nonet", "null")));
}

TEST(Filters, IdPrefixLabelsAndType) {
  auto n = net("lab", "bridge");
  n.labels = {{"env", "prod"}, {"team", ""}};
  EXPECT_TRUE(*network_matches(*parse_filters(R"({"id":{"4f1c":true}})"), n));
  EXPECT_TRUE(*network_matches(*parse_filters(R"({"label":{"env=prod":true}})"), n));
  EXPECT_TRUE(*network_matches(*parse_filters(R"({"label":{"team":true}})"), n));
  EXPECT_FALSE(*network_matches(*parse_filters(R"({"label":{"env=dev":true}})"), n));
  EXPECT_TRUE(*network_matches(*parse_filters(R"({"type":{"custom":true}})"), n));
  EXPECT_FALSE(*network_matches(*parse_filters(R"({"type":{"builtin":true}})"), n));
  EXPECT_TRUE(*network_matches(*parse_filters(R"({"type":{"builtin":true}})"),
                               net("host", "host", true)));
  auto bad = network_matches(*parse_filters(R"({"type":{"odd":true}})"), n);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(), "invalid filter: 'type'='odd'");
}

TEST(Filters, UnknownKeyIsRefused) {
  auto r = network_matches(*parse_filters(R"({"colour":{"x":true}})"), net("a", "bridge"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "invalid filter 'colour'");
}

TEST(Filters, PruneUntilAndNegatedLabels) {
  auto n = net("p", "bridge");
  n.created = 1'000'000'000'000'000'000;  // 2001-09-09
  n.labels = {{"keep", "yes"}};
  const int64_t now = n.created + 3600'000'000'000;  // an hour later
  EXPECT_TRUE(*prune_matches(*parse_filters(R"({"until":{"30m":true}})"), n, now));
  EXPECT_FALSE(*prune_matches(*parse_filters(R"({"until":{"2h":true}})"), n, now));
  EXPECT_TRUE(*prune_matches(*parse_filters(R"({"until":{"2001-09-10":true}})"), n, now));
  EXPECT_FALSE(*prune_matches(*parse_filters(R"({"until":{"999999999":true}})"), n, now));
  EXPECT_FALSE(*prune_matches(*parse_filters(R"({"label!":{"keep=yes":true}})"), n, now));
  EXPECT_TRUE(*prune_matches(*parse_filters(R"({"label!":{"keep=no":true}})"), n, now));
  EXPECT_FALSE(prune_matches(*parse_filters(R"({"until":{"soon":true}})"), n, now).ok());
  EXPECT_FALSE(prune_matches(*parse_filters(R"({"name":{"x":true}})"), n, now).ok());
}

}  // namespace
}  // namespace berth::api
