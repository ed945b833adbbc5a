#include "cli/container_format.h"

#include <gtest/gtest.h>

#include "cli/image_ref.h"
#include "cli/stdcopy.h"

namespace berth::cli {
namespace {

TEST(HumanDuration, GoUnitsSteps) {
  EXPECT_EQ(human_duration(-5), "Less than a second");
  EXPECT_EQ(human_duration(0.5), "Less than a second");
  EXPECT_EQ(human_duration(1), "1 second");
  EXPECT_EQ(human_duration(3), "3 seconds");
  EXPECT_EQ(human_duration(59.9), "59 seconds");
  EXPECT_EQ(human_duration(60), "About a minute");
  EXPECT_EQ(human_duration(119), "About a minute");
  EXPECT_EQ(human_duration(120), "2 minutes");
  EXPECT_EQ(human_duration(59 * 60), "59 minutes");
  EXPECT_EQ(human_duration(3600), "About an hour");
  EXPECT_EQ(human_duration(5399), "About an hour");
  EXPECT_EQ(human_duration(5400), "2 hours");
  EXPECT_EQ(human_duration(47 * 3600), "47 hours");
  EXPECT_EQ(human_duration(50 * 3600), "2 days");
  EXPECT_EQ(human_duration(15 * 86400), "2 weeks");
  EXPECT_EQ(human_duration(90 * 86400), "3 months");
  EXPECT_EQ(human_duration(56.0 * 365 * 86400), "56 years");
}

TEST(HumanSize, DecimalUnitsThreeDigits) {
  EXPECT_EQ(human_size(0), "0B");
  EXPECT_EQ(human_size(999), "999B");
  EXPECT_EQ(human_size(1000), "1kB");
  EXPECT_EQ(human_size(12345), "12.3kB");
  EXPECT_EQ(human_size(987654321), "988MB");
}

TEST(Ellipsis, CutsToWidthWithMarker) {
  EXPECT_EQ(ellipsis("/docker-entrypoint.sh nginx", 20), "/docker-entrypoint.…");
  EXPECT_EQ(ellipsis("/bin/bash", 20), "/bin/bash");
  EXPECT_EQ(ellipsis("12345678901234567890", 20), "12345678901234567890");
  EXPECT_EQ(ellipsis("abc", 1), "a");
  EXPECT_EQ(ellipsis("abc", 0), "");
  // Wide characters take two columns.
  EXPECT_EQ(ellipsis("日本語テキスト", 6), "日本…");
}

TEST(DisplayablePorts, GroupsRangesAndMappings) {
  ojson ports = ojson::parse(R"([
    {"PrivatePort":80,"Type":"tcp"},
    {"IP":"0.0.0.0","PrivatePort":5001,"PublicPort":5001,"Type":"tcp"},
    {"IP":"::","PrivatePort":5001,"PublicPort":5001,"Type":"tcp"},
    {"IP":"0.0.0.0","PrivatePort":8000,"PublicPort":7000,"Type":"tcp"},
    {"IP":"0.0.0.0","PrivatePort":8001,"PublicPort":8001,"Type":"udp"},
    {"IP":"0.0.0.0","PrivatePort":8002,"PublicPort":8002,"Type":"udp"},
    {"PrivatePort":81,"Type":"tcp"},
    {"PrivatePort":82,"Type":"tcp"}])");
  EXPECT_EQ(displayable_ports(ports),
            "80-82/tcp, 0.0.0.0:5001->5001/tcp, [::]:5001->5001/tcp, "
            "0.0.0.0:8001-8002->8001-8002/udp, 0.0.0.0:7000->8000/tcp");
  EXPECT_EQ(displayable_ports(ojson::parse(
                R"([{"PrivatePort":80,"Type":"tcp"},{"PrivatePort":82,"Type":"tcp"}])")),
            "80/tcp, 82/tcp");
  EXPECT_EQ(displayable_ports(ojson::array()), "");
  EXPECT_EQ(displayable_ports(ojson()), "");
}

TEST(ContainerRow, Fields) {
  ojson c =
      ojson::parse(R"({"Id":"45f165d6751caaaabbbbccccddddeeeeffff0000111122223333444455556666",
    "Names":["/nettest1","/other/link"],"Image":"ubuntu@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "Command":"/bin/bash -c 'x'","Created":1000,"Labels":{"b":"2","a":"1"},"State":"exited",
    "Status":"Exited (0) 1 hour ago","SizeRw":12345,"SizeRootFs":987654321,
    "NetworkSettings":{"Networks":{"netlb":{},"bridge":{}}}})");
  ojson row = container_row(c, true, 1000 + 3 * 3600);
  EXPECT_EQ(row["ID"], "45f165d6751c");
  EXPECT_EQ(row["Names"], "nettest1");
  EXPECT_EQ(row["Image"], "ubuntu");
  EXPECT_EQ(row["Command"], "\"/bin/bash -c 'x'\"");
  EXPECT_EQ(row["RunningFor"], "3 hours ago");
  EXPECT_EQ(row["Labels"], "a=1,b=2");
  EXPECT_EQ(row["Size"], "12.3kB (virtual 988MB)");
  EXPECT_EQ(row["Networks"], "netlb,bridge");
  ojson full = container_row(c, false, 1000);
  EXPECT_EQ(full["Names"], "nettest1,other/link");
  EXPECT_EQ(full["ID"].get<std::string>().size(), 64u);
  EXPECT_EQ(container_row(ojson::object(), true, 0)["Image"], "<no image>");
}

TEST(PsList, QuietAndTemplates) {
  ojson list = ojson::parse(R"([{"Id":"78b47cf5e59f0000","Names":["/a"],"Labels":{"k":"v"}}])");
  PsOptions o;
  o.quiet = true;
  EXPECT_EQ(*render_container_list(list, o, false, 0), "78b47cf5e59f\n");
  o.quiet = false;
  o.format = "{{.Names}} {{.Label \"k\"}}";
  EXPECT_EQ(*render_container_list(list, o, false, 0), "a v\n");
  o.format = "table {{.Names}}\\t{{.Status}}";
  EXPECT_EQ(*render_container_list(list, o, false, 0), "NAMES     STATUS\na         \n");
}

TEST(PsList, SizeDetection) {
  EXPECT_FALSE(*ps_template_uses_size("{{.Names}}"));
  EXPECT_TRUE(*ps_template_uses_size("table {{.Size}}"));
  EXPECT_TRUE(*ps_template_uses_size("{{json .}}"));
  EXPECT_FALSE(*ps_template_uses_size("json"));
  EXPECT_EQ(ps_template_uses_size("{{.Foo}}").error().message(),
            "failed to execute template: template: :1:2: executing \"\" at <.Foo>: can't "
            "evaluate field Foo in type *formatter.ContainerContext");
  EXPECT_EQ(ps_template_uses_size("{{.Names").error().message(),
            "failed to parse template: template: :1: unclosed action");
}

TEST(ImageRef, Normalizes) {
  auto r = parse_image_reference("nginx");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->name(), "docker.io/library/nginx");
  EXPECT_EQ(tag_name_only(*r).familiar(), "nginx:latest");
  r = parse_image_reference("user/app:1");
  EXPECT_EQ(r->name(), "docker.io/user/app");
  EXPECT_EQ(r->familiar(), "user/app:1");
  r = parse_image_reference("localhost:5000/x");
  EXPECT_EQ(r->domain, "localhost:5000");
  EXPECT_EQ(tag_name_only(*r).familiar(), "localhost:5000/x:latest");
  EXPECT_FALSE(parse_image_reference(std::string(64, 'a'))->named);
  EXPECT_EQ(parse_image_reference("UPPER").error().message(),
            "invalid reference format: repository name (library/UPPER) must be lowercase");
  EXPECT_EQ(parse_image_reference("a:b:c").error().message(), "invalid reference format");
  EXPECT_EQ(parse_image_reference("").error().message(), "invalid reference format");
}

TEST(StdDemux, SplitsFramesAcrossFeeds) {
  std::string data;
  auto frame = [](int s, const std::string& p) {
    std::string f(8, '\0');
    f[0] = static_cast<char>(s);
    f[7] = static_cast<char>(p.size());
    return f + p;
  };
  data = frame(1, "out\n") + frame(2, "err\n") + frame(0, "in\n");
  std::string out, err;
  StdDemux d;
  auto sink = [&](StdDemux::Stream s, std::string_view v) {
    (s == StdDemux::Stream::kStderr ? err : out) += v;
  };
  for (char c : data) ASSERT_TRUE(d.feed(std::string_view(&c, 1), sink).ok());
  EXPECT_EQ(out, "out\nin\n");
  EXPECT_EQ(err, "err\n");
  StdDemux bad;
  EXPECT_EQ(bad.feed(frame(3, "boom"), sink).error().message(),
            "error from daemon in stream: boom");
  StdDemux worse;
  EXPECT_EQ(worse.feed(frame(7, "x"), sink).error().message(), "Unrecognized input header: 7");
}

TEST(LogTimestamp, DockerForms) {
  EXPECT_EQ(*log_timestamp("2026-01-01T00:00:00Z", 0), "1767225600.000000000");
  EXPECT_EQ(*log_timestamp("1700000000", 0), "1700000000");
  EXPECT_EQ(*log_timestamp("1700000000.5", 0), "1700000000.5");
  EXPECT_EQ(*log_timestamp("10m", 1000000), "999400");
  EXPECT_EQ(*log_timestamp("1h30m", 1000000), "994600");
  EXPECT_EQ(log_timestamp("yesterday", 0).error().message(),
            "failed to parse value as time or duration: \"yesterday\"");
}

}  // namespace
}  // namespace berth::cli
