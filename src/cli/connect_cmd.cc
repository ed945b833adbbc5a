// `berth network connect|disconnect`, `berth rename`, `berth top`, as
// cli/command/network/{connect,disconnect}.go and
// cli/command/container/{rename,top}.go in docker 28.2.2: the same requests,
// output and exit codes.
#include <ostream>

#include "cli/command.h"
#include "cli/tabwriter.h"

namespace berth::cli {
namespace {

using ojson = nlohmann::ordered_json;
using T = FlagSpec::Type;

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\n\r");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\n\r") - b + 1);
}

int run_connect(Context& ctx, const ParsedFlags& f) {
  ojson ipam = ojson::object();
  if (!f.get_string("ip").empty()) ipam["IPv4Address"] = f.get_string("ip");
  if (!f.get_string("ip6").empty()) ipam["IPv6Address"] = f.get_string("ip6");
  auto lls = f.get_list("link-local-ip");
  if (!lls.empty()) ipam["LinkLocalIPs"] = lls;
  ojson ec;
  ec["IPAMConfig"] = ipam;
  auto links = f.get_list("link");
  ec["Links"] = links.empty() ? ojson(nullptr) : ojson(links);
  ec["Aliases"] = f.get_list("alias");
  ec["MacAddress"] = "";
  ojson opts = ojson::object();
  for (const auto& o : f.get_list("driver-opt")) {
    auto eq = o.find('=');
    opts[o.substr(0, eq)] = eq == std::string::npos ? "" : o.substr(eq + 1);
  }
  ec["DriverOpts"] = opts;
  int prio = 0;
  if (!f.get_string("gw-priority").empty()) {
    try {
      prio = std::stoi(f.get_string("gw-priority"));
    } catch (...) {
      return ctx.fail("invalid argument \"" + f.get_string("gw-priority") +
                      "\" for \"--gw-priority\" flag: strconv.ParseInt: parsing \"" +
                      f.get_string("gw-priority") + "\": invalid syntax");
    }
  }
  ec["GwPriority"] = prio;
  ojson body;
  body["Container"] = f.args[1];
  body["EndpointConfig"] = ec;
  auto r = ctx.api().post("/networks/" + client::path_escape(f.args[0]) + "/connect", "", &body);
  if (!r.ok()) return ctx.fail(r.error());
  return 0;
}

int run_disconnect(Context& ctx, const ParsedFlags& f) {
  ojson body;
  body["Container"] = f.args[1];
  body["Force"] = f.get_bool("force");
  auto r = ctx.api().post("/networks/" + client::path_escape(f.args[0]) + "/disconnect", "", &body);
  if (!r.ok()) return ctx.fail(r.error());
  return 0;
}

int run_rename(Context& ctx, const ParsedFlags& f) {
  const std::string old_name = trim(f.args[0]);
  const std::string new_name = trim(f.args[1]);
  if (old_name.empty() || new_name.empty()) {
    return ctx.fail("Error: Neither old nor new names may be empty");
  }
  auto r = ctx.api().post("/containers/" + client::path_escape(old_name) + "/rename",
                          "name=" + client::query_escape(new_name));
  if (!r.ok()) {
    ctx.err() << r.error().message() << "\n";
    return ctx.fail("Error: failed to rename container named " + old_name);
  }
  return 0;
}

int run_top(Context& ctx, const ParsedFlags& f) {
  std::string query;
  if (f.args.size() > 1) {
    std::string ps;
    for (size_t i = 1; i < f.args.size(); ++i) ps += (i > 1 ? " " : "") + f.args[i];
    query = "ps_args=" + client::query_escape(ps);
  }
  auto r = ctx.api().get("/containers/" + client::path_escape(f.args[0]) + "/top", query);
  if (!r.ok()) return ctx.fail(r.error());
  ojson j = ojson::parse(r->body, nullptr, false);
  std::vector<std::vector<std::string>> rows;
  auto strings = [](const ojson& a) {
    std::vector<std::string> out;
    if (a.is_array()) {
      for (const auto& x : a) out.push_back(x.is_string() ? x.get<std::string>() : x.dump());
    }
    return out;
  };
  if (j.is_object()) {
    rows.push_back(strings(j.value("Titles", ojson::array())));
    if (j.contains("Processes") && j["Processes"].is_array()) {
      for (const auto& p : j["Processes"]) rows.push_back(strings(p));
    }
  }
  // tabwriter.NewWriter(out, 20, 1, 3, ' ', 0)
  ctx.out() << tabwrite_rows(rows, 20, 3);
  return 0;
}

Command exactly_two(std::string name, std::string use, std::string short_help) {
  Command c;
  c.name = std::move(name);
  c.use = std::move(use);
  c.short_help = std::move(short_help);
  c.args = Command::Args::kExactly2;
  return c;
}

}  // namespace

Command network_connect_command() {
  Command c = exactly_two("connect", "[OPTIONS] NETWORK CONTAINER", "Connect a container to a network");
  FlagSpec gw = flag("gw-priority", 0, T::kString, "int",
                     "Highest gw-priority provides the default gateway. Accepts positive and "
                     "negative values.");
  c.flags = {flag("alias", 0, T::kStringSlice, "strings", "Add network-scoped alias for the container"),
             flag("driver-opt", 0, T::kStringSlice, "strings", "driver options for the network"),
             gw,
             flag("ip", 0, T::kString, "string", "IPv4 address (e.g., \"172.30.100.104\")"),
             flag("ip6", 0, T::kString, "string", "IPv6 address (e.g., \"2001:db8::33\")"),
             flag("link", 0, T::kList, "list", "Add link to another container"),
             flag("link-local-ip", 0, T::kStringSlice, "strings",
                  "Add a link-local address for the container")};
  c.run = run_connect;
  return c;
}

Command network_disconnect_command() {
  Command c = exactly_two("disconnect", "[OPTIONS] NETWORK CONTAINER",
                          "Disconnect a container from a network");
  c.flags = {flag("force", 'f', T::kBool, "", "Force the container to disconnect from a network")};
  c.run = run_disconnect;
  return c;
}

Command rename_command() {
  Command c = exactly_two("rename", "CONTAINER NEW_NAME", "Rename a container");
  c.aliases_line = "berth container rename, berth rename";
  c.run = run_rename;
  return c;
}

Command top_command() {
  Command c;
  c.name = "top";
  c.use = "CONTAINER [ps OPTIONS]";
  c.short_help = "Display the running processes of a container";
  c.aliases_line = "berth container top, berth top";
  c.args = Command::Args::kAtLeast1;
  c.interspersed = false;
  c.run = run_top;
  return c;
}

}  // namespace berth::cli
