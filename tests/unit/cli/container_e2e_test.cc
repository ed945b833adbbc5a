// The container commands end to end against the fake engine: berth's own
// expectations, then the same invocations run by the stock docker CLI
// 28.2.2, which must print the same, exit the same and send the same
// requests (create bodies byte for byte).
#include <gtest/gtest.h>

#include <fstream>

#include "unit/cli/e2e_util.h"

namespace berth::cli {
namespace {

using namespace e2e;  // NOLINT
using testing::FakeEngine;
using testing::FakeReply;

std::vector<std::string> targets(const FakeEngine& engine) {
  std::vector<std::string> out;
  for (const auto& r : engine.requests()) out.push_back(r.method + " " + r.target);
  return out;
}

// The fake's ID for a special image: its name repeated to 64 characters.
std::string repeat_id(const std::string& s) {
  std::string id;
  while (id.size() < 64) id += s;
  return id.substr(0, 64);
}

// ------------------------------------------------------------- berth only --

TEST(BerthContainers, RunDetachedCreatesWaitsStartsAndPrintsTheId) {
  FakeEngine engine;
  auto o =
      run_berth(engine, {"run", "-d", "--name", "web2", "-p", "5001:5001", "host", "sleep", "100"});
  EXPECT_EQ(o.rc, 0) << o.err;
  EXPECT_EQ(o.out, std::string(FakeEngine::kCreatedId) + "\n");
  std::string id = FakeEngine::kCreatedId;
  EXPECT_EQ(targets(engine),
            (std::vector<std::string>{"HEAD /_ping", "POST /v1.50/containers/create?name=web2",
                                      "POST /v1.50/containers/" + id + "/wait?condition=next-exit",
                                      "POST /v1.50/containers/" + id + "/start"}));
  const auto& body = engine.requests()[1].body;
  EXPECT_NE(body.find(R"("ExposedPorts":{"5001/tcp":{}})"), std::string::npos) << body;
  EXPECT_NE(body.find(R"("PortBindings":{"5001/tcp":[{"HostIp":"","HostPort":"5001"}]})"),
            std::string::npos);
  EXPECT_NE(body.find(R"("Cmd":["sleep","100"],"Image":"host")"), std::string::npos);
  EXPECT_NE(body.find(R"("NetworkMode":"default")"), std::string::npos);
  EXPECT_NE(body.find(R"("EndpointsConfig":{"default":{"IPAMConfig":null)"), std::string::npos);
}

TEST(BerthContainers, RunWithRmWaitsForRemoval) {
  FakeEngine engine;
  auto o = run_berth(engine, {"run", "-d", "--rm", "host"});
  EXPECT_EQ(o.rc, 0) << o.err;
  EXPECT_EQ(targets(engine)[2], "POST /v1.50/containers/" + std::string(FakeEngine::kCreatedId) +
                                    "/wait?condition=removed");
}

TEST(BerthContainers, StartFailurePrintsIdThenErrorWithDockersExitCodes) {
  FakeEngine engine;
  auto o = run_berth(engine, {"run", "-d", "startfail"});
  EXPECT_EQ(o.rc, 125);
  EXPECT_EQ(o.out.size(), 65u);
  EXPECT_EQ(o.err,
            "berth: Error response from daemon: failed to set up container networking: driver "
            "failed programming external connectivity on endpoint x (y): Bind for 0.0.0.0:5001 "
            "failed: port is already allocated\n\nRun 'berth run --help' for more information\n");
  EXPECT_EQ(run_berth(engine, {"run", "-d", "notfound127"}).rc, 127);
  EXPECT_EQ(run_berth(engine, {"run", "-d", "perm126"}).rc, 126);
}

TEST(BerthContainers, MissingImageTriesAPullAndShowsTheRefusal) {
  FakeEngine engine;
  auto o = run_berth(engine, {"run", "-d", "missing:1.0"});
  EXPECT_EQ(o.rc, 125);
  EXPECT_EQ(o.out, "");
  EXPECT_EQ(o.err,
            "Unable to find image 'missing:1.0' locally\n"
            "berth: Error response from daemon: pull access denied for missing: this engine "
            "cannot pull from registries; load the image with 'docker load' or 'docker "
            "import'\n\nRun 'berth run --help' for more information\n");
  auto reqs = engine.requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[2].target, "/v1.50/images/create?fromImage=docker.io%2Flibrary%2Fmissing&tag=1.0");
  EXPECT_EQ(reqs[2].headers["X-Registry-Auth"], "e30=");
}

TEST(BerthContainers, ForegroundRunAttachesAndExitsWithTheStatus) {
  FakeEngine engine;
  auto o = run_berth(engine, {"run", "exit3"});
  EXPECT_EQ(o.rc, 3);
  EXPECT_EQ(o.out, "hello\npart1 part2\n");
  EXPECT_EQ(o.err, "oops\n");
  std::string p = "/v1.50/containers/" + repeat_id("exit3");
  EXPECT_EQ(targets(engine),
            (std::vector<std::string>{"HEAD /_ping", "POST /v1.50/containers/create",
                                      "POST " + p + "/attach?stderr=1&stdout=1&stream=1",
                                      "POST " + p + "/wait?condition=next-exit",
                                      "POST " + p + "/start"}));
  EXPECT_EQ(engine.requests()[2].headers["Upgrade"], "tcp");
}

// A daemon without /attach: the output comes from the logs.
TEST(BerthContainers, ForegroundRunFollowsTheLogsWithoutAttach) {
  FakeEngine engine;
  std::string p = "/containers/" + repeat_id("exit3");
  engine.set_reply("POST " + p + "/attach",
                   FakeReply{404, "application/json", "{\"message\":\"page not found\"}"});
  auto o = run_berth(engine, {"run", "exit3"});
  EXPECT_EQ(o.rc, 3);
  EXPECT_EQ(o.out, "hello\npart1 part2\n");
  EXPECT_EQ(o.err, "oops\n");
  auto t = targets(engine);
  ASSERT_EQ(t.size(), 6u);
  EXPECT_EQ(t[3], "POST /v1.50" + p + "/wait?condition=next-exit");
  EXPECT_EQ(t[4], "POST /v1.50" + p + "/start");
  EXPECT_EQ(t[5], "GET /v1.50" + p + "/logs?follow=1&stderr=1&stdout=1");
}

TEST(BerthContainers, ForegroundRunWithRmWithoutAttachRemovesAfterReadingTheOutput) {
  FakeEngine engine;
  std::string id = FakeEngine::kCreatedId;
  engine.set_reply("POST /containers/" + id + "/attach",
                   FakeReply{404, "application/json", "{\"message\":\"page not found\"}"});
  auto o = run_berth(engine, {"run", "--rm", "host", "echo"});
  EXPECT_EQ(o.rc, 0) << o.err;
  EXPECT_EQ(o.out, "hello\npart1 part2\n");
  auto reqs = engine.requests();
  ASSERT_EQ(reqs.size(), 9u);
  EXPECT_NE(reqs[1].body.find("\"AutoRemove\":true"), std::string::npos);
  EXPECT_EQ(reqs[3].method + " " + reqs[3].target, "DELETE /v1.50/containers/" + id + "?force=1");
  EXPECT_NE(reqs[4].body.find("\"AutoRemove\":false"), std::string::npos);
  EXPECT_EQ(reqs[5].target, "/v1.50/containers/" + id + "/wait?condition=next-exit");
  EXPECT_EQ(reqs[8].method + " " + reqs[8].target, "DELETE /v1.50/containers/" + id + "?force=1");
}

TEST(BerthContainers, InteractiveRunWithoutAttachSaysSo) {
  FakeEngine engine;
  std::string id = FakeEngine::kCreatedId;
  engine.set_reply("POST /containers/" + id + "/attach",
                   FakeReply{404, "application/json", "{\"message\":\"page not found\"}"});
  auto o = run_berth(engine, {"run", "-i", "host", "cat"});
  EXPECT_EQ(o.rc, 1);
  EXPECT_EQ(o.err,
            "unable to upgrade to tcp, received 404 (this daemon cannot attach to containers "
            "yet: run interactive containers with -d; container " +
                id + " was created)\n");
  auto tty = run_berth(engine, {"run", "-it", "host", "bash"});
  EXPECT_EQ(tty.rc, 1);
  EXPECT_EQ(tty.err, "the input device is not a TTY\n");
}

TEST(BerthContainers, PsTable) {
  FakeEngine engine;
  auto o = run_berth(engine, {"ps", "-a"});
  EXPECT_EQ(o.rc, 0) << o.err;
  std::istringstream lines(o.out);
  std::string header, first;
  std::getline(lines, header);
  std::getline(lines, first);
  EXPECT_EQ(header.rfind("CONTAINER ID   IMAGE                 COMMAND   ", 0), 0u) << header;
  EXPECT_NE(first.find("\"/docker-entrypoint.…\"   3 hours ago"), std::string::npos) << first;
  EXPECT_NE(first.find("80-82/tcp, 0.0.0.0:5001->5001/tcp, [::]:5001->5001/tcp, "
                       "0.0.0.0:8001-8002->8001-8002/udp, 0.0.0.0:7000->8000/tcp   web"),
            std::string::npos)
      << first;
  EXPECT_EQ(engine.requests().back().target, "/v1.50/containers/json?all=1");
}

TEST(BerthContainers, InspectAndPortAndLogs) {
  FakeEngine engine;
  auto pid = run_berth(engine, {"inspect", "-f", "{{.State.Pid}} {{.Name}}", "web"});
  EXPECT_EQ(pid.out, "4242 /web\n");
  auto missing = run_berth(engine, {"inspect", "nope"});
  EXPECT_EQ(missing.rc, 1);
  EXPECT_EQ(missing.out, "[]\n");
  EXPECT_EQ(missing.err, "Error: No such object: nope\n");
  auto port = run_berth(engine, {"port", "web"});
  EXPECT_EQ(port.out,
            "53/udp -> 127.0.0.1:5353\n5001/tcp -> 0.0.0.0:5001\n5001/tcp -> [::]:5001\n");
  auto logs = run_berth(engine, {"logs", "web"});
  EXPECT_EQ(logs.out, "hello\npart1 part2\n");
  EXPECT_EQ(logs.err, "oops\n");
  auto tty = run_berth(engine, {"logs", "ttyc"});
  EXPECT_EQ(tty.out, "raw tty\r\nline2\r\n");
}

TEST(BerthContainers, RmForceOfAMissingContainerSucceeds) {
  FakeEngine engine;
  auto o = run_berth(engine, {"rm", "-f", "missing"});
  EXPECT_EQ(o.rc, 0);
  EXPECT_EQ(o.err, "Error response from daemon: No such container: missing\n");
  auto plain = run_berth(engine, {"rm", "missing"});
  EXPECT_EQ(plain.rc, 1);
}

// ------------------------------------------------------- berth vs docker --

class SameAsDockerContainers : public SameAsDocker {
 protected:
  std::string file(const std::string& name, const std::string& content) {
    std::string path = engine_.dir() + "/" + name;
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }
};

TEST_F(SameAsDockerContainers, CreateBodies) {
  expect_same({"create",
               "-i",
               "-t",
               "--name",
               "w2",
               "-h",
               "hh",
               "--domainname",
               "dd",
               "-e",
               "B=2",
               "-u",
               "root:root",
               "-w",
               "/tmp",
               "--entrypoint",
               "/bin/sh",
               "-l",
               "a=b",
               "--net",
               "netlb",
               "--net-alias",
               "x",
               "--network-alias",
               "y",
               "--ip",
               "172.200.1.9",
               "--mac-address",
               "02:42:ac:11:00:02",
               "--dns",
               "8.8.8.8",
               "--dns-search",
               "example.com",
               "--dns-option",
               "ndots:1",
               "--add-host",
               "foo:1.2.3.4",
               "--cap-add",
               "NET_ADMIN",
               "--cap-drop",
               "MKNOD",
               "--privileged",
               "-P",
               "--restart",
               "on-failure:3",
               "--stop-signal",
               "SIGINT",
               "--stop-timeout",
               "5",
               "host",
               "-c",
               "echo hi"});
  expect_same({"create", "host"});
  expect_same({"create", "--network", "host", "-p", "80", "host"});
  expect_same({"create", "--network", "netlb", "host"});
  expect_same({"create", "--network", "netlb", "--network", "n2", "host"});
  expect_same({"create", "--network",
               "name=NetLB,alias=A,ip=1.2.3.4,mac-address=02:42:00:00:00:01,gw-priority=5,"
               "driver-opt=k=v",
               "host"});
  expect_same({"create", "--network", "name=x,ip6=::1,link-local-ip=169.254.0.1", "host"});
  expect_same({"create", "--network", "container:abc", "host"});
  expect_same({"create", "--ip", "1.2.3.4", "host"});
  expect_same({"create", "--mac-address", "02:42:AC:11:00:02", "host"});
  expect_same({"create", "--entrypoint=", "host"});
  expect_same({"create", "--entrypoint", "", "host", "x"});
  expect_same({"create", "host", "-x", "--name", "q"});
  expect_same({"create", "--", "host", "-x"});
  expect_same({"create", "--name", "a b+c", "host"});
  expect_same({"create", "--restart", "always:3", "--add-host", "foo=1.2.3.4", "--add-host",
               "bar:[::1]", "--add-host", "gw:host-gateway", "host"});
  expect_same({"create", "--restart", "", "host"});
  expect_same({"create", "--restart", "unless-stopped", "--rm", "host"});
  expect_same({"create", "--rm", "--restart", "no", "host"});
  expect_same({"create", "--cap-add", "sys_admin", "--cap-add", "net_raw", "--cap-add", "NET_RAW",
               "--cap-add", "all", "--cap-drop", "chown", "host"});
  expect_same({"create", "--dns", "0:0::1", "--dns", "8.8.8.8", "--dns-search", "example.com. ",
               "--dns-search", ".", "host"});
  expect_same({"create", "--stop-timeout", "0", "host"});
  expect_same({"create", "--stop-timeout", "0x10", "host"});
  expect_same({"create", "-a", "stdout", "-a", "STDERR", "host"});
  expect_same({"create", "-i", "host"});
  expect_same({"create", "-e", "NOPE_NOT_SET", "host"});
  expect_same({"create", "-e", "A=", "host"});
  expect_same({"create", "-l", "k", "-l", " sp=1", "-l", "k=v2", "host"});
  expect_same({"create", "localhost:5000/x", "x"});
  expect_same(
      {"create", "x@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"});
}

TEST_F(SameAsDockerContainers, PortForms) {
  expect_same({"create", "-p", "8080:80", "-p", "127.0.0.1:9090:90/udp", "-p",
               "7000-7001:8000-8001", "-p", "5000", "-p", "10.0.0.1::53/udp", "--expose",
               "3000-3001", "host"});
  expect_same({"create", "-p", "80-82:90-92/udp", "-p", ":81", "-p", "0.0.0.0:80:80", "-p",
               "[::1]:8080:80", "-p", "::1:8081:80", "host"});
  expect_same({"create", "-p", "8080-8082:80", "host"});
  expect_same({"create", "-p", "80/sctp", "-p", "1.2.3.4:80-81:90-91", "-p", "53:53/UDP", "host"});
  expect_same({"create", "-p", "0:80", "-p", "127.0.0.1:0:81", "host"});
  expect_same({"create", "-p", "published=8080,target=80", "-p",
               "published=9090,target=90,protocol=udp", "host"});
  expect_same({"create", "--expose", "80", "--expose", "90/udp", "--expose", "100-102/tcp",
               "--expose", "80/foo", "host"});
  for (const char* bad : {"8080:80/foo", "70000:80", "abc", "1.2.3:80:80", ":", "80-70", "80:80-81",
                          "8080-8081:80-82", "[::1:80:80", "published=1,target", "x:"}) {
    expect_same({"create", "-p", bad, "host"});
  }
  for (const char* bad : {"abc", "80-x", "80:90", "", "70000"}) {
    expect_same({"create", "--expose", bad, "host"});
  }
}

TEST_F(SameAsDockerContainers, CreateErrors) {
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"-e", "=x"},
           {"-e", ""},
           {"--add-host", "foo"},
           {"--add-host", "foo:bar"},
           {"--dns", "1.2.3"},
           {"--dns-search", ".bad"},
           {"--mac-address", "12:34"},
           {"--restart", "on-failure:x"},
           {"--restart", ":3"},
           {"--rm", "--restart", "always"},
           {"--stop-timeout", "x"},
           {"-l", ""},
           {"-l", "a b=1"},
           {"--network", ""},
           {"--network", "bridge", "--net-alias", "x"},
           {"--net-alias", "x"},
           {"--network", "name=x,foo=y"},
           {"--network", "alias=x"},
           {"--network", "name=x,gw-priority=x"},
           {"--network", "name=x,driver-opt=K"},
           {"--network", "name=x,alias=\"a,b\""},
           {"--network", "name=x,mac-address=zz"},
           {"--network", "name=x,alias"},
           {"--network", "name=x,alias=z", "--network-alias", "y"},
           {"--network", "name=x,ip=1.2.3.4", "--ip", "1.2.3.5"},
           {"--network", "netlb", "--network", "host"},
           {"--network", "netlb", "--network", "netlb"},
           {"--network", "container:abc", "--network-alias", "q"},
           {"-a", "bogus"},
           {"--pull", "bogus"},
           {"--bogus"},
           {"--env-file", "/nonexistent/env"},
           {"--label-file", "/nonexistent/labels"},
       }) {
    args.insert(args.begin(), "create");
    args.push_back("host");
    expect_same(args);
  }
  expect_same({"create"});
  expect_same({"create", "UPPER"});
  expect_same({"create", "a:b:c"});
  expect_same({"create", ""});
  expect_same({"create", "--name", "taken", "host"});
  expect_same({"create", "nocmd"});
  expect_same({"create", "warn"});
  expect_same({"create", "--dns", "127.0.0.1", "--dns", "::1", "warn"});
  expect_same({"create", "missing:1.0"});
  expect_same({"create", "missing2"});
  expect_same({"create", "streampull"});
  expect_same({"create", "-q", "streampull"});
  expect_same({"create", "--pull", "never", "missing:1.0"});
}

TEST_F(SameAsDockerContainers, EnvAndLabelFiles) {
  std::string env = file("env", "A=1\n# comment\n\nNOPE_NOT_SET\nC= spaced \n  D=4\r\n");
  std::string bom = file("bom",
                         "\xEF\xBB\xBF"
                         "BOM=1\n");
  std::string labels = file("labels", "l1=v1\n#x\nl2\nl4=\n l9=z\n");
  // One -e only: docker passes the -e values through a Go map, so their
  // order varies from run to run (berth keeps the command line's).
  expect_same({"create", "--env-file", env, "-e", "A=2", "--env-file", bom, "--label-file", labels,
               "-l", "l3=v3", "-l", "l1=over", "host"});
  expect_same({"create", "--env-file", file("bad1", "A=1\n=bad\n"), "host"});
  expect_same({"create", "--env-file", file("bad2", "A B=1\n"), "host"});
  expect_same({"create", "--env-file", file("bad3", "A=\xff\n"), "host"});
  expect_same({"create", "--label-file", file("bad4", " l5 = x\n"), "host"});
}

TEST_F(SameAsDockerContainers, RunDetached) {
  expect_same({"run", "-d", "--name", "web", "-p", "8080:80", "-e", "A=1", "-l", "x=y", "host",
               "sleep", "10"});
  expect_same(
      {"run", "-itd", "--name=nettest1", "--net=netlb", "--net-alias=tg-net", "host", "bash"});
  expect_same({"run", "-d", "--rm", "host"});
  expect_same(
      {"run", "-d", "-t", "-i", "--network", "host", "-h", "alb-node01", "-u", "root", "host"});
  expect_same({"container", "run", "-d", "host"});
  for (const char* image : {"warn", "nocmd", "startfail", "notfound127", "perm126", "nonet",
                            "missing:1.0", "missing2", "streampull", "UPPER"}) {
    expect_same({"run", "-d", image});
  }
  expect_same({"run", "-d", "--rm", "startfail"});
  expect_same({"run", "-d", "--name", "taken", "host"});
  expect_same({"run", "-d", "-a", "stdout", "host"});
  expect_same({"run", "-d", "-p", "x", "host"});
  expect_same({"run", "-d", "--pull", "bogus", "host"});
  expect_same({"run"});
  expect_same({"run", "--bogus", "x"});
  expect_same({"container", "run", "-d", "-p", "x", "host"});
}

TEST_F(SameAsDockerContainers, RunInForeground) {
  expect_same({"run", "host", "echo"});
  expect_same({"run", "exit3"});
  expect_same({"run", "startfail"});
  expect_same({"run", "--rm", "exit3"});
  expect_same({"run", "-a", "stdout", "exit3"});
  expect_same({"run", "-a", "stderr", "-a", "stdout", "exit3"});
  expect_same({"run", "-t", "exit3"});
  expect_same({"run", "-i", "exit3"}, "some input\n");
  expect_same({"run", "-it", "host", "bash"});
  expect_same({"run", "--sig-proxy=false", "host"});
}

TEST_F(SameAsDockerContainers, Lifecycle) {
  expect_same({"start", "ok1", "missing", "stopped"});
  expect_same({"start", "ok1"});
  expect_same({"stop", "ok1", "missing", "stopped"}, "", false, true, /*ordered=*/false);
  expect_same({"stop", "-t", "3", "-s", "KILL", "ok1"});
  expect_same({"stop", "--time", "3", "ok1"});
  expect_same({"stop", "-t", "x", "ok1"});
  expect_same({"restart", "-t", "1", "ok1", "missing"});
  expect_same({"restart", "-s", "TERM", "ok1"});
  expect_same({"kill", "ok1", "missing", "stopped"}, "", false, true, /*ordered=*/false);
  expect_same({"kill", "-s", "HUP", "ok1"});
  expect_same({"kill", "-s", "", "ok1"});
  expect_same({"rm", "ok1", "missing", "running"}, "", false, true, /*ordered=*/false);
  expect_same({"rm", "-f", "missing"});
  expect_same({"rm", "-f", "missing", "ok1"}, "", false, true, /*ordered=*/false);
  expect_same({"rm", "-v", "-l", "ok1"});
  expect_same({"container", "rm", "-fv", "ok1"});
  expect_same({"container", "remove", "ok1"});
  expect_same({"wait", "ok1", "missing", "errw"});
  expect_same({"container", "wait", "ok1"});
  for (const char* verb : {"start", "stop", "restart", "kill", "rm", "wait"}) {
    expect_same({verb});
    expect_same({"container", verb});
  }
  expect_same({"start", "--bogus", "x"});
}

TEST_F(SameAsDockerContainers, Ps) {
  expect_same({"ps"});
  expect_same({"ps", "-a"});
  expect_same({"ps", "-q"});
  expect_same({"ps", "-n", "2"});
  expect_same({"ps", "-l"});
  expect_same({"ps", "-l", "-n", "3"});
  expect_same({"ps", "-s"});
  expect_same({"ps", "--no-trunc"});
  expect_same({"ps", "-f", "name=x", "-f", "status=running", "--filter", "label=a=b"});
  expect_same({"ps", "-q", "--format", "{{.Names}}"});
  expect_same({"ps", "--format", "{{.Foo}}"});
  expect_same({"ps", "--format", "{{.Names"});
  expect_same({"ps", "--format", "table {{.Size}}"});
  expect_same({"ps", "--format",
               "table {{.ID}}\\t{{.Label \"com.example.a\"}}\\t{{.Mounts}}\\t{{.Networks}}\\t{{."
               "LocalVolumes}}\\t{{.State}}\\t{{.CreatedAt}}\\t{{.Labels}}\\t{{.Platform}}"});
  expect_same({"ps", "--format", "raw"});
  expect_same({"ps", "--format", "raw", "-s"});
  expect_same({"ps", "-q", "--format", "raw"});
  expect_same({"ps", "--size=false", "--format", "{{.Size}}"});
  expect_same({"ps", "--format", "json"});
  expect_same({"ps", "--format", "{{json .}}"});
  expect_same({"ps", "--no-trunc", "--format", "{{.Names}} {{.Command}} {{.Image}}"});
  expect_same({"container", "ls", "-a"});
  expect_same({"container", "list", "-q"});
  expect_same({"container", "ps"});
  expect_same({"ps", "-n", "x"});
  expect_same({"ps", "x"});
  expect_same({"ps", "--bogus"});
  expect_same({"container", "ls", "--bogus"});
}

TEST_F(SameAsDockerContainers, Inspect) {
  expect_same({"inspect", "web"});
  expect_same({"inspect", "nope"});
  expect_same({"inspect", "netlb"});
  expect_same({"inspect", "web", "nope", "netlb"});
  expect_same({"inspect", "--type", "container", "nope"});
  expect_same({"inspect", "--type", "network", "netlb"});
  expect_same({"inspect", "--type", "bogus", "x"});
  expect_same({"inspect", "--type=image", "web"});
  expect_same({"inspect", "--type", "volume", "x"});
  expect_same({"inspect", "-s", "web"});
  expect_same({"inspect", "-f", "json", "web"});
  expect_same({"inspect", "-f", "{{.Name}}", "nope"});
  expect_same({"inspect", "-f", "{{.State.Pid}}", "web", "netlb"});
  expect_same({"inspect", "-f", "{{.Name", "web"});
  expect_same({"inspect", "-f",
               "{{.Config.Env}} {{.HostConfig.PortBindings}} {{.State}} {{.Config.ExposedPorts}} "
               "{{.NetworkSettings.Networks.netlb.IPAddress}} {{.Created}} {{.Config.StopTimeout}} "
               "{{.Id}} {{.ID}} {{.RestartCount}} {{.HostConfig.ShmSize}}",
               "web"});
  expect_same({"inspect", "-f",
               "{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{$v.IPAddress}} "
               "{{$v.Aliases}} {{$v.IPAMConfig}} {{$v.IPPrefixLen}}{{end}}",
               "web"});
  expect_same({"inspect", "-f", "{{json .NetworkSettings.Ports}} {{json .Config.Labels}}", "web"});
  expect_same({"container", "inspect", "web", "nope"});
  expect_same({"container", "inspect", "-f", "{{.State.Pid}} {{.Name}}", "web"});
  expect_same({"container", "inspect", "-s", "--format", "{{.SizeRw}}", "web"});
  expect_same({"container", "inspect", "netlb"});
  expect_same({"inspect"});
  expect_same({"inspect", "--bogus", "x"});
}

TEST_F(SameAsDockerContainers, LogsAndPort) {
  expect_same({"logs", "web"});
  expect_same({"logs", "ttyc"});
  expect_same({"logs", "nope"});
  expect_same({"logs", "-f", "-t", "--tail", "2", "--since", "2026-01-01T00:00:00Z", "--until",
               "1700000000", "web"});
  expect_same({"logs", "--details", "-n", "5", "--since", "1700000000.5", "web"});
  expect_same({"container", "logs", "web"});
  expect_same({"logs"});
  expect_same({"logs", "a", "b"});
  expect_same({"port", "web"});
  for (const char* p : {"5001", "5001/tcp", "53/udp", "80", "x", "99/udp", "70000"}) {
    expect_same({"port", "web", p});
  }
  expect_same({"port", "nope"});
  expect_same({"port"});
  expect_same({"port", "web", "1", "2"});
}

TEST_F(SameAsDockerContainers, HelpTexts) {
  for (const char* cmd : {"stop", "restart", "kill", "rm", "wait", "port", "logs", "ps"}) {
    expect_same({cmd, "--help"}, "", true);
  }
  expect_same({"container", "ls", "--help"}, "", true);
}

}  // namespace
}  // namespace berth::cli
