// berthd: the berth engine. Wiring only; see src/daemon/.
#include <spdlog/spdlog.h>

#include "daemon/config.h"
#include "daemon/daemon.h"

int main(int argc, char** argv) {
  auto parsed = berth::daemon::parse_args(argc, argv);
  if (!parsed.ok()) {
    spdlog::critical("{}", parsed.error().message());
    return 1;
  }
  if (parsed->exit_now) return parsed->exit_code;
  return berth::daemon::run(parsed->cfg);
}
