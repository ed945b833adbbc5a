// Command-line flags with the semantics and messages of spf13/pflag, which
// the docker CLI uses: flags and arguments may be interspersed, "--" ends
// the flags, -abc combines short booleans, -fVALUE / -f VALUE / -f=VALUE
// and --flag VALUE / --flag=VALUE set values, booleans take a value only
// after '=' (strconv.ParseBool syntax). CLI11 is not used here because the
// exit code and error text of a bad flag ("unknown shorthand flag: 'x' in
// -x", exit 125) are part of docker's behaviour berth reproduces. Pure.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/result.h"

namespace berth::cli {

struct FlagSpec {
  enum class Type {
    kBool,
    kString,       // last value wins
    kStringSlice,  // each value split on ',' (pflag StringSlice)
    kList,         // repeatable, each value kept as given
  };
  std::string name;           // long name, without "--"
  char shorthand = 0;         // 0: none
  char hidden_shorthand = 0;  // accepted, but not shown in help or messages
  Type type = Type::kString;
  std::string value_name;  // shown in help: "string", "strings", "list", "map", "filter"
  std::string usage;
  std::string default_value;  // shown in help as (default ...); "" shows nothing
  bool hidden = false;
  // pflag's MarkDeprecated: hidden, and using it prints
  // "Flag --NAME has been deprecated, <deprecated>".
  std::string deprecated;
  // Values are stored under this name instead (--net for --network).
  std::string alias_of;
  // Checks one value; returns the reason it is invalid, e.g.
  // "bad format of filter (expected name=value)".
  std::function<std::optional<std::string>(const std::string&)> validate;
};

// A flag as the commands declare theirs: name, -x shorthand (0 for none),
// type, the value's name in help, usage, default shown in help.
inline FlagSpec flag(std::string name, char shorthand, FlagSpec::Type type, std::string value_name,
                     std::string usage, std::string def = "") {
  FlagSpec f;
  f.name = std::move(name);
  f.shorthand = shorthand;
  f.type = type;
  f.value_name = std::move(value_name);
  f.usage = std::move(usage);
  f.default_value = std::move(def);
  return f;
}

struct ParsedFlags {
  // Values per long flag name, in command-line order; booleans hold
  // "true"/"false". Absent when the flag was not given.
  std::map<std::string, std::vector<std::string>> values;
  std::vector<std::string> args;
  bool help = false;
  // Deprecation notices, in command-line order (printed on stderr).
  std::vector<std::string> warnings;

  bool has(const std::string& name) const { return values.count(name) != 0; }
  bool get_bool(const std::string& name, bool def = false) const;
  std::string get_string(const std::string& name, const std::string& def = "") const;
  std::vector<std::string> get_list(const std::string& name) const;
};

// Parses `argv` (without the command words). When `interspersed` is false
// the first non-flag argument ends the flags (docker's root command).
// Errors carry pflag's message, e.g. "unknown flag: --bogus",
// "flag needs an argument: --subnet", "invalid argument \"maybe\" for
// \"-q, --quiet\" flag: strconv.ParseBool: parsing \"maybe\": invalid syntax".
Result<ParsedFlags> parse_flags(const std::vector<FlagSpec>& specs,
                                const std::vector<std::string>& argv, bool interspersed = true);

// strconv.ParseBool.
std::optional<bool> parse_go_bool(const std::string& s);

// pflag's FlagUsagesWrapped(cols): one line per flag, usage column aligned,
// wrapped to `cols` (docker passes terminal width - 1, i.e. 79).
std::string flag_usages(const std::vector<FlagSpec>& specs, int cols = 79);

}  // namespace berth::cli
