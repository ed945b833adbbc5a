// The attached side of a foreground `run`, as docker's hijackedIOStreamer
// (cli/command/container/hijack.go): the container's output from the
// hijacked connection to stdout/stderr (raw with a TTY, else
// demultiplexed), berth's stdin (when attached) to the connection,
// half-closed at its end. With a TTY and a terminal on stdin, the
// terminal is put in raw mode and the detach keys (Ctrl-P Ctrl-Q) end the
// session without stopping the container.
#pragma once

#include <iosfwd>
#include <string>
#include <string_view>

#include "client/api_client.h"
#include "common/result.h"

namespace berth::cli {

struct AttachStreams {
  std::ostream& out;
  std::ostream& err;
  // stdin when it is attached: a descriptor (the real CLI) or, when
  // in_fd < 0, this stream (tests).
  std::istream* in = nullptr;
  int in_fd = -1;
};

enum class AttachEnd { kOutputEnded, kDetached };

// Streams until the daemon ends the output (the process exited) or the
// user detaches.
Result<AttachEnd> stream_attached(client::HijackedConnection& conn, bool tty, bool with_stdin,
                                  AttachStreams streams);

// term.NewEscapeProxy for the default detach keys: feeds input bytes,
// returns those to forward; sets *detached once Ctrl-P Ctrl-Q was typed
// (the two keys are not forwarded). A Ctrl-P not followed by Ctrl-Q is
// forwarded with the next byte. Pure.
class EscapeProxy {
 public:
  std::string feed(std::string_view in, bool* detached);

 private:
  bool pending_ = false;
};

}  // namespace berth::cli
