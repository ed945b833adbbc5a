// Turns a stream of container output into json-file entries the way dockerd's
// log copier does (daemon/logger/copier.go): one entry per line including its
// "\n"; a line longer than 16 KiB is cut into partial entries without "\n";
// what is left at end of stream becomes a last entry without "\n". A prompt
// without newline therefore waits for the next line, as in Docker. Pure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace berth::runtime {

class LogSplitter {
 public:
  static constexpr size_t kMaxLine = 16 * 1024;

  explicit LogSplitter(std::string stream) : stream_(std::move(stream)) {}

  // Consumes `data` read at `now` (Unix nanoseconds); returns the entries
  // (formatted, "\n"-terminated) for the lines it completed.
  std::string feed(std::string_view data, int64_t now);

  // The pending partial line as an entry ("" when none), for end of stream.
  std::string flush(int64_t now);

 private:
  std::string stream_;
  std::string pending_;
};

}  // namespace berth::runtime
