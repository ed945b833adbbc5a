// The composition root of berthd: takes the data root's lock, opens the
// store, the kernel interfaces and the engine, reconciles, serves the API
// until SIGTERM/SIGINT.
#pragma once

#include "daemon/config.h"

namespace berth::daemon {

// Runs berthd; returns the process exit code.
int run(const DaemonConfig& cfg);

}  // namespace berth::daemon
