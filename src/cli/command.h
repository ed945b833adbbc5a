// The command tree shared by the verbs' files: a docker-style (cobra)
// command with flags, an argument rule and a handler, and the context a
// handler runs in. Internal to berth_cli.
#pragma once

#include <array>
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
  // [rows, cols] of the terminal on stdout, {0, 0} when it is not one
  // (sent as HostConfig.ConsoleSize, as docker does).
  std::array<int, 2> console_size() const { return console_size_; }
  void set_console_size(std::array<int, 2> s) { console_size_ = s; }
  // A second client on its own connection, for work done while the main
  // one is busy (signals forwarded during `run`).
  std::unique_ptr<client::ApiClient> new_client() {
    return std::make_unique<client::ApiClient>(endpoint_, api_version_);
  }
  std::ostream& err() { return io_.err; }
  std::istream& in() { return io_.in; }
  int in_fd() const { return io_.in_fd; }

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
  std::array<int, 2> console_size_ = {0, 0};
};

struct Command {
  enum class Args { kAny, kNone, kExactly1, kAtLeast1, kOneOrTwo, kExactly2, kAtMost1 };
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
  // Without an early ping: whether a bad flag or --help still makes docker
  // ping first (commands with version-annotated flags: run, create, start,
  // logs).
  bool ping_on_flag_error = false;
  // false: the first argument ends the flags (run, create: the rest is the
  // container's command).
  bool interspersed = true;
  // Where the root help lists it: "Common Commands" (top), "Management
  // Commands" (a command with children), else "Commands".
  bool top = false;
};

// The verbs, defined next to their implementations.
Command network_command();
Command version_command();
Command info_command();
// Container verbs: the top-level ones (run, create, ps, start, …) and the
// `container` management command holding all of them.
std::vector<Command> container_top_commands();
Command container_command();
// Image verbs (image_cmd.cc): images, import, load, rmi, tag, and the
// `image` management command.
std::vector<Command> image_top_commands();
Command image_command();
// `inspect`: any object, as docker's generic inspect.
Command object_inspect_command();
// connect_cmd.cc: network connect/disconnect, rename, top.
Command network_connect_command();
Command network_disconnect_command();
Command rename_command();
Command top_command();

// --format help shared by inspect-like commands (flagsHelper.InspectFormatHelp).
std::string inspect_format_help();
// --format help of list commands (flagsHelper.FormatHelp).
std::string list_format_help();

}  // namespace berth::cli
