#include "cli/filters.h"

#include <gtest/gtest.h>

namespace berth::cli {
namespace {

TEST(Filters, EncodedSortedAsGoMarshalsMaps) {
  auto f =
      parse_filter_flags({"name=net", "driver=bridge", "label=a=b", "name=abc", " NaMe = x y "});
  EXPECT_EQ(
      encode_filters(f),
      R"({"driver":{"bridge":true},"label":{"a=b":true},"name":{"abc":true,"net":true,"x y":true}})");
}

TEST(Filters, KeysEscapeHtml) {
  EXPECT_EQ(encode_filters(parse_filter_flags({"label!=a<b"})), R"({"label!":{"a\u003cb":true}})");
  EXPECT_TRUE(parse_filter_flags({}).empty());
}

}  // namespace
}  // namespace berth::cli
