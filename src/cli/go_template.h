// A subset of Go's text/template, as docker's --format flags use it, over
// JSON values (nlohmann::ordered_json). Pure: no I/O, no clock.
//
// Supported: text, {{- trim markers -}}, comments, fields and chains
// (.A.B, $x.A, (pipeline).A), method calls on typed values (.Label "k"),
// pipelines with |, variables ($, $x := ..., $x = ...), if / else if / else,
// range (arrays and maps, with $i, $v :=), with / else with, break,
// continue, and the functions docker's templates see: Go's and, or, not,
// len, index, slice, print, printf, println, eq, ne, lt, le, gt, ge,
// urlquery, html, and docker's json, split, join, title, lower, upper, pad,
// truncate. Not supported: define, template, block, call.
//
// JSON carries no Go types, so a value is printed the way Go prints the
// map[string]interface{} docker decodes raw JSON into (map[k:v], [a b]),
// unless a GoType describes it: then structs print as {a b}, their Go field
// names are used, unknown fields are errors naming the type, and RFC 3339
// strings of kind kTime print as Go's time.Time.String().
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace berth::cli {

using ojson = nlohmann::ordered_json;

struct GoType;
using GoTypePtr = std::shared_ptr<const GoType>;
// A method of a typed value: receives the value and the evaluated arguments.
using GoMethod = std::function<Result<ojson>(const ojson& self, const std::vector<ojson>& args)>;
// A template function over plain JSON values (e.g. version's getDetailsOrder).
using GoFunc = std::function<Result<ojson>(const std::vector<ojson>& args)>;

struct GoType {
  enum class Kind { kAny, kString, kBool, kInt, kFloat, kStruct, kMap, kSlice, kTime };
  Kind kind = Kind::kAny;
  std::string name;      // as Go names it in errors: "*network.networkContext"
  bool pointer = false;  // kStruct: absent or null prints "<nil>"
  struct Field {
    std::string name;      // Go field name, used in templates
    std::string json_key;  // key in the JSON object
    GoTypePtr type;        // nullptr: kAny
  };
  std::vector<Field> fields;                // kStruct, declaration order
  std::map<std::string, GoMethod> methods;  // kStruct or kMap
  GoTypePtr elem;                           // kMap, kSlice: element type
  // How {{json .}} writes a value of this type (Go's MarshalJSON); unset:
  // the JSON itself, compact, <>& unescaped (docker's json function).
  std::function<std::string(const ojson&)> marshal_json;
};

// Builders for the type descriptions commands hand to the engine.
inline GoTypePtr go_scalar(GoType::Kind k) {
  auto t = std::make_shared<GoType>();
  t->kind = k;
  return t;
}
inline GoTypePtr go_map_of(GoTypePtr elem) {
  auto t = std::make_shared<GoType>();
  t->kind = GoType::Kind::kMap;
  t->elem = std::move(elem);
  return t;
}
inline GoTypePtr go_slice_of(GoTypePtr elem) {
  auto t = std::make_shared<GoType>();
  t->kind = GoType::Kind::kSlice;
  t->elem = std::move(elem);
  return t;
}

struct TemplateOptions {
  // Go's Option("missingkey=error"): a missing map key is an error
  // ("map has no entry for key ...") instead of "<no value>".
  bool missing_key_error = false;
  // docker's templates.HeaderFunctions: json, split, join, title, lower,
  // upper and truncate return their first argument unchanged (table headers).
  bool header_functions = false;
};

class GoTemplate {
 public:
  // Parses `text`. `name` appears in messages as Go prints it
  // ("template: NAME:1: unclosed action"); docker's formatters use "".
  // `funcs` adds functions beyond the built-in set.
  static Result<GoTemplate> parse(std::string_view text, std::string name = "",
                                  std::map<std::string, GoFunc> funcs = {});

  // Executes against `data`, described by `type` (nullptr: untyped JSON).
  // Output is appended to *out as it is produced, so on error *out holds
  // what Go would have written before failing. Error messages read like
  // Go's: template: :1:2: executing "" at <.Foo>: map has no entry for key "Foo".
  Status execute(const ojson& data, const GoType* type, std::string* out,
                 const TemplateOptions& options = {}) const;

  // Convenience: the output, or the error.
  Result<std::string> render(const ojson& data, const GoType* type = nullptr,
                             const TemplateOptions& options = {}) const;

  struct Node;

 private:
  std::string name_;
  std::string text_;
  std::map<std::string, GoFunc> funcs_;
  std::shared_ptr<const Node> root_;
};

// Go's fmt %v of a JSON value as text/template prints it (no type info).
std::string go_print(const ojson& v);

// Compact JSON the way Go's encoding/json writes it; `escape_html` escapes
// <, > and & as \u003c, \u003e, \u0026.
std::string go_json_compact(const ojson& v, bool escape_html);

}  // namespace berth::cli
