// berth-init: PID 1 inside every container (see runtime/init.h).
#include "runtime/init.h"

int main(int argc, char** argv) { return berth::runtime::init::init_main(argc, argv); }
