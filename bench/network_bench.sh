#!/usr/bin/env bash
# Network create+rm through the Docker Engine API: berthd against a private
# dockerd 20.10 (the peer), in the same run, cases interleaved.
#
# Both daemons run inside network namespaces this script creates, never in
# the machine's own: berthd through the test harness (tests/lib/harness.bash),
# dockerd through bench/lib.sh (`nsenter --net=/run/netns/NAME`, its own
# --data-root, --exec-root, --pidfile, -H unix://..., --config-file,
# --cgroup-parent; its own managed containerd). Its iptables rules live in its
# namespace. Everything is stopped by PID and removed on exit, also on
# failure or Ctrl-C.
#
# Clients, the same for both daemons:
#   api  one curl process per run sends the N create+rm pairs (POST
#        /v1.41/networks/create, DELETE /v1.41/networks/NAME) on one
#        connection; latency = curl's time_total of each request
#   cli  the docker 20.10 CLI (/usr/bin/docker, API 1.41), one process per
#        command; latency = wall time of each process (date +%s%N)
# Daemon CPU: utime+stime of the daemon process (all threads) from
# /proc/PID/stat before and after each run, per create+rm pair; the CPU of
# the children it spawned and reaped (nft for berthd, iptables for dockerd)
# is counted separately (cutime+cstime).
#
#   RUNS=5 N=20 CLIENTS="api cli" bench/network_bench.sh [> section.md]
# Progress goes to stderr, the markdown results to stdout. Raw rows are kept
# in $BENCH_RAW if set (TSV: daemon client run metric value).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export BERTH_BIN=${BERTH_BIN:-$REPO/build/src/cmd}
RUNS=${RUNS:-5}
N=${N:-20}
CLIENTS=${CLIENTS:-api cli}
WARMUP=${WARMUP:-3}
DOCKERD=${DOCKERD:-/usr/sbin/dockerd}
REQ_TIMEOUT=${REQ_TIMEOUT:-30}   # seconds, bound on every request/command
API=v1.41
HZ=$(getconf CLK_TCK)

# shellcheck source=bench/lib.sh
source "$REPO/bench/lib.sh"

[[ $(id -u) == 0 ]] || die "needs root (network namespaces)"
[[ -x $BERTH_BIN/berthd ]] || die "no berthd in $BERTH_BIN (make build, or set BERTH_BIN)"
(( RUNS >= 1 && RUNS <= 100 && N >= 1 && N <= 1000 )) || die "RUNS 1..100, N 1..1000"

# shellcheck source=tests/lib/harness.bash
source "$REPO/tests/lib/harness.bash"
# dockerd logs at info by default; berthd the same, for fairness.
export BERTHD_LOG_LEVEL=info

BT=$(mktemp -d /tmp/berth-bench.XXXXXX)
ROWS=$BT/rows.tsv
: > "$ROWS"
# The docker CLI reads (and may create) its config dir: keep it in ours.
export DOCKER_CONFIG=$BT/docker-config
mkdir -p "$DOCKER_CONFIG"

# ------------------------------------------------------------------ dockerd
dockerd_init "$BT/dockerd"

cleanup() {
  local rc=$?
  if [[ $rc != 0 && -f $DT/dockerd.log ]]; then
    log "dockerd log (last lines):"
    tail -n 15 "$DT/dockerd.log" >&2 || true
  fi
  dockerd_cleanup
  if [[ $rc != 0 && -f ${BERTHD_LOG:-} ]]; then
    log "berthd log (last lines):"
    tail -n 15 "$BERTHD_LOG" >&2 || true
  fi
  harness_teardown
  rm -rf "$BT"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------------ measuring
# shellcheck disable=SC2153  # SOCK is set by harness_setup
sock_of() { if [[ $1 == berthd ]]; then echo "$SOCK"; else echo "$DSOCK"; fi; }
pid_of() { if [[ $1 == berthd ]]; then echo "$BERTHD_PID"; else echo "$DOCKERD_PID"; fi; }

# pairs_api SOCK PREFIX COUNT -> COUNT lines "create_s rm_s"; fails on any
# unexpected status.
pairs_api() {
  local sock=$1 prefix=$2 count=$3 i args=() first=1
  for i in $(seq 1 "$count"); do
    [[ -n $first ]] || args+=(--next)
    first=
    args+=(-s -o /dev/null --max-time "$REQ_TIMEOUT" --unix-socket "$sock" -w 'C %{http_code} %{time_total}\n'
      -X POST -H 'Content-Type: application/json'
      --data-binary "{\"Name\":\"$prefix-$i\",\"Driver\":\"bridge\",\"CheckDuplicate\":true}"
      "http://daemon/$API/networks/create"
      --next -s -o /dev/null --max-time "$REQ_TIMEOUT" --unix-socket "$sock" -w 'R %{http_code} %{time_total}\n'
      -X DELETE "http://daemon/$API/networks/$prefix-$i")
  done
  curl "${args[@]}" > "$BT/api.out" || true
  awk -v n="$count" '
    $1 == "C" { if ($2 != 201) bad = bad " create:" $2; c[++nc] = $3 }
    $1 == "R" { if ($2 != 204) bad = bad " rm:" $2; r[++nr] = $3 }
    END {
      if (nc != n || nr != n || bad != "") { print "FAIL" bad " (" nc "/" nr " answers)"; exit 1 }
      for (i = 1; i <= n; i++) print c[i], r[i]
    }' "$BT/api.out"
}

# pairs_cli SOCK PREFIX COUNT -> COUNT lines "create_s rm_s"
pairs_cli() {
  local sock=$1 prefix=$2 count=$3 i t0 t1 t2
  for i in $(seq 1 "$count"); do
    t0=$(date +%s%N)
    timeout "$REQ_TIMEOUT" "$DOCKER20" -H "unix://$sock" network create --driver bridge "$prefix-$i" > /dev/null ||
      { echo "FAIL docker network create $prefix-$i"; return 1; }
    t1=$(date +%s%N)
    timeout "$REQ_TIMEOUT" "$DOCKER20" -H "unix://$sock" network rm "$prefix-$i" > /dev/null ||
      { echo "FAIL docker network rm $prefix-$i"; return 1; }
    t2=$(date +%s%N)
    awk -v a="$t0" -v b="$t1" -v c="$t2" 'BEGIN { printf "%.6f %.6f\n", (b - a) / 1e9, (c - b) / 1e9 }'
  done
}

# measure DAEMON CLIENT RUN COUNT [record]
measure() {
  local d=$1 c=$2 run=$3 count=$4 record=${5:-}
  local sock pid before after out
  sock=$(sock_of "$d")
  pid=$(pid_of "$d")
  before=$(cpu "$pid")
  if ! out=$("pairs_$c" "$sock" "bb$run" "$count"); then
    die "$d/$c run $run: ${out##*$'\n'}"
  fi
  after=$(cpu "$pid")
  [[ -n $record ]] || return 0
  awk -v d="$d" -v c="$c" -v r="$run" -v n="$count" -v hz="$HZ" \
    -v b="$before" -v a="$after" '
    { cs += $1; rs += $2 }
    END {
      split(b, B, " "); split(a, A, " ")
      printf "%s\t%s\t%s\tpair_ms\t%.3f\n", d, c, r, (cs + rs) * 1000 / n
      printf "%s\t%s\t%s\tcreate_ms\t%.3f\n", d, c, r, cs * 1000 / n
      printf "%s\t%s\t%s\trm_ms\t%.3f\n", d, c, r, rs * 1000 / n
      printf "%s\t%s\t%s\tcpu_ms\t%.3f\n", d, c, r, (A[1] - B[1]) * 1000 / hz / n
      printf "%s\t%s\t%s\tchild_cpu_ms\t%.3f\n", d, c, r, (A[2] - B[2]) * 1000 / hz / n
    }' <<< "$out" | tee -a "$ROWS" | awk -F'\t' '$4 == "pair_ms" { printf "  %s/%s run %s: %s ms per create+rm\n", $1, $2, $3, $5 }' >&2
}

# ------------------------------------------------------------------ run
log "berthd: namespace + daemon through the harness"
harness_setup bench
berthd_start
[[ $(cat "/proc/$BERTHD_PID/comm" 2> /dev/null) == berthd ]] || die "pid $BERTHD_PID is not berthd"
log "berthd pid $BERTHD_PID, namespace $NS"

DAEMONS=(berthd)
log "dockerd: own namespace $DNS_NS, state in $DT"
if dockerd_start --storage-driver=vfs; then
  DAEMONS+=(dockerd)
  log "dockerd pid $DOCKERD_PID (containerd pid ${CONTAINERD_PID:-?})"
else
  log "dockerd could not be run: $DOCKERD_STATUS -- measuring berthd alone"
  dockerd_stop
fi

BERTHD_VER=$(curl -s --max-time 5 --unix-socket "$SOCK" "http://d/$API/version" | jq -r '"\(.Version) (API \(.ApiVersion))"')
DOCKERD_VER=-
if [[ ${#DAEMONS[@]} == 2 ]]; then
  DOCKERD_VER=$(curl -s --max-time 5 --unix-socket "$DSOCK" "http://d/$API/version" | jq -r '"\(.Version) (API \(.ApiVersion))"')
fi
CLIENT_VER=$("$DOCKER20" --version)
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
T_START=$(date +%s)

for c in $CLIENTS; do
  for d in "${DAEMONS[@]}"; do
    log "warm-up $d/$c ($WARMUP pairs)"
    measure "$d" "$c" w "$WARMUP"
  done
done
for run in $(seq 1 "$RUNS"); do
  order=("${DAEMONS[@]}")
  # Alternate which daemon goes first, so drift in the machine's load is shared.
  if (( run % 2 == 0 )) && [[ ${#order[@]} == 2 ]]; then order=("${order[1]}" "${order[0]}"); fi
  for c in $CLIENTS; do
    for d in "${order[@]}"; do
      measure "$d" "$c" "$run" "$N" record
    done
  done
done
T_END=$(date +%s)
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
[[ -n ${BENCH_RAW:-} ]] && cp "$ROWS" "$BENCH_RAW"

# ------------------------------------------------------------------ report
cat <<EOF
### Network create+rm: berthd vs dockerd 20.10

- berthd $BERTHD_VER, in its own namespace (harness), \`--log-level info\`
- dockerd: $([[ ${#DAEMONS[@]} == 2 ]] && echo "$DOCKERD_VER, own namespace, vfs, cgroupfs, \`--iptables=true\` (rules in its namespace), managed containerd" || echo "**not measured**: $DOCKERD_STATUS")
- clients: \`api\` = one curl process per run, requests on one connection, latency from curl's time_total; \`cli\` = $CLIENT_VER, one process per command, wall time
- $RUNS runs x $N create+rm pairs per case, interleaved (daemon order alternates per run), $WARMUP-pair warm-up per case not counted; $(( T_END - T_START )) s; load average before: $LOAD_BEFORE, after: $LOAD_AFTER
- values: median of the per-run means (min..max over runs); CPU = daemon's utime+stime per create+rm pair, child CPU = its reaped children (nft / iptables) per pair; /proc ticks are ${HZ} Hz, i.e. $(awk -v hz="$HZ" -v n="$N" 'BEGIN { printf "%.2f", 1000 / hz / n }') ms per pair resolution

EOF
python3 - "$ROWS" <<'EOF'
import statistics, sys
from collections import defaultdict
rows = defaultdict(list)
for line in open(sys.argv[1]):
    d, c, r, m, v = line.rstrip("\n").split("\t")
    rows[(d, c, m)].append(float(v))
metrics = [("pair_ms", "create+rm [ms]"), ("create_ms", "create [ms]"), ("rm_ms", "rm [ms]"),
           ("cpu_ms", "daemon CPU [ms/pair]"), ("child_cpu_ms", "child CPU [ms/pair]")]
def fmt(x):
    return f"{x:.3g}" if x < 100 else f"{x:.0f}"
def cell(vals):
    return f"{fmt(statistics.median(vals))} ({fmt(min(vals))}..{fmt(max(vals))})"
clients = sorted({c for _, c, _ in rows}, key=["api", "cli"].index)
daemons = [d for d in ("berthd", "dockerd") if any(k[0] == d for k in rows)]
print("| daemon/client | runs | " + " | ".join(h for _, h in metrics) + " |")
print("|---" * (len(metrics) + 2) + "|")
for c in clients:
    for d in daemons:
        n = len(rows[(d, c, "pair_ms")])
        print(f"| {d}/{c} | {n} | " + " | ".join(cell(rows[(d, c, m)]) for m, _ in metrics) + " |")
if len(daemons) == 2:
    print()
    print("Ratios berthd/dockerd (of the medians; < 1 means berthd is faster or cheaper):")
    print()
    print("| client | " + " | ".join(h for _, h in metrics) + " |")
    print("|---" * (len(metrics) + 1) + "|")
    for c in clients:
        cells = []
        for m, _ in metrics:
            a = statistics.median(rows[("berthd", c, m)])
            b = statistics.median(rows[("dockerd", c, m)])
            cells.append(f"{a / b:.2f}" if b > 0 else "n/a (peer 0)")
        print(f"| {c} | " + " | ".join(cells) + " |")
EOF
