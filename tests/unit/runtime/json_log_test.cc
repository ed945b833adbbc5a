// json-file log lines: dockerd's encoding, parsing, line splitting, filters.
#include <gtest/gtest.h>

#include "runtime/log_splitter.h"
#include "runtime/runtime.h"

namespace berth::runtime {
namespace {

constexpr int64_t kT = 1795831826123456789;  // 2026-11-28T02:10:26.123456789Z

TEST(FormatLogLine, AsDockerd) {
  EXPECT_EQ(
      format_log_line("stdout", "hello\n", kT),
      "{\"log\":\"hello\\n\",\"stream\":\"stdout\",\"time\":\"2026-11-28T02:10:26.123456789Z\"}\n");
}

TEST(FormatLogLine, EscapesLikeJsonlog) {
  const std::string got = format_log_line("stderr", "a\tb<c>&\"\\\r\x01\n", 1795831826100000000);
  EXPECT_EQ(
      got,
      "{\"log\":\"a\\u0009b\\u003cc\\u003e\\u0026\\\"\\\\\\r\\u0001\\n\",\"stream\":\"stderr\","
      "\"time\":\"2026-11-28T02:10:26.1Z\"}\n");
}

TEST(FormatLogLine, InvalidUtf8AndLineSeparators) {
  const std::string got = format_log_line("stdout", "\xff\xc3\xa9\xe2\x80\xa8", kT);
  EXPECT_NE(got.find("\"log\":\"\\ufffd\xc3\xa9\\u2028\""), std::string::npos);
}

TEST(ParseLogLine, RoundTrip) {
  for (const std::string text : {"hello\n", "tab\tand \"quotes\" <x>\r\n", "partial"}) {
    auto l = parse_log_line(format_log_line("stderr", text, kT));
    ASSERT_TRUE(l.has_value());
    EXPECT_EQ(l->text, text);
    EXPECT_EQ(l->stream, "stderr");
    EXPECT_EQ(l->time_nanos, kT);
  }
}

TEST(ParseLogLine, DockerWrittenLineAndOffsets) {
  auto l =
      parse_log_line(R"({"log":"hi\n","stream":"stdout","time":"2026-11-28T02:10:26.5+01:00"})");
  ASSERT_TRUE(l.has_value());
  EXPECT_EQ(l->time_nanos, 1795831826500000000 - 3600'000'000'000);
  EXPECT_FALSE(parse_log_line("not json").has_value());
  EXPECT_FALSE(parse_log_line(R"({"log":"x","stream":"stdout"})").has_value());
  EXPECT_FALSE(parse_log_line(R"({"log":"x","time":"yesterday"})").has_value());
}

TEST(LogSplitter, LinesPartialsAndFlush) {
  LogSplitter s("stdout");
  EXPECT_EQ(s.feed("he", kT), "");
  const std::string two = s.feed("llo\nwor", kT);
  auto lines = parse_log_chunk(two);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].text, "hello\n");
  lines = parse_log_chunk(s.feed("ld\n\n", kT));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].text, "world\n");
  EXPECT_EQ(lines[1].text, "\n");
  EXPECT_EQ(s.flush(kT), "");
  s.feed("prompt# ", kT);
  lines = parse_log_chunk(s.flush(kT));
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].text, "prompt# ");
}

TEST(LogSplitter, LongLineCutAt16KiB) {
  LogSplitter s("stdout");
  const std::string big(LogSplitter::kMaxLine + 10, 'x');
  auto lines = parse_log_chunk(s.feed(big + "\n", kT));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].text.size(), LogSplitter::kMaxLine);
  EXPECT_EQ(lines[1].text, std::string(10, 'x') + "\n");
}

std::vector<LogLine> sample() {
  std::string file;
  for (int i = 0; i < 6; ++i) {
    file += format_log_line(i % 2 ? "stderr" : "stdout", "l" + std::to_string(i) + "\n",
                            kT + i * 1000000000LL);
  }
  file += "garbage\n{\"log\":\"torn";
  size_t consumed = 0;
  auto lines = parse_log_chunk(file, &consumed);
  EXPECT_EQ(consumed, file.rfind('\n') + 1);
  return lines;
}

TEST(SelectLogLines, TailThenSinceThenStream) {
  ASSERT_EQ(sample().size(), 6u);
  LogFilter f;
  f.tail = 2;
  auto out = select_log_lines(sample(), f);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].text, "l4\n");
  f.stderr_stream = false;
  out = select_log_lines(sample(), f);
  ASSERT_EQ(out.size(), 1u);  // tail counts both streams, as dockerd
  EXPECT_EQ(out[0].text, "l4\n");
  f = LogFilter{};
  f.since_nanos = kT + 3 * 1000000000LL;
  f.until_nanos = kT + 4 * 1000000000LL;
  out = select_log_lines(sample(), f);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].text, "l3\n");
  f = LogFilter{};
  f.tail = 0;
  EXPECT_TRUE(select_log_lines(sample(), f).empty());
}

TEST(ReadLog, MissingFileIsEmpty) {
  uint64_t end = 7;
  auto r = read_log("/nonexistent/berth.log", LogFilter{}, &end);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());
  EXPECT_EQ(end, 0u);
}

}  // namespace
}  // namespace berth::runtime
