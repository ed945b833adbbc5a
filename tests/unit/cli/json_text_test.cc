#include "cli/json_text.h"

#include <gtest/gtest.h>

namespace berth::cli {
namespace {

TEST(JsonIndent, LikeGoJsonIndent) {
  auto r = json_indent("[{\"a\":\"x\\u003cy\",\"b\":{},\"c\":[],\"d\":[1,{\"e\":null}]}\n,{}]", "",
                       "    ");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r,
            "[\n"
            "    {\n"
            "        \"a\": \"x\\u003cy\",\n"
            "        \"b\": {},\n"
            "        \"c\": [],\n"
            "        \"d\": [\n"
            "            1,\n"
            "            {\n"
            "                \"e\": null\n"
            "            }\n"
            "        ]\n"
            "    },\n"
            "    {}\n"
            "]");
}

TEST(JsonIndent, StringsAreCopiedVerbatim) {
  auto r = json_indent(R"({"k":"a, b: [c] {d} \"e\""})", "", "  ");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "{\n  \"k\": \"a, b: [c] {d} \\\"e\\\"\"\n}");
}

TEST(JsonCompact, DropsWhitespaceOnly) {
  auto r = json_compact("[ {\"a\" : \"x y\\u0026\" } ,\n 1.50 ]\n");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "[{\"a\":\"x y\\u0026\"},1.50]");
}

TEST(JsonText, RejectsInvalidJson) {
  EXPECT_FALSE(json_indent("{\"a\":", "", " ").ok());
  EXPECT_FALSE(json_compact("[1,]").ok());
}

}  // namespace
}  // namespace berth::cli
