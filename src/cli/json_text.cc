#include "cli/json_text.h"

#include <nlohmann/json.hpp>

namespace berth::cli {
namespace {

bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Finds where the top-level value ends (after skipping leading
// whitespace), so trailing whitespace can be treated as Go does.
Result<size_t> validate(std::string_view src) {
  size_t start = 0;
  while (start < src.size() && is_ws(src[start])) ++start;
  size_t end = src.size();
  while (end > start && is_ws(src[end - 1])) --end;
  if (!nlohmann::json::accept(src.substr(start, end - start))) {
    return invalid_argument("invalid character in JSON input");
  }
  return end;
}

void newline(std::string* out, std::string_view prefix, std::string_view indent, int depth) {
  *out += '\n';
  *out += prefix;
  for (int i = 0; i < depth; ++i) *out += indent;
}

}  // namespace

Result<std::string> json_indent(std::string_view src, std::string_view prefix,
                                std::string_view indent) {
  auto end = validate(src);
  if (!end.ok()) return end.error();
  std::string out;
  bool in_string = false, escaped = false, need_indent = false;
  int depth = 0;
  size_t i = 0;
  while (i < src.size() && is_ws(src[i])) ++i;  // leading space is dropped
  for (; i < *end; ++i) {
    char c = src[i];
    if (in_string) {
      out += c;
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (is_ws(c)) continue;
    if (need_indent && c != '}' && c != ']') {
      need_indent = false;
      ++depth;
      newline(&out, prefix, indent, depth);
    }
    switch (c) {
      case '"':
        in_string = true;
        out += c;
        break;
      case '{':
      case '[':
        need_indent = true;  // delayed so that {} and [] stay compact
        out += c;
        break;
      case ',':
        out += c;
        newline(&out, prefix, indent, depth);
        break;
      case ':':
        out += ": ";
        break;
      case '}':
      case ']':
        if (need_indent) {
          need_indent = false;
        } else {
          --depth;
          newline(&out, prefix, indent, depth);
        }
        out += c;
        break;
      default:
        out += c;
    }
  }
  out.append(src.substr(*end));
  return out;
}

Result<std::string> json_compact(std::string_view src) {
  auto end = validate(src);
  if (!end.ok()) return end.error();
  std::string out;
  bool in_string = false, escaped = false;
  for (size_t i = 0; i < *end; ++i) {
    char c = src[i];
    if (in_string) {
      out += c;
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (is_ws(c)) continue;
    if (c == '"') in_string = true;
    out += c;
  }
  return out;
}

}  // namespace berth::cli
