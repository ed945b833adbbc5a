// berth-shim: one per container, started by runtime::start(). See runtime.h
// for the bundle files it writes and shim_config.h for its report to start().
#pragma once

namespace berth::runtime {

// main() of berth-shim: `berth-shim --bundle DIR`, with fd 3 the report pipe.
// Forks once more so that the shim is nobody's child but init's (the process
// that start()ed it exits at once), then runs the container to its end.
int shim_main(int argc, char** argv);

}  // namespace berth::runtime
