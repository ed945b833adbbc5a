#!/usr/bin/env bash
# Network create+rm through the Docker Engine API: berthd against a private
# dockerd 20.10 (the peer), in the same run, cases interleaved.
#
# Both daemons run inside network namespaces this script creates, never in
# the machine's own: berthd through the test harness (tests/lib/harness.bash),
# dockerd with `nsenter --net=/run/netns/NAME` and its own --data-root,
# --exec-root, --pidfile, -H unix://..., --config-file; it starts its own
# (managed) containerd, as the anchors' docker-golden.sh did. Its iptables
# rules live in its namespace. Everything is stopped by PID and removed on
# exit, also on failure or Ctrl-C.
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

log() { echo "[$(date +%H:%M:%S)] $*" >&2; }
die() { log "FATAL: $*"; exit 1; }

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
DNS_NS="berth-bench-dockerd-$$"
DT=$BT/dockerd
DSOCK=$DT/docker.sock
DOCKERD_PID=
DOCKERD_STATUS="not started"
CONTAINERD_PID=
# Host paths dockerd 20.10 creates outside --data-root/--exec-root: removed
# at exit only if they did not exist before.
HAD_RUN_DOCKER=; [[ -e /run/docker ]] && HAD_RUN_DOCKER=1
HAD_KEY_JSON=; [[ -e /etc/docker/key.json ]] && HAD_KEY_JSON=1

stop_pid() { # PID [seconds]
  local p=$1 i
  [[ -n $p ]] || return 0
  kill -0 "$p" 2> /dev/null || return 0
  kill -TERM "$p" 2> /dev/null || true
  for i in $(seq 1 $((${2:-15} * 10))); do
    kill -0 "$p" 2> /dev/null || return 0
    sleep 0.1
  done
  log "pid $p did not stop on SIGTERM, SIGKILL"
  kill -9 "$p" 2> /dev/null || true
}

dockerd_stop() {
  if [[ -n $DOCKERD_PID ]]; then
    stop_pid "$DOCKERD_PID" 20
    wait "$DOCKERD_PID" 2> /dev/null || true
    DOCKERD_PID=
  fi
  # dockerd stops its managed containerd itself; after a SIGKILL it cannot.
  [[ -n $CONTAINERD_PID ]] && stop_pid "$CONTAINERD_PID" 10
  CONTAINERD_PID=
  # dockerd bind-mounts --data-root onto itself (shared propagation) and
  # unmounts it on a clean shutdown only.
  local m
  if [[ -d $DT ]]; then
    while read -r m; do
      [[ -n $m ]] && { umount "$m" 2> /dev/null || umount -l "$m" 2> /dev/null || true; }
    done < <(findmnt -rn -o TARGET | awk -v p="$DT/" 'index($0 "/", p) == 1' | sort -r)
  fi
}

cleanup() {
  local rc=$?
  dockerd_stop
  if [[ $rc != 0 && -f $DT/dockerd.log ]]; then
    log "dockerd log (last lines):"
    tail -n 15 "$DT/dockerd.log" >&2 || true
  fi
  ip netns del "$DNS_NS" 2> /dev/null || true
  [[ -z $HAD_KEY_JSON ]] && rm -f /etc/docker/key.json
  if [[ -z $HAD_RUN_DOCKER ]]; then
    rmdir /run/docker/plugins /run/docker 2> /dev/null || true
  fi
  if [[ $rc != 0 && -f ${BERTHD_LOG:-} ]]; then
    log "berthd log (last lines):"
    tail -n 15 "$BERTHD_LOG" >&2 || true
  fi
  harness_teardown
  rm -rf "$BT"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

dockerd_start() {
  if [[ ! -x $DOCKERD ]]; then
    DOCKERD_STATUS="not installed ($DOCKERD missing)"
    return 1
  fi
  ip netns add "$DNS_NS"
  ip -n "$DNS_NS" link set lo up
  mkdir -p "$DT"
  echo '{}' > "$DT/daemon.json"
  # nsenter (network namespace only) execs dockerd: $! is dockerd's PID.
  nsenter --net="/run/netns/$DNS_NS" "$DOCKERD" \
    --config-file "$DT/daemon.json" --data-root "$DT/data" --exec-root "$DT/exec" \
    --pidfile "$DT/dockerd.pid" -H "unix://$DSOCK" --storage-driver=vfs \
    --exec-opt native.cgroupdriver=cgroupfs --iptables=true --log-level info \
    > "$DT/dockerd.log" 2>&1 &
  DOCKERD_PID=$!
  local i
  for i in $(seq 1 150); do
    if curl -sf --max-time 1 --unix-socket "$DSOCK" http://dockerd/_ping > /dev/null 2>&1; then
      break
    fi
    if ! kill -0 "$DOCKERD_PID" 2> /dev/null; then
      DOCKERD_PID=
      DOCKERD_STATUS="exited during start: $(grep -m1 -iE 'level=(fatal|error)|failed' "$DT/dockerd.log" | cut -c1-300)"
      return 1
    fi
    sleep 0.2
  done
  if ! curl -sf --max-time 1 --unix-socket "$DSOCK" http://dockerd/_ping > /dev/null 2>&1; then
    DOCKERD_STATUS="did not answer /_ping within 30 s"
    return 1
  fi
  CONTAINERD_PID=$(cat "$DT/exec/containerd/containerd.pid" 2> /dev/null || true)
  [[ $(cat "/proc/$DOCKERD_PID/comm" 2> /dev/null) == dockerd ]] ||
    die "pid $DOCKERD_PID is not dockerd"
  DOCKERD_STATUS="running, pid $DOCKERD_PID"
  return 0
}

# ------------------------------------------------------------------ measuring
# cpu DAEMON-PID -> "self_ticks children_ticks" (fields after the comm)
cpu() { sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12 + $13, $14 + $15}'; }

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
if dockerd_start; then
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
