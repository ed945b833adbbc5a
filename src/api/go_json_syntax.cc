// A transcription of Go's src/encoding/json/scanner.go state machine (one
// member function per Go state function, same names) and of the parts of
// stream.go (Decoder.readValue, Decoder.More) that decide what dockerd says.
#include "api/go_json_syntax.h"

#include <cstdint>
#include <vector>

namespace berth::api {
namespace {

// Opcodes, as scanner.go numbers them.
enum Op {
  kScanContinue,
  kScanBeginLiteral,
  kScanBeginObject,
  kScanObjectKey,
  kScanObjectValue,
  kScanEndObject,
  kScanBeginArray,
  kScanArrayValue,
  kScanEndArray,
  kScanSkipSpace,
  kScanEnd,
  kScanError,
};

enum Parse : uint8_t { kParseObjectKey, kParseObjectValue, kParseArrayValue };

// scanner.go's maxNestingDepth.
constexpr std::size_t kMaxNestingDepth = 10000;

bool is_space(unsigned char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool is_hex(unsigned char c) {
  return ('0' <= c && c <= '9') || ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F');
}

class Scanner {
 public:
  int step(unsigned char c) {
    switch (step_) {
      case State::kBeginValueOrEmpty:
        return state_begin_value_or_empty(c);
      case State::kBeginValue:
        return state_begin_value(c);
      case State::kBeginStringOrEmpty:
        return state_begin_string_or_empty(c);
      case State::kBeginString:
        return state_begin_string(c);
      case State::kEndValue:
        return state_end_value(c);
      case State::kEndTop:
        return state_end_top(c);
      case State::kInString:
        return state_in_string(c);
      case State::kInStringEsc:
        return state_in_string_esc(c);
      case State::kInStringEscU:
        return state_in_string_esc_u(c, State::kInStringEscU1);
      case State::kInStringEscU1:
        return state_in_string_esc_u(c, State::kInStringEscU12);
      case State::kInStringEscU12:
        return state_in_string_esc_u(c, State::kInStringEscU123);
      case State::kInStringEscU123:
        return state_in_string_esc_u(c, State::kInString);
      case State::kNeg:
        return state_neg(c);
      case State::k1:
        return state1(c);
      case State::k0:
        return state0(c);
      case State::kDot:
        return state_dot(c);
      case State::kDot0:
        return state_dot0(c);
      case State::kE:
        return state_e(c);
      case State::kESign:
        return state_e_sign(c);
      case State::kE0:
        return state_e0(c);
      case State::kT:
        return literal(c, 'r', State::kTr, "in literal true (expecting 'r')");
      case State::kTr:
        return literal(c, 'u', State::kTru, "in literal true (expecting 'u')");
      case State::kTru:
        return literal(c, 'e', State::kEndValue, "in literal true (expecting 'e')");
      case State::kF:
        return literal(c, 'a', State::kFa, "in literal false (expecting 'a')");
      case State::kFa:
        return literal(c, 'l', State::kFal, "in literal false (expecting 'l')");
      case State::kFal:
        return literal(c, 's', State::kFals, "in literal false (expecting 's')");
      case State::kFals:
        return literal(c, 'e', State::kEndValue, "in literal false (expecting 'e')");
      case State::kN:
        return literal(c, 'u', State::kNu, "in literal null (expecting 'u')");
      case State::kNu:
        return literal(c, 'l', State::kNul, "in literal null (expecting 'l')");
      case State::kNul:
        return literal(c, 'l', State::kEndValue, "in literal null (expecting 'l')");
      case State::kError:
        return kScanError;
    }
    return kScanError;
  }

  // Decoder.readValue calls stateEndValue directly with an invented space
  // after a closing bracket.
  int end_value(unsigned char c) { return state_end_value(c); }

  const std::string& err() const { return err_; }

 private:
  enum class State {
    kBeginValueOrEmpty,
    kBeginValue,
    kBeginStringOrEmpty,
    kBeginString,
    kEndValue,
    kEndTop,
    kInString,
    kInStringEsc,
    kInStringEscU,
    kInStringEscU1,
    kInStringEscU12,
    kInStringEscU123,
    kNeg,
    k1,
    k0,
    kDot,
    kDot0,
    kE,
    kESign,
    kE0,
    kT,
    kTr,
    kTru,
    kF,
    kFa,
    kFal,
    kFals,
    kN,
    kNu,
    kNul,
    kError,
  };

  int error(unsigned char c, const char* context) {
    step_ = State::kError;
    err_ = "invalid character " + go_json_quote_char(c) + " " + context;
    return kScanError;
  }

  int push_parse_state(unsigned char c, Parse p, int success) {
    parse_state_.push_back(p);
    if (parse_state_.size() <= kMaxNestingDepth) return success;
    return error(c, "exceeded max depth");
  }

  void pop_parse_state() {
    parse_state_.pop_back();
    if (parse_state_.empty()) {
      step_ = State::kEndTop;
    } else {
      step_ = State::kEndValue;
    }
  }

  int state_begin_value_or_empty(unsigned char c) {
    if (is_space(c)) return kScanSkipSpace;
    if (c == ']') return state_end_value(c);
    return state_begin_value(c);
  }

  int state_begin_value(unsigned char c) {
    if (is_space(c)) return kScanSkipSpace;
    switch (c) {
      case '{':
        step_ = State::kBeginStringOrEmpty;
        return push_parse_state(c, kParseObjectKey, kScanBeginObject);
      case '[':
        step_ = State::kBeginValueOrEmpty;
        return push_parse_state(c, kParseArrayValue, kScanBeginArray);
      case '"':
        step_ = State::kInString;
        return kScanBeginLiteral;
      case '-':
        step_ = State::kNeg;
        return kScanBeginLiteral;
      case '0':
        step_ = State::k0;
        return kScanBeginLiteral;
      case 't':
        step_ = State::kT;
        return kScanBeginLiteral;
      case 'f':
        step_ = State::kF;
        return kScanBeginLiteral;
      case 'n':
        step_ = State::kN;
        return kScanBeginLiteral;
      default:
        break;
    }
    if ('1' <= c && c <= '9') {
      step_ = State::k1;
      return kScanBeginLiteral;
    }
    return error(c, "looking for beginning of value");
  }

  int state_begin_string_or_empty(unsigned char c) {
    if (is_space(c)) return kScanSkipSpace;
    if (c == '}') {
      parse_state_.back() = kParseObjectValue;
      return state_end_value(c);
    }
    return state_begin_string(c);
  }

  int state_begin_string(unsigned char c) {
    if (is_space(c)) return kScanSkipSpace;
    if (c == '"') {
      step_ = State::kInString;
      return kScanBeginLiteral;
    }
    return error(c, "looking for beginning of object key string");
  }

  int state_end_value(unsigned char c) {
    if (parse_state_.empty()) {
      // Completed top-level before the current byte.
      step_ = State::kEndTop;
      return state_end_top(c);
    }
    if (is_space(c)) {
      step_ = State::kEndValue;
      return kScanSkipSpace;
    }
    switch (parse_state_.back()) {
      case kParseObjectKey:
        if (c == ':') {
          parse_state_.back() = kParseObjectValue;
          step_ = State::kBeginValue;
          return kScanObjectKey;
        }
        return error(c, "after object key");
      case kParseObjectValue:
        if (c == ',') {
          parse_state_.back() = kParseObjectKey;
          step_ = State::kBeginString;
          return kScanObjectValue;
        }
        if (c == '}') {
          pop_parse_state();
          return kScanEndObject;
        }
        return error(c, "after object key:value pair");
      case kParseArrayValue:
        if (c == ',') {
          step_ = State::kBeginValue;
          return kScanArrayValue;
        }
        if (c == ']') {
          pop_parse_state();
          return kScanEndArray;
        }
        return error(c, "after array element");
    }
    return error(c, "");
  }

  int state_end_top(unsigned char c) {
    // Go records the error for the next call but still reports the end.
    if (!is_space(c)) error(c, "after top-level value");
    return kScanEnd;
  }

  int state_in_string(unsigned char c) {
    if (c == '"') {
      step_ = State::kEndValue;
      return kScanContinue;
    }
    if (c == '\\') {
      step_ = State::kInStringEsc;
      return kScanContinue;
    }
    if (c < 0x20) return error(c, "in string literal");
    return kScanContinue;
  }

  int state_in_string_esc(unsigned char c) {
    switch (c) {
      case 'b':
      case 'f':
      case 'n':
      case 'r':
      case 't':
      case '\\':
      case '/':
      case '"':
        step_ = State::kInString;
        return kScanContinue;
      case 'u':
        step_ = State::kInStringEscU;
        return kScanContinue;
      default:
        break;
    }
    return error(c, "in string escape code");
  }

  int state_in_string_esc_u(unsigned char c, State next) {
    if (is_hex(c)) {
      step_ = next;
      return kScanContinue;
    }
    return error(c, "in \\u hexadecimal character escape");
  }

  int state_neg(unsigned char c) {
    if (c == '0') {
      step_ = State::k0;
      return kScanContinue;
    }
    if ('1' <= c && c <= '9') {
      step_ = State::k1;
      return kScanContinue;
    }
    return error(c, "in numeric literal");
  }

  int state1(unsigned char c) {
    if ('0' <= c && c <= '9') {
      step_ = State::k1;
      return kScanContinue;
    }
    return state0(c);
  }

  int state0(unsigned char c) {
    if (c == '.') {
      step_ = State::kDot;
      return kScanContinue;
    }
    if (c == 'e' || c == 'E') {
      step_ = State::kE;
      return kScanContinue;
    }
    return state_end_value(c);
  }

  int state_dot(unsigned char c) {
    if ('0' <= c && c <= '9') {
      step_ = State::kDot0;
      return kScanContinue;
    }
    return error(c, "after decimal point in numeric literal");
  }

  int state_dot0(unsigned char c) {
    if ('0' <= c && c <= '9') return kScanContinue;
    if (c == 'e' || c == 'E') {
      step_ = State::kE;
      return kScanContinue;
    }
    return state_end_value(c);
  }

  int state_e(unsigned char c) {
    if (c == '+' || c == '-') {
      step_ = State::kESign;
      return kScanContinue;
    }
    return state_e_sign(c);
  }

  int state_e_sign(unsigned char c) {
    if ('0' <= c && c <= '9') {
      step_ = State::kE0;
      return kScanContinue;
    }
    return error(c, "in exponent of numeric literal");
  }

  int state_e0(unsigned char c) {
    if ('0' <= c && c <= '9') return kScanContinue;
    return state_end_value(c);
  }

  // stateT, stateTr, ... stateNul: one expected byte each.
  int literal(unsigned char c, char want, State next, const char* context) {
    if (c == static_cast<unsigned char>(want)) {
      step_ = next;
      return kScanContinue;
    }
    return error(c, context);
  }

  State step_ = State::kBeginValue;
  std::vector<Parse> parse_state_;
  std::string err_;
};

}  // namespace

std::string go_json_quote_char(unsigned char c) {
  // Go's special cases, different from quoted strings.
  if (c == '\'') return R"('\'')";
  if (c == '"') return R"('"')";
  // strconv.Quote(string(rune(c))) without its double quotes.
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s = "'";
  if (c == '\\') {
    s += R"(\\)";
  } else if (c >= 0x20 && c < 0x7f) {
    s += static_cast<char>(c);
  } else if (c >= 0xa1 && c != 0xad) {
    // Printable Latin-1 (strconv.IsPrint: U+00A1..U+00FF but U+00AD),
    // written as the rune's UTF-8.
    s += static_cast<char>(0xc0 | (c >> 6));
    s += static_cast<char>(0x80 | (c & 0x3f));
  } else {
    switch (c) {
      case '\a':
        s += R"(\a)";
        break;
      case '\b':
        s += R"(\b)";
        break;
      case '\f':
        s += R"(\f)";
        break;
      case '\n':
        s += R"(\n)";
        break;
      case '\r':
        s += R"(\r)";
        break;
      case '\t':
        s += R"(\t)";
        break;
      case '\v':
        s += R"(\v)";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          s += R"(\x)";
        } else {  // U+0080..U+00A0 and U+00AD
          s += R"(\u00)";
        }
        s += kHex[c >> 4];
        s += kHex[c & 0xf];
    }
  }
  s += '\'';
  return s;
}

GoJsonValue go_json_read_value(std::string_view body) {
  // Decoder.readValue with the whole body in its buffer and io.EOF after it.
  Scanner scan;
  for (std::size_t i = 0; i < body.size(); ++i) {
    const auto c = static_cast<unsigned char>(body[i]);
    switch (scan.step(c)) {
      case kScanEnd:
        // The value ended before this byte.
        return {std::nullopt, i};
      case kScanEndObject:
      case kScanEndArray:
        // The Decoder invents a space rather than wait for the next byte.
        if (scan.end_value(' ') == kScanEnd) return {std::nullopt, i + 1};
        break;
      case kScanError:
        return {scan.err(), 0};
      default:
        break;
    }
  }
  if (scan.step(' ') == kScanEnd) return {std::nullopt, body.size()};
  for (const char c : body) {
    if (!is_space(static_cast<unsigned char>(c))) return {"unexpected EOF", 0};
  }
  return {"EOF", 0};
}

bool go_json_more(std::string_view rest) {
  for (const char c : rest) {
    if (is_space(static_cast<unsigned char>(c))) continue;
    return c != ']' && c != '}';
  }
  return false;
}

std::optional<std::string> go_json_syntax_error(std::string_view body) {
  GoJsonValue v = go_json_read_value(body);
  if (v.error) return std::move(v.error);
  for (std::size_t i = v.end; i < body.size(); ++i) {
    const auto c = static_cast<unsigned char>(body[i]);
    if (!is_space(c))
      return "invalid character " + go_json_quote_char(c) + " after top-level value";
  }
  return std::nullopt;
}

}  // namespace berth::api
