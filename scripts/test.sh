#!/usr/bin/env bash
# `make test`: dependencies, build, then every test (unit tests through ctest,
# root tests in namespaces they create, bats integration tests against a real
# berthd in a private network namespace). Prints the time of each phase.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
JOBS=${JOBS:-2}

if [[ $(id -u) -ne 0 ]]; then
  echo "make test needs root (network namespaces, bridges, nftables): run sudo make test" >&2
  exit 1
fi

t0=$(date +%s)
bash scripts/install-deps.sh
t1=$(date +%s)
# -O2 without debug info: a quicker clean build on 2 cores (a plain `make`
# keeps RelWithDebInfo for debugging).
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" \
  -DBERTH_WERROR=ON > /dev/null
if ! make -C "$BUILD" -j"$JOBS" --no-print-directory > "$BUILD/build.log" 2>&1; then
  tail -n 60 "$BUILD/build.log" >&2
  echo "build failed (full log: $BUILD/build.log)" >&2
  exit 1
fi
t2=$(date +%s)

status=0
(cd "$BUILD" && ctest --output-on-failure -j"$JOBS") || status=1
BERTH_BIN="$PWD/$BUILD/src/cmd" bats --timing tests/integration || status=1
# A short libFuzzer run of the DNS answer path under ASan/UBSan (clang); the
# long one is `make fuzz`.
if command -v clang++ > /dev/null; then
  FUZZ_TARGETS=dns_answer_fuzz FUZZ_SECONDS=${DNS_FUZZ_SECONDS:-10} bash scripts/fuzz.sh || status=1
fi
t3=$(date +%s)

echo
echo "times: deps $((t1 - t0)) s, build $((t2 - t1)) s, tests $((t3 - t2)) s"
exit $status
