// `berth network create|ls|inspect|rm|prune`, as cli/command/network/*.go
// in docker 28.2.2: the same requests (docker-api.md §3.3–3.8), output and
// exit codes.
#include <map>
#include <ostream>

#include "cli/command.h"
#include "cli/filters.h"
#include "cli/go_template.h"
#include "cli/inspector.h"
#include "cli/json_text.h"
#include "cli/network_create.h"
#include "cli/network_format.h"

namespace berth::cli {
namespace {

using ojson = nlohmann::ordered_json;
using T = FlagSpec::Type;

constexpr const char* kPruneWarning =
    "WARNING! This will remove all custom networks not used by at least one container.\n"
    "Are you sure you want to continue?";
constexpr const char* kIngressWarning =
    "WARNING! Before removing the routing-mesh network, make sure all the nodes in your swarm "
    "run the same docker engine version. Otherwise, removal may not be effective and "
    "functionality of newly create ingress networks will be impaired.\nAre you sure you want "
    "to continue?";

std::optional<std::string> validate_filter(const std::string& v) {
  if (v.find('=') == std::string::npos) return "bad format of filter (expected name=value)";
  return std::nullopt;
}

// ---------------------------------------------------------------- create --

int run_create(Context& ctx, const ParsedFlags& f) {
  NetworkCreateOptions o;
  o.name = f.args[0];
  o.driver = f.get_string("driver", "bridge");
  o.scope = f.get_string("scope");
  if (f.has("ipv4")) o.ipv4 = f.get_bool("ipv4");
  if (f.has("ipv6")) o.ipv6 = f.get_bool("ipv6");
  o.internal = f.get_bool("internal");
  o.attachable = f.get_bool("attachable");
  o.ingress = f.get_bool("ingress");
  o.config_only = f.get_bool("config-only");
  o.config_from = f.get_string("config-from");
  o.ipam_driver = f.get_string("ipam-driver", "default");
  o.subnets = f.get_list("subnet");
  o.ip_ranges = f.get_list("ip-range");
  o.gateways = f.get_list("gateway");
  o.aux_addresses = f.get_list("aux-address");
  o.ipam_opts = f.get_list("ipam-opt");
  o.driver_opts = f.get_list("opt");
  o.labels = f.get_list("label");
  auto body = network_create_body(o);
  if (!body.ok()) return ctx.fail(body.error());
  auto r = ctx.api().post("/networks/create", "", &*body);
  if (!r.ok()) return ctx.fail(r.error());
  ojson j = ojson::parse(r->body, nullptr, false);
  std::string id;
  if (j.is_object() && j.contains("Id") && j["Id"].is_string()) id = j["Id"].get<std::string>();
  ctx.out() << id << "\n";
  return 0;
}

Command create_command() {
  Command c;
  c.name = "create";
  c.use = "[OPTIONS] NETWORK";
  c.short_help = "Create a network";
  c.args = Command::Args::kExactly1;
  c.flags = {
      flag("attachable", 0, T::kBool, "", "Enable manual container attachment"),
      flag("aux-address", 0, T::kList, "map",
           "Auxiliary IPv4 or IPv6 addresses used by Network driver", "map[]"),
      flag("config-from", 0, T::kString, "string",
           "The network from which to copy the configuration"),
      flag("config-only", 0, T::kBool, "", "Create a configuration only network"),
      flag("driver", 'd', T::kString, "string", "Driver to manage the Network", "bridge"),
      flag("gateway", 0, T::kStringSlice, "strings", "IPv4 or IPv6 Gateway for the master subnet"),
      flag("ingress", 0, T::kBool, "", "Create swarm routing-mesh network"),
      flag("internal", 0, T::kBool, "", "Restrict external access to the network"),
      flag("ip-range", 0, T::kStringSlice, "strings", "Allocate container ip from a sub-range"),
      flag("ipam-driver", 0, T::kString, "string", "IP Address Management Driver", "default"),
      flag("ipam-opt", 0, T::kList, "map", "Set IPAM driver specific options", "map[]"),
      flag("ipv4", 0, T::kBool, "", "Enable or disable IPv4 address assignment", "true"),
      flag("ipv6", 0, T::kBool, "", "Enable or disable IPv6 address assignment"),
      // docker has no -l here; berth accepts it as a short form of --label.
      flag("label", 0, T::kList, "list", "Set metadata on a network"),
      flag("opt", 'o', T::kList, "map", "Set driver specific options", "map[]"),
      flag("scope", 0, T::kString, "string", "Control the network's scope"),
      flag("subnet", 0, T::kStringSlice, "strings",
           "Subnet in CIDR format that represents a network segment"),
  };
  for (auto& fl : c.flags) {
    if (fl.name == "label") {
      fl.validate = validate_label;
      fl.hidden_shorthand = 'l';
    }
  }
  c.run = run_create;
  return c;
}

// -------------------------------------------------------------------- ls --

int run_list(Context& ctx, const ParsedFlags& f) {
  auto filters = parse_filter_flags(f.get_list("filter"));
  std::string query;
  if (!filters.empty()) query = "filters=" + client::query_escape(encode_filters(filters));
  auto r = ctx.api().get("/networks", query);
  if (!r.ok()) return ctx.fail(r.error());
  ojson nets = ojson::parse(r->body, nullptr, false);
  if (nets.is_discarded()) return ctx.fail("Error reading JSON: invalid network list");
  auto out = render_network_list(nets, f.get_string("format"), f.get_bool("quiet"),
                                 f.get_bool("no-trunc"));
  if (!out.ok()) return ctx.fail(out.error());
  ctx.out() << *out;
  return 0;
}

Command list_command() {
  Command c;
  c.name = "ls";
  c.aliases = {"list"};
  c.use = "[OPTIONS]";
  c.short_help = "List networks";
  c.aliases_line = "berth network ls, berth network list";
  c.args = Command::Args::kNone;
  FlagSpec filter =
      flag("filter", 'f', T::kList, "filter", "Provide filter values (e.g. \"driver=bridge\")");
  filter.validate = validate_filter;
  c.flags = {filter, flag("format", 0, T::kString, "string", list_format_help()),
             flag("no-trunc", 0, T::kBool, "", "Do not truncate the output"),
             flag("quiet", 'q', T::kBool, "", "Only display network IDs")};
  c.run = run_list;
  return c;
}

// --------------------------------------------------------------- inspect --

int run_inspect(Context& ctx, const ParsedFlags& f) {
  const std::string query = f.get_bool("verbose") ? "verbose=true" : "";
  return render_inspect(ctx, f.args, f.get_string("format"),
                        [&](const std::string& name) -> Result<InspectObject> {
                          auto r = ctx.api().get("/networks/" + client::path_escape(name), query);
                          if (!r.ok()) return r.error();
                          return InspectObject{r->body, &network_inspect_type()};
                        });
}

Command inspect_command() {
  Command c;
  c.name = "inspect";
  c.use = "[OPTIONS] NETWORK [NETWORK...]";
  c.short_help = "Display detailed information on one or more networks";
  c.args = Command::Args::kAtLeast1;
  c.flags = {flag("format", 'f', T::kString, "string", inspect_format_help()),
             flag("verbose", 'v', T::kBool, "", "Verbose output for diagnostics")};
  c.run = run_inspect;
  return c;
}

// -------------------------------------------------------------------- rm --

int run_remove(Context& ctx, const ParsedFlags& f) {
  const bool force = f.get_bool("force");
  int status = 0;
  for (const auto& name : f.args) {
    const std::string path = "/networks/" + client::path_escape(name);
    auto nw = ctx.api().get(path);
    if (nw.ok()) {
      ojson j = ojson::parse(nw->body, nullptr, false);
      if (j.is_object() && j.value("Ingress", false) && !ctx.confirm(kIngressWarning)) continue;
    }
    auto r = ctx.api().del(path);
    if (!r.ok()) {
      if (force && r.error().kind() == ErrorKind::kNotFound) continue;
      ctx.err() << r.error().message() << "\n";
      status = 1;
      continue;
    }
    ctx.out() << name << "\n";
  }
  if (status != 0) return ctx.fail("exit status " + std::to_string(status));
  return 0;
}

Command remove_command() {
  Command c;
  c.name = "rm";
  c.aliases = {"remove"};
  c.use = "NETWORK [NETWORK...]";
  c.short_help = "Remove one or more networks";
  c.aliases_line = "berth network rm, berth network remove";
  c.args = Command::Args::kAtLeast1;
  c.flags = {flag("force", 'f', T::kBool, "", "Do not error if the network does not exist")};
  c.run = run_remove;
  return c;
}

// ----------------------------------------------------------------- prune --

int run_prune(Context& ctx, const ParsedFlags& f) {
  auto filters = parse_filter_flags(f.get_list("filter"));
  if (!f.get_bool("force") && !ctx.confirm(kPruneWarning)) return 0;
  std::string query;
  if (!filters.empty()) query = "filters=" + client::query_escape(encode_filters(filters));
  auto r = ctx.api().post("/networks/prune", query);
  if (!r.ok()) return ctx.fail(r.error());
  ojson j = ojson::parse(r->body, nullptr, false);
  std::string out;
  if (j.is_object() && j.contains("NetworksDeleted") && j["NetworksDeleted"].is_array() &&
      !j["NetworksDeleted"].empty()) {
    out = "Deleted Networks:\n";
    for (const auto& n : j["NetworksDeleted"]) {
      out += (n.is_string() ? n.get<std::string>() : n.dump()) + "\n";
    }
  }
  if (!out.empty()) ctx.out() << out << "\n";
  return 0;
}

Command prune_command() {
  Command c;
  c.name = "prune";
  c.use = "[OPTIONS]";
  c.short_help = "Remove all unused networks";
  c.args = Command::Args::kNone;
  FlagSpec filter =
      flag("filter", 0, T::kList, "filter", "Provide filter values (e.g. \"until=<timestamp>\")");
  filter.validate = validate_filter;
  c.flags = {filter, flag("force", 'f', T::kBool, "", "Do not prompt for confirmation")};
  c.run = run_prune;
  return c;
}

}  // namespace

Command network_command() {
  Command c;
  c.name = "network";
  c.short_help = "Manage networks";
  c.children = {network_connect_command(), create_command(), network_disconnect_command(),
                inspect_command(), list_command(), prune_command(), remove_command()};
  return c;
}

}  // namespace berth::cli
