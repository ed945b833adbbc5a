#!/usr/bin/env bash
# `network connect` + `network disconnect` of a running container (issue 4):
# berthd against a private dockerd 20.10 (the peer), in the same run, cases
# interleaved.
#
# Both daemons run inside network namespaces this script creates, never in
# the machine's own: berthd through the test harness (tests/lib/harness.bash),
# dockerd through bench/lib.sh. Everything is stopped by PID and removed on
# exit, also on failure or Ctrl-C.
#
# Each daemon gets two networks (cbnet1, cbnet2) and one running container
# `cb` on cbnet1 (berthd: image `host`; dockerd: busybox:bench, `docker
# import` of a busybox-static rootfs). Each run then does N pairs, one after
# another on one curl connection:
#   POST /v1.41/networks/cbnet2/connect    {"Container":"cb"}       (a veth
#        pair into the running container's namespace, address, route, hosts)
#   POST /v1.41/networks/cbnet2/disconnect {"Container":"cb"}
# latency = curl's time_total of each request; per run p50 / p95 (nearest
# rank) of the N connects and of the N disconnects, reported as the median
# over runs (min..max). CPU per connect+disconnect pair from /proc/PID/stat
# deltas around the run: the daemon's utime+stime, its reaped children, and
# (dockerd) its containerd, self + reaped.
#
#   RUNS=5 N=20 bench/connect_bench.sh [> section.md]
# Progress goes to stderr, the markdown to stdout.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export BERTH_BIN=${BERTH_BIN:-$REPO/build/src/cmd}
RUNS=${RUNS:-5}
N=${N:-20}
WARMUP=${WARMUP:-3}
DOCKERD_STORAGE=${DOCKERD_STORAGE:-overlay2}
BUSYBOX=${BUSYBOX:-/bin/busybox}
REQ_TIMEOUT=${REQ_TIMEOUT:-30}
API=v1.41
HZ=$(getconf CLK_TCK)
export LC_ALL=C

# shellcheck source=bench/lib.sh
source "$REPO/bench/lib.sh"
[[ $(id -u) == 0 ]] || die "needs root (network namespaces)"
[[ -x $BERTH_BIN/berthd ]] || die "no berthd in $BERTH_BIN (make build, or set BERTH_BIN)"
(( RUNS >= 1 && RUNS <= 100 && N >= 1 && N <= 200 && WARMUP >= 0 && WARMUP <= 20 )) ||
  die "RUNS 1..100, N 1..200, WARMUP 0..20"
# shellcheck source=tests/lib/harness.bash
source "$REPO/tests/lib/harness.bash"
[[ -x $DOCKER20 ]] || die "no docker 20.10 CLI at $DOCKER20"
export BERTHD_LOG_LEVEL=${BERTHD_LOG_LEVEL:-info}

BT=$(mktemp -d /tmp/berth-connbench.XXXXXX)
LAT=$BT/lat.tsv    # daemon run op ms
CPUR=$BT/cpu.tsv   # daemon run metric ms-per-pair
: > "$LAT"
: > "$CPUR"
export DOCKER_CONFIG=$BT/docker-config
mkdir -p "$DOCKER_CONFIG"
dockerd_init "$BT/dockerd"

cleanup() {
  local rc=$?
  trap - INT TERM
  if [[ $rc != 0 && -f $DT/dockerd.log ]]; then tail -n 15 "$DT/dockerd.log" >&2 || true; fi
  dockerd_cleanup
  if [[ $rc != 0 && -f ${BERTHD_LOG:-} ]]; then tail -n 15 "$BERTHD_LOG" >&2 || true; fi
  harness_teardown
  rm -rf "$BT"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

sock_of() { if [[ $1 == berthd ]]; then echo "$SOCK"; else echo "$DSOCK"; fi; }
pid_of() { if [[ $1 == berthd ]]; then echo "$BERTHD_PID"; else echo "$DOCKERD_PID"; fi; }
image_of() { if [[ $1 == berthd ]]; then echo host; else echo busybox:bench; fi; }
dk() { local d=$1; shift; timeout "$REQ_TIMEOUT" "$DOCKER20" -H "unix://$(sock_of "$d")" "$@"; }

# pairs DAEMON COUNT -> COUNT lines "connect_s disconnect_s"
pairs() {
  local d=$1 count=$2 sock i args=() first=1
  sock=$(sock_of "$d")
  for i in $(seq 1 "$count"); do
    [[ -n $first ]] || args+=(--next)
    first=
    args+=(-s -o /dev/null --max-time "$REQ_TIMEOUT" --unix-socket "$sock" -w 'C %{http_code} %{time_total}\n'
      -X POST -H 'Content-Type: application/json' --data-binary '{"Container":"cb"}'
      "http://daemon/$API/networks/cbnet2/connect"
      --next -s -o /dev/null --max-time "$REQ_TIMEOUT" --unix-socket "$sock" -w 'D %{http_code} %{time_total}\n'
      -X POST -H 'Content-Type: application/json' --data-binary '{"Container":"cb","Force":false}'
      "http://daemon/$API/networks/cbnet2/disconnect")
  done
  curl "${args[@]}" > "$BT/api.out" || true
  awk -v n="$count" '
    $1 == "C" { if ($2 != 200) bad = bad " connect:" $2; c[++nc] = $3 }
    $1 == "D" { if ($2 != 200) bad = bad " disconnect:" $2; s[++ns] = $3 }
    END {
      if (nc != n || ns != n || bad != "") { print "FAIL" bad " (" nc "/" ns " answers)"; exit 1 }
      for (i = 1; i <= n; i++) printf "%.6f %.6f\n", c[i], s[i]
    }' "$BT/api.out"
}

measure() {
  local d=$1 run=$2 count=$3 record=${4:-} pid before after cb="0 0" ca="0 0" out
  pid=$(pid_of "$d")
  before=$(cpu "$pid")
  [[ $d == dockerd && -n $CONTAINERD_PID ]] && cb=$(cpu "$CONTAINERD_PID")
  out=$(pairs "$d" "$count") || die "$d run $run: ${out##*$'\n'}"
  after=$(cpu "$pid")
  [[ $d == dockerd && -n $CONTAINERD_PID ]] && ca=$(cpu "$CONTAINERD_PID")
  [[ -n $record ]] || return 0
  awk -v d="$d" -v r="$run" '{ printf "%s\t%s\tconnect\t%.3f\n%s\t%s\tdisconnect\t%.3f\n", d, r, $1 * 1000, d, r, $2 * 1000 }' \
    <<< "$out" >> "$LAT"
  awk -v d="$d" -v r="$run" -v n="$count" -v hz="$HZ" -v b="$before" -v a="$after" -v cb="$cb" -v ca="$ca" 'BEGIN {
      split(b, B, " "); split(a, A, " "); split(cb, CB, " "); split(ca, CA, " ")
      k = 1000 / hz / n
      self = (A[1] - B[1]) * k; kids = (A[2] - B[2]) * k; ctd = (CA[1] + CA[2] - CB[1] - CB[2]) * k
      printf "%s\t%s\tdaemon\t%.3f\n%s\t%s\tchildren\t%.3f\n%s\t%s\tcontainerd\t%.3f\n%s\t%s\ttotal\t%.3f\n",
        d, r, self, d, r, kids, d, r, ctd, d, r, self + kids + ctd }' >> "$CPUR"
  awk -F'\t' -v d="$d" -v r="$run" '$1 == d && $2 == r && $3 == "connect" { print $4 }' "$LAT" | sort -n |
    awk -v t="$d run $run" '{ v[NR] = $1 } END { printf "  %s: connect p50 %.1f ms\n", t, v[int((NR + 1) / 2)] }' >&2
}

log "berthd: namespace + daemon through the harness"
harness_setup connbench
berthd_start
DAEMONS=(berthd)
STORAGE=
if dockerd_start --storage-driver="$DOCKERD_STORAGE"; then
  STORAGE=$DOCKERD_STORAGE
elif [[ $DOCKERD_STORAGE != vfs ]]; then
  STORAGE_FALLBACK="$DOCKERD_STORAGE failed ($DOCKERD_STATUS)"
  dockerd_stop
  rm -rf "$DT"
  dockerd_start --storage-driver=vfs && STORAGE=vfs
fi
if [[ -n $STORAGE ]]; then
  DAEMONS+=(dockerd)
else
  log "dockerd could not be run: $DOCKERD_STATUS -- measuring berthd alone"
  dockerd_stop
fi
if [[ ${#DAEMONS[@]} == 2 ]]; then
  ldd "$BUSYBOX" > /dev/null 2>&1 && die "$BUSYBOX is not static (apt-get install busybox-static)"
  RFS=$BT/rootfs
  mkdir -p "$RFS"/{bin,etc,proc,sys,dev,tmp,root}
  cp "$BUSYBOX" "$RFS/bin/busybox"
  for a in $("$BUSYBOX" --list); do [[ $a == busybox ]] || ln -s busybox "$RFS/bin/$a"; done
  printf 'root:x:0:0:root:/root:/bin/sh\n' > "$RFS/etc/passwd"
  printf 'root:x:0:\n' > "$RFS/etc/group"
  tar -C "$RFS" -c . | dk dockerd import -c 'CMD ["sh"]' - busybox:bench > /dev/null || die "docker import failed"
  rm -rf "$RFS"
fi
for d in "${DAEMONS[@]}"; do
  dk "$d" network create --subnet 10.231.1.0/24 cbnet1 > /dev/null || die "$d: network create cbnet1"
  dk "$d" network create --subnet 10.231.2.0/24 cbnet2 > /dev/null || die "$d: network create cbnet2"
  dk "$d" run -d --name cb --net cbnet1 "$(image_of "$d")" sleep 3600 > /dev/null || die "$d: run cb"
done
BERTHD_VER=$(curl -s --max-time 5 --unix-socket "$SOCK" "http://d/$API/version" | jq -r '"\(.Version) (API \(.ApiVersion))"')
DOCKERD_VER=-
[[ ${#DAEMONS[@]} == 2 ]] &&
  DOCKERD_VER=$(curl -s --max-time 5 --unix-socket "$DSOCK" "http://d/$API/version" | jq -r '"\(.Version) (API \(.ApiVersion))"')

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
T_START=$(date +%s)
for d in "${DAEMONS[@]}"; do
  (( WARMUP > 0 )) && measure "$d" w "$WARMUP"
done
for run in $(seq 1 "$RUNS"); do
  order=("${DAEMONS[@]}")
  if (( run % 2 == 0 )) && [[ ${#order[@]} == 2 ]]; then order=("${order[1]}" "${order[0]}"); fi
  for d in "${order[@]}"; do measure "$d" "$run" "$N" record; done
done
T_END=$(date +%s)
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

cat <<EOF
### \`network connect\` + \`disconnect\` of a running container: berthd vs dockerd 20.10

- berthd $BERTHD_VER, own namespace (harness), \`--log-level $BERTHD_LOG_LEVEL\`; dockerd: $([[ ${#DAEMONS[@]} == 2 ]] && echo "$DOCKERD_VER, own namespace and roots, storage $STORAGE${STORAGE_FALLBACK:+ (**$STORAGE_FALLBACK**)}" || echo "**not measured**: $DOCKERD_STATUS")
- each daemon: networks cbnet1, cbnet2, container \`cb\` running on cbnet1; per run N=$N pairs \`POST /networks/cbnet2/connect\` + \`POST /networks/cbnet2/disconnect\` one after another on one curl connection (API $API)
- $RUNS runs per daemon, interleaved (order alternates per run), $WARMUP-pair warm-up not counted; $(( T_END - T_START )) s; load average before: $LOAD_BEFORE, after: $LOAD_AFTER
- latency: curl's time_total per request; p50 / p95 (nearest rank) of a run's N requests, shown as the median over runs (min..max)
- CPU per connect+disconnect pair (median over runs), /proc/PID/stat deltas around a run (${HZ} Hz ticks, $(awk -v hz="$HZ" -v n="$N" 'BEGIN { printf "%.2f", 1000 / hz / n }') ms per pair resolution): *daemon* utime+stime, *children* what it reaped, *containerd* (dockerd) self + reaped

EOF
python3 - "$LAT" "$CPUR" <<'EOF'
import math, statistics, sys
from collections import defaultdict
lat = defaultdict(lambda: defaultdict(list))
for line in open(sys.argv[1]):
    d, r, op, ms = line.rstrip("\n").split("\t")
    lat[(d, op)][r].append(float(ms))
cpu = defaultdict(list)
for line in open(sys.argv[2]):
    d, r, m, v = line.rstrip("\n").split("\t")
    cpu[(d, m)].append(float(v))
def pct(v, p):
    v = sorted(v)
    return v[max(0, math.ceil(p / 100 * len(v)) - 1)]
def fmt(x):
    return f"{x:.3g}" if x < 100 else f"{x:.0f}"
def per_run(d, op, p):
    return [pct(v, p) for v in lat[(d, op)].values()]
def cell(v):
    return f"{fmt(statistics.median(v))} ({fmt(min(v))}..{fmt(max(v))})"
daemons = [d for d in ("berthd", "dockerd") if (d, "connect") in lat]
print("| daemon | runs x N | connect p50 [ms] | connect p95 [ms] | disconnect p50 [ms] | disconnect p95 [ms] |")
print("|---|---|---|---|---|---|")
for d in daemons:
    runs = lat[(d, "connect")]
    n = len(next(iter(runs.values())))
    print(f"| {d} | {len(runs)} x {n} | {cell(per_run(d, 'connect', 50))} | {cell(per_run(d, 'connect', 95))} | "
          f"{cell(per_run(d, 'disconnect', 50))} | {cell(per_run(d, 'disconnect', 95))} |")
print()
print("CPU per connect+disconnect pair [ms], median over runs (min..max):")
print()
print("| daemon | daemon | children | containerd | total |")
print("|---|---|---|---|---|")
for d in daemons:
    print(f"| {d} | " + " | ".join("-" if (m == "containerd" and d == "berthd") else cell(cpu[(d, m)])
                                  for m in ("daemon", "children", "containerd", "total")) + " |")
if len(daemons) == 2:
    print()
    r = lambda op: statistics.median(per_run("berthd", op, 50)) / statistics.median(per_run("dockerd", op, 50))
    cb, cd = statistics.median(cpu[("berthd", "total")]), statistics.median(cpu[("dockerd", "total")])
    print(f"Ratios berthd/dockerd of the medians (< 1: berthd faster/cheaper): connect p50 {r('connect'):.2f}, "
          f"disconnect p50 {r('disconnect'):.2f}, CPU per pair " + (f"{cb / cd:.2f}" if cd > 0 else "n/a") + ".")
EOF
