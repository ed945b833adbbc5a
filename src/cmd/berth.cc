// berth: the command-line client of berthd (docker-compatible verbs).
#include "cli/cli.h"

int main(int argc, char** argv) { return berth::cli::run(argc, argv); }
