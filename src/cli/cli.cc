// The root of the command tree: global flags, dispatch to the verbs, and
// the usage and help texts in the shape cobra gives the docker CLI.
#include "cli/cli.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <optional>

#include "cli/command.h"

namespace berth::cli {
namespace {

constexpr const char* kProgram = "berth";

std::vector<FlagSpec> global_flags() {
  using T = FlagSpec::Type;
  return {flag("debug", 'D', T::kBool, "", "Enable debug mode"),
          flag("host", 'H', T::kList, "list", "Daemon socket to connect to"),
          flag("log-level", 'l', T::kString, "string",
                      "Set the logging level (\"debug\", \"info\", \"warn\", \"error\", \"fatal\")",
                      "info"),
          flag("version", 'v', T::kBool, "", "Print version information and quit")};
}

std::vector<Command> root_commands() {
  std::vector<Command> c;
  for (auto& k : container_top_commands()) c.push_back(std::move(k));
  for (auto& k : image_top_commands()) c.push_back(std::move(k));
  c.push_back(object_inspect_command());
  c.push_back(container_command());
  c.push_back(image_command());
  c.push_back(network_command());
  c.push_back(version_command());
  c.push_back(info_command());
  return c;
}

const Command* find_command(const std::vector<Command>& cmds, const std::string& name) {
  for (const auto& c : cmds) {
    if (c.name == name) return &c;
    for (const auto& a : c.aliases) {
      if (a == name) return &c;
    }
  }
  return nullptr;
}

std::string pad_name(const std::string& name) {
  std::string s = name;
  if (s.size() < 11) s += std::string(11 - s.size(), ' ');
  return s;
}

std::string root_help() {
  std::string h = std::string("Usage:  ") + kProgram +
                  " [OPTIONS] COMMAND\n\nA container networking engine that speaks the Docker "
                  "Engine API\n\nCommon Commands:\n";
  auto cmds = root_commands();
  for (const auto& c : cmds) {
    if (c.top && c.children.empty()) h += "  " + pad_name(c.name) + " " + c.short_help + "\n";
  }
  h += "\nManagement Commands:\n";
  for (const auto& c : cmds) {
    if (!c.children.empty()) h += "  " + pad_name(c.name) + " " + c.short_help + "\n";
  }
  std::vector<const Command*> others;
  for (const auto& c : cmds) {
    if (!c.top && c.children.empty()) others.push_back(&c);
  }
  std::sort(others.begin(), others.end(),
            [](const Command* a, const Command* b) { return a->name < b->name; });
  h += "\nCommands:\n";
  for (const Command* c : others) h += "  " + pad_name(c->name) + " " + c->short_help + "\n";
  h += "\nGlobal Options:\n" + flag_usages(global_flags());
  h += std::string("\nRun '") + kProgram + " COMMAND --help' for more information on a command.\n";
  return h;
}

std::string group_help(const std::string& path, const Command& c) {
  std::string h = "Usage:  " + path + " COMMAND\n\n" + c.short_help + "\n\nCommands:\n";
  std::vector<const Command*> kids;
  for (const auto& k : c.children) kids.push_back(&k);
  std::sort(kids.begin(), kids.end(),
            [](const Command* a, const Command* b) { return a->name < b->name; });
  for (const Command* k : kids) h += "  " + pad_name(k->name) + " " + k->short_help + "\n";
  h += "\nRun '" + path + " COMMAND --help' for more information on a command.\n";
  return h;
}

std::string leaf_help(const std::string& path, const Command& c) {
  std::string h = "Usage:  " + path + " " + c.use + "\n\n" + c.short_help + "\n\n";
  if (!c.aliases_line.empty()) {
    h += "Aliases:\n  " + c.aliases_line + "\n" + (c.flags.empty() ? "" : "\n");
  }
  if (!c.flags.empty()) h += "Options:\n" + flag_usages(c.flags);
  return h;
}

bool valid_log_level(const std::string& l) {
  for (const char* v : {"panic", "fatal", "error", "warn", "warning", "info", "debug", "trace"}) {
    if (l == v) return true;
  }
  return false;
}

// cobra's argument checks, with docker 28's wording.
std::optional<std::string> check_args(const std::string& path, const Command& c,
                                      const std::vector<std::string>& args) {
  std::string what, how = "Run";
  switch (c.args) {
    case Command::Args::kAny:
      return std::nullopt;
    case Command::Args::kNone:
      if (args.empty()) return std::nullopt;
      what = "accepts no arguments";
      break;
    case Command::Args::kExactly1:
      if (args.size() == 1) return std::nullopt;
      what = "requires 1 argument";
      break;
    case Command::Args::kAtLeast1:
      if (!args.empty()) return std::nullopt;
      what = "requires at least 1 argument";
      how = "See";
      break;
    case Command::Args::kExactly2:
      if (args.size() == 2) return std::nullopt;
      what = "requires 2 arguments";
      break;
    case Command::Args::kOneOrTwo:
      if (args.size() == 1 || args.size() == 2) return std::nullopt;
      what = "requires at least 1 and at most 2 arguments";
      break;
    case Command::Args::kAtMost1:
      if (args.size() <= 1) return std::nullopt;
      what = "requires at most 1 argument";
      break;
  }
  return std::string(kProgram) + ": '" + path + "' " + what + "\n\nUsage:  " + path + " " + c.use +
         "\n\n" + how + " '" + path + " --help' for more information";
}

}  // namespace

int Context::fail(const std::string& message) {
  io_.err << message << "\n";
  return 1;
}

bool Context::confirm(const std::string& message) {
  io_.out << message << " [y/N] " << std::flush;
  std::string answer;
  if (!std::getline(io_.in, answer)) return false;
  size_t b = answer.find_first_not_of(" \t\r\n");
  size_t e = answer.find_last_not_of(" \t\r\n");
  answer = b == std::string::npos ? "" : answer.substr(b, e - b + 1);
  return answer == "y" || answer == "Y";
}

std::string inspect_format_help() {
  return "Format output using a custom template:\n"
         "'json':             Print in JSON format\n"
         "'TEMPLATE':         Print output using the given Go template.\n"
         "Refer to https://docs.docker.com/go/formatting/ for more information about "
         "formatting output with templates";
}

std::string list_format_help() {
  return "Format output using a custom template:\n"
         "'table':            Print output in table format with column headers (default)\n"
         "'table TEMPLATE':   Print output in table format using the given Go template\n"
         "'json':             Print in JSON format\n"
         "'TEMPLATE':         Print output using the given Go template.\n"
         "Refer to https://docs.docker.com/go/formatting/ for more information about "
         "formatting output with templates";
}

int run(const std::vector<std::string>& args, const Env& env, Io& io) {
  const std::string prog = kProgram;
  auto root = parse_flags(global_flags(), args, /*interspersed=*/false);
  if (!root.ok()) {
    io.err << root.error().message() << "\n\nUsage:  " << prog
           << " [OPTIONS] COMMAND [ARG...]\n\nRun '" << prog << " --help' for more information\n";
    return 125;
  }
  if (root->help) {
    io.out << root_help();
    return 0;
  }
  if (root->get_bool("version")) {
    io.out << prog << " version " << kBerthVersion << ", build "
#ifdef BERTH_GIT_COMMIT
           << BERTH_GIT_COMMIT
#else
           << "unknown"
#endif
           << "\n";
    return 0;
  }
  std::string level = root->get_string("log-level", "info");
  if (!valid_log_level(level)) {
    io.err << "Unable to parse logging level: " << level << "\n";
    return 1;
  }
  if (root->args.empty()) {
    io.err << root_help();
    return 0;
  }

  auto commands = root_commands();
  std::vector<std::string> rest = root->args;
  std::string path = prog;
  const Command* cmd = find_command(commands, rest[0]);
  if (cmd == nullptr) {
    if (rest[0] == "help") {
      io.out << root_help();
      return 0;
    }
    io.err << prog << ": unknown command: " << prog << " " << rest[0] << "\n\nRun '" << prog
           << " --help' for more information\n";
    return 1;
  }
  path += " " + cmd->name;
  rest.erase(rest.begin());
  auto hosts = root->get_list("host");
  if (hosts.size() > 1) {
    io.err << "Specify only one -H\n";
    return 1;
  }
  std::string host =
      client::resolve_host(hosts.empty() ? "" : hosts[0], env.berth_host, env.docker_host);
  auto endpoint = client::parse_host(host);
  if (!endpoint.ok()) {
    io.err << "Failed to initialize: " << endpoint.error().message() << "\n";
    return 1;
  }
  Context ctx(io, *endpoint, env.api_version);
  ctx.set_console_size({env.console_rows, env.console_cols});
  // Once the command is known, the docker CLI pings the daemon (to learn
  // its API version and OS) before it parses the command's own flags; a
  // failure is reported only when a request needs the daemon. berth does
  // the same, so both send the same requests.
  if (cmd->early_ping) (void)ctx.api().api_version();
  while (!cmd->children.empty()) {
    if (rest.empty()) {
      io.err << group_help(path, *cmd);
      return 0;
    }
    if (rest[0] == "--help" || rest[0] == "-h") {
      io.out << group_help(path, *cmd);
      return 0;
    }
    const Command* sub = find_command(cmd->children, rest[0]);
    if (sub == nullptr) {
      if (!rest[0].empty() && rest[0][0] == '-') {
        auto bad = parse_flags({}, {rest[0]});
        io.err << (bad.ok() ? "unknown flag: " + rest[0] : bad.error().message())
               << "\n\nUsage:  " << path << " COMMAND\n\nRun '" << path
               << " --help' for more information\n";
        return 125;
      }
      io.err << prog << ": unknown command: " << path << " " << rest[0] << "\n\nUsage:  " << path
             << "\n\nRun '" << path << " --help' for more information\n";
      return 1;
    }
    cmd = sub;
    path += " " + cmd->name;
    rest.erase(rest.begin());
  }

  auto flags = parse_flags(cmd->flags, rest, cmd->interspersed);
  if (!flags.ok()) {
    if (!cmd->early_ping && cmd->ping_on_flag_error) (void)ctx.api().api_version();
    io.err << flags.error().message() << "\n\nUsage:  " << path << " " << cmd->use << "\n\nRun '"
           << path << " --help' for more information\n";
    return 125;
  }
  // pflag writes deprecation notices to the command's output: stdout.
  for (const auto& w : flags->warnings) io.out << w << "\n";
  if (flags->help) {
    if (!cmd->early_ping && cmd->ping_on_flag_error) (void)ctx.api().api_version();
    io.out << leaf_help(path, *cmd);
    return 0;
  }
  if (auto usage = check_args(path, *cmd, flags->args)) {
    io.err << *usage << "\n";
    return 1;
  }
  return cmd->run(ctx, *flags);
}

int run(int argc, char** argv) {
  auto get = [](const char* name) {
    const char* v = std::getenv(name);
    return std::string(v == nullptr ? "" : v);
  };
  Env env;
  env.berth_host = get("BERTH_HOST");
  env.docker_host = get("DOCKER_HOST");
  env.api_version = get("BERTH_API_VERSION");
  if (env.api_version.empty()) env.api_version = get("DOCKER_API_VERSION");
  struct winsize ws {};
  if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0) {
    env.console_rows = ws.ws_row;
    env.console_cols = ws.ws_col;
  }
  std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
  Io io{std::cout, std::cerr, std::cin, STDIN_FILENO};
  int rc = run(args, env, io);
  std::cout.flush();
  return rc;
}

}  // namespace berth::cli
