#include "cli/container_create.h"

#include <gtest/gtest.h>

#include <map>

#include "common/go_json.h"

namespace berth::cli {
namespace {

CreateIo fake_io(std::map<std::string, std::string> files = {},
                 std::map<std::string, std::string> env = {}) {
  CreateIo io;
  io.read_file = [files](const std::string& path) -> Result<std::string> {
    auto it = files.find(path);
    if (it == files.end()) return invalid_argument("open " + path + ": no such file or directory");
    return it->second;
  };
  io.lookup_env = [env](const std::string& name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  return io;
}

ContainerCreateOptions image(const std::string& img) {
  ContainerCreateOptions o;
  o.image = img;
  return o;
}

std::string dump(const ojson& j) { return go_json(j); }

// ---------------------------------------------------------------- ports --

std::string bindings_of(std::vector<std::string> publish, std::vector<std::string> expose = {}) {
  auto pc = port_config(publish, expose);
  if (!pc.ok()) return "error: " + pc.error().message();
  return go_json(pc->exposed) + go_json(pc->bindings);
}

TEST(PortSpec, HostAndContainerPort) {
  EXPECT_EQ(bindings_of({"8080:80"}),
            "{\"80/tcp\":{}}\n{\"80/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"8080\"}]}\n");
}

TEST(PortSpec, AddressForms) {
  EXPECT_EQ(bindings_of({"127.0.0.1:8080:80"}),
            "{\"80/tcp\":{}}\n{\"80/tcp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"8080\"}]}\n");
  EXPECT_EQ(bindings_of({"10.0.0.1::53/udp"}),
            "{\"53/udp\":{}}\n{\"53/udp\":[{\"HostIp\":\"10.0.0.1\",\"HostPort\":\"\"}]}\n");
  EXPECT_EQ(bindings_of({"[::1]:8080:80", "::1:8081:80"}),
            "{\"80/tcp\":{}}\n{\"80/tcp\":[{\"HostIp\":\"::1\",\"HostPort\":\"8080\"},{\"HostIp\":"
            "\"::1\",\"HostPort\":\"8081\"}]}\n");
}

TEST(PortSpec, ContainerPortOnlyAndProtocols) {
  EXPECT_EQ(bindings_of({"80"}),
            "{\"80/tcp\":{}}\n{\"80/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"\"}]}\n");
  EXPECT_EQ(bindings_of({"53:53/UDP", "80/sctp"}),
            "{\"53/udp\":{},\"80/sctp\":{}}\n{\"53/udp\":[{\"HostIp\":\"\",\"HostPort\":\"53\"}],"
            "\"80/sctp\":[{\"HostIp\":\"\",\"HostPort\":\"\"}]}\n");
}

TEST(PortSpec, Ranges) {
  EXPECT_EQ(
      bindings_of({"7000-7001:8000-8001"}),
      "{\"8000/tcp\":{},\"8001/tcp\":{}}\n{\"8000/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"7000\"}"
      "],\"8001/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"7001\"}]}\n");
  // A host range for one container port is a range to allocate from.
  EXPECT_EQ(bindings_of({"8080-8082:80"}),
            "{\"80/tcp\":{}}\n{\"80/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"8080-8082\"}]}\n");
  EXPECT_EQ(bindings_of({"8080-8081:80-82"}),
            "error: invalid ranges specified for container and host Ports: 80-82 and 8080-8081");
}

TEST(PortSpec, KeysSortAsGoSortsMapKeys) {
  EXPECT_EQ(
      bindings_of({"90:90", "100:100"}, {"3000-3001"}),
      "{\"100/tcp\":{},\"3000/tcp\":{},\"3001/tcp\":{},\"90/tcp\":{}}\n{\"100/tcp\":[{\"HostIp\":"
      "\"\",\"HostPort\":\"100\"}],\"90/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"90\"}]}\n");
}

TEST(PortSpec, LongSyntax) {
  EXPECT_EQ(bindings_of({"published=8080,target=80,protocol=udp"}),
            "{\"80/udp\":{}}\n{\"80/udp\":[{\"HostIp\":\"\",\"HostPort\":\"8080\"}]}\n");
  EXPECT_EQ(bindings_of({"published=1,target"}),
            "error: invalid publish opts format (should be name=value but got 'target')");
}

TEST(PortSpec, Errors) {
  EXPECT_EQ(bindings_of({"8080:80/foo"}), "error: invalid proto: foo");
  EXPECT_EQ(bindings_of({"70000:80"}), "error: invalid hostPort: 70000");
  EXPECT_EQ(bindings_of({"abc"}), "error: invalid containerPort: abc");
  EXPECT_EQ(bindings_of({"1.2.3:80:80"}), "error: invalid IP address: 1.2.3");
  EXPECT_EQ(bindings_of({":"}), "error: no port specified: :<empty>");
  EXPECT_EQ(bindings_of({"80-70"}), "error: invalid containerPort: 80-70");
  EXPECT_EQ(bindings_of({"[::1:80:80"}),
            "error: invalid IP address [::1: address [::1:: missing ']' in address");
}

TEST(PortSpec, Expose) {
  EXPECT_EQ(bindings_of({}, {"80", "90/udp", "100-101/tcp", "80/foo"}),
            "{\"100/tcp\":{},\"101/tcp\":{},\"80/foo\":{},\"80/tcp\":{},\"90/udp\":{}}\n{}\n");
  EXPECT_EQ(bindings_of({}, {"abc"}),
            "error: invalid range format for --expose: abc, error: strconv.ParseUint: parsing "
            "\"abc\": invalid syntax");
  EXPECT_EQ(bindings_of({}, {"80:90"}), "error: invalid port format for --expose: 80:90");
}

// ----------------------------------------------------------------- body --

TEST(CreateBody, DefaultsAsDockerSendsThem) {
  auto body = container_create_body(image("nginx"), fake_io());
  ASSERT_TRUE(body.ok()) << body.error().message();
  EXPECT_EQ(
      dump(*body),
      R"({"Hostname":"","Domainname":"","User":"","AttachStdin":false,"AttachStdout":true,"AttachStderr":true,"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":null,"Cmd":null,"Image":"nginx","Volumes":{},"WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":{},"HostConfig":{"Binds":null,"ContainerIDFile":"","LogConfig":{"Type":"","Config":{}},"NetworkMode":"default","PortBindings":{},"RestartPolicy":{"Name":"no","MaximumRetryCount":0},"AutoRemove":false,"VolumeDriver":"","VolumesFrom":null,"ConsoleSize":[0,0],"CapAdd":null,"CapDrop":null,"CgroupnsMode":"","Dns":[],"DnsOptions":[],"DnsSearch":[],"ExtraHosts":null,"GroupAdd":null,"IpcMode":"","Cgroup":"","Links":null,"OomScoreAdj":0,"PidMode":"","Privileged":false,"PublishAllPorts":false,"ReadonlyRootfs":false,"SecurityOpt":null,"UTSMode":"","UsernsMode":"","ShmSize":0,"Isolation":"","CpuShares":0,"Memory":0,"NanoCpus":0,"CgroupParent":"","BlkioWeight":0,"BlkioWeightDevice":[],"BlkioDeviceReadBps":[],"BlkioDeviceWriteBps":[],"BlkioDeviceReadIOps":[],"BlkioDeviceWriteIOps":[],"CpuPeriod":0,"CpuQuota":0,"CpuRealtimePeriod":0,"CpuRealtimeRuntime":0,"CpusetCpus":"","CpusetMems":"","Devices":[],"DeviceCgroupRules":null,"DeviceRequests":null,"MemoryReservation":0,"MemorySwap":0,"MemorySwappiness":-1,"OomKillDisable":false,"PidsLimit":0,"Ulimits":[],"CpuCount":0,"CpuPercent":0,"IOMaximumIOps":0,"IOMaximumBandwidth":0,"MaskedPaths":null,"ReadonlyPaths":null},"NetworkingConfig":{"EndpointsConfig":{"default":{"IPAMConfig":null,"Links":null,"Aliases":null,"MacAddress":"","DriverOpts":null,"GwPriority":0,"NetworkID":"","EndpointID":"","Gateway":"","IPAddress":"","IPPrefixLen":0,"IPv6Gateway":"","GlobalIPv6Address":"","GlobalIPv6PrefixLen":0,"DNSNames":null}}}})"
      "\n");
}

TEST(CreateBody, DetachedInteractiveTty) {
  auto o = image("ubuntu:14.04");
  o.interactive = o.tty = o.detach = true;
  auto body = container_create_body(o, fake_io());
  ASSERT_TRUE(body.ok());
  EXPECT_EQ((*body)["AttachStdin"], false);
  EXPECT_EQ((*body)["AttachStdout"], false);
  EXPECT_EQ((*body)["Tty"], true);
  EXPECT_EQ((*body)["OpenStdin"], true);
  EXPECT_EQ((*body)["StdinOnce"], false);
  o.detach = false;
  body = container_create_body(o, fake_io());
  EXPECT_EQ((*body)["AttachStdin"], true);
  EXPECT_EQ((*body)["StdinOnce"], true);
}

TEST(CreateBody, NetworkModeAndEndpoints) {
  auto o = image("host");
  NetworkAttachment n;
  n.target = "netlb";
  o.networks = {n};
  auto body = container_create_body(o, fake_io());
  EXPECT_EQ((*body)["HostConfig"]["NetworkMode"], "netlb");
  // One network without options: no endpoint entry.
  EXPECT_EQ(dump((*body)["NetworkingConfig"]), "{\"EndpointsConfig\":{}}\n");
  o.aliases = {"tg-net"};
  o.ip = "172.200.1.9";
  body = container_create_body(o, fake_io());
  EXPECT_EQ(
      dump((*body)["NetworkingConfig"]),
      R"({"EndpointsConfig":{"netlb":{"IPAMConfig":{"IPv4Address":"172.200.1.9"},"Links":null,"Aliases":["tg-net"],"MacAddress":"","DriverOpts":null,"GwPriority":0,"NetworkID":"","EndpointID":"","Gateway":"","IPAddress":"","IPPrefixLen":0,"IPv6Gateway":"","GlobalIPv6Address":"","GlobalIPv6PrefixLen":0,"DNSNames":null}}})"
      "\n");
}

TEST(CreateBody, NetworkErrors) {
  auto o = image("host");
  o.aliases = {"x"};
  EXPECT_EQ(container_create_body(o, fake_io()).error().message(),
            "network-scoped aliases are only supported for user-defined networks");
  NetworkAttachment a, b;
  a.target = "netlb";
  b.target = "host";
  o.aliases.clear();
  o.networks = {a, b};
  EXPECT_EQ(container_create_body(o, fake_io()).error().message(),
            "conflicting options: cannot attach both user-defined and non-user-defined "
            "network-modes");
  o.networks = {a, a};
  EXPECT_EQ(container_create_body(o, fake_io()).error().message(),
            "network \"netlb\" is specified multiple times");
}

TEST(CreateBody, NetworkFlagLongSyntax) {
  auto n = parse_network_flag("name=NetLB,alias=A,ip=1.2.3.4,gw-priority=5,driver-opt=k=v");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->target, "netlb");
  EXPECT_EQ(n->aliases, std::vector<std::string>{"a"});
  EXPECT_EQ(n->ipv4, "1.2.3.4");
  EXPECT_EQ(n->gw_priority, 5);
  EXPECT_EQ(parse_network_flag("netlb")->target, "netlb");
  EXPECT_EQ(parse_network_flag("name=x,foo=y").error().message(), "invalid field key foo");
  EXPECT_EQ(parse_network_flag("alias=x").error().message(), "network name/id is not specified");
  EXPECT_EQ(parse_network_flag("name=x,gw-priority=q").error().message(),
            "invalid gw-priority (q): invalid syntax");
  EXPECT_EQ(parse_network_flag("name=x,alias=\"a,b\"").error().message(),
            "parse error on line 1, column 14: bare \" in non-quoted-field");
}

TEST(CreateBody, EnvDedupesFlagsAfterFiles) {
  auto o = image("host");
  o.env_files = {"/e"};
  o.env = {"A=1", "HOMEDIR", "B=2", "A=5", "UNSET"};
  auto body = container_create_body(
      o, fake_io({{"/e", "F=1\n# c\n\nHOMEDIR\nG= spaced \n  H=4\r\n"}}, {{"HOMEDIR", "/root"}}));
  ASSERT_TRUE(body.ok()) << body.error().message();
  EXPECT_EQ(dump((*body)["Env"]),
            "[\"F=1\",\"HOMEDIR=/root\",\"G= spaced \",\"H=4\",\"A=5\",\"HOMEDIR=/root\",\"B=2\","
            "\"UNSET\"]\n");
}

TEST(CreateBody, LabelsFromFilesAndFlags) {
  auto o = image("host");
  o.label_files = {"/l"};
  o.labels = {"l3=v3", "l1=over", "bare"};
  auto body = container_create_body(o, fake_io({{"/l", "l1=v1\nl2\nl4=\n"}}));
  EXPECT_EQ(dump((*body)["Labels"]), "{\"bare\":\"\",\"l1\":\"over\",\"l3\":\"v3\",\"l4\":\"\"}\n");
}

TEST(CreateBody, FileErrors) {
  auto o = image("host");
  o.env_files = {"/missing"};
  EXPECT_EQ(container_create_body(o, fake_io()).error().message(),
            "open /missing: no such file or directory");
  o.env_files = {"/e"};
  EXPECT_EQ(container_create_body(o, fake_io({{"/e", "=x\n"}})).error().message(),
            "invalid env file (/e): no variable name on line '=x'");
  EXPECT_EQ(container_create_body(o, fake_io({{"/e", "A B=1\n"}})).error().message(),
            "invalid env file (/e): variable 'A B' contains whitespaces");
  EXPECT_EQ(container_create_body(o, fake_io({{"/e", "A=\xff\n"}})).error().message(),
            "invalid env file (/e): invalid utf8 bytes at line 1: [65 61 255]");
}

TEST(CreateBody, RestartPolicy) {
  auto o = image("host");
  o.restart = "on-failure:3";
  EXPECT_EQ(dump((*container_create_body(o, fake_io()))["HostConfig"]["RestartPolicy"]),
            "{\"Name\":\"on-failure\",\"MaximumRetryCount\":3}\n");
  o.restart = "on-failure:x";
  EXPECT_EQ(container_create_body(o, fake_io()).error().message(),
            "invalid restart policy format: maximum retry count must be an integer");
  o.restart = "always";
  o.auto_remove = true;
  EXPECT_EQ(container_create_body(o, fake_io()).error().message(),
            "conflicting options: cannot specify both --restart and --rm");
}

TEST(CreateBody, CapabilitiesDnsHostsStop) {
  auto o = image("host");
  o.cap_add = {"net_raw", "NET_RAW", "all", "sys_admin"};
  o.cap_drop = {"CAP_CHOWN"};
  o.dns = {"0:0::1", "8.8.8.8"};
  o.dns_search = {"example.com. ", "."};
  o.extra_hosts = {"a=1.2.3.4", "b:[::1]"};
  o.stop_signal = "SIGINT";
  o.stop_timeout = 0;
  auto body = container_create_body(o, fake_io());
  const auto& h = (*body)["HostConfig"];
  EXPECT_EQ(dump(h["CapAdd"]), "[\"ALL\",\"CAP_NET_RAW\",\"CAP_SYS_ADMIN\"]\n");
  EXPECT_EQ(dump(h["CapDrop"]), "[\"CAP_CHOWN\"]\n");
  EXPECT_EQ(dump(h["Dns"]), "[\"::1\",\"8.8.8.8\"]\n");
  EXPECT_EQ(dump(h["DnsSearch"]), "[\"example.com\",\".\"]\n");
  EXPECT_EQ(dump(h["ExtraHosts"]), "[\"a:1.2.3.4\",\"b:::1\"]\n");
  EXPECT_EQ((*body)["StopSignal"], "SIGINT");
  EXPECT_EQ((*body)["StopTimeout"], 0);
}

TEST(CreateBody, EntrypointAndMac) {
  auto o = image("host");
  o.entrypoint = "";
  EXPECT_EQ(dump((*container_create_body(o, fake_io()))["Entrypoint"]), "[\"\"]\n");
  o.mac_address = "12:34";
  EXPECT_EQ(container_create_body(o, fake_io()).error().message(),
            "12:34 is not a valid mac address");
}

// ----------------------------------------------------------- validators --

TEST(Validators, DockerMessages) {
  EXPECT_EQ(*validate_env("=x"), "invalid environment variable: =x");
  EXPECT_FALSE(validate_env("A"));
  EXPECT_EQ(*validate_container_label(""), "invalid label '': empty name");
  EXPECT_EQ(*validate_container_label("a b=1"), "label 'a b' contains whitespaces");
  EXPECT_EQ(*validate_extra_host("foo"), "bad format for add-host: \"foo\"");
  EXPECT_EQ(*validate_extra_host("foo:bar"), "invalid IP address in add-host: \"bar\"");
  EXPECT_FALSE(validate_extra_host("foo:host-gateway"));
  EXPECT_EQ(*validate_ip_address("1.2.3"), "IP address is not correctly formatted: 1.2.3");
  EXPECT_EQ(*validate_dns_search(".bad"), ".bad is not a valid domain");
  EXPECT_FALSE(validate_dns_search("."));
  EXPECT_EQ(*validate_attach("x"), "valid streams are STDIN, STDOUT and STDERR");
  EXPECT_TRUE(valid_mac("02:42:ac:11:00:02"));
  EXPECT_TRUE(valid_mac("02-42-AC-11-00-02"));
  EXPECT_TRUE(valid_mac("0242.ac11.0002"));
  EXPECT_FALSE(valid_mac("02:42:ac:11:00"));
  EXPECT_EQ(normalize_ip("::ffff:1.2.3.4"), "1.2.3.4");
}

TEST(Validators, GoInts) {
  EXPECT_EQ(*parse_go_int("10"), 10);
  EXPECT_EQ(*parse_go_int("-3"), -3);
  EXPECT_EQ(*parse_go_int("0x10"), 16);
  EXPECT_EQ(*parse_go_int("010"), 8);
  EXPECT_EQ(parse_go_int("x").error().message(), "strconv.ParseInt: parsing \"x\": invalid syntax");
  EXPECT_EQ(parse_go_int("99999999999999999999").error().message(),
            "strconv.ParseInt: parsing \"99999999999999999999\": value out of range");
}

}  // namespace
}  // namespace berth::cli
