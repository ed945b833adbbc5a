// berth's commands end to end against a fake engine (no daemon, no root,
// no network: a unix socket in a temporary directory). The comparison
// tests run the stock docker CLI against the same fake and require the
// same exit status, stdout and stderr (with "docker" read as "berth").
#include <gtest/gtest.h>

#include "unit/cli/e2e_util.h"

namespace berth::cli {
namespace {

using namespace e2e;  // NOLINT
using testing::FakeEngine;
using testing::FakeReply;

// ------------------------------------------------------------- berth only --

TEST(BerthCli, NetworkLsTable) {
  FakeEngine engine;
  auto o = run_berth(engine, {"network", "ls"});
  EXPECT_EQ(o.rc, 0) << o.err;
  EXPECT_EQ(o.out,
            "NETWORK ID     NAME      DRIVER    SCOPE\n"
            "5f0481616f45   bridge    bridge    local\n"
            "cce1ab37271c   host      host      local\n"
            "123456789012   net2      bridge    local\n"
            "99990000aaaa   net10     bridge    local\n"
            "471bd587ce6e   netlb     bridge    local\n"
            "64bdde571690   none      null      local\n");
}

TEST(BerthCli, NetworkLsSendsFilters) {
  FakeEngine engine;
  auto o =
      run_berth(engine, {"network", "ls", "-q", "-f", "name=net", "--filter", "driver=bridge"});
  EXPECT_EQ(o.rc, 0);
  EXPECT_EQ(
      engine.requests().back().target,
      "/v1.50/networks?filters=%7B%22driver%22%3A%7B%22bridge%22%3Atrue%7D%2C%22name%22%3A%7B%"
      "22net%22%3Atrue%7D%7D");
}

TEST(BerthCli, NetworkCreatePrintsIdAndSendsDockersBody) {
  FakeEngine engine;
  auto o =
      run_berth(engine, {"network", "create", "--driver", "bridge", "--subnet", "172.200.1.0/24",
                         "--ip-range", "172.200.1.0/24", "--gateway", "172.200.1.1", "netlb"});
  EXPECT_EQ(o.rc, 0) << o.err;
  EXPECT_EQ(o.out, "471bd587ce6e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f80aaaa\n");
  auto req = engine.requests().back();
  EXPECT_EQ(req.target, "/v1.50/networks/create");
  EXPECT_EQ(
      req.body,
      R"({"Driver":"bridge","Scope":"","IPAM":{"Driver":"default","Options":{},"Config":[{"Subnet":"172.200.1.0/24","IPRange":"172.200.1.0/24","Gateway":"172.200.1.1"}]},"Internal":false,"Attachable":false,"Ingress":false,"ConfigOnly":false,"ConfigFrom":null,"Options":{},"Labels":{},"Name":"netlb"})"
      "\n");
}

TEST(BerthCli, NetworkCreateErrors) {
  FakeEngine engine;
  auto dup = run_berth(engine, {"network", "create", "bridge"});
  EXPECT_EQ(dup.rc, 1);
  EXPECT_EQ(dup.err, "Error response from daemon: network with name bridge already exists\n");
  auto pre = run_berth(engine, {"network", "create", "--gateway", "10.0.0.1", "n"});
  EXPECT_EQ(pre.rc, 1);
  EXPECT_EQ(pre.err, "every ip-range or gateway must have a corresponding subnet\n");
  auto usage = run_berth(engine, {"network", "create"});
  EXPECT_EQ(usage.rc, 1);
  EXPECT_EQ(usage.err,
            "berth: 'berth network create' requires 1 argument\n\nUsage:  berth network create "
            "[OPTIONS] NETWORK\n\nRun 'berth network create --help' for more information\n");
  auto flag = run_berth(engine, {"network", "create", "--bogus", "n"});
  EXPECT_EQ(flag.rc, 125);
}

TEST(BerthCli, NetworkInspectReindentsTheRawBody) {
  FakeEngine engine;
  auto o = run_berth(engine, {"network", "inspect", "netlb"});
  EXPECT_EQ(o.rc, 0);
  EXPECT_EQ(o.out.rfind("[\n    {\n        \"Name\": \"netlb\",\n", 0), 0u);
  EXPECT_NE(o.out.find("\"com.example.a\": \"x\\u003cy\\u003e\\u0026z\""), std::string::npos);
  EXPECT_EQ(o.out.substr(o.out.size() - 4), "}\n]\n");
}

TEST(BerthCli, NetworkInspectMissingPrintsFoundOnesThenFails) {
  FakeEngine engine;
  auto o = run_berth(engine, {"network", "inspect", "-f", "{{.Name}}", "netlb", "nope"});
  EXPECT_EQ(o.rc, 1);
  EXPECT_EQ(o.out, "netlb\n");
  EXPECT_EQ(o.err, "Error response from daemon: network nope not found\n");
  auto bad = run_berth(engine, {"network", "inspect", "-f", "{{.Name", "netlb"});
  EXPECT_EQ(bad.rc, 64);
  EXPECT_EQ(bad.err, "template parsing error: template: :1: unclosed action\n");
}

TEST(BerthCli, NetworkRm) {
  FakeEngine engine;
  auto o = run_berth(engine, {"network", "rm", "netlb", "nope", "bridge"});
  EXPECT_EQ(o.rc, 1);
  EXPECT_EQ(o.out, "netlb\n");
  EXPECT_EQ(o.err,
            "Error response from daemon: network nope not found\n"
            "Error response from daemon: bridge is a pre-defined network and cannot be removed\n"
            "exit status 1\n");
  auto forced = run_berth(engine, {"network", "rm", "-f", "nope", "netlb"});
  EXPECT_EQ(forced.rc, 0);
  EXPECT_EQ(forced.out, "netlb\n");
  std::vector<std::string> methods;
  for (const auto& r : engine.requests()) methods.push_back(r.method + " " + r.target);
  EXPECT_EQ(methods.back(), "DELETE /v1.50/networks/netlb");
}

TEST(BerthCli, NetworkPrunePromptsUnlessForced) {
  FakeEngine engine;
  auto no = run_berth(engine, {"network", "prune"}, "n\n");
  EXPECT_EQ(no.rc, 0);
  EXPECT_EQ(no.out,
            "WARNING! This will remove all custom networks not used by at least one container.\n"
            "Are you sure you want to continue? [y/N] ");
  for (const auto& r : engine.requests()) EXPECT_NE(r.target, "/v1.50/networks/prune");
  auto yes = run_berth(engine, {"network", "prune"}, "y\n");
  EXPECT_NE(yes.out.find("[y/N] Deleted Networks:\nnetprune1\nnetauto\n\n"), std::string::npos);
  auto forced = run_berth(engine, {"network", "prune", "-f", "--filter", "until=24h"});
  EXPECT_EQ(forced.out, "Deleted Networks:\nnetprune1\nnetauto\n\n");
  EXPECT_EQ(engine.requests().back().target,
            "/v1.50/networks/prune?filters=%7B%22until%22%3A%7B%2224h%22%3Atrue%7D%7D");
}

TEST(BerthCli, VersionServerPart) {
  FakeEngine engine;
  auto o = run_berth(engine, {"version"});
  EXPECT_EQ(o.rc, 0) << o.err;
  EXPECT_EQ(o.out.substr(o.out.find("\nServer:")),
            "\nServer: berth engine\n"
            " Engine:\n"
            "  Version:          0.1.0\n"
            "  API version:      1.50 (minimum version 1.41)\n"
            "  Go version:       n/a\n"
            "  Git commit:       abc1234\n"
            "  Built:            Fri May 30 12:00:00 2025\n"
            "  OS/Arch:          linux/amd64\n"
            "  Experimental:     false\n"
            " berth-shim:\n"
            "  Version:          0.1.0\n"
            "  GitCommit:        abc1234\n"
            "  Zeta:             z\n");
  EXPECT_EQ(o.out.substr(0, 8), "Client:\n");
}

TEST(BerthCli, VersionShowsDowngrade) {
  FakeEngine engine("1.43");
  auto o = run_berth(engine, {"version", "-f", "{{.Client.APIVersion}} {{.Server.Version}}"});
  EXPECT_EQ(o.out, "1.43 0.1.0\n");
  auto full = run_berth(engine, {"version"});
  EXPECT_NE(full.out.find(" API version:       1.43 (downgraded from 1.50)\n"), std::string::npos);
}

TEST(BerthCli, InfoPrintsServerAndWarnings) {
  FakeEngine engine;
  auto o = run_berth(engine, {"info"});
  EXPECT_EQ(o.rc, 0) << o.err;
  EXPECT_NE(o.out.find("\nServer:\n Containers: 3\n  Running: 1\n"), std::string::npos);
  EXPECT_NE(o.out.find(" Total Memory: 7.768GiB\n"), std::string::npos);
  EXPECT_EQ(o.err,
            "WARNING: No swap limit support\nWARNING: bridge-nf-call-iptables is disabled\n");
  auto f = run_berth(engine, {"info", "-f", "{{.ServerVersion}} {{.NCPU}}"});
  EXPECT_EQ(f.out, "0.1.0 2\n");
}

TEST(BerthCli, NoDaemon) {
  std::ostringstream out, err;
  std::istringstream in;
  Io io{out, err, in};
  int rc = run({"-H", "unix:///nonexistent/b.sock", "network", "ls"}, Env{}, io);
  EXPECT_EQ(rc, 1);
  EXPECT_EQ(err.str(),
            "Cannot connect to the berth daemon at unix:///nonexistent/b.sock. Is the berth daemon "
            "running?\n");
}

TEST(BerthCli, HostFromEnvironment) {
  FakeEngine engine;
  std::ostringstream out, err;
  std::istringstream in;
  Io io{out, err, in};
  Env env;
  env.docker_host = "unix:///nonexistent/docker.sock";
  env.berth_host = engine.host();
  EXPECT_EQ(run({"network", "ls", "-q"}, env, io), 0) << err.str();
  EXPECT_FALSE(out.str().empty());
}

TEST(BerthCli, VersionFlagAndHelp) {
  std::ostringstream out, err;
  std::istringstream in;
  Io io{out, err, in};
  EXPECT_EQ(run({"--version"}, Env{}, io), 0);
  EXPECT_EQ(out.str().rfind("berth version 0.1.0, build ", 0), 0u);
  out.str("");
  EXPECT_EQ(run({"network", "ls", "--help"}, Env{}, io), 0);
  EXPECT_EQ(out.str().rfind("Usage:  berth network ls [OPTIONS]\n\nList networks\n\nAliases:\n", 0),
            0u);
}

// ------------------------------------------------------- berth vs docker --

TEST_F(SameAsDocker, NetworkLs) {
  expect_same({"network", "ls"});
  expect_same({"network", "ls", "--no-trunc"});
  expect_same({"network", "ls", "-q"});
  expect_same({"network", "list", "--format", "{{json .}}"});
  expect_same({"network", "ls", "--format", "json"});
  expect_same({"network", "ls", "--format", "raw"});
  expect_same(
      {"network", "ls", "--format",
       "table {{.Name}}\\t{{.ID}}\\t{{.IPv4}}\\t{{.IPv6}}\\t{{.Internal}}\\t{{.Labels}}\\t{{."
       "CreatedAt}}"});
  expect_same({"network", "ls", "--format", "table {{.Label \"k\"}}|{{.Name}}"});
  expect_same({"network", "ls", "--format", "table {{.Name}} {{.Foo}}"});
  expect_same({"network", "ls", "--format", "{{.Name"});
  expect_same({"network", "ls", "-f", "name=net", "-f", "driver=bridge", "-f", "label=a=b"});
  expect_same({"network", "ls", "-qf", "name=x"});
}

TEST_F(SameAsDocker, NetworkInspect) {
  expect_same({"network", "inspect", "netlb", "net10"});
  expect_same({"network", "inspect", "netlb", "nope", "bridge"});
  expect_same({"network", "inspect", "-f", "json", "netlb"});
  expect_same({"network", "inspect", "-f", "{{json .}}", "netlb"});
  expect_same({"network", "inspect", "-f",
               "{{.ID}} {{.Id}} {{.IPAM}} {{.Created}} {{.Containers}} {{index .Labels \"k\"}}",
               "net10", "netlb", "net2"});
  expect_same({"network", "inspect", "-f", "{{.Foo}}", "netlb"});
  expect_same({"network", "inspect", "-f",
               "{{range $k, $v := .Containers}}{{$k}} {{$v.Name}} {{$v.IPv4Address}}{{end}}",
               "net10"});
  expect_same({"network", "inspect", "-f", "{{.Name", "netlb"});
  expect_same({"network", "inspect", "-f", "{{.Name}}", "nope"});
  expect_same({"network", "inspect"});
}

TEST_F(SameAsDocker, NetworkCreate) {
  expect_same({"network", "create", "--driver", "bridge", "--subnet", "172.200.1.0/24",
               "--ip-range", "172.200.1.0/24", "--gateway", "172.200.1.1", "netlb"});
  expect_same({"network", "create", "x"});
  expect_same({"network",
               "create",
               "--ipv6",
               "--ipv4=false",
               "--internal",
               "--attachable",
               "--ingress",
               "--config-only",
               "--scope",
               "local",
               "--ipam-driver",
               "foo",
               "--ipam-opt",
               "a=b",
               "-o",
               "x=y",
               "--label",
               "l1=v1",
               "--label",
               "l2",
               "--aux-address",
               "host1=10.1.0.5",
               "--subnet",
               "10.1.0.0/16",
               "y"});
  expect_same({"network", "create", "--config-from", "base", "z"});
  for (const char* name : {"bridge", "textual", "charset", "empty", "nomsg"}) {
    expect_same({"network", "create", name});
  }
  expect_same({"network", "create", "--gateway", "10.0.0.1", "n"});
  expect_same({"network", "create", "--subnet", "10.0.0.0/16", "--ip-range", "10.1.1.0/24", "n"});
  expect_same({"network", "create", "--subnet", "10.0.0.0/16", "--subnet", "10.0.1.0/24", "n"});
  expect_same({"network", "create", "--subnet", "10.0.0.0/16", "--ip-range", "10.0.1.300/24", "n"});
  expect_same({"network", "create", "--label", "", "n"});
  expect_same({"network", "create", "--internal=yes", "n"});
  expect_same({"network", "create"});
  expect_same({"network", "create", "a", "b"});
}

TEST_F(SameAsDocker, NetworkRmAndPrune) {
  expect_same({"network", "rm", "netlb", "nope", "bridge", "host"});
  expect_same({"network", "rm", "-f", "nope", "netlb"});
  expect_same({"network", "remove", "netlb"});
  expect_same({"network", "rm"});
  expect_same({"network", "prune", "-f"});
  expect_same({"network", "prune"}, "y\n");
  expect_same({"network", "prune"}, "n\n");
  expect_same({"network", "prune"}, "");
  expect_same({"network", "prune", "-f", "--filter", "until=24h", "--filter", "label=a=b"});
}

TEST_F(SameAsDocker, UsageAndFlagErrors) {
  expect_same({"network", "ls", "x"});
  expect_same({"network", "bogus"});
  expect_same({"bogus"});
  // docker pings the daemon before reporting a bad global flag; berth does not.
  expect_same({"--bogus"}, "", false, /*same_requests=*/false);
  expect_same({"network", "ls", "--bogus"});
  expect_same({"network", "ls", "-qx"});
  expect_same({"network", "ls", "-q=maybe"});
  expect_same({"network", "ls", "--filter"});
  expect_same({"network", "ls", "-f", "noequals"});
  expect_same({"--log-level=bogus", "network", "ls"});
  expect_same({"network", "create", "--help"}, "", true);
  expect_same({"network", "inspect", "--help"}, "", true);
  expect_same({"network", "ls", "--help"}, "", true);
  expect_same({"network", "rm", "--help"}, "", true);
  expect_same({"network", "prune", "--help"}, "", true);
}

TEST_F(SameAsDocker, VersionAndInfoServerParts) {
  // The Client parts describe different programs; everything else matches.
  expect_same({"version", "-f", "{{json .Server}}"});
  expect_same({"version", "-f", "{{.Server.Foo}}"});
  expect_same({"version", "-f", "{{.Name"});
  expect_same({"info", "-f", "{{.ServerVersion}} {{json .Plugins}} {{.NCPU}} {{.HTTPProxy}}"});
  expect_same({"info", "-f", "{{.Foo}}"});
  Outcome d = run_docker(engine_, {"version"});
  Outcome b = run_berth(engine_, {"version"});
  EXPECT_EQ(b.out.substr(b.out.find("\nServer:")), d.out.substr(d.out.find("\nServer:")));
  d = run_docker(engine_, {"info"});
  b = run_berth(engine_, {"info"});
  EXPECT_EQ(b.out.substr(b.out.find("\nServer:")), d.out.substr(d.out.find("\nServer:")));
  EXPECT_EQ(b.err, d.err);
}

TEST_F(SameAsDocker, ServerErrors) {
  engine_.set_reply("GET /info", FakeReply{500, "application/json", "{\"message\":\"boom\"}"});
  engine_.set_reply("GET /version", FakeReply{500, "application/json", "{\"message\":\"boom\"}"});
  Outcome d = run_docker(engine_, {"info"});
  Outcome b = run_berth(engine_, {"info"});
  EXPECT_EQ(b.rc, d.rc);
  EXPECT_EQ(b.err, d.err);
  expect_same({"info", "-f", "{{.ServerVersion}}"});
  d = run_docker(engine_, {"version"});
  b = run_berth(engine_, {"version"});
  EXPECT_EQ(b.rc, d.rc);
  EXPECT_EQ(b.err, d.err);
}

}  // namespace
}  // namespace berth::cli
