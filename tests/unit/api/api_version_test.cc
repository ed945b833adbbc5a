#include <gtest/gtest.h>

#include "api/api_version.h"

namespace berth::api {
namespace {

TEST(ApiVersion, ParsesAndCompares) {
  EXPECT_EQ(parse_api_version("1.41")->v, 141);
  EXPECT_EQ(parse_api_version("1.50")->v, 150);
  EXPECT_FALSE(parse_api_version("1"));
  EXPECT_FALSE(parse_api_version("1."));
  EXPECT_FALSE(parse_api_version("x.1"));
  EXPECT_FALSE(parse_api_version("1.100"));
  EXPECT_LT(*parse_api_version("1.9"), *parse_api_version("1.41"));
  EXPECT_EQ(ApiVersion{148}.str(), "1.48");
}

TEST(RoutePath, StripsTheVersionPrefixAndQuery) {
  auto r = route_path("/v1.44/networks/abc?verbose=1");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->version.v, 144);
  EXPECT_EQ(r->path, "/networks/abc");
  EXPECT_EQ(r->query, "verbose=1");
}

TEST(RoutePath, UnversionedPathsAreTheNewestVersion) {
  auto r = route_path("/_ping");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->version, kMaxApi);
  EXPECT_EQ(r->path, "/_ping");
}

TEST(RoutePath, RefusesVersionsOutOfRangeWithDockerdsMessages) {
  auto old = route_path("/v1.24/networks");
  ASSERT_FALSE(old.ok());
  EXPECT_EQ(old.error().kind(), ErrorKind::kInvalidArgument);
  EXPECT_EQ(old.error().message(),
            "client version 1.24 is too old. Minimum supported API version is 1.41, please "
            "upgrade your client to a newer version");
  auto neu = route_path("/v1.51/version");
  ASSERT_FALSE(neu.ok());
  EXPECT_EQ(neu.error().message(),
            "client version 1.51 is too new. Maximum supported API version is 1.50");
}

TEST(RoutePath, APathStartingWithVThatIsNoVersionIsKept) {
  auto r = route_path("/version");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->path, "/version");
}

}  // namespace
}  // namespace berth::api
