#!/usr/bin/env bash
# `make fuzz`: builds the libFuzzer targets with clang (ASan + UBSan) in
# build-fuzz and runs each for FUZZ_SECONDS (default 60) on a corpus kept in
# build-fuzz/corpus/<target>. Not part of `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${FUZZ_SECONDS:-60}
B=build-fuzz
CXX=clang++ cmake -S . -B $B -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBERTH_FUZZ=ON -DBERTH_TESTS=OFF \
  -DBERTH_BENCH=OFF > /dev/null
targets=(${FUZZ_TARGETS:-ipam_fuzz api_decode_fuzz resolv_conf_fuzz dns_answer_fuzz lb_fuzz})
make -C $B -j"${JOBS:-2}" --no-print-directory "${targets[@]}"
for t in "${targets[@]}"; do
  mkdir -p "$B/corpus/$t"
  echo "== $t ($SECS s)"
  seeds=()
  [[ -d fuzz/corpus/$t ]] && seeds=(fuzz/corpus/$t)
  runs=()
  [[ -n ${FUZZ_RUNS:-} ]] && runs=(-runs="$FUZZ_RUNS")
  "$B/fuzz/$t" -max_total_time="$SECS" "${runs[@]}" -print_final_stats=1 "$B/corpus/$t" "${seeds[@]}" 2>&1 | tail -n 12
done
