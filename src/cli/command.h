// The command tree shared by the verbs' files: a docker-style (cobra)
// command with flags, an argument rule and a handler, and the context a
// handler runs in. Internal to berth_cli.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cli/cli.h"
#include "cli/flags.h"
#include "client/api_client.h"
#include "common/result.h"

namespace berth::cli {

inline constexpr const char* kBerthVersion = "0.1.0";

class Context {
 public:
  Context(Io& io, client::Endpoint endpoint, std::string api_version)
      : io_(io), endpoint_(std::move(endpoint)), api_version_(std::move(api_version)) {}

  std::ostream& out() { return io_.out; }
  std::ostream& err() { return io_.err; }
  std::istream& in() { return io_.in; }

  // The API client, created on first use (no connection is made before a
  // request).
  client::ApiClient& api() {
    if (!api_) api_ = std::make_unique<client::ApiClient>(endpoint_, api_version_);
    return *api_;
  }

  // Prints an error as docker's main does (message + newline on stderr)
  // and returns 1.
  int fail(const Error& e) { return fail(e.message()); }
  int fail(const std::string& message);

  // docker's prompt.Confirm: "<message> [y/N] " on stdout, true only for
  // "y" or "Y".
  bool confirm(const std::string& message);

 private:
  Io& io_;
  client::Endpoint endpoint_;
  std::string api_version_;
  std::unique_ptr<client::ApiClient> api_;
};

struct Command {
  enum class Args { kAny, kNone, kExactly1, kAtLeast1 };
  std::string name;
  std::vector<std::string> aliases;
  std::string use;           // after the command path: "[OPTIONS] NETWORK"
  std::string short_help;    // "Create a network"
  std::string aliases_line;  // shown under "Aliases:", without the program name prefix
  Args args = Args::kAny;
  std::vector<FlagSpec> flags;
  std::function<int(Context&, const ParsedFlags&)> run;
  std::vector<Command> children;  // a management command when non-empty
  // Whether the daemon is pinged before flags are parsed, as docker does
  // for every command but `version`.
  bool early_ping = true;
};

// The verbs, defined next to their implementations.
Command network_command();
Command version_command();
Command info_command();

// --format help shared by inspect-like commands (flagsHelper.InspectFormatHelp).
std::string inspect_format_help();
// --format help of list commands (flagsHelper.FormatHelp).
std::string list_format_help();

}  // namespace berth::cli
