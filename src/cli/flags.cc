#include "cli/flags.h"

#include <algorithm>

namespace berth::cli {
namespace {

const FlagSpec* find_long(const std::vector<FlagSpec>& specs, const std::string& name) {
  for (const auto& s : specs) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

const FlagSpec* find_short(const std::vector<FlagSpec>& specs, char c) {
  for (const auto& s : specs) {
    if (s.shorthand == c || s.hidden_shorthand == c) return &s;
  }
  return nullptr;
}

std::string flag_title(const FlagSpec& f) {
  if (f.shorthand != 0) return std::string("-") + f.shorthand + ", --" + f.name;
  return "--" + f.name;
}

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

Status set_value(const FlagSpec& f, const std::string& value, ParsedFlags* out) {
  if (!f.deprecated.empty()) {
    out->warnings.push_back("Flag --" + f.name + " has been deprecated, " + f.deprecated);
  }
  // A command may declare --help itself (run and create, whose -h is
  // --hostname); it still asks for help.
  if (f.name == "help" && f.type == FlagSpec::Type::kBool && value == "true") out->help = true;
  const std::string& key = f.alias_of.empty() ? f.name : f.alias_of;
  auto invalid = [&](const std::string& why) {
    return invalid_argument("invalid argument " + quoted(value) + " for " + quoted(flag_title(f)) +
                            " flag: " + why);
  };
  switch (f.type) {
    case FlagSpec::Type::kBool: {
      auto b = parse_go_bool(value);
      if (!b) return invalid("strconv.ParseBool: parsing " + quoted(value) + ": invalid syntax");
      out->values[key] = {*b ? "true" : "false"};
      return ok_status();
    }
    case FlagSpec::Type::kString:
      if (f.validate) {
        if (auto why = f.validate(value)) return invalid(*why);
      }
      out->values[key] = {value};
      return ok_status();
    case FlagSpec::Type::kStringSlice: {
      auto& v = out->values[key];
      if (value.empty()) return ok_status();
      size_t start = 0;
      for (;;) {
        size_t comma = value.find(',', start);
        std::string part =
            value.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        if (f.validate) {
          if (auto why = f.validate(part)) return invalid(*why);
        }
        v.push_back(part);
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
      return ok_status();
    }
    case FlagSpec::Type::kList:
      if (f.validate) {
        if (auto why = f.validate(value)) return invalid(*why);
      }
      out->values[key].push_back(value);
      return ok_status();
  }
  return ok_status();
}

// pflag's wrapN: split s at the last whitespace before i (with some slop).
std::pair<std::string, std::string> wrap_n(size_t i, size_t slop, const std::string& s) {
  if (i + slop > s.size()) return {s, ""};
  size_t w = s.substr(0, i).find_last_of(" \t\n");
  if (w == std::string::npos || w == 0) return {s, ""};
  size_t nl = s.substr(0, i).rfind('\n');
  if (nl != std::string::npos && nl > 0 && nl < w) return {s.substr(0, nl), s.substr(nl + 1)};
  return {s.substr(0, w), s.substr(w + 1)};
}

std::string replace_newlines(const std::string& s, const std::string& with) {
  std::string out;
  for (char c : s) {
    if (c == '\n') {
      out += with;
    } else {
      out += c;
    }
  }
  return out;
}

std::string wrap(size_t i, int w, std::string s) {
  if (w == 0) return replace_newlines(s, "\n" + std::string(i, ' '));
  int width = w - static_cast<int>(i);
  std::string r;
  if (width < 24) {
    i = 16;
    width = w - static_cast<int>(i);
    r += "\n" + std::string(i, ' ');
  }
  if (width < 24) return replace_newlines(s, r);
  const size_t slop = 5;
  width -= static_cast<int>(slop);
  auto [l, rest] = wrap_n(static_cast<size_t>(width), slop, s);
  r += replace_newlines(l, "\n" + std::string(i, ' '));
  s = rest;
  while (!s.empty()) {
    auto [t, rest2] = wrap_n(static_cast<size_t>(width), slop, s);
    r += "\n" + std::string(i, ' ') + replace_newlines(t, "\n" + std::string(i, ' '));
    s = rest2;
  }
  return r;
}

}  // namespace

std::optional<bool> parse_go_bool(const std::string& s) {
  if (s == "1" || s == "t" || s == "T" || s == "TRUE" || s == "true" || s == "True") return true;
  if (s == "0" || s == "f" || s == "F" || s == "FALSE" || s == "false" || s == "False") {
    return false;
  }
  return std::nullopt;
}

bool ParsedFlags::get_bool(const std::string& name, bool def) const {
  auto it = values.find(name);
  if (it == values.end() || it->second.empty()) return def;
  return it->second.back() == "true";
}

std::string ParsedFlags::get_string(const std::string& name, const std::string& def) const {
  auto it = values.find(name);
  if (it == values.end() || it->second.empty()) return def;
  return it->second.back();
}

std::vector<std::string> ParsedFlags::get_list(const std::string& name) const {
  auto it = values.find(name);
  if (it == values.end()) return {};
  return it->second;
}

Result<ParsedFlags> parse_flags(const std::vector<FlagSpec>& specs,
                                const std::vector<std::string>& argv, bool interspersed) {
  ParsedFlags out;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a == "--") {
      out.args.insert(out.args.end(), argv.begin() + static_cast<long>(i) + 1, argv.end());
      break;
    }
    if (a.size() < 2 || a[0] != '-') {
      if (!interspersed) {
        out.args.insert(out.args.end(), argv.begin() + static_cast<long>(i), argv.end());
        break;
      }
      out.args.push_back(a);
      continue;
    }
    if (a[1] == '-') {
      std::string body = a.substr(2);
      size_t eq = body.find('=');
      std::string name = body.substr(0, eq);
      if (name.empty() || name[0] == '-' || name[0] == '=') {
        return invalid_argument("bad flag syntax: " + a);
      }
      const FlagSpec* f = find_long(specs, name);
      if (f == nullptr) {
        if (name == "help") {
          out.help = true;
          continue;
        }
        return invalid_argument("unknown flag: --" + name);
      }
      if (eq != std::string::npos) {
        BERTH_TRY(set_value(*f, body.substr(eq + 1), &out));
      } else if (f->type == FlagSpec::Type::kBool) {
        BERTH_TRY(set_value(*f, "true", &out));
      } else if (i + 1 < argv.size()) {
        BERTH_TRY(set_value(*f, argv[++i], &out));
      } else {
        return invalid_argument("flag needs an argument: --" + name);
      }
      continue;
    }
    // Short flags: -abc, -fVALUE, -f VALUE, -f=VALUE.
    std::string shorts = a.substr(1);
    while (!shorts.empty()) {
      char c = shorts[0];
      const FlagSpec* f = find_short(specs, c);
      if (f == nullptr) {
        if (c == 'h') {
          out.help = true;
          shorts.erase(0, 1);
          continue;
        }
        return invalid_argument(std::string("unknown shorthand flag: '") + c + "' in -" + shorts);
      }
      if (shorts.size() > 2 && shorts[1] == '=') {
        BERTH_TRY(set_value(*f, shorts.substr(2), &out));
        shorts.clear();
      } else if (f->type == FlagSpec::Type::kBool) {
        if (shorts.size() == 2 && shorts[1] == '=') {
          BERTH_TRY(set_value(*f, "", &out));
          shorts.clear();
        } else {
          BERTH_TRY(set_value(*f, "true", &out));
          shorts.erase(0, 1);
        }
      } else if (shorts.size() > 1) {
        std::string v = shorts.substr(1);
        if (v.size() >= 1 && v[0] == '=') v = v.substr(1);
        BERTH_TRY(set_value(*f, v, &out));
        shorts.clear();
      } else if (i + 1 < argv.size()) {
        BERTH_TRY(set_value(*f, argv[++i], &out));
        shorts.clear();
      } else {
        return invalid_argument(std::string("flag needs an argument: '") + c + "' in -" + shorts);
      }
    }
  }
  return out;
}

std::string flag_usages(const std::vector<FlagSpec>& specs, int cols) {
  std::vector<std::string> lines;
  size_t maxlen = 0;
  std::vector<const FlagSpec*> visible;
  for (const auto& f : specs) {
    if (!f.hidden && f.deprecated.empty()) visible.push_back(&f);
  }
  std::sort(visible.begin(), visible.end(),
            [](const FlagSpec* a, const FlagSpec* b) { return a->name < b->name; });
  for (const FlagSpec* f : visible) {
    std::string line = f->shorthand != 0 ? std::string("  -") + f->shorthand + ", --" + f->name
                                         : "      --" + f->name;
    if (!f->value_name.empty()) line += " " + f->value_name;
    line += '\0';
    maxlen = std::max(maxlen, line.size());
    line += f->usage;
    if (!f->default_value.empty()) {
      if (f->value_name == "string") {
        line += " (default " + quoted(f->default_value) + ")";
      } else {
        line += " (default " + f->default_value + ")";
      }
    }
    lines.push_back(line);
  }
  std::string out;
  for (const auto& line : lines) {
    size_t sidx = line.find('\0');
    out += line.substr(0, sidx) + " " + std::string(maxlen - sidx, ' ') + " " +
           wrap(maxlen + 2, cols, line.substr(sidx + 1)) + "\n";
  }
  return out;
}

}  // namespace berth::cli
