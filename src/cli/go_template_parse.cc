// The lexer and parser of berth's Go template engine. They follow Go's
// text/template/parse (lex.go, parse.go) closely so that the same input
// fails with the same message at the same line.
#include <algorithm>
#include <map>
#include <optional>

#include "cli/go_template.h"
#include "cli/go_template_internal.h"

namespace berth::cli {
namespace template_internal {

std::string quote_go(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          snprintf(buf, sizeof buf, "\\x%02x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

}  // namespace template_internal

using template_internal::fail;
using template_internal::Node;
using template_internal::quote_go;
using template_internal::TemplateFailure;

namespace {

using NodePtr = std::shared_ptr<Node>;
using NT = Node::Type;

// ---------------------------------------------------------------- lexer --

enum class It {
  kError,
  kBool,
  kChar,
  kCharConstant,
  kAssign,
  kDeclare,
  kEOF,
  kField,
  kIdentifier,
  kLeftDelim,
  kLeftParen,
  kNumber,
  kPipe,
  kRawString,
  kRightDelim,
  kRightParen,
  kSpace,
  kString,
  kText,
  kVariable,
  // keywords
  kBlock,
  kBreak,
  kContinue,
  kDot,
  kDefine,
  kElse,
  kEnd,
  kIf,
  kNil,
  kRange,
  kTemplate,
  kWith,
};

struct Item {
  It type;
  size_t pos;
  std::string val;
  int line;
};

// Go's item.String(), used in "unexpected ... in ..." messages.
std::string item_string(const Item& i) {
  switch (i.type) {
    case It::kEOF:
      return "EOF";
    case It::kError:
      return i.val;
    case It::kBlock:
    case It::kBreak:
    case It::kContinue:
    case It::kDot:
    case It::kDefine:
    case It::kElse:
    case It::kEnd:
    case It::kIf:
    case It::kNil:
    case It::kRange:
    case It::kTemplate:
    case It::kWith:
      return "<" + i.val + ">";
    default:
      break;
  }
  if (i.val.size() > 10) return quote_go(i.val.substr(0, 10)) + "...";
  return quote_go(i.val);
}

bool is_space(int c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool is_alnum(int c) {
  return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c >= 0x80;
}

std::string char_desc(int c) {
  char buf[32];
  if (c < 0) return "EOF";
  if (c >= 0x20 && c < 0x7f) {
    snprintf(buf, sizeof buf, "U+%04X '%c'", c, c);
  } else {
    snprintf(buf, sizeof buf, "U+%04X", c);
  }
  return buf;
}

class Lexer {
 public:
  explicit Lexer(std::string_view input) : in_(input) {}

  std::vector<Item> run() {
    lex_text();
    return std::move(items_);
  }

 private:
  static constexpr std::string_view kLeft = "{{";
  static constexpr std::string_view kRight = "}}";

  int peek() const { return pos_ < in_.size() ? static_cast<unsigned char>(in_[pos_]) : -1; }
  int next() {
    if (pos_ >= in_.size()) {
      at_eof_ = true;
      return -1;
    }
    int c = static_cast<unsigned char>(in_[pos_++]);
    if (c == '\n') ++line_;
    return c;
  }
  void backup() {
    if (at_eof_) {
      at_eof_ = false;
      return;
    }
    --pos_;
    if (in_[pos_] == '\n') --line_;
  }
  void emit(It t) {
    items_.push_back(Item{t, start_, std::string(in_.substr(start_, pos_ - start_)), start_line_});
    start_ = pos_;
    start_line_ = line_;
  }
  void ignore() {
    for (size_t i = start_; i < pos_; ++i) {
      if (in_[i] == '\n') ++start_line_;
    }
    start_line_ = line_;
    start_ = pos_;
  }
  void error(std::string msg) {
    items_.push_back(Item{It::kError, start_, std::move(msg), start_line_});
    done_ = true;
  }
  bool has_left_trim(std::string_view s) const {
    return s.size() >= 2 && s[0] == '-' && is_space(static_cast<unsigned char>(s[1]));
  }
  bool has_right_trim(std::string_view s) const {
    return s.size() >= 2 && is_space(static_cast<unsigned char>(s[0])) && s[1] == '-';
  }
  // (at a right delimiter, with a trim marker)
  std::pair<bool, bool> at_right_delim() const {
    std::string_view rest = in_.substr(pos_);
    if (has_right_trim(rest) && rest.substr(2).substr(0, 2) == kRight) return {true, true};
    if (rest.substr(0, 2) == kRight) return {true, false};
    return {false, false};
  }
  bool at_terminator() const {
    int r = peek();
    if (r < 0 || is_space(r)) return true;
    switch (r) {
      case '.':
      case ',':
      case '|':
      case ':':
      case ')':
      case '(':
        return true;
      default:
        break;
    }
    return in_.substr(pos_).substr(0, 2) == kRight;
  }
  void advance_to(size_t p) {
    while (pos_ < p) next();
  }

  void lex_text() {
    while (!done_) {
      size_t x = in_.find(kLeft, pos_);
      if (x == std::string_view::npos) {
        advance_to(in_.size());
        if (pos_ > start_) emit(It::kText);
        emit(It::kEOF);
        return;
      }
      size_t end = x;
      if (has_left_trim(in_.substr(x + 2))) {
        while (end > start_ && is_space(static_cast<unsigned char>(in_[end - 1]))) --end;
      }
      advance_to(end);
      if (pos_ > start_) emit(It::kText);
      advance_to(x);
      ignore();
      if (!lex_left_delim()) return;
    }
  }

  // Returns false when lexing ended (error).
  bool lex_left_delim() {
    advance_to(pos_ + 2);
    bool trim = has_left_trim(in_.substr(pos_));
    size_t after = trim ? 2 : 0;
    if (in_.substr(pos_ + after).substr(0, 2) == "/*") {
      advance_to(pos_ + after);
      ignore();
      return lex_comment();
    }
    emit(It::kLeftDelim);
    advance_to(pos_ + after);
    ignore();
    paren_depth_ = 0;
    return lex_inside_action();
  }

  bool lex_comment() {
    advance_to(pos_ + 2);
    size_t x = in_.find("*/", pos_);
    if (x == std::string_view::npos) {
      error("unclosed comment");
      return false;
    }
    advance_to(x + 2);
    auto [delim, trim] = at_right_delim();
    if (!delim) {
      error("comment ends before closing delimiter");
      return false;
    }
    if (trim) advance_to(pos_ + 2);
    advance_to(pos_ + 2);
    if (trim) {
      while (pos_ < in_.size() && is_space(static_cast<unsigned char>(in_[pos_]))) next();
    }
    ignore();
    return true;
  }

  bool lex_right_delim() {
    auto [delim, trim] = at_right_delim();
    (void)delim;
    if (trim) {
      advance_to(pos_ + 2);
      ignore();
    }
    advance_to(pos_ + 2);
    emit(It::kRightDelim);
    if (trim) {
      while (pos_ < in_.size() && is_space(static_cast<unsigned char>(in_[pos_]))) next();
      ignore();
    }
    return true;
  }

  bool lex_inside_action() {
    for (;;) {
      auto [delim, trim] = at_right_delim();
      (void)trim;
      if (delim) {
        if (paren_depth_ == 0) return lex_right_delim();
        error("unclosed left paren");
        return false;
      }
      int r = next();
      if (r < 0) {
        error("unclosed action");
        return false;
      }
      if (is_space(r)) {
        backup();
        lex_space();
        continue;
      }
      switch (r) {
        case '=':
          emit(It::kAssign);
          continue;
        case ':':
          if (next() != '=') {
            error("expected :=");
            return false;
          }
          emit(It::kDeclare);
          continue;
        case '|':
          emit(It::kPipe);
          continue;
        case '"':
          if (!lex_quote()) return false;
          continue;
        case '`':
          if (!lex_raw_quote()) return false;
          continue;
        case '$':
          if (!lex_variable()) return false;
          continue;
        case '\'':
          if (!lex_char()) return false;
          continue;
        case '(':
          emit(It::kLeftParen);
          ++paren_depth_;
          continue;
        case ')':
          --paren_depth_;
          if (paren_depth_ < 0) {
            error("unexpected right paren");
            return false;
          }
          emit(It::kRightParen);
          continue;
        default:
          break;
      }
      if (r == '.') {
        int n = peek();
        if (n < '0' || n > '9') {
          if (!lex_field_or_variable(It::kField)) return false;
          continue;
        }
      }
      if (r == '.' || r == '+' || r == '-' || (r >= '0' && r <= '9')) {
        backup();
        if (!lex_number()) return false;
        continue;
      }
      if (is_alnum(r)) {
        backup();
        if (!lex_identifier()) return false;
        continue;
      }
      if (r < 0x7f && r >= 0x20) {
        emit(It::kChar);
        continue;
      }
      error("unrecognized character in action: " + char_desc(r));
      return false;
    }
  }

  void lex_space() {
    int n = 0;
    while (pos_ < in_.size() && is_space(peek())) {
      next();
      ++n;
    }
    // " -}}": leave the space that belongs to the trim marker.
    if (has_right_trim(in_.substr(pos_ - 1)) && in_.substr(pos_ + 1).substr(0, 2) == kRight) {
      backup();
      if (n == 1) return;
    }
    emit(It::kSpace);
  }

  bool lex_identifier() {
    int r;
    for (;;) {
      r = next();
      if (!is_alnum(r)) {
        backup();
        break;
      }
    }
    std::string word(in_.substr(start_, pos_ - start_));
    if (!at_terminator()) {
      error("bad character " + char_desc(peek()));
      return false;
    }
    static const std::map<std::string, It> kKeys = {{"block", It::kBlock},
                                                    {"break", It::kBreak},
                                                    {"continue", It::kContinue},
                                                    {"define", It::kDefine},
                                                    {"else", It::kElse},
                                                    {"end", It::kEnd},
                                                    {"if", It::kIf},
                                                    {"range", It::kRange},
                                                    {"nil", It::kNil},
                                                    {"template", It::kTemplate},
                                                    {"with", It::kWith}};
    auto k = kKeys.find(word);
    if (k != kKeys.end()) {
      emit(k->second);
    } else if (word == "true" || word == "false") {
      emit(It::kBool);
    } else {
      emit(It::kIdentifier);
    }
    return true;
  }

  bool lex_variable() {
    if (at_terminator()) {
      emit(It::kVariable);
      return true;
    }
    return lex_field_or_variable(It::kVariable);
  }

  bool lex_field_or_variable(It type) {
    if (at_terminator()) {
      emit(type == It::kVariable ? It::kVariable : It::kDot);
      return true;
    }
    for (;;) {
      int r = next();
      if (!is_alnum(r)) {
        backup();
        break;
      }
    }
    if (!at_terminator()) {
      error("bad character " + char_desc(peek()));
      return false;
    }
    emit(type);
    return true;
  }

  bool lex_quote() {
    for (;;) {
      int r = next();
      if (r == '\\') {
        r = next();
        if (r >= 0 && r != '\n') continue;
      }
      if (r < 0 || r == '\n') {
        error("unterminated quoted string");
        return false;
      }
      if (r == '"') break;
    }
    emit(It::kString);
    return true;
  }

  bool lex_raw_quote() {
    for (;;) {
      int r = next();
      if (r < 0) {
        error("unterminated raw quoted string");
        return false;
      }
      if (r == '`') break;
    }
    emit(It::kRawString);
    return true;
  }

  bool lex_char() {
    for (;;) {
      int r = next();
      if (r == '\\') {
        r = next();
        if (r >= 0 && r != '\n') continue;
      }
      if (r < 0 || r == '\n') {
        error("unterminated character constant");
        return false;
      }
      if (r == '\'') break;
    }
    emit(It::kCharConstant);
    return true;
  }

  bool lex_number() {
    auto accept = [&](std::string_view valid) {
      int r = peek();
      if (r >= 0 && valid.find(static_cast<char>(r)) != std::string_view::npos) {
        next();
        return true;
      }
      return false;
    };
    auto accept_run = [&](std::string_view valid) {
      while (accept(valid)) {
      }
    };
    accept("+-");
    std::string_view digits = "0123456789_";
    if (accept("0")) {
      if (accept("xX")) {
        digits = "0123456789abcdefABCDEF_";
      } else if (accept("oO")) {
        digits = "01234567_";
      } else if (accept("bB")) {
        digits = "01_";
      }
    }
    accept_run(digits);
    if (accept(".")) accept_run(digits);
    if (digits.size() == 11 && accept("eE")) {
      accept("+-");
      accept_run("0123456789_");
    }
    if (is_alnum(peek())) {
      next();
      error("bad number syntax: " + quote_go(in_.substr(start_, pos_ - start_)));
      return false;
    }
    emit(It::kNumber);
    return true;
  }

  std::string_view in_;
  size_t pos_ = 0;
  size_t start_ = 0;
  int line_ = 1;
  int start_line_ = 1;
  int paren_depth_ = 0;
  bool at_eof_ = false;
  bool done_ = false;
  std::vector<Item> items_;
};

// ------------------------------------------------------------ literals --

void append_utf8(std::string* out, unsigned long cp) {
  if (cp < 0x80) {
    *out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    *out += static_cast<char>(0xC0 | (cp >> 6));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    *out += static_cast<char>(0xE0 | (cp >> 12));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    *out += static_cast<char>(0xF0 | (cp >> 18));
    *out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// strconv.Unquote for "..." and `...`; nullopt on bad syntax.
std::optional<std::string> unquote(std::string_view q) {
  if (q.size() < 2) return std::nullopt;
  if (q.front() == '`') return std::string(q.substr(1, q.size() - 2));
  std::string out;
  for (size_t i = 1; i + 1 < q.size(); ++i) {
    char c = q[i];
    if (c != '\\') {
      out += c;
      continue;
    }
    if (++i + 1 > q.size() - 1) return std::nullopt;
    char e = q[i];
    switch (e) {
      case 'a':
        out += '\a';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'v':
        out += '\v';
        break;
      case '\\':
        out += '\\';
        break;
      case '"':
        out += '"';
        break;
      case '\'':
        out += '\'';
        break;
      case 'x':
      case 'u':
      case 'U': {
        size_t n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
        if (i + n >= q.size()) return std::nullopt;
        unsigned long v = 0;
        for (size_t k = 1; k <= n; ++k) {
          char h = q[i + k];
          int d = (h >= '0' && h <= '9')   ? h - '0'
                  : (h >= 'a' && h <= 'f') ? h - 'a' + 10
                  : (h >= 'A' && h <= 'F') ? h - 'A' + 10
                                           : -1;
          if (d < 0) return std::nullopt;
          v = v * 16 + static_cast<unsigned long>(d);
        }
        i += n;
        if (e == 'x') {
          out += static_cast<char>(v);
        } else {
          append_utf8(&out, v);
        }
        break;
      }
      default:
        if (e >= '0' && e <= '7') {
          if (i + 2 >= q.size()) return std::nullopt;
          unsigned v = 0;
          for (size_t k = 0; k < 3; ++k) {
            char o = q[i + k];
            if (o < '0' || o > '7') return std::nullopt;
            v = v * 8 + static_cast<unsigned>(o - '0');
          }
          i += 2;
          out += static_cast<char>(v);
          break;
        }
        return std::nullopt;
    }
  }
  return out;
}

// --------------------------------------------------------------- parser --

class Parser {
 public:
  Parser(std::vector<Item> items, std::string name, const std::map<std::string, GoFunc>& funcs,
         const std::vector<std::string>& builtins)
      : items_(std::move(items)), name_(std::move(name)), funcs_(funcs), builtins_(builtins) {}

  NodePtr parse() {
    auto root = make(NT::kList, peek().pos);
    while (peek().type != It::kEOF) {
      NodePtr n = text_or_action();
      if (n->type == NT::kEnd || n->type == NT::kElse) {
        errorf("unexpected " + std::string(n->type == NT::kEnd ? "{{end}}" : "{{else}}"));
      }
      root->kids.push_back(n);
    }
    return root;
  }

 private:
  NodePtr make(NT t, size_t pos) {
    auto n = std::make_shared<Node>();
    n->type = t;
    n->pos = pos;
    return n;
  }

  const Item& peek() { return items_[std::min(i_, items_.size() - 1)]; }
  const Item& next() {
    const Item& it = items_[std::min(i_, items_.size() - 1)];
    last_line_ = it.line;
    if (i_ < items_.size()) ++i_;
    return it;
  }
  void backup() { --i_; }
  const Item& next_non_space() {
    for (;;) {
      const Item& it = next();
      if (it.type != It::kSpace) return it;
    }
  }
  const Item& peek_non_space() {
    const Item& it = next_non_space();
    backup();
    return it;
  }

  [[noreturn]] void errorf(const std::string& msg) {
    fail("template: " + name_ + ":" + std::to_string(last_line_) + ": " + msg);
  }
  [[noreturn]] void unexpected(const Item& it, const std::string& context) {
    if (it.type == It::kError) {
      std::string extra;
      if (action_line_ != 0 && action_line_ != it.line) {
        extra = " in action started at " + name_ + ":" + std::to_string(action_line_);
        if (it.val.size() >= 7 && it.val.substr(it.val.size() - 7) == " action") {
          extra = extra.substr(std::string(" in action").size());
        }
      }
      errorf(it.val + extra);
    }
    errorf("unexpected " + item_string(it) + " in " + context);
  }
  const Item& expect(It t, const std::string& context) {
    const Item& it = next_non_space();
    if (it.type != t) unexpected(it, context);
    return it;
  }

  NodePtr text_or_action() {
    const Item& it = next_non_space();
    switch (it.type) {
      case It::kText: {
        auto n = make(NT::kText, it.pos);
        n->text = it.val;
        return n;
      }
      case It::kLeftDelim: {
        action_line_ = it.line;
        NodePtr n = action();
        action_line_ = 0;
        return n;
      }
      default:
        unexpected(it, "input");
    }
  }

  NodePtr action() {
    const Item& it = next_non_space();
    switch (it.type) {
      case It::kBlock:
      case It::kDefine:
        errorf("\"" + it.val + "\" is not supported by berth's templates");
      case It::kTemplate: {
        // Parsed as Go does; berth has no named templates, so executing
        // one fails as an undefined template does in Go.
        const Item tok = next_non_space();
        if (tok.type != It::kString && tok.type != It::kRawString)
          unexpected(tok, "template clause");
        auto n = make(NT::kTemplate, tok.pos);
        n->text = unquote(tok.val).value_or("");
        if (next_non_space().type != It::kRightDelim) {
          backup();
          n->pipe = pipeline("template clause", It::kRightDelim);
        }
        return n;
      }
      case It::kBreak:
      case It::kContinue: {
        if (range_depth_ == 0) errorf("{{" + it.val + "}} outside {{range}}");
        const Item& d = expect(It::kRightDelim, it.val);
        (void)d;
        return make(it.type == It::kBreak ? NT::kBreak : NT::kContinue, it.pos);
      }
      case It::kElse:
        return else_control();
      case It::kEnd: {
        expect(It::kRightDelim, "end");
        return make(NT::kEnd, it.pos);
      }
      case It::kIf:
        return control(NT::kIf, "if");
      case It::kRange:
        return control(NT::kRange, "range");
      case It::kWith:
        return control(NT::kWith, "with");
      default:
        break;
    }
    backup();
    const Item& tok = peek();
    auto n = make(NT::kAction, tok.pos);
    n->pipe = pipeline("command", It::kRightDelim);
    return n;
  }

  NodePtr else_control() {
    const Item& p = peek_non_space();
    if (p.type == It::kIf || p.type == It::kWith) return make(NT::kElse, p.pos);
    const Item& tok = expect(It::kRightDelim, "else");
    return make(NT::kElse, tok.pos);
  }

  NodePtr control(NT type, const std::string& context) {
    size_t mark = vars_.size();
    auto n = make(type, 0);
    n->pipe = pipeline(context, It::kRightDelim);
    n->pos = n->pipe->pos;
    if (type == NT::kRange) ++range_depth_;
    auto [list, next_node] = item_list();
    if (type == NT::kRange) --range_depth_;
    n->list = list;
    if (next_node->type == NT::kElse) {
      if (type == NT::kIf && peek().type == It::kIf) {
        next();
        n->else_list = make(NT::kList, next_node->pos);
        n->else_list->kids.push_back(control(NT::kIf, "if"));
      } else if (type == NT::kWith && peek().type == It::kWith) {
        next();
        n->else_list = make(NT::kList, next_node->pos);
        n->else_list->kids.push_back(control(NT::kWith, "with"));
      } else {
        auto [else_list, end] = item_list();
        if (end->type != NT::kEnd) errorf("expected end; found {{else}}");
        n->else_list = else_list;
      }
    }
    vars_.resize(mark);
    return n;
  }

  std::pair<NodePtr, NodePtr> item_list() {
    auto list = make(NT::kList, peek_non_space().pos);
    while (peek_non_space().type != It::kEOF) {
      NodePtr n = text_or_action();
      if (n->type == NT::kEnd || n->type == NT::kElse) return {list, n};
      list->kids.push_back(n);
    }
    errorf("unexpected EOF");
  }

  NodePtr pipeline(const std::string& context, It end) {
    const Item& tok = peek_non_space();
    auto pipe = make(NT::kPipe, tok.pos);
  decls:
    if (peek_non_space().type == It::kVariable) {
      const Item v = next_non_space();
      const Item after = peek();
      const Item nx = peek_non_space();
      if (nx.type == It::kAssign || nx.type == It::kDeclare) {
        pipe->is_assign = nx.type == It::kAssign;
        next_non_space();
        pipe->decl.push_back(v.val);
        vars_.push_back(v.val);
      } else if (nx.type == It::kChar && nx.val == ",") {
        next_non_space();
        pipe->decl.push_back(v.val);
        vars_.push_back(v.val);
        if (context == "range" && pipe->decl.size() < 2) {
          It t = peek_non_space().type;
          if (t == It::kVariable || t == It::kRightDelim || t == It::kRightParen) goto decls;
          errorf("range can only initialize variables");
        }
        errorf("too many declarations in " + context);
      } else if (after.type == It::kSpace) {
        // "$x foo": an argument, not a declaration.
        --i_;
        while (items_[i_].type == It::kSpace) --i_;
      } else {
        backup();
      }
    }
    for (;;) {
      const Item& t = next_non_space();
      if (t.type == end) {
        if (pipe->kids.empty()) errorf("missing value for " + context);
        for (size_t k = 1; k < pipe->kids.size(); ++k) {
          NT first = pipe->kids[k]->kids[0]->type;
          if (first == NT::kBool || first == NT::kDot || first == NT::kNil ||
              first == NT::kNumber || first == NT::kString) {
            errorf("non executable command in pipeline stage " + std::to_string(k + 1));
          }
        }
        return pipe;
      }
      switch (t.type) {
        case It::kBool:
        case It::kCharConstant:
        case It::kDot:
        case It::kField:
        case It::kIdentifier:
        case It::kNumber:
        case It::kNil:
        case It::kRawString:
        case It::kString:
        case It::kVariable:
        case It::kLeftParen:
          backup();
          pipe->kids.push_back(command());
          break;
        default:
          unexpected(t, context);
      }
    }
  }

  NodePtr command() {
    auto cmd = make(NT::kCommand, peek_non_space().pos);
    for (;;) {
      peek_non_space();
      NodePtr op = operand();
      if (op) cmd->kids.push_back(op);
      const Item& t = next();
      if (t.type == It::kSpace) continue;
      if (t.type == It::kRightDelim || t.type == It::kRightParen) {
        backup();
      } else if (t.type != It::kPipe) {
        unexpected(t, "operand");
      }
      break;
    }
    if (cmd->kids.empty()) errorf("empty command");
    return cmd;
  }

  NodePtr operand() {
    NodePtr node = term();
    if (!node) return nullptr;
    if (peek().type == It::kField) {
      size_t chain_pos = peek().pos;
      std::vector<std::string> fields;
      while (peek().type == It::kField) fields.push_back(next().val.substr(1));
      switch (node->type) {
        case NT::kField:
        case NT::kVariable:
          node->pos = chain_pos;
          for (auto& f : fields) node->ident.push_back(f);
          break;
        case NT::kBool:
        case NT::kString:
        case NT::kNumber:
        case NT::kNil:
        case NT::kDot:
          errorf("unexpected . after term " + quote_go(node->str()));
        default: {
          auto chain = make(NT::kChain, chain_pos);
          chain->pipe = node;
          chain->ident = fields;
          node = chain;
        }
      }
    }
    return node;
  }

  bool has_function(const std::string& name) const {
    return funcs_.count(name) != 0 ||
           std::find(builtins_.begin(), builtins_.end(), name) != builtins_.end();
  }

  NodePtr term() {
    const Item& t = next_non_space();
    switch (t.type) {
      case It::kIdentifier: {
        if (!has_function(t.val)) errorf("function " + quote_go(t.val) + " not defined");
        auto n = make(NT::kIdentifier, t.pos);
        n->text = t.val;
        return n;
      }
      case It::kDot:
        return make(NT::kDot, t.pos);
      case It::kNil:
        return make(NT::kNil, t.pos);
      case It::kVariable: {
        auto n = make(NT::kVariable, t.pos);
        n->ident.push_back(t.val);
        if (std::find(vars_.begin(), vars_.end(), t.val) == vars_.end()) {
          errorf("undefined variable " + quote_go(t.val));
        }
        return n;
      }
      case It::kField: {
        auto n = make(NT::kField, t.pos);
        n->ident.push_back(t.val.substr(1));
        return n;
      }
      case It::kBool: {
        auto n = make(NT::kBool, t.pos);
        n->bool_value = t.val == "true";
        n->text = t.val;
        return n;
      }
      case It::kCharConstant:
      case It::kNumber:
        return number(t);
      case It::kLeftParen: {
        auto p = pipeline("parenthesized pipeline", It::kRightParen);
        return p;
      }
      case It::kString:
      case It::kRawString: {
        auto s = unquote(t.val);
        if (!s) errorf("invalid syntax");
        auto n = make(NT::kString, t.pos);
        n->text = t.val;
        n->string_value = *s;
        return n;
      }
      default:
        backup();
        return nullptr;
    }
  }

  NodePtr number(const Item& t) {
    auto n = make(NT::kNumber, t.pos);
    n->text = t.val;
    if (t.type == It::kCharConstant) {
      auto s = unquote("\"" + t.val.substr(1, t.val.size() - 2) + "\"");
      if (!s || s->empty()) errorf("malformed character constant: " + t.val);
      n->int_value = static_cast<unsigned char>((*s)[0]);
      n->float_value = static_cast<double>(*n->int_value);
      return n;
    }
    std::string clean;
    for (char c : t.val) {
      if (c != '_') clean += c;
    }
    bool is_float = clean.find_first_of(".eE") != std::string::npos &&
                    clean.find_first_of("xX") == std::string::npos;
    try {
      size_t used = 0;
      if (!is_float) {
        long long v = std::stoll(clean, &used, 0);
        if (clean.size() > 1 && clean[0] == '0' && (clean[1] == 'o' || clean[1] == 'O')) {
          v = std::stoll(clean.substr(2), &used, 8);
          used += 2;
        } else if (clean.size() > 1 && clean[0] == '0' && (clean[1] == 'b' || clean[1] == 'B')) {
          v = std::stoll(clean.substr(2), &used, 2);
          used += 2;
        }
        if (used != clean.size()) errorf("illegal number syntax: " + quote_go(t.val));
        n->int_value = v;
        n->float_value = static_cast<double>(v);
      } else {
        double v = std::stod(clean, &used);
        if (used != clean.size()) errorf("illegal number syntax: " + quote_go(t.val));
        n->float_value = v;
        if (v == static_cast<double>(static_cast<long long>(v))) {
          n->int_value = static_cast<long long>(v);
        }
      }
    } catch (const std::invalid_argument&) {
      errorf("illegal number syntax: " + quote_go(t.val));
    } catch (const std::out_of_range&) {
      errorf("illegal number syntax: " + quote_go(t.val));
    }
    return n;
  }

  std::vector<Item> items_;
  size_t i_ = 0;
  std::string name_;
  const std::map<std::string, GoFunc>& funcs_;
  const std::vector<std::string>& builtins_;
  std::vector<std::string> vars_{"$"};
  int last_line_ = 1;
  int action_line_ = 0;
  int range_depth_ = 0;
};

const std::vector<std::string>& builtin_names() {
  static const std::vector<std::string> kNames = {
      "and",  "or",    "not",  "len",   "index", "print", "printf", "println",
      "eq",   "ne",    "lt",   "le",    "gt",    "ge",    "html",   "urlquery",
      "json", "split", "join", "title", "lower", "upper", "pad",    "truncate"};
  return kNames;
}

}  // namespace

std::string Node::str() const {
  auto join_ident = [](const std::vector<std::string>& v, size_t from) {
    std::string s;
    for (size_t i = from; i < v.size(); ++i) s += "." + v[i];
    return s;
  };
  switch (type) {
    case NT::kField:
      return join_ident(ident, 0);
    case NT::kVariable:
      return ident[0] + join_ident(ident, 1);
    case NT::kChain: {
      std::string base = pipe->type == NT::kPipe ? "(" + pipe->str() + ")" : pipe->str();
      return base + join_ident(ident, 0);
    }
    case NT::kIdentifier:
      return text;
    case NT::kDot:
      return ".";
    case NT::kNil:
      return "nil";
    case NT::kBool:
    case NT::kNumber:
    case NT::kString:
      return text;
    case NT::kCommand: {
      std::string s;
      for (size_t i = 0; i < kids.size(); ++i) {
        if (i > 0) s += " ";
        if (kids[i]->type == NT::kPipe) {
          s += "(" + kids[i]->str() + ")";
        } else {
          s += kids[i]->str();
        }
      }
      return s;
    }
    case NT::kPipe: {
      std::string s;
      if (!decl.empty()) {
        for (size_t i = 0; i < decl.size(); ++i) {
          if (i > 0) s += ", ";
          s += decl[i];
        }
        s += is_assign ? " = " : " := ";
      }
      for (size_t i = 0; i < kids.size(); ++i) {
        if (i > 0) s += " | ";
        s += kids[i]->str();
      }
      return s;
    }
    case NT::kAction:
      return "{{" + pipe->str() + "}}";
    case NT::kIf:
      return "{{if " + pipe->str() + "}}";
    case NT::kRange:
      return "{{range " + pipe->str() + "}}";
    case NT::kWith:
      return "{{with " + pipe->str() + "}}";
    case NT::kTemplate:
      return pipe ? "{{template " + quote_go(text) + " " + pipe->str() + "}}"
                  : "{{template " + quote_go(text) + "}}";
    default:
      return text;
  }
}

Result<GoTemplate> GoTemplate::parse(std::string_view text, std::string name,
                                     std::map<std::string, GoFunc> funcs) {
  GoTemplate t;
  t.name_ = std::move(name);
  t.text_ = std::string(text);
  t.funcs_ = std::move(funcs);
  try {
    Lexer lexer(t.text_);
    Parser parser(lexer.run(), t.name_, t.funcs_, builtin_names());
    t.root_ = parser.parse();
  } catch (const TemplateFailure& f) {
    return invalid_argument(f.message);
  }
  return t;
}

}  // namespace berth::cli
