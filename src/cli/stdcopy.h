// Docker's multiplexed stream framing (pkg/stdcopy), as the CLI decodes it
// for logs and non-TTY attach: each frame is [stream, 0, 0, 0, size (4
// bytes, big endian)] + payload; stream 0 and 1 go to stdout, 2 to stderr,
// 3 is an error from the daemon. Pure and incremental: bytes are fed as
// they arrive, complete frames are handed to the sink.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace berth::cli {

class StdDemux {
 public:
  enum class Stream { kStdout, kStderr };
  using Sink = std::function<void(Stream, std::string_view)>;

  // Feeds bytes. An error ends the stream: "error from daemon in stream:
  // <text>" for a systemerr frame, "Unrecognized input header: N" for an
  // unknown stream byte. A frame cut off by the end of the data is
  // dropped, as StdCopy does.
  Status feed(std::string_view data, const Sink& sink);

 private:
  std::string pending_;
};

// The `since`/`until` query value for a --since/--until flag, as docker's
// timetypes.GetTimestamp: a Go duration ("10m") counts back from `now`
// (unix seconds), RFC 3339 forms become "<sec>.<nanos>", a unix timestamp
// passes through. Errors read as docker's.
Result<std::string> log_timestamp(const std::string& value, long long now_unix);

}  // namespace berth::cli
