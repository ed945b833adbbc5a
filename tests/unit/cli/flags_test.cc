#include "cli/flags.h"

#include <gtest/gtest.h>

namespace berth::cli {
namespace {

std::vector<FlagSpec> specs() {
  std::vector<FlagSpec> s(5);
  s[0].name = "quiet";
  s[0].shorthand = 'q';
  s[0].type = FlagSpec::Type::kBool;
  s[0].usage = "Only display IDs";
  s[1].name = "filter";
  s[1].shorthand = 'f';
  s[1].type = FlagSpec::Type::kList;
  s[1].value_name = "filter";
  s[1].usage = "Provide filter values (e.g. \"driver=bridge\")";
  s[1].validate = [](const std::string& v) -> std::optional<std::string> {
    if (v.find('=') == std::string::npos) return "bad format of filter (expected name=value)";
    return std::nullopt;
  };
  s[2].name = "subnet";
  s[2].type = FlagSpec::Type::kStringSlice;
  s[2].value_name = "strings";
  s[2].usage = "Subnet in CIDR format that represents a network segment";
  s[3].name = "driver";
  s[3].shorthand = 'd';
  s[3].value_name = "string";
  s[3].usage = "Driver to manage the Network";
  s[3].default_value = "bridge";
  s[4].name = "label";
  s[4].hidden_shorthand = 'l';
  s[4].type = FlagSpec::Type::kList;
  s[4].value_name = "list";
  s[4].usage = "Set metadata on a network";
  return s;
}

TEST(Flags, InterspersedShortLongAndCombined) {
  auto r = parse_flags(specs(), {"a", "-qf", "name=x", "--subnet=10.0.0.0/8,10.1.0.0/16", "b",
                                 "-dmacvlan", "--filter", "id=1", "-l", "k=v"});
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->args, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(r->get_bool("quiet"));
  EXPECT_EQ(r->get_list("filter"), (std::vector<std::string>{"name=x", "id=1"}));
  EXPECT_EQ(r->get_list("subnet"), (std::vector<std::string>{"10.0.0.0/8", "10.1.0.0/16"}));
  EXPECT_EQ(r->get_string("driver"), "macvlan");
  EXPECT_EQ(r->get_list("label"), (std::vector<std::string>{"k=v"}));
}

TEST(Flags, BoolValuesOnlyAfterEquals) {
  auto r = parse_flags(specs(), {"-q=false", "x"});
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->get_bool("quiet", true));
  EXPECT_TRUE(r->has("quiet"));
  EXPECT_EQ(r->args, std::vector<std::string>{"x"});
  auto bad = parse_flags(specs(), {"--quiet=maybe"});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(),
            "invalid argument \"maybe\" for \"-q, --quiet\" flag: strconv.ParseBool: parsing "
            "\"maybe\": invalid syntax");
}

TEST(Flags, PflagMessages) {
  EXPECT_EQ(parse_flags(specs(), {"--bogus"}).error().message(), "unknown flag: --bogus");
  EXPECT_EQ(parse_flags(specs(), {"-qx"}).error().message(), "unknown shorthand flag: 'x' in -x");
  EXPECT_EQ(parse_flags(specs(), {"--subnet"}).error().message(),
            "flag needs an argument: --subnet");
  EXPECT_EQ(parse_flags(specs(), {"-f"}).error().message(), "flag needs an argument: 'f' in -f");
  EXPECT_EQ(parse_flags(specs(), {"-f", "noequals"}).error().message(),
            "invalid argument \"noequals\" for \"-f, --filter\" flag: bad format of filter "
            "(expected name=value)");
}

TEST(Flags, DoubleDashEndsFlagsAndHelpIsRecognised) {
  auto r = parse_flags(specs(), {"--", "-x", "--y"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->args, (std::vector<std::string>{"-x", "--y"}));
  EXPECT_TRUE(parse_flags(specs(), {"--help"})->help);
  EXPECT_TRUE(parse_flags(specs(), {"-h"})->help);
}

TEST(Flags, NonInterspersedStopsAtFirstArgument) {
  auto r = parse_flags(specs(), {"-q", "network", "ls", "-q"}, false);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->args, (std::vector<std::string>{"network", "ls", "-q"}));
}

TEST(Flags, UsagesLikePflag) {
  // Wrapped at 79 columns with pflag's rule (checked against docker's help).
  EXPECT_EQ(flag_usages(specs()),
            "  -d, --driver string    Driver to manage the Network (default \"bridge\")\n"
            "  -f, --filter filter    Provide filter values (e.g. \"driver=bridge\")\n"
            "      --label list       Set metadata on a network\n"
            "  -q, --quiet            Only display IDs\n"
            "      --subnet strings   Subnet in CIDR format that represents a network\n"
            "                         segment\n");
}

TEST(Flags, ParseGoBool) {
  EXPECT_EQ(parse_go_bool("T"), true);
  EXPECT_EQ(parse_go_bool("0"), false);
  EXPECT_EQ(parse_go_bool("yes"), std::nullopt);
}

}  // namespace
}  // namespace berth::cli
