// Internals of the Go template engine shared by its parser
// (go_template_parse.cc) and executor (go_template_exec.cc): the syntax
// tree and the error signal. Not part of berth_cli's interface.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/go_template.h"

namespace berth::cli {

struct GoTemplate::Node {
  enum class Type {
    kList,
    kText,
    kAction,
    kIf,
    kRange,
    kWith,
    kBreak,
    kContinue,
    kElse,
    kEnd,
    kTemplate,
    kPipe,
    kCommand,
    kField,
    kVariable,
    kChain,
    kIdentifier,
    kDot,
    kNil,
    kBool,
    kNumber,
    kString,
  };
  Type type;
  size_t pos = 0;
  std::string text;                         // kText: the text; literals: source form
  std::vector<std::string> ident;           // kField: A,B; kVariable: $x,A; kChain: A,B
  std::vector<std::shared_ptr<Node>> kids;  // kList: items; kPipe: commands; kCommand: args
  std::vector<std::string> decl;            // kPipe: declared/assigned variables
  bool is_assign = false;                   // kPipe
  std::shared_ptr<Node> pipe;               // kAction, kIf, kRange, kWith; kChain: its operand
  std::shared_ptr<Node> list, else_list;    // kIf, kRange, kWith
  bool bool_value = false;                  // kBool
  std::optional<long long> int_value;       // kNumber
  double float_value = 0;                   // kNumber
  std::string string_value;                 // kString: unquoted

  // Go's Node.String(), used in "executing ... at <...>".
  std::string str() const;
};

namespace template_internal {

using Node = GoTemplate::Node;

// Thrown inside the engine, caught at GoTemplate::parse and ::execute, as
// text/template panics and recovers; it never leaves berth_cli.
struct TemplateFailure {
  std::string message;
};

[[noreturn]] inline void fail(std::string message) { throw TemplateFailure{std::move(message)}; }

// strconv.Quote, as Go quotes names in messages ("function \"foo\" not defined").
std::string quote_go(std::string_view s);

}  // namespace template_internal
}  // namespace berth::cli
