// Go's encoding/json syntax errors, byte for byte as dockerd prints them
// (after "invalid JSON: "). Expected texts follow Go's scanner.go and
// stream.go: the error() contexts, quoteChar, and the Decoder's EOF rules.
#include "api/go_json_syntax.h"

#include <gtest/gtest.h>

#include <string>

#include "api/container_json.h"
#include "api/docker_json.h"

namespace berth::api {
namespace {

using namespace std::string_literals;

struct Case {
  std::string body;
  std::string want;
};

TEST(GoJsonSyntax, MessagesAreGos) {
  const Case cases[] = {
      // The bats case and moby's own integration test.
      {"{invalid json", "invalid character 'i' looking for beginning of object key string"},
      // stateBeginValue.
      {"}", "invalid character '}' looking for beginning of value"},
      {"+1", "invalid character '+' looking for beginning of value"},
      {".5", "invalid character '.' looking for beginning of value"},
      {"[1,]", "invalid character ']' looking for beginning of value"},
      {R"({"a":})", "invalid character '}' looking for beginning of value"},
      // stateBeginStringOrEmpty / stateBeginString.
      {"{,}", "invalid character ',' looking for beginning of object key string"},
      {R"({"a":1,})", "invalid character '}' looking for beginning of object key string"},
      {"{1:2}", "invalid character '1' looking for beginning of object key string"},
      // stateEndValue.
      {R"({"a" 1})", "invalid character '1' after object key"},
      {R"({"a":1 "b":2})", R"(invalid character '"' after object key:value pair)"},
      {R"({"a":1]})", "invalid character ']' after object key:value pair"},
      {"[1 2]", "invalid character '2' after array element"},
      {"[true}", "invalid character '}' after array element"},
      // Literals.
      {"t rue", "invalid character ' ' in literal true (expecting 'r')"},
      {"tx", "invalid character 'x' in literal true (expecting 'r')"},
      {"tr ue", "invalid character ' ' in literal true (expecting 'u')"},
      {"truE", "invalid character 'E' in literal true (expecting 'e')"},
      {"fun", "invalid character 'u' in literal false (expecting 'a')"},
      {"fa1se", "invalid character '1' in literal false (expecting 'l')"},
      {"falze", "invalid character 'z' in literal false (expecting 's')"},
      {"fals0", "invalid character '0' in literal false (expecting 'e')"},
      {"nan", "invalid character 'a' in literal null (expecting 'u')"},
      {"nUll", "invalid character 'U' in literal null (expecting 'u')"},
      {"nuLl", "invalid character 'L' in literal null (expecting 'l')"},
      {"nulL", "invalid character 'L' in literal null (expecting 'l')"},
      // Numbers.
      {"-x", "invalid character 'x' in numeric literal"},
      {"[-]", "invalid character ']' in numeric literal"},
      {"1.x", "invalid character 'x' after decimal point in numeric literal"},
      {"[1.]", "invalid character ']' after decimal point in numeric literal"},
      {"1ex", "invalid character 'x' in exponent of numeric literal"},
      {"1e+x", "invalid character 'x' in exponent of numeric literal"},
      {"2.5E-}", "invalid character '}' in exponent of numeric literal"},
      // Strings.
      {"\"a\tb\"", R"(invalid character '\t' in string literal)"},
      {"\"a\nb\"", R"(invalid character '\n' in string literal)"},
      {"\"a\x01\"", R"(invalid character '\x01' in string literal)"},
      {"[\"a\x1f\"]", R"(invalid character '\x1f' in string literal)"},
      {"\"a\0b\""s, R"(invalid character '\x00' in string literal)"},
      {R"(["a\qb"])", "invalid character 'q' in string escape code"},
      {R"("\U0041")", "invalid character 'U' in string escape code"},
      {R"("\'")", R"(invalid character '\'' in string escape code)"},
      {R"("\u12G4")", R"(invalid character 'G' in \u hexadecimal character escape)"},
      {R"("\ux")", R"(invalid character 'x' in \u hexadecimal character escape)"},
      {R"("\u1x")", R"(invalid character 'x' in \u hexadecimal character escape)"},
      {R"("\u123")", R"(invalid character '"' in \u hexadecimal character escape)"},
      // quoteChar.
      {"{'a':1}", R"(invalid character '\'' looking for beginning of object key string)"},
      {R"([\])", R"(invalid character '\\' looking for beginning of value)"},
      {"\v", R"(invalid character '\v' looking for beginning of value)"},
      {"\f", R"(invalid character '\f' looking for beginning of value)"},
      {"\a", R"(invalid character '\a' looking for beginning of value)"},
      {"\b", R"(invalid character '\b' looking for beginning of value)"},
      {"\x7f", R"(invalid character '\x7f' looking for beginning of value)"},
      {"\x1b[", R"(invalid character '\x1b' looking for beginning of value)"},
      // A byte >= 0x80 is shown as the rune of its value (string(byte)):
      // the famous byte-order-mark message, and Latin-1 for UTF-8 leads.
      {"\xef\xbb\xbf{}", "invalid character '\xc3\xaf' looking for beginning of value"},
      {"\xc3\xa9", "invalid character '\xc3\x83' looking for beginning of value"},
      {"\xff", "invalid character '\xc3\xbf' looking for beginning of value"},
      {"\xa1", "invalid character '\xc2\xa1' looking for beginning of value"},
      {"\x80", R"(invalid character '\u0080' looking for beginning of value)"},
      {"\x9f", R"(invalid character '\u009f' looking for beginning of value)"},
      {"\xa0", R"(invalid character '\u00a0' looking for beginning of value)"},
      {"\xad", R"(invalid character '\u00ad' looking for beginning of value)"},
      {"{\xe2\x80\x9c", "invalid character '\xc3\xa2' looking for beginning of object key string"},
      // After the value: json.Unmarshal's message (dockerd itself answers
      // "unexpected content after JSON", see below).
      {"{} x", "invalid character 'x' after top-level value"},
      {"true false", "invalid character 'f' after top-level value"},
      {"01", "invalid character '1' after top-level value"},
      {R"({"a":1}})", "invalid character '}' after top-level value"},
      {"\"a\"x", "invalid character 'x' after top-level value"},
      // json.Decoder at the end of the body.
      {"", "EOF"},
      {" \t\r\n", "EOF"},
      {R"({"Name":"n1",)", "unexpected EOF"},
      {"{", "unexpected EOF"},
      {"  [", "unexpected EOF"},
      {R"({"a")", "unexpected EOF"},
      {R"({"a":)", "unexpected EOF"},
      {R"({"a":1)", "unexpected EOF"},
      {R"("abc)", "unexpected EOF"},
      {R"("ab\)", "unexpected EOF"},
      {R"("\u12)", "unexpected EOF"},
      {"tru", "unexpected EOF"},
      {"-", "unexpected EOF"},
      {"1.", "unexpected EOF"},
      {"1e", "unexpected EOF"},
      {"1e-", "unexpected EOF"},
  };
  for (const auto& c : cases) {
    auto got = go_json_syntax_error(c.body);
    ASSERT_TRUE(got.has_value()) << "body: " << c.body;
    EXPECT_EQ(*got, c.want) << "body: " << c.body;
  }
}

TEST(GoJsonSyntax, ValidJsonIsNullopt) {
  const std::string valid[] = {
      "{}",
      "[]",
      " { } ",
      "[ ]\n",
      "0",
      "-0",
      "-0.0E+0",
      "1e5",
      "12.50e-3",
      "true",
      "false",
      "null",
      R"("")",
      R"("x\"\\\/\b\f\n\r\t\u00e9\uD800\udc00")",
      R"("\ud800")",       // a lone surrogate: Go decodes it to U+FFFD
      "\"\xff\xfe\"",      // invalid UTF-8 inside a string: U+FFFD too
      "\"\xc3\xa9\x7f\"",  // DEL and non-ASCII are fine in strings
      "\t\r\n {\"a\":[1,2.5e-3,-0,true,false,null,{\"b\":{}}],\"c\":\"d\"} \t\r\n",
      R"({"Name":"n1","IPAM":{"Config":[{"Subnet":"10.0.0.0/24"}]},"Labels":{}})",
  };
  for (const auto& body : valid) {
    EXPECT_EQ(go_json_syntax_error(body), std::nullopt) << "body: " << body;
  }
}

TEST(GoJsonSyntax, NestingStopsAtGosMaxDepth) {
  const std::string ok = std::string(10000, '[') + std::string(10000, ']');
  EXPECT_EQ(go_json_syntax_error(ok), std::nullopt);
  EXPECT_EQ(go_json_syntax_error(std::string(10001, '[')),
            "invalid character '[' exceeded max depth");
  EXPECT_EQ(go_json_syntax_error(std::string(10000, '[') + "{"),
            "invalid character '{' exceeded max depth");
}

TEST(GoJsonSyntax, TheDecoderStopsAtTheEndOfTheFirstValue) {
  auto v = go_json_read_value(R"({"a":1} x)");
  ASSERT_FALSE(v.error.has_value());
  EXPECT_EQ(v.end, 7u);
  v = go_json_read_value("123 ");
  ASSERT_FALSE(v.error.has_value());
  EXPECT_EQ(v.end, 3u);
  v = go_json_read_value("123");
  ASSERT_FALSE(v.error.has_value());
  EXPECT_EQ(v.end, 3u);
  v = go_json_read_value(R"("a"{)");
  ASSERT_FALSE(v.error.has_value());
  EXPECT_EQ(v.end, 3u);
  // Whatever follows the first value is never a syntax error for Decode.
  v = go_json_read_value("[1] {invalid");
  ASSERT_FALSE(v.error.has_value());
  EXPECT_EQ(v.end, 3u);

  // Decoder.More: a next byte that is not ']' or '}'.
  EXPECT_TRUE(go_json_more(" x"));
  EXPECT_TRUE(go_json_more("\n{}"));
  EXPECT_FALSE(go_json_more(" \t\r\n"));
  EXPECT_FALSE(go_json_more(""));
  EXPECT_FALSE(go_json_more(" }"));
  EXPECT_FALSE(go_json_more("] x"));
}

TEST(GoJsonSyntax, QuoteChar) {
  EXPECT_EQ(go_json_quote_char('a'), "'a'");
  EXPECT_EQ(go_json_quote_char(' '), "' '");
  EXPECT_EQ(go_json_quote_char('\''), R"('\'')");
  EXPECT_EQ(go_json_quote_char('"'), R"('"')");
  EXPECT_EQ(go_json_quote_char('\\'), R"('\\')");
  EXPECT_EQ(go_json_quote_char('\r'), R"('\r')");
  EXPECT_EQ(go_json_quote_char(0x00), R"('\x00')");
  EXPECT_EQ(go_json_quote_char(0xd7), "'\xc3\x97'");  // U+00D7 MULTIPLICATION SIGN
}

// The decoders answer as dockerd does: Go's message after "invalid JSON: ".
TEST(GoJsonSyntax, NetworkCreateRefusesAsDockerd) {
  auto msg = [](std::string_view body) {
    auto r = decode_network_create(body);
    return r.ok() ? std::string("(ok)") : r.error().message();
  };
  EXPECT_EQ(msg("{invalid json"),
            "invalid JSON: invalid character 'i' looking for beginning of object key string");
  EXPECT_EQ(msg(R"({"Name":"n1",)"), "invalid JSON: unexpected EOF");
  EXPECT_EQ(msg(R"({"Name":tru})"),
            "invalid JSON: invalid character '}' in literal true (expecting 'e')");
  EXPECT_EQ(msg("\xef\xbb\xbf{}"),
            "invalid JSON: invalid character '\xc3\xaf' looking for beginning of value");
  EXPECT_EQ(msg("   "), "invalid JSON: got EOF while reading request body");
  EXPECT_EQ(msg(""), "invalid JSON: EOF");
  EXPECT_EQ(msg(R"({"Name":"n1"} trailing)"), "unexpected content after JSON");
  EXPECT_EQ(msg(R"({"Name":"n1"}{"Name":"n2"})"), "unexpected content after JSON");
  // Decode's own errors come before ReadJSON looks for more.
  EXPECT_EQ(msg(R"({"Name":5} x)"),
            "invalid JSON: json: cannot unmarshal number into Go struct field CreateRequest.Name "
            "of type string");
  EXPECT_EQ(msg("1 x"),
            "invalid JSON: json: cannot unmarshal number into Go value of type "
            "network.CreateRequest");
  // dec.More() is false before ']' or '}': dockerd takes these bodies.
  EXPECT_EQ(msg(R"({"Name":"n1"} })"), "(ok)");
  EXPECT_EQ(msg(R"({"Name":"n1"}  )"), "(ok)");
  EXPECT_EQ(decode_network_create(R"({"Name":"n1"} ])")->name, "n1");
}

TEST(GoJsonSyntax, ContainerCreateRefusesAsDockerd) {
  auto msg = [](std::string_view body) {
    auto r = decode_container_create(body, "c1");
    return r.ok() ? std::string("(ok)") : r.error().message();
  };
  EXPECT_EQ(msg("{invalid json"),
            "invalid JSON: invalid character 'i' looking for beginning of object key string");
  EXPECT_EQ(msg(R"({"Image":"busybox")"), "invalid JSON: unexpected EOF");
  EXPECT_EQ(msg(R"({"Image":"busybox","Cmd":["sh" "-c"]})"),
            "invalid JSON: invalid character '\"' after array element");
  EXPECT_EQ(msg(""), "invalid JSON: EOF");
  EXPECT_EQ(msg(" \n"), "invalid JSON: EOF");
  EXPECT_EQ(msg(R"({"Image":"busybox"} x)"), "unexpected content after JSON");
  EXPECT_EQ(msg(R"({"Image":5} x)"),
            "invalid JSON: json: cannot unmarshal number into Go struct field CreateRequest.Image "
            "of type string");
  EXPECT_EQ(msg(R"({"Image":"busybox"} })"), "(ok)");
  EXPECT_EQ(msg(R"({"Image":"busybox"})"), "(ok)");
}

}  // namespace
}  // namespace berth::api
