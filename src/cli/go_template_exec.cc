// The executor of berth's Go template engine, after Go's
// text/template/exec.go: values, printing as fmt's %v, field and method
// evaluation, the built-in functions and docker's, and error messages
// carrying the position and node Go reports.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <deque>
#include <optional>

#include "cli/go_template.h"
#include "cli/go_template_internal.h"
#include "cli/go_time.h"

namespace berth::cli {

using template_internal::fail;
using template_internal::Node;
using template_internal::quote_go;
using template_internal::TemplateFailure;
using NT = Node::Type;

// ------------------------------------------------------------ printing --

namespace {

void json_string(std::string* out, std::string_view s, bool escape_html) {
  static const char* kHex = "0123456789abcdef";
  *out += '"';
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"':
        *out += "\\\"";
        continue;
      case '\\':
        *out += "\\\\";
        continue;
      case '\n':
        *out += "\\n";
        continue;
      case '\r':
        *out += "\\r";
        continue;
      case '\t':
        *out += "\\t";
        continue;
      default:
        break;
    }
    if (c < 0x20 || (escape_html && (c == '<' || c == '>' || c == '&'))) {
      *out += "\\u00";
      *out += kHex[c >> 4];
      *out += kHex[c & 15];
      continue;
    }
    if (c == 0xE2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
        (static_cast<unsigned char>(s[i + 2]) == 0xA8 ||
         static_cast<unsigned char>(s[i + 2]) == 0xA9)) {
      *out += static_cast<unsigned char>(s[i + 2]) == 0xA8 ? "\\u2028" : "\\u2029";
      i += 2;
      continue;
    }
    *out += static_cast<char>(c);
  }
  *out += '"';
}

void json_compact(std::string* out, const ojson& v, bool escape_html) {
  switch (v.type()) {
    case ojson::value_t::object: {
      *out += '{';
      bool first = true;
      for (const auto& [k, e] : v.items()) {
        if (!first) *out += ',';
        first = false;
        json_string(out, k, escape_html);
        *out += ':';
        json_compact(out, e, escape_html);
      }
      *out += '}';
      return;
    }
    case ojson::value_t::array: {
      *out += '[';
      bool first = true;
      for (const auto& e : v) {
        if (!first) *out += ',';
        first = false;
        json_compact(out, e, escape_html);
      }
      *out += ']';
      return;
    }
    case ojson::value_t::string:
      json_string(out, v.get_ref<const std::string&>(), escape_html);
      return;
    case ojson::value_t::discarded:
      *out += "null";
      return;
    default:
      *out += v.dump();
  }
}

}  // namespace

std::string go_json_compact(const ojson& v, bool escape_html) {
  std::string out;
  json_compact(&out, v, escape_html);
  return out;
}

std::string go_print(const ojson& v) {
  switch (v.type()) {
    case ojson::value_t::null:
      return "<nil>";
    case ojson::value_t::string:
      return v.get<std::string>();
    case ojson::value_t::boolean:
      return v.get<bool>() ? "true" : "false";
    case ojson::value_t::array: {
      std::string s = "[";
      bool first = true;
      for (const auto& e : v) {
        if (!first) s += " ";
        first = false;
        s += go_print(e);
      }
      return s + "]";
    }
    case ojson::value_t::object: {
      std::vector<std::string> keys;
      for (const auto& [k, e] : v.items()) keys.push_back(k);
      std::sort(keys.begin(), keys.end());
      std::string s = "map[";
      for (size_t i = 0; i < keys.size(); ++i) {
        if (i > 0) s += " ";
        s += keys[i] + ":" + go_print(v[keys[i]]);
      }
      return s + "]";
    }
    case ojson::value_t::discarded:
      return "<no value>";
    default:
      return v.dump();
  }
}

// ------------------------------------------------------------ executor --

namespace {

using Kind = GoType::Kind;

struct Val {
  ojson j;
  const GoType* t = nullptr;
  bool valid = true;
  bool boxed = false;  // came out of a JSON container: an interface{} in Go
};

Val invalid_val() {
  Val v;
  v.valid = false;
  return v;
}

Val make_val(ojson j, const GoType* t = nullptr) {
  Val v;
  v.j = std::move(j);
  v.t = t;
  return v;
}

std::string go_type_name(const Val& v) {
  if (v.t != nullptr && !v.t->name.empty()) return v.t->name;
  if (v.t != nullptr) {
    switch (v.t->kind) {
      case Kind::kString:
        return "string";
      case Kind::kBool:
        return "bool";
      case Kind::kInt:
        return "int";
      case Kind::kFloat:
        return "float64";
      case Kind::kTime:
        return "time.Time";
      case Kind::kMap:
        return "map[string]string";
      case Kind::kSlice:
        return "[]string";
      default:
        break;
    }
  }
  if (v.boxed) return "interface {}";
  switch (v.j.type()) {
    case ojson::value_t::object:
      return "map[string]interface {}";
    case ojson::value_t::array:
      return "[]interface {}";
    case ojson::value_t::string:
      return "string";
    case ojson::value_t::boolean:
      return "bool";
    case ojson::value_t::null:
      return "interface {}";
    default:
      return "json.Number";
  }
}

// A zero value of a field the JSON leaves out.
ojson zero_json(const GoType* t) {
  if (t == nullptr) return nullptr;
  switch (t->kind) {
    case Kind::kString:
      return "";
    case Kind::kBool:
      return false;
    case Kind::kInt:
      return 0;
    case Kind::kFloat:
      return 0.0;
    case Kind::kTime:
      return "0001-01-01T00:00:00Z";
    case Kind::kStruct:
      return t->pointer ? ojson(nullptr) : ojson::object();
    default:
      return nullptr;
  }
}

std::string print_typed(const ojson& j, const GoType* t);

// fmt's %v of a float64: strconv's 'g' with the shortest digits, which
// switches to exponent form when the exponent is < -4 or >= 6.
std::string go_format_float(double v) {
  if (v == 0) return std::signbit(v) ? "-0" : "0";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  std::string sci(buf, res.ptr);  // -d.ddde+XX
  bool neg = sci[0] == '-';
  if (neg) sci.erase(0, 1);
  size_t e = sci.find('e');
  std::string digits = sci.substr(0, 1) + (e > 2 ? sci.substr(2, e - 2) : "");
  int exp = std::stoi(sci.substr(e + 1));
  std::string out;
  if (exp < -4 || exp >= 6) {
    out = digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    char eb[16];
    snprintf(eb, sizeof eb, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
    out += eb;
  } else if (exp < 0) {
    out = "0." + std::string(static_cast<size_t>(-exp - 1), '0') + digits;
  } else if (static_cast<size_t>(exp) + 1 >= digits.size()) {
    out = digits + std::string(static_cast<size_t>(exp) + 1 - digits.size(), '0');
  } else {
    out = digits.substr(0, static_cast<size_t>(exp) + 1) + "." +
          digits.substr(static_cast<size_t>(exp) + 1);
  }
  return neg ? "-" + out : out;
}

std::string print_struct(const ojson& j, const GoType* t) {
  std::string s = "{";
  for (size_t i = 0; i < t->fields.size(); ++i) {
    if (i > 0) s += " ";
    const auto& f = t->fields[i];
    const GoType* ft = f.type.get();
    if (j.is_object() && j.contains(f.json_key)) {
      s += print_typed(j[f.json_key], ft);
    } else {
      s += print_typed(zero_json(ft), ft);
    }
  }
  return s + "}";
}

std::string print_typed(const ojson& j, const GoType* t) {
  if (t == nullptr) return go_print(j);
  switch (t->kind) {
    case Kind::kTime:
      if (j.is_string()) return go_time_string(j.get<std::string>());
      return go_print(j);
    case Kind::kStruct:
      if (j.is_null()) return "<nil>";
      if (!j.is_object()) return go_print(j);
      return print_struct(j, t);
    case Kind::kMap: {
      if (j.is_null()) return "map[]";
      if (!j.is_object()) return go_print(j);
      std::vector<std::string> keys;
      for (const auto& [k, e] : j.items()) keys.push_back(k);
      std::sort(keys.begin(), keys.end());
      std::string s = "map[";
      for (size_t i = 0; i < keys.size(); ++i) {
        if (i > 0) s += " ";
        s += keys[i] + ":" + print_typed(j[keys[i]], t->elem.get());
      }
      return s + "]";
    }
    case Kind::kSlice: {
      if (j.is_null()) return "[]";
      if (!j.is_array()) return go_print(j);
      std::string s = "[";
      for (size_t i = 0; i < j.size(); ++i) {
        if (i > 0) s += " ";
        s += print_typed(j[i], t->elem.get());
      }
      return s + "]";
    }
    case Kind::kString:
      if (j.is_null()) return "";
      return go_print(j);
    case Kind::kFloat:
      if (j.is_number()) return go_format_float(j.get<double>());
      return go_print(j);
    default:
      return go_print(j);
  }
}

std::string print_val(const Val& v) {
  if (!v.valid) return "<no value>";
  return print_typed(v.j, v.t);
}

bool truth(const Val& v) {
  if (!v.valid) return false;
  if (v.t != nullptr && v.t->kind == Kind::kStruct && !v.t->pointer) return true;
  switch (v.j.type()) {
    case ojson::value_t::null:
      return false;
    case ojson::value_t::boolean:
      return v.j.get<bool>();
    case ojson::value_t::string:
      return !v.j.get_ref<const std::string&>().empty();
    case ojson::value_t::array:
    case ojson::value_t::object:
      return !v.j.empty();
    case ojson::value_t::number_integer:
      return v.j.get<long long>() != 0;
    case ojson::value_t::number_unsigned:
      return v.j.get<unsigned long long>() != 0;
    case ojson::value_t::number_float:
      return v.j.get<double>() != 0;
    default:
      return false;
  }
}

// Signals for {{break}} and {{continue}}.
enum class Flow { kNormal, kBreak, kContinue };

class Exec {
 public:
  Exec(const std::string& name, const std::string& text, const std::map<std::string, GoFunc>& funcs,
       const TemplateOptions& options, std::string* out)
      : name_(name), text_(text), funcs_(funcs), opt_(options), out_(out) {}

  void run(const Node& root, const Val& data) {
    vars_.push_back({"$", data});
    walk(data, root);
  }

 private:
  [[noreturn]] void errorf(const std::string& msg) {
    std::string location = "template: " + name_ + ":";
    std::string context;
    if (at_ != nullptr) {
      size_t pos = std::min(at_->pos, text_.size());
      std::string_view before(text_.data(), pos);
      size_t nl = before.rfind('\n');
      size_t col = nl == std::string_view::npos ? pos : pos - (nl + 1);
      int line = 1 + static_cast<int>(std::count(before.begin(), before.end(), '\n'));
      location += std::to_string(line) + ":" + std::to_string(col);
      context = at_->str();
    }
    fail(location + ": executing " + quote_go(name_) + " at <" + context + ">: " + msg);
  }

  Flow walk(const Val& dot, const Node& n) {
    switch (n.type) {
      case NT::kList:
        for (const auto& k : n.kids) {
          Flow f = walk(dot, *k);
          if (f != Flow::kNormal) return f;
        }
        return Flow::kNormal;
      case NT::kText:
        *out_ += n.text;
        return Flow::kNormal;
      case NT::kAction: {
        Val v = eval_pipeline(dot, *n.pipe);
        if (n.pipe->decl.empty()) {
          at_ = &n;
          *out_ += print_val(v);
        }
        return Flow::kNormal;
      }
      case NT::kIf:
      case NT::kWith: {
        size_t mark = vars_.size();
        Val v = eval_pipeline(dot, *n.pipe);
        Flow f = Flow::kNormal;
        if (truth(v)) {
          f = walk(n.type == NT::kWith ? v : dot, *n.list);
        } else if (n.else_list) {
          f = walk(dot, *n.else_list);
        }
        vars_.resize(mark);
        return f;
      }
      case NT::kRange:
        return walk_range(dot, n);
      case NT::kTemplate:
        at_ = &n;
        errorf("template " + quote_go(n.text) + " not defined");
      case NT::kBreak:
        return Flow::kBreak;
      case NT::kContinue:
        return Flow::kContinue;
      default:
        return Flow::kNormal;
    }
  }

  Flow walk_range(const Val& dot, const Node& r) {
    at_ = &r;
    size_t outer = vars_.size();
    Val val = eval_pipeline(dot, *r.pipe);
    size_t mark = vars_.size();
    const Node& pipe = *r.pipe;
    auto one = [&](const Val& index, const Val& elem) -> Flow {
      if (!pipe.decl.empty()) {
        if (pipe.is_assign) {
          set_var(pipe.decl[0], pipe.decl.size() > 1 ? index : elem);
        } else {
          vars_[vars_.size() - 1].second = elem;
        }
      }
      if (pipe.decl.size() > 1) {
        if (pipe.is_assign) {
          set_var(pipe.decl[1], elem);
        } else {
          vars_[vars_.size() - 2].second = index;
        }
      }
      Flow f = walk(elem, *r.list);
      vars_.resize(mark);
      return f;
    };
    bool iterated = false;
    if (val.valid && val.j.is_array()) {
      const GoType* et = val.t != nullptr ? val.t->elem.get() : nullptr;
      for (size_t i = 0; i < val.j.size(); ++i) {
        iterated = true;
        Val e = make_val(val.j[i], et);
        e.boxed = et == nullptr;
        if (one(make_val(static_cast<long long>(i)), e) == Flow::kBreak) break;
      }
    } else if (val.valid && val.j.is_object() &&
               !(val.t != nullptr && val.t->kind == Kind::kStruct)) {
      const GoType* et = val.t != nullptr ? val.t->elem.get() : nullptr;
      std::vector<std::string> keys;
      for (const auto& [k, e] : val.j.items()) keys.push_back(k);
      std::sort(keys.begin(), keys.end());
      for (const auto& k : keys) {
        iterated = true;
        Val e = make_val(val.j[k], et);
        e.boxed = et == nullptr;
        if (one(make_val(k), e) == Flow::kBreak) break;
      }
    } else if (!val.valid || val.j.is_null()) {
      // Nothing to iterate: a nil map or slice is not an error.
    } else if (val.j.is_number_integer() || val.j.is_number_unsigned()) {
      long long n = val.j.get<long long>();
      for (long long i = 0; i < n; ++i) {
        iterated = true;
        if (one(make_val(i), make_val(i)) == Flow::kBreak) break;
      }
    } else {
      at_ = &r;
      errorf("range can't iterate over " + print_val(val));
    }
    if (!iterated && r.else_list) walk(dot, *r.else_list);
    vars_.resize(outer);
    return Flow::kNormal;
  }

  Val eval_pipeline(const Val& dot, const Node& pipe) {
    at_ = &pipe;
    std::optional<Val> value;
    for (const auto& cmd : pipe.kids) {
      value = eval_command(dot, *cmd, value);
    }
    Val result = value ? *value : invalid_val();
    for (const auto& name : pipe.decl) {
      if (pipe.is_assign) {
        set_var(name, result);
      } else {
        vars_.push_back({name, result});
      }
    }
    return result;
  }

  void not_a_function(const Node& cmd, const std::optional<Val>& final) {
    if (cmd.kids.size() > 1 || final) {
      errorf("can't give argument to non-function " + cmd.kids[0]->str());
    }
  }

  Val eval_command(const Val& dot, const Node& cmd, const std::optional<Val>& final) {
    const Node& first = *cmd.kids[0];
    switch (first.type) {
      case NT::kField:
        at_ = &first;
        return eval_field_chain(dot, dot, first, first.ident, 0, cmd, final);
      case NT::kChain: {
        Val base = eval_arg(dot, *first.pipe);
        return eval_field_chain(dot, base, first, first.ident, 0, cmd, final);
      }
      case NT::kIdentifier:
        return eval_function(dot, first, cmd, final);
      case NT::kPipe:
        not_a_function(cmd, final);
        return eval_pipeline(dot, first);
      case NT::kVariable: {
        Val v = var_value(first.ident[0]);
        if (first.ident.size() == 1) {
          not_a_function(cmd, final);
          return v;
        }
        return eval_field_chain(dot, v, first, first.ident, 1, cmd, final);
      }
      default:
        break;
    }
    at_ = &first;
    not_a_function(cmd, final);
    switch (first.type) {
      case NT::kBool:
        return make_val(first.bool_value);
      case NT::kDot:
        return dot;
      case NT::kNil:
        errorf("nil is not a command");
      case NT::kNumber:
        return number_val(first);
      case NT::kString:
        return make_val(first.string_value);
      default:
        errorf("can't evaluate command " + quote_go(first.str()));
    }
  }

  static Val number_val(const Node& n) {
    static const GoType kInt = [] {
      GoType t;
      t.kind = Kind::kInt;
      t.name = "int";
      return t;
    }();
    static const GoType kFloat = [] {
      GoType t;
      t.kind = Kind::kFloat;
      t.name = "float64";
      return t;
    }();
    if (n.int_value && n.text.find_first_of(".eE") == std::string::npos) {
      return make_val(*n.int_value, &kInt);
    }
    return make_val(n.float_value, &kFloat);
  }

  Val eval_arg(const Val& dot, const Node& n) {
    at_ = &n;
    switch (n.type) {
      case NT::kDot:
        return dot;
      case NT::kNil:
        return make_val(nullptr);
      case NT::kField: {
        Node& empty = temps_.emplace_back();
        empty.type = NT::kCommand;
        empty.kids.push_back(std::make_shared<Node>(n));
        return eval_field_chain(dot, dot, n, n.ident, 0, empty, std::nullopt);
      }
      case NT::kVariable: {
        Val v = var_value(n.ident[0]);
        if (n.ident.size() == 1) return v;
        Node& empty = temps_.emplace_back();
        empty.type = NT::kCommand;
        empty.kids.push_back(std::make_shared<Node>(n));
        return eval_field_chain(dot, v, n, n.ident, 1, empty, std::nullopt);
      }
      case NT::kPipe:
        return eval_pipeline(dot, n);
      case NT::kIdentifier: {
        Node& cmd = temps_.emplace_back();
        cmd.type = NT::kCommand;
        cmd.kids.push_back(std::make_shared<Node>(n));
        return eval_function(dot, n, cmd, std::nullopt);
      }
      case NT::kChain: {
        Val base = eval_arg(dot, *n.pipe);
        Node& empty = temps_.emplace_back();
        empty.type = NT::kCommand;
        empty.kids.push_back(std::make_shared<Node>(n));
        return eval_field_chain(dot, base, n, n.ident, 0, empty, std::nullopt);
      }
      case NT::kBool:
        return make_val(n.bool_value);
      case NT::kNumber:
        return number_val(n);
      case NT::kString:
        return make_val(n.string_value);
      default:
        errorf("can't handle " + n.str() + " for arg");
    }
  }

  // Evaluates the receiver through ident[from..], calling the last name
  // with the command's remaining arguments (and `final`) if it is a method.
  Val eval_field_chain(const Val& dot, Val receiver, const Node& node,
                       const std::vector<std::string>& ident, size_t from, const Node& cmd,
                       const std::optional<Val>& final) {
    at_ = &node;
    for (size_t i = from; i + 1 < ident.size(); ++i) {
      receiver = eval_field(dot, ident[i], node, nullptr, std::nullopt, receiver);
    }
    return eval_field(dot, ident.back(), node, &cmd, final, receiver);
  }

  Val eval_field(const Val& dot, const std::string& field, const Node& node, const Node* cmd,
                 const std::optional<Val>& final, const Val& receiver) {
    at_ = &node;
    if (!receiver.valid) {
      if (opt_.missing_key_error) errorf("nil data; no entry for key " + quote_go(field));
      return invalid_val();
    }
    bool has_args = (cmd != nullptr && cmd->kids.size() > 1) || final.has_value();
    const GoType* t = receiver.t;
    if (t != nullptr) {
      auto m = t->methods.find(field);
      if (m != t->methods.end()) {
        std::vector<ojson> args;
        if (cmd != nullptr) {
          for (size_t i = 1; i < cmd->kids.size(); ++i)
            args.push_back(eval_arg(dot, *cmd->kids[i]).j);
        }
        if (final) args.push_back(final->j);
        at_ = &node;
        auto r = m->second(receiver.j, args);
        if (!r.ok()) errorf("error calling " + field + ": " + r.error().message());
        return make_val(*r);
      }
      if (t->kind == Kind::kStruct) {
        if (receiver.j.is_null()) errorf("nil pointer evaluating " + t->name + "." + field);
        for (const auto& f : t->fields) {
          if (f.name != field) continue;
          if (has_args) errorf(field + " has arguments but cannot be invoked as function");
          if (receiver.j.is_object() && receiver.j.contains(f.json_key)) {
            return make_val(receiver.j[f.json_key], f.type.get());
          }
          return make_val(zero_json(f.type.get()), f.type.get());
        }
        errorf("can't evaluate field " + field + " in type " + go_type_name(receiver));
      }
    }
    if (receiver.j.is_object()) {
      if (has_args) errorf(field + " is not a method but has arguments");
      auto it = receiver.j.find(field);
      if (it == receiver.j.end()) {
        if (opt_.missing_key_error) errorf("map has no entry for key " + quote_go(field));
        return invalid_val();
      }
      const GoType* et = t != nullptr ? t->elem.get() : nullptr;
      Val v = make_val(*it, et);
      v.boxed = et == nullptr;
      return v;
    }
    if (receiver.j.is_null()) {
      if (t != nullptr && t->kind == Kind::kMap) {
        if (opt_.missing_key_error) errorf("map has no entry for key " + quote_go(field));
        return invalid_val();
      }
      errorf("nil pointer evaluating " + go_type_name(receiver) + "." + field);
    }
    errorf("can't evaluate field " + field + " in type " + go_type_name(receiver));
  }

  Val var_value(const std::string& name) {
    for (auto it = vars_.rbegin(); it != vars_.rend(); ++it) {
      if (it->first == name) return it->second;
    }
    errorf("undefined variable: " + name);
  }

  void set_var(const std::string& name, const Val& v) {
    for (auto it = vars_.rbegin(); it != vars_.rend(); ++it) {
      if (it->first == name) {
        it->second = v;
        return;
      }
    }
    errorf("undefined variable: " + name);
  }

  Val eval_function(const Val& dot, const Node& id, const Node& cmd,
                    const std::optional<Val>& final) {
    const std::string& name = id.text;
    at_ = &id;
    // and / or evaluate their arguments lazily, returning the deciding one.
    if (name == "and" || name == "or") {
      size_t n = cmd.kids.size() - 1 + (final ? 1 : 0);
      if (n < 1) errorf("wrong number of args for " + name + ": want at least 1 got 0");
      Val v;
      for (size_t i = 1; i < cmd.kids.size(); ++i) {
        v = eval_arg(dot, *cmd.kids[i]);
        if (truth(v) != (name == "and")) return v;
      }
      if (final) v = *final;
      return v;
    }
    std::vector<Val> args;
    arg_nodes_.clear();
    for (size_t i = 1; i < cmd.kids.size(); ++i) {
      args.push_back(eval_arg(dot, *cmd.kids[i]));
      arg_nodes_.push_back(cmd.kids[i].get());
    }
    if (final) {
      args.push_back(*final);
      arg_nodes_.push_back(&cmd);
    }
    at_ = &cmd;
    return call(name, args);
  }

  void want_args(const std::string& name, const std::vector<Val>& args, size_t n) {
    if (args.size() != n) {
      errorf("wrong number of args for " + name + ": want " + std::to_string(n) + " got " +
             std::to_string(args.size()));
    }
  }
  void want_min_args(const std::string& name, const std::vector<Val>& args, size_t n) {
    if (args.size() < n) {
      errorf("wrong number of args for " + name + ": want at least " + std::to_string(n) + " got " +
             std::to_string(args.size()));
    }
  }
  // Go checks an argument's type where the argument is (evalArg).
  void at_arg(const Val& v) {
    for (size_t i = 0; i < current_args_->size(); ++i) {
      if (&(*current_args_)[i] == &v && i < arg_nodes_.size()) at_ = arg_nodes_[i];
    }
  }
  std::string str_arg(const Val& v) {
    const Node* saved = at_;
    at_arg(v);
    if (!v.valid) errorf("invalid value; expected string");
    at_ = saved;
    if (v.j.is_null() && v.t != nullptr && v.t->kind == Kind::kString) return "";
    if (!v.j.is_string()) {
      at_arg(v);
      errorf("wrong type for value; expected string; got " + go_type_name(v));
    }
    return v.j.get<std::string>();
  }
  long long int_arg(const Val& v) {
    const Node* saved = at_;
    at_arg(v);
    if (!v.valid) errorf("invalid value; expected int");
    at_ = saved;
    if (v.j.is_number_integer() || v.j.is_number_unsigned()) return v.j.get<long long>();
    if (v.j.is_number_float()) {
      double d = v.j.get<double>();
      if (d == static_cast<double>(static_cast<long long>(d))) return static_cast<long long>(d);
    }
    at_arg(v);
    if (at_ != nullptr && (at_->type == NT::kString || at_->type == NT::kBool ||
                           at_->type == NT::kNumber || at_->type == NT::kNil)) {
      errorf("expected integer; found " + at_->str());
    }
    errorf("wrong type for value; expected int; got " + go_type_name(v));
  }

  // Go's fmt.Sprint spacing: a space between operands when neither is a string.
  static std::string sprint(const std::vector<Val>& args) {
    std::string s;
    for (size_t i = 0; i < args.size(); ++i) {
      bool is_str = args[i].valid && args[i].j.is_string();
      if (i > 0 && !is_str && !(args[i - 1].valid && args[i - 1].j.is_string())) s += " ";
      s += print_val(args[i]);
    }
    return s;
  }

  std::string sprintf(const std::string& format, const std::vector<Val>& args) {
    std::string out;
    size_t argi = 0;
    for (size_t i = 0; i < format.size(); ++i) {
      char c = format[i];
      if (c != '%') {
        out += c;
        continue;
      }
      if (++i >= format.size()) {
        out += "%!(NOVERB)";
        break;
      }
      std::string flags;
      while (i < format.size() &&
             std::string_view("-+# 0").find(format[i]) != std::string_view::npos) {
        flags += format[i++];
      }
      std::string width, prec;
      while (i < format.size() && isdigit(static_cast<unsigned char>(format[i])))
        width += format[i++];
      bool has_prec = false;
      if (i < format.size() && format[i] == '.') {
        has_prec = true;
        ++i;
        while (i < format.size() && isdigit(static_cast<unsigned char>(format[i])))
          prec += format[i++];
      }
      if (i >= format.size()) {
        out += "%!(NOVERB)";
        break;
      }
      char verb = format[i];
      if (verb == '%') {
        out += '%';
        continue;
      }
      if (argi >= args.size()) {
        out += std::string("%!") + verb + "(MISSING)";
        continue;
      }
      const Val& a = args[argi++];
      std::string s;
      switch (verb) {
        case 'v':
        case 's':
          if (verb == 's' && a.valid && (a.j.is_boolean() || a.j.is_number())) {
            s = "%!s(" + go_type_name(a) + "=" + print_val(a) + ")";
            break;
          }
          s = print_val(a);
          if (has_prec && verb == 's') {
            size_t p = prec.empty() ? 0 : std::stoul(prec);
            if (s.size() > p) s.resize(p);
          }
          break;
        case 'q':
          s = a.valid && a.j.is_string() ? quote_go(a.j.get<std::string>()) : print_val(a);
          break;
        case 'd':
          if (a.valid && (a.j.is_number_integer() || a.j.is_number_unsigned())) {
            s = std::to_string(a.j.get<long long>());
          } else {
            s = "%!d(" + go_type_name(a) + "=" + print_val(a) + ")";
          }
          break;
        case 't':
          s = print_val(a);
          break;
        case 'x':
        case 'X':
          if (a.valid && (a.j.is_number_integer() || a.j.is_number_unsigned())) {
            char buf[32];
            snprintf(buf, sizeof buf, verb == 'x' ? "%llx" : "%llX", a.j.get<long long>());
            s = buf;
          } else {
            static const char* kLo = "0123456789abcdef";
            static const char* kUp = "0123456789ABCDEF";
            for (unsigned char ch : print_val(a)) {
              s += (verb == 'x' ? kLo : kUp)[ch >> 4];
              s += (verb == 'x' ? kLo : kUp)[ch & 15];
            }
          }
          break;
        case 'f':
        case 'g':
        case 'e': {
          double d = a.valid && a.j.is_number() ? a.j.get<double>() : 0;
          std::string f =
              "%" + (has_prec ? "." + (prec.empty() ? std::string("0") : prec) : "") + verb;
          char buf[64];
          snprintf(buf, sizeof buf, f.c_str(), d);
          s = buf;
          break;
        }
        default:
          s = std::string("%!") + verb + "(" + go_type_name(a) + "=" + print_val(a) + ")";
      }
      size_t w = width.empty() ? 0 : std::stoul(width);
      if (s.size() < w) {
        if (flags.find('-') != std::string::npos) {
          s += std::string(w - s.size(), ' ');
        } else {
          char pad = flags.find('0') != std::string::npos && verb != 's' ? '0' : ' ';
          s = std::string(w - s.size(), pad) + s;
        }
      }
      out += s;
    }
    if (argi < args.size()) {
      out += "%!(EXTRA ";
      for (size_t k = argi; k < args.size(); ++k) {
        if (k > argi) out += ", ";
        out += go_type_name(args[k]) + "=" + print_val(args[k]);
      }
      out += ")";
    }
    return out;
  }

  // -1, 0, 1, or nullopt when the two cannot be ordered.
  std::optional<int> compare(const std::string& fn, const Val& a, const Val& b, bool ordered) {
    auto basic = [](const Val& v) -> int {
      if (!v.valid || v.j.is_null()) return 0;
      if (v.j.is_boolean()) return 1;
      if (v.j.is_number()) return 2;
      if (v.j.is_string()) return 3;
      return 4;
    };
    int ka = basic(a), kb = basic(b);
    if (ordered && (ka == 0 || kb == 0 || ka == 4 || kb == 4 || ka == 1 || kb == 1)) {
      errorf("error calling " + fn + ": invalid type for comparison");
    }
    if (ka == 0 || kb == 0) return (ka == kb) ? 0 : 1;
    if (ka != kb) errorf("error calling " + fn + ": incompatible types for comparison");
    if (ka == 4) {
      errorf("error calling " + fn + ": non-comparable type " + print_val(a) + ": " +
             go_type_name(a));
    }
    if (ka == 1) return a.j.get<bool>() == b.j.get<bool>() ? 0 : 1;
    if (ka == 2) {
      if ((a.j.is_number_integer() || a.j.is_number_unsigned()) &&
          (b.j.is_number_integer() || b.j.is_number_unsigned())) {
        long long x = a.j.get<long long>(), y = b.j.get<long long>();
        return x < y ? -1 : x > y ? 1 : 0;
      }
      double x = a.j.get<double>(), y = b.j.get<double>();
      return x < y ? -1 : x > y ? 1 : 0;
    }
    const auto& x = a.j.get_ref<const std::string&>();
    const auto& y = b.j.get_ref<const std::string&>();
    return x < y ? -1 : x > y ? 1 : 0;
  }

  Val call(const std::string& name, std::vector<Val>& args) {
    current_args_ = &args;
    if (opt_.header_functions &&
        (name == "json" || name == "split" || name == "join" || name == "title" ||
         name == "lower" || name == "upper" || name == "truncate")) {
      size_t want = (name == "split" || name == "join" || name == "truncate") ? 2 : 1;
      want_args(name, args, want);
      return args[0];
    }
    auto user = funcs_.find(name);
    if (user != funcs_.end()) {
      std::vector<ojson> plain;
      for (const auto& a : args) plain.push_back(a.valid ? a.j : ojson(nullptr));
      auto r = user->second(plain);
      if (!r.ok()) errorf("error calling " + name + ": " + r.error().message());
      return make_val(*r);
    }
    if (name == "not") {
      want_args(name, args, 1);
      return make_val(!truth(args[0]));
    }
    if (name == "len") {
      want_args(name, args, 1);
      const Val& v = args[0];
      if (!v.valid) errorf("error calling len: len of nil pointer");
      if (v.j.is_string())
        return make_val(static_cast<long long>(v.j.get_ref<const std::string&>().size()));
      if (v.j.is_array() || v.j.is_object()) return make_val(static_cast<long long>(v.j.size()));
      if (v.j.is_null()) {
        if (v.t != nullptr && (v.t->kind == Kind::kMap || v.t->kind == Kind::kSlice)) {
          return make_val(0LL);
        }
        errorf("error calling len: len of nil pointer");
      }
      errorf("error calling len: len of type " + go_type_name(v));
    }
    if (name == "index") {
      want_min_args(name, args, 1);
      Val item = args[0];
      for (size_t i = 1; i < args.size(); ++i) {
        if (!item.valid) errorf("error calling index: index of untyped nil");
        const Val& ix = args[i];
        if (item.j.is_array()) {
          long long n = ix.valid && ix.j.is_number() ? ix.j.get<long long>() : -1;
          if (!(ix.valid && ix.j.is_number())) {
            errorf("error calling index: cannot index slice/array with type " + go_type_name(ix));
          }
          if (n < 0 || static_cast<size_t>(n) >= item.j.size()) {
            errorf("error calling index: index out of range: " + std::to_string(n));
          }
          const GoType* et = item.t != nullptr ? item.t->elem.get() : nullptr;
          item = make_val(item.j[static_cast<size_t>(n)], et);
        } else if (item.j.is_object() ||
                   (item.j.is_null() && item.t != nullptr && item.t->kind == Kind::kMap)) {
          if (!(ix.valid && ix.j.is_string())) {
            errorf("error calling index: value has type " + go_type_name(ix) +
                   "; should be string");
          }
          const GoType* et = item.t != nullptr ? item.t->elem.get() : nullptr;
          auto it = item.j.is_object() ? item.j.find(ix.j.get<std::string>()) : item.j.end();
          if (item.j.is_object() && it != item.j.end()) {
            item = make_val(*it, et);
          } else {
            item = make_val(zero_json(et), et);
          }
        } else if (item.j.is_null()) {
          errorf("error calling index: index of nil pointer");
        } else {
          errorf("error calling index: can't index item of type " + go_type_name(item));
        }
      }
      return item;
    }
    if (name == "print") return make_val(sprint(args));
    if (name == "println") {
      std::string s;
      for (size_t i = 0; i < args.size(); ++i) {
        if (i > 0) s += " ";
        s += print_val(args[i]);
      }
      return make_val(s + "\n");
    }
    if (name == "printf") {
      want_min_args(name, args, 1);
      std::string f = str_arg(args[0]);
      return make_val(sprintf(f, std::vector<Val>(args.begin() + 1, args.end())));
    }
    if (name == "eq" || name == "ne") {
      want_min_args(name, args, 1);
      if (args.size() < 2) errorf("error calling " + name + ": missing argument for comparison");
      if (name == "ne") {
        want_args(name, args, 2);
        return make_val(*compare(name, args[0], args[1], false) != 0);
      }
      for (size_t i = 1; i < args.size(); ++i) {
        if (*compare(name, args[0], args[i], false) == 0) return make_val(true);
      }
      return make_val(false);
    }
    if (name == "lt" || name == "le" || name == "gt" || name == "ge") {
      want_args(name, args, 2);
      int c = *compare(name, args[0], args[1], true);
      bool r = name == "lt" ? c < 0 : name == "le" ? c <= 0 : name == "gt" ? c > 0 : c >= 0;
      return make_val(r);
    }
    if (name == "html") {
      std::string s = sprint(args), o;
      for (char c : s) {
        switch (c) {
          case '<':
            o += "&lt;";
            break;
          case '>':
            o += "&gt;";
            break;
          case '&':
            o += "&amp;";
            break;
          case '"':
            o += "&#34;";
            break;
          case '\'':
            o += "&#39;";
            break;
          default:
            o += c;
        }
      }
      return make_val(o);
    }
    if (name == "urlquery") {
      std::string s = sprint(args), o;
      static const char* kHex = "0123456789ABCDEF";
      for (unsigned char c : s) {
        if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
          o += static_cast<char>(c);
        } else if (c == ' ') {
          o += '+';
        } else {
          o += '%';
          o += kHex[c >> 4];
          o += kHex[c & 15];
        }
      }
      return make_val(o);
    }
    if (name == "json") {
      want_args(name, args, 1);
      const Val& v = args[0];
      if (!v.valid) return make_val("null");
      if (v.t != nullptr && v.t->marshal_json) return make_val(v.t->marshal_json(v.j));
      return make_val(go_json_compact(v.j, false));
    }
    if (name == "split") {
      want_args(name, args, 2);
      std::string s = str_arg(args[0]), sep = str_arg(args[1]);
      ojson parts = ojson::array();
      if (sep.empty()) {
        for (size_t i = 0; i < s.size();) {
          size_t n = 1;
          unsigned char c = static_cast<unsigned char>(s[i]);
          if (c >= 0xF0)
            n = 4;
          else if (c >= 0xE0)
            n = 3;
          else if (c >= 0xC0)
            n = 2;
          parts.push_back(s.substr(i, n));
          i += n;
        }
      } else {
        size_t start = 0;
        for (;;) {
          size_t x = s.find(sep, start);
          if (x == std::string::npos) break;
          parts.push_back(s.substr(start, x - start));
          start = x + sep.size();
        }
        parts.push_back(s.substr(start));
      }
      return make_val(parts);
    }
    if (name == "join") {
      want_args(name, args, 2);
      const Val& list = args[0];
      std::string sep = str_arg(args[1]);
      const Node* saved = at_;
      at_arg(list);
      if (!list.valid || !(list.j.is_array() || list.j.is_null())) {
        errorf("wrong type for value; expected []string; got " + go_type_name(list));
      }
      std::string s;
      if (list.j.is_array()) {
        for (size_t i = 0; i < list.j.size(); ++i) {
          if (!list.j[i].is_string()) {
            errorf("wrong type for value; expected []string; got []interface {}");
          }
          if (i > 0) s += sep;
          s += list.j[i].get<std::string>();
        }
      }
      at_ = saved;
      return make_val(s);
    }
    if (name == "title") {
      want_args(name, args, 1);
      std::string s = str_arg(args[0]);
      bool prev_sep = true;
      for (char& c : s) {
        unsigned char u = static_cast<unsigned char>(c);
        bool sep = !(isalnum(u) || c == '_' || u >= 0x80);
        if (prev_sep && !sep) c = static_cast<char>(toupper(u));
        prev_sep = sep;
      }
      return make_val(s);
    }
    if (name == "lower" || name == "upper") {
      want_args(name, args, 1);
      std::string s = str_arg(args[0]);
      for (char& c : s) {
        c = static_cast<char>(name == "lower" ? tolower(static_cast<unsigned char>(c))
                                              : toupper(static_cast<unsigned char>(c)));
      }
      return make_val(s);
    }
    if (name == "pad") {
      want_args(name, args, 3);
      std::string s = str_arg(args[0]);
      long long pre = int_arg(args[1]), post = int_arg(args[2]);
      if (s.empty()) return make_val(s);
      return make_val(std::string(static_cast<size_t>(std::max(0LL, pre)), ' ') + s +
                      std::string(static_cast<size_t>(std::max(0LL, post)), ' '));
    }
    if (name == "truncate") {
      want_args(name, args, 2);
      std::string s = str_arg(args[0]);
      long long n = int_arg(args[1]);
      if (static_cast<long long>(s.size()) < n) return make_val(s);
      if (n < 0) errorf("error calling truncate: slice bounds out of range");
      return make_val(s.substr(0, static_cast<size_t>(n)));
    }
    errorf(quote_go(name) + " is not a defined function");
  }

  const std::string& name_;
  const std::string& text_;
  const std::map<std::string, GoFunc>& funcs_;
  const TemplateOptions& opt_;
  std::string* out_;
  const Node* at_ = nullptr;
  // Command nodes made up for arguments; a deque keeps them in place, so
  // at_ may point at them until the end.
  std::deque<Node> temps_;
  std::vector<const Node*> arg_nodes_;  // nodes of the arguments of the current call
  const std::vector<Val>* current_args_ = nullptr;
  std::vector<std::pair<std::string, Val>> vars_;
};

}  // namespace

Status GoTemplate::execute(const ojson& data, const GoType* type, std::string* out,
                           const TemplateOptions& options) const {
  try {
    Exec exec(name_, text_, funcs_, options, out);
    Val root = make_val(data, type);
    exec.run(*root_, root);
  } catch (const TemplateFailure& f) {
    return invalid_argument(f.message);
  } catch (const nlohmann::json::exception& e) {
    return invalid_argument("template: " + name_ + ": " + e.what());
  }
  return ok_status();
}

Result<std::string> GoTemplate::render(const ojson& data, const GoType* type,
                                       const TemplateOptions& options) const {
  std::string out;
  Status s = execute(data, type, &out, options);
  if (!s.ok()) return s.error();
  return out;
}

}  // namespace berth::cli
