// berth-shim: one per container, outside its namespaces (see runtime/shim.h).
#include "runtime/shim.h"

int main(int argc, char** argv) { return berth::runtime::shim_main(argc, argv); }
