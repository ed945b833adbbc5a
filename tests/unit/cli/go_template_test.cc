// Expected strings were checked against Go's text/template as the docker
// CLI 28.2.2 runs it (docker network inspect -f / ls --format against a
// fake engine).
#include "cli/go_template.h"

#include <gtest/gtest.h>

namespace berth::cli {
namespace {

ojson net() {
  return ojson::parse(R"({"Name":"netlb","Id":"471bd587ce6e","Driver":"bridge","Internal":false,
    "IPAM":{"Driver":"default","Options":null,"Config":[{"Subnet":"10.0.0.0/16","Gateway":"10.0.0.1"},
    {"Subnet":"fd00::/64"}]},"Labels":{"zeta":"1","alpha":"x<y>&z"},"Containers":{},"Count":3})");
}

std::string run(std::string_view tmpl, const ojson& data, const GoType* type = nullptr,
                TemplateOptions opt = {}) {
  auto t = GoTemplate::parse(tmpl);
  if (!t.ok()) return "PARSE: " + t.error().message();
  std::string out;
  Status s = t->execute(data, type, &out, opt);
  if (!s.ok()) return "EXEC: " + s.error().message();
  return out;
}

TEST(GoTemplate, PlainTextAndFields) {
  EXPECT_EQ(run("hello", net()), "hello");
  EXPECT_EQ(run("{{.Name}} {{.IPAM.Driver}}", net()), "netlb default");
  EXPECT_EQ(run("{{.Count}} {{.Internal}}", net()), "3 false");
  EXPECT_EQ(run("{{.Nope}}|{{.Nope.Deeper}}", net()), "<no value>|<no value>");
}

TEST(GoTemplate, PrintsLikeGoFmt) {
  EXPECT_EQ(run("{{.Labels}}", net()), "map[alpha:x<y>&z zeta:1]");
  EXPECT_EQ(run("{{.IPAM.Config}}", net()),
            "[map[Gateway:10.0.0.1 Subnet:10.0.0.0/16] map[Subnet:fd00::/64]]");
  EXPECT_EQ(run("{{.IPAM.Options}}", net()), "<nil>");
  EXPECT_EQ(run("{{.Containers}}", net()), "map[]");
}

TEST(GoTemplate, JsonFunctionDoesNotEscapeHtml) {
  EXPECT_EQ(run("{{json .Labels}}", net()), R"({"zeta":"1","alpha":"x<y>&z"})");
  EXPECT_EQ(run("{{json .Name}} {{json .IPAM.Options}} {{json .Nope}}", net()),
            R"("netlb" null null)");
}

TEST(GoTemplate, RangeOverArraysAndSortedMaps) {
  EXPECT_EQ(run("{{range .IPAM.Config}}{{.Subnet}};{{end}}", net()), "10.0.0.0/16;fd00::/64;");
  EXPECT_EQ(run("{{range $k, $v := .Labels}}{{$k}}={{$v}},{{end}}", net()), "alpha=x<y>&z,zeta=1,");
  EXPECT_EQ(run("{{range $i, $c := .IPAM.Config}}{{$i}}:{{$c.Subnet}} {{end}}", net()),
            "0:10.0.0.0/16 1:fd00::/64 ");
  EXPECT_EQ(run("{{range $v := .Labels}}{{$v}} {{end}}", net()), "x<y>&z 1 ");
  EXPECT_EQ(run("{{range .Containers}}x{{else}}empty{{end}}", net()), "empty");
  EXPECT_EQ(run("{{range .Nope}}x{{else}}none{{end}}", net()), "none");
}

TEST(GoTemplate, BreakAndContinue) {
  EXPECT_EQ(
      run("{{range .IPAM.Config}}{{if .Gateway}}{{continue}}{{end}}{{.Subnet}}{{end}}", net()),
      "fd00::/64");
  EXPECT_EQ(run("{{range .IPAM.Config}}{{.Subnet}}{{break}}{{end}}", net()), "10.0.0.0/16");
}

TEST(GoTemplate, IfElseIfWith) {
  EXPECT_EQ(run("{{if .Internal}}a{{else if .Name}}b{{else}}c{{end}}", net()), "b");
  EXPECT_EQ(run("{{if .Nope}}a{{else}}c{{end}}", net()), "c");
  EXPECT_EQ(run("{{with .IPAM}}{{.Driver}}{{end}}", net()), "default");
  EXPECT_EQ(run("{{with .Nope}}a{{else with .Name}}{{.}}{{end}}", net()), "netlb");
  EXPECT_EQ(run("{{if and .Name (not .Internal)}}yes{{end}}", net()), "yes");
  EXPECT_EQ(run("{{or .Internal .Name}} {{and .Internal .Name}}", net()), "netlb false");
}

TEST(GoTemplate, Functions) {
  EXPECT_EQ(run(R"({{index .Labels "zeta"}} {{index .IPAM.Config 1}})", net()),
            "1 map[Subnet:fd00::/64]");
  EXPECT_EQ(run(R"({{join (split "a,b,c" ",") "|"}} {{split "a,b" ","}})", net()), "a|b|c [a b]");
  EXPECT_EQ(run(R"({{upper .Name}} {{lower "AbC"}} {{title "hello world-x"}})", net()),
            "NETLB abc Hello World-X");
  EXPECT_EQ(run(R"({{pad "x" 2 3}}|{{pad "" 2 3}}|{{truncate .Name 3}})", net()), "  x   ||net");
  EXPECT_EQ(run(R"({{len .Name}} {{len .Labels}} {{len .IPAM.Config}})", net()), "5 2 2");
  EXPECT_EQ(run(R"({{println .Name "x" 3}}{{print "a" "b" 1 2 "c"}})", net()), "netlb x 3\nab1 2c");
  EXPECT_EQ(run(R"({{printf "%s-%d-%5s|%-5s|%q" .Name .Count "ab" "cd" .Driver}})", net()),
            R"(netlb-3-   ab|cd   |"bridge")");
  EXPECT_EQ(run(R"({{.Name | printf "%s!"}} {{.Name | upper}})", net()), "netlb! NETLB");
  EXPECT_EQ(
      run(R"({{eq .Driver "bridge"}} {{ne .Driver "host"}} {{eq .Driver "host" "bridge"}})", net()),
      "true true true");
  EXPECT_EQ(run(R"({{lt 1 2}} {{ge "b" "a"}} {{eq .Nope nil}})", net()), "true true true");
  EXPECT_EQ(run(R"({{html "<a&b>"}} {{urlquery "a b&c"}})", net()), "&lt;a&amp;b&gt; a+b%26c");
}

TEST(GoTemplate, VariablesAndScopes) {
  EXPECT_EQ(run("{{$x := .Name}}{{$x}}{{$x = \"y\"}}{{$x}}", net()), "netlby");
  EXPECT_EQ(run("{{$x := 1}}{{if true}}{{$x := 2}}{{$x}}{{end}}{{$x}}", net()), "21");
  EXPECT_EQ(run("{{range .IPAM.Config}}{{$.Name}}{{end}}", net()), "netlbnetlb");
  EXPECT_EQ(run("{{(index .IPAM.Config 0).Subnet}}", net()), "10.0.0.0/16");
}

TEST(GoTemplate, TrimMarkersAndComments) {
  EXPECT_EQ(run("a  {{- .Name -}}  b", net()), "anetlbb");
  EXPECT_EQ(run("a {{- /* note */ -}} b", net()), "ab");
  EXPECT_EQ(run("{{/* c */}}x", net()), "x");
  EXPECT_EQ(run("{{-3}}", net()), "-3");
  EXPECT_EQ(run("{{1.5}} {{0x10}} {{'a'}} {{1e3}} {{1e6}} {{0.00001}}", net()),
            "1.5 16 97 1000 1e+06 1e-05");
}

TEST(GoTemplate, ParseErrors) {
  EXPECT_EQ(run("{{.Name", net()), "PARSE: template: :1: unclosed action");
  EXPECT_EQ(run("{{foo .Name}}", net()), "PARSE: template: :1: function \"foo\" not defined");
  EXPECT_EQ(run("{{if .Name}}x", net()), "PARSE: template: :1: unexpected EOF");
  EXPECT_EQ(run("{{end}}", net()), "PARSE: template: :1: unexpected {{end}}");
  EXPECT_EQ(run("{{if}}{{end}}", net()), "PARSE: template: :1: missing value for if");
  EXPECT_EQ(run("{{$undefined}}", net()), "PARSE: template: :1: undefined variable \"$undefined\"");
  EXPECT_EQ(run("{{.Name!}}", net()), "PARSE: template: :1: bad character U+0021 '!'");
  EXPECT_EQ(run("{{.Name)}}", net()), "PARSE: template: :1: unexpected right paren");
  EXPECT_EQ(run("{{\"x}}", net()), "PARSE: template: :1: unterminated quoted string");
  EXPECT_EQ(run("{{.Name | 3}}", net()),
            "PARSE: template: :1: non executable command in pipeline stage 2");
  EXPECT_EQ(run("x\n{{.Name}}\n{{else}}", net()), "PARSE: template: :3: unexpected {{else}}");
}

TEST(GoTemplate, ExecErrorsCarryPositionAndNode) {
  TemplateOptions strict;
  strict.missing_key_error = true;
  EXPECT_EQ(run("{{.Name}} {{.Foo}}", net(), nullptr, strict),
            "EXEC: template: :1:12: executing \"\" at <.Foo>: map has no entry for key \"Foo\"");
  EXPECT_EQ(run("{{.Name.x}}", net()),
            "EXEC: template: :1:7: executing \"\" at <.Name.x>: can't evaluate field x in type "
            "interface {}");
  EXPECT_EQ(run("{{.IPAM.Options.x}}", net()),
            "EXEC: template: :1:7: executing \"\" at <.IPAM.Options.x>: nil pointer evaluating "
            "interface {}.x");
  EXPECT_EQ(run("{{index .IPAM.Config 5}}", net()),
            "EXEC: template: :1:2: executing \"\" at <index .IPAM.Config 5>: error calling index: "
            "index out of range: 5");
  EXPECT_EQ(run("{{len 3}}", net()),
            "EXEC: template: :1:2: executing \"\" at <len 3>: error calling len: len of type int");
  EXPECT_EQ(run("{{join .IPAM.Config \",\"}}", net()),
            "EXEC: template: :1:12: executing \"\" at <.IPAM.Config>: wrong type for value; "
            "expected []string; got []interface {}");
  EXPECT_EQ(run("{{eq .Name 3}}", net()),
            "EXEC: template: :1:2: executing \"\" at <eq .Name 3>: error calling eq: incompatible "
            "types for comparison");
  EXPECT_EQ(run("{{template \"x\"}}", net()),
            "EXEC: template: :1:11: executing \"\" at <{{template \"x\"}}>: template \"x\" not "
            "defined");
  EXPECT_EQ(run("{{.Name \"arg\"}}", net()),
            "EXEC: template: :1:2: executing \"\" at <.Name>: Name is not a method but has "
            "arguments");
}

TEST(GoTemplate, PartialOutputBeforeError) {
  auto t = GoTemplate::parse("a{{.Name}}{{.Name.x}}b");
  ASSERT_TRUE(t.ok());
  std::string out;
  EXPECT_FALSE(t->execute(net(), nullptr, &out).ok());
  EXPECT_EQ(out, "anetlb");
}

GoTypePtr str_type() {
  auto t = std::make_shared<GoType>();
  t->kind = GoType::Kind::kString;
  return t;
}

TEST(GoTemplate, TypedStructsUseGoFieldNames) {
  auto sub = std::make_shared<GoType>();
  sub->kind = GoType::Kind::kStruct;
  sub->name = "pkg.Sub";
  sub->fields = {{"A", "a", str_type()}, {"B", "b", str_type()}};
  GoType root;
  root.kind = GoType::Kind::kStruct;
  root.name = "*pkg.Root";
  auto when = std::make_shared<GoType>();
  when->kind = GoType::Kind::kTime;
  root.fields = {{"ID", "Id", str_type()}, {"Sub", "Sub", sub}, {"Created", "Created", when}};
  ojson data = {{"Id", "abc"}, {"Sub", {{"a", "1"}}}, {"Created", "2026-11-28T02:04:55.5Z"}};
  EXPECT_EQ(run("{{.ID}} {{.Sub.A}}|{{.Sub.B}}|{{.Sub}}", data, &root), "abc 1||{1 }");
  EXPECT_EQ(run("{{.Created}}", data, &root), "2026-11-28 02:04:55.5 +0000 UTC");
  EXPECT_EQ(run("{{json .Created}}", data, &root), "\"2026-11-28T02:04:55.5Z\"");
  EXPECT_EQ(run("{{.Id}}", data, &root),
            "EXEC: template: :1:2: executing \"\" at <.Id>: can't evaluate field Id in type "
            "*pkg.Root");
  EXPECT_EQ(run("{{.Sub.C}}", data, &root),
            "EXEC: template: :1:6: executing \"\" at <.Sub.C>: can't evaluate field C in type "
            "pkg.Sub");
}

TEST(GoTemplate, MethodsAndCustomMarshal) {
  GoType row;
  row.kind = GoType::Kind::kStruct;
  row.name = "*x.ctx";
  row.fields = {{"Name", "Name", str_type()}};
  row.methods["Label"] = [](const ojson& self, const std::vector<ojson>& args) -> Result<ojson> {
    return ojson(self["Name"].get<std::string>() + ":" + args.at(0).get<std::string>());
  };
  row.marshal_json = [](const ojson& self) { return go_json_compact(self, true); };
  ojson data = {{"Name", "a<b"}};
  EXPECT_EQ(run("{{.Label \"k\"}} {{json .}}", data, &row), "a<b:k {\"Name\":\"a\\u003cb\"}");
}

TEST(GoTemplate, HeaderFunctionsReturnTheirArgument) {
  TemplateOptions header;
  header.header_functions = true;
  ojson h = {{"Name", "NAME"}, {"Labels", "LABELS"}};
  EXPECT_EQ(run("{{.Name | lower}}\t{{json .Labels}}\t{{join .Labels \",\"}}", h, nullptr, header),
            "NAME\tLABELS\tLABELS");
}

TEST(GoTemplate, CustomFunctions) {
  std::map<std::string, GoFunc> funcs;
  funcs["twice"] = [](const std::vector<ojson>& a) -> Result<ojson> {
    return ojson(a.at(0).get<std::string>() + a.at(0).get<std::string>());
  };
  auto t = GoTemplate::parse("{{twice .Name}}", "", funcs);
  ASSERT_TRUE(t.ok());
  auto out = t->render(net());
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, "netlbnetlb");
}

TEST(GoPrint, Values) {
  EXPECT_EQ(go_print(ojson::parse(R"({"b":[1,"x",null],"a":{"c":true}})")),
            "map[a:map[c:true] b:[1 x <nil>]]");
  EXPECT_EQ(go_json_compact(ojson("a<\n\u2028"), false), "\"a<\\n\\u2028\"");
  EXPECT_EQ(go_json_compact(ojson("a<&>"), true), "\"a\\u003c\\u0026\\u003e\"");
}

}  // namespace
}  // namespace berth::cli
