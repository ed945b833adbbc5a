#!/usr/bin/env bash
# `run -d` latency on a user-defined network through the Docker Engine API:
# berthd against a private dockerd 20.10 (the peer), in the same run, cases
# interleaved (issue 3's bench line: p50 and p95, floor berth p50 <= 1/3 of
# Docker's, stretch <= 1/5).
#
# Both daemons run inside network namespaces this script creates, never in
# the machine's own: berthd through the test harness (tests/lib/harness.bash),
# dockerd through bench/lib.sh (nsenter --net, its own data/exec roots,
# pidfile, socket, config file and --cgroup-parent; managed containerd).
# Everything is stopped by PID and removed on exit, also on failure or Ctrl-C:
# both daemons' containers, mounts, namespaces, cgroups, temp dirs and the
# files dockerd writes outside its roots (see bench/lib.sh).
#
# Each daemon gets `network create benchnet`; then each run starts N
# containers one after another with `run -d --net benchnet IMAGE sleep 600`
# and removes them afterwards (`rm -f`, not timed; the next case starts when
# every shim of the run has exited).
#   IMAGE  berthd: the built-in image `host` (the host's file system, nothing
#          copied or mounted); dockerd: busybox:bench, `docker import` of a
#          rootfs of Debian's busybox-static (/bin/busybox + one symlink per
#          applet), on overlay2 (DOCKERD_STORAGE; falls back to vfs, which
#          copies the rootfs per container, if overlay2 cannot start)
# Clients, the same for both daemons:
#   cli  the docker 20.10 CLI (/usr/bin/docker, API 1.41), one process per
#        `run -d`; latency = wall time of the process (EPOCHREALTIME), i.e.
#        what a user sees, including the CLI's own start (~30 ms)
#   api  one curl process per run sends the N create+start pairs (POST
#        /v1.41/containers/create?name=..., POST /v1.41/containers/NAME/start)
#        on one connection; latency = sum of curl's time_total of the two
# Per run: p50 and p95 (nearest rank) of the N latencies; reported as the
# median over runs (min..max). CPU per `run -d` from /proc/PID/stat before and
# after each run: the daemon's utime+stime, its reaped children's
# cutime+cstime (nft for berthd; the first fork of each berth-shim; iptables
# for dockerd), containerd's self+children (dockerd only: its shim `start`
# processes), and the per-container processes read just before `rm -f`: each
# shim (berth-shim / containerd-shim-runc-v2) with everything it reaped (runc
# for dockerd) plus its live descendants (berth-init and sleep / sleep); for
# these short-lived, mostly idle processes 1/HZ ticks truncated per process
# would read 0, so their live threads' schedstat run time (ns) is used where
# larger (see shims()).
#
#   RUNS=5 N=20 CLIENTS="cli api" bench/run_bench.sh [> section.md]
# Progress goes to stderr, the markdown results to stdout. Raw rows are kept
# in $BENCH_RAW.lat / $BENCH_RAW.cpu if BENCH_RAW is set.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export BERTH_BIN=${BERTH_BIN:-$REPO/build/src/cmd}
RUNS=${RUNS:-5}
N=${N:-20}
CLIENTS=${CLIENTS:-cli api}
WARMUP=${WARMUP:-3}
DOCKERD_STORAGE=${DOCKERD_STORAGE:-overlay2}
BUSYBOX=${BUSYBOX:-/bin/busybox}
REQ_TIMEOUT=${REQ_TIMEOUT:-30}   # seconds, bound on every request/command
API=v1.41
NET=benchnet
HZ=$(getconf CLK_TCK)
export LC_ALL=C   # EPOCHREALTIME with a '.'

# shellcheck source=bench/lib.sh
source "$REPO/bench/lib.sh"

[[ $(id -u) == 0 ]] || die "needs root (network namespaces)"
[[ -x $BERTH_BIN/berthd ]] || die "no berthd in $BERTH_BIN (make build, or set BERTH_BIN)"
(( RUNS >= 1 && RUNS <= 100 && N >= 1 && N <= 200 && WARMUP >= 0 && WARMUP <= 20 )) ||
  die "RUNS 1..100, N 1..200, WARMUP 0..20"
for c in $CLIENTS; do [[ $c == cli || $c == api ]] || die "CLIENTS: cli and/or api, not '$c'"; done

# shellcheck source=tests/lib/harness.bash
source "$REPO/tests/lib/harness.bash"
[[ -x $DOCKER20 ]] || die "no docker 20.10 CLI at $DOCKER20"
# dockerd logs at info by default; berthd the same, for fairness.
export BERTHD_LOG_LEVEL=${BERTHD_LOG_LEVEL:-info}

BT=$(mktemp -d /tmp/berth-runbench.XXXXXX)
LAT=$BT/lat.tsv    # daemon client run i total_ms create_ms start_ms
CPUR=$BT/cpu.tsv   # daemon client run metric value(ms per run -d)
: > "$LAT"
: > "$CPUR"
# The docker CLI reads (and may create) its config dir: keep it in ours.
export DOCKER_CONFIG=$BT/docker-config
mkdir -p "$DOCKER_CONFIG"
dockerd_init "$BT/dockerd"

cleanup() {
  local rc=$?
  trap - INT TERM
  if [[ $rc != 0 && -f $DT/dockerd.log ]]; then
    log "dockerd log (last lines):"
    tail -n 15 "$DT/dockerd.log" >&2 || true
  fi
  dockerd_cleanup
  if [[ $rc != 0 && -f ${BERTHD_LOG:-} ]]; then
    log "berthd log (last lines):"
    tail -n 15 "$BERTHD_LOG" >&2 || true
  fi
  # berthd stopped, then its containers' shims and inits killed by PID
  # (state.json), netns bind mounts under its root unmounted, namespace and
  # temp dir removed.
  harness_teardown
  rm -rf "$BT"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------------ helpers
# shellcheck disable=SC2153  # SOCK is set by harness_setup
sock_of() { if [[ $1 == berthd ]]; then echo "$SOCK"; else echo "$DSOCK"; fi; }
pid_of() { if [[ $1 == berthd ]]; then echo "$BERTHD_PID"; else echo "$DOCKERD_PID"; fi; }
image_of() { if [[ $1 == berthd ]]; then echo host; else echo busybox:bench; fi; }
dk() { local d=$1; shift; timeout "$REQ_TIMEOUT" "$DOCKER20" -H "unix://$(sock_of "$d")" "$@"; }

# shims DAEMON -> "cpu_ms count": the per-container processes of this
# daemon's containers: the shims, matched by their command line (which names
# our data root / containerd socket), and all their live descendants. Per
# process: its own CPU, the larger of utime+stime (whole process, 1/HZ
# resolution, truncated per process) and the sum of its live threads'
# /proc/PID/task/TID/schedstat run time (ns; misses exited threads), plus
# cutime+cstime of the children it reaped.
shims() {
  local exe match
  if [[ $1 == berthd ]]; then
    exe=berth-shim match=" --bundle $ROOT/containers/"
  else
    exe=containerd-shim-runc-v2 match=" -address $(dockerd_containerd_sock) "
  fi
  python3 - "$exe" "$match" "$HZ" <<'EOF'
import os, sys
exe, match, hz = sys.argv[1], sys.argv[2], int(sys.argv[3])
me = os.getpid()
procs = {}
for p in os.listdir("/proc"):
    if not p.isdigit() or int(p) == me:
        continue
    try:
        with open(f"/proc/{p}/stat") as f:
            st = f.read()
        with open(f"/proc/{p}/cmdline", "rb") as f:
            argv = f.read().split(b"\0")
        ns = 0
        for t in os.listdir(f"/proc/{p}/task"):
            with open(f"/proc/{p}/task/{t}/schedstat") as f:
                ns += int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        continue
    v = st[st.rindex(")") + 2:].split()
    argv0 = os.path.basename(argv[0].decode(errors="replace"))
    cmd = " ".join(a.decode(errors="replace") for a in argv) + " "
    own_ms = max((int(v[11]) + int(v[12])) * 1000 / hz, ns / 1e6)
    reaped_ms = (int(v[13]) + int(v[14])) * 1000 / hz
    procs[int(p)] = (int(v[1]), own_ms + reaped_ms, argv0 == exe and match in cmd)
kids = {}
for p, (pp, _, _) in procs.items():
    kids.setdefault(pp, []).append(p)
roots = [p for p, (_, _, m) in procs.items() if m]
seen, todo = set(), list(roots)
while todo:
    p = todo.pop()
    if p in seen:
        continue
    seen.add(p)
    todo.extend(kids.get(p, []))
print(f"{sum(procs[p][1] for p in seen):.3f}", len(roots))
EOF
}

# run_api DAEMON PREFIX COUNT -> COUNT lines "total_s create_s start_s"
run_api() {
  local d=$1 prefix=$2 count=$3 sock i args=() first=1 body
  sock=$(sock_of "$d")
  body="{\"Image\":\"$(image_of "$d")\",\"Cmd\":[\"sleep\",\"600\"],\"HostConfig\":{\"NetworkMode\":\"$NET\"},\"NetworkingConfig\":{\"EndpointsConfig\":{\"$NET\":{}}}}"
  for i in $(seq 1 "$count"); do
    [[ -n $first ]] || args+=(--next)
    first=
    args+=(-s -o /dev/null --max-time "$REQ_TIMEOUT" --unix-socket "$sock" -w 'C %{http_code} %{time_total}\n'
      -X POST -H 'Content-Type: application/json' --data-binary "$body"
      "http://daemon/$API/containers/create?name=$prefix-$i"
      --next -s -o /dev/null --max-time "$REQ_TIMEOUT" --unix-socket "$sock" -w 'S %{http_code} %{time_total}\n'
      -X POST "http://daemon/$API/containers/$prefix-$i/start")
  done
  curl "${args[@]}" > "$BT/api.out" || true
  awk -v n="$count" '
    $1 == "C" { if ($2 != 201) bad = bad " create:" $2; c[++nc] = $3 }
    $1 == "S" { if ($2 != 204) bad = bad " start:" $2; s[++ns] = $3 }
    END {
      if (nc != n || ns != n || bad != "") { print "FAIL" bad " (" nc "/" ns " answers)"; exit 1 }
      for (i = 1; i <= n; i++) printf "%.6f %.6f %.6f\n", c[i] + s[i], c[i], s[i]
    }' "$BT/api.out"
}

# run_cli DAEMON PREFIX COUNT -> COUNT lines "total_s"
run_cli() {
  local d=$1 prefix=$2 count=$3 sock image i t0 t1 times=()
  sock=$(sock_of "$d")
  image=$(image_of "$d")
  for i in $(seq 1 "$count"); do
    t0=$EPOCHREALTIME
    timeout "$REQ_TIMEOUT" "$DOCKER20" -H "unix://$sock" run -d --name "$prefix-$i" --net "$NET" "$image" sleep 600 > /dev/null 2> "$BT/cli.err" ||
      { echo "FAIL docker run -d $prefix-$i: $(head -c 300 "$BT/cli.err")"; return 1; }
    t1=$EPOCHREALTIME
    times+=("$t0 $t1")
  done
  printf '%s\n' "${times[@]}" | awk '{ printf "%.6f\n", $2 - $1 }'
}

# remove DAEMON PREFIX COUNT: rm -f of the run's containers (one curl, one
# connection), then waits (bounded) until every shim of the daemon is gone.
remove() {
  local d=$1 prefix=$2 count=$3 sock i args=() first=1 left
  sock=$(sock_of "$d")
  for i in $(seq 1 "$count"); do
    [[ -n $first ]] || args+=(--next)
    first=
    args+=(-s -o /dev/null --max-time "$REQ_TIMEOUT" --unix-socket "$sock" -w '%{http_code}\n'
      -X DELETE "http://daemon/$API/containers/$prefix-$i?force=1")
  done
  curl "${args[@]}" > "$BT/rm.out" || true
  # Docker answers 204; 200 is accepted too (the body is not used).
  if grep -qvE '^(200|204)$' "$BT/rm.out" || [[ $(wc -l < "$BT/rm.out") != "$count" ]]; then
    die "$d: rm -f $prefix-*: $(tr '\n' ' ' < "$BT/rm.out")"
  fi
  for i in $(seq 1 300); do
    left=$(shims "$d" | cut -d' ' -f2)
    [[ $left == 0 ]] && return 0
    sleep 0.2
  done
  die "$d: $left shims still running 60 s after rm -f"
}

# measure DAEMON CLIENT RUN COUNT [record]
measure() {
  local d=$1 c=$2 run=$3 count=$4 record=${5:-}
  local prefix="rb-$c-$run" pid before after cd_before="0 0" cd_after="0 0" out sh
  pid=$(pid_of "$d")
  before=$(cpu "$pid")
  [[ $d == dockerd && -n $CONTAINERD_PID ]] && cd_before=$(cpu "$CONTAINERD_PID")
  if ! out=$("run_$c" "$d" "$prefix" "$count"); then
    die "$d/$c run $run: ${out##*$'\n'}"
  fi
  after=$(cpu "$pid")
  [[ $d == dockerd && -n $CONTAINERD_PID ]] && cd_after=$(cpu "$CONTAINERD_PID")
  sh=$(shims "$d")
  [[ ${sh#* } == "$count" ]] || log "WARNING: $d/$c run $run: ${sh#* } shims for $count containers"
  remove "$d" "$prefix" "$count"
  [[ -n $record ]] || return 0
  awk -v d="$d" -v c="$c" -v r="$run" '{ printf "%s\t%s\t%s\t%d\t%.3f\t%s\t%s\n", d, c, r, NR, $1 * 1000,
    (NF > 1 ? sprintf("%.3f", $2 * 1000) : "-"), (NF > 2 ? sprintf("%.3f", $3 * 1000) : "-") }' <<< "$out" >> "$LAT"
  awk -v d="$d" -v c="$c" -v r="$run" -v n="$count" -v hz="$HZ" \
    -v b="$before" -v a="$after" -v cb="$cd_before" -v ca="$cd_after" -v sh="$sh" 'BEGIN {
      split(b, B, " "); split(a, A, " "); split(cb, CB, " "); split(ca, CA, " "); split(sh, S, " ")
      k = 1000 / hz / n
      self = (A[1] - B[1]) * k; kids = (A[2] - B[2]) * k
      ctd = (CA[1] + CA[2] - CB[1] - CB[2]) * k; shim = S[1] / n
      printf "%s\t%s\t%s\tdaemon\t%.3f\n", d, c, r, self
      printf "%s\t%s\t%s\tchildren\t%.3f\n", d, c, r, kids
      printf "%s\t%s\t%s\tcontainerd\t%.3f\n", d, c, r, ctd
      printf "%s\t%s\t%s\tshims\t%.3f\n", d, c, r, shim
      printf "%s\t%s\t%s\ttotal\t%.3f\n", d, c, r, self + kids + ctd + shim
    }' >> "$CPUR"
  awk -F'\t' -v d="$d" -v c="$c" -v r="$run" '$1 == d && $2 == c && $3 == r { print $5 }' "$LAT" | sort -n |
    awk -v t="$d/$c run $run" '{ v[NR] = $1 } END {
      printf "  %s: p50 %.1f ms, p95 %.1f ms\n", t, v[int((NR + 1) / 2)], v[int(NR * 0.95 + 0.999)] }' >&2
}

# ------------------------------------------------------------------ daemons
log "berthd: namespace + daemon through the harness"
harness_setup runbench
berthd_start
[[ $(cat "/proc/$BERTHD_PID/comm" 2> /dev/null) == berthd ]] || die "pid $BERTHD_PID is not berthd"
log "berthd pid $BERTHD_PID, namespace $NS"

DAEMONS=(berthd)
STORAGE=
log "dockerd: own namespace $DNS_NS, state in $DT, --storage-driver=$DOCKERD_STORAGE"
if dockerd_start --storage-driver="$DOCKERD_STORAGE"; then
  STORAGE=$DOCKERD_STORAGE
elif [[ $DOCKERD_STORAGE != vfs ]]; then
  log "dockerd with $DOCKERD_STORAGE: $DOCKERD_STATUS -- falling back to vfs"
  STORAGE_FALLBACK="$DOCKERD_STORAGE failed ($DOCKERD_STATUS)"
  dockerd_stop
  rm -rf "$DT"
  dockerd_start --storage-driver=vfs && STORAGE=vfs
fi
if [[ -n $STORAGE ]]; then
  DAEMONS+=(dockerd)
  log "dockerd pid $DOCKERD_PID (containerd pid ${CONTAINERD_PID:-?}), storage $STORAGE"
else
  log "dockerd could not be run: $DOCKERD_STATUS -- measuring berthd alone"
  dockerd_stop
fi

for d in "${DAEMONS[@]}"; do
  dk "$d" network create "$NET" > /dev/null || die "$d: network create $NET"
done
if [[ ${#DAEMONS[@]} == 2 ]]; then
  log "dockerd: importing a busybox-static rootfs as busybox:bench"
  ldd "$BUSYBOX" > /dev/null 2>&1 && die "$BUSYBOX is not static (apt-get install busybox-static)"
  RFS=$BT/rootfs
  mkdir -p "$RFS"/{bin,etc,proc,sys,dev,tmp,root}
  cp "$BUSYBOX" "$RFS/bin/busybox"
  for a in $("$BUSYBOX" --list); do [[ $a == busybox ]] || ln -s busybox "$RFS/bin/$a"; done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' > "$RFS/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' > "$RFS/etc/group"
  chmod 1777 "$RFS/tmp"
  tar -C "$RFS" -c . | dk dockerd import -c 'CMD ["sh"]' - busybox:bench > /dev/null || die "docker import failed"
  RFS_FILES=$(find "$RFS" | wc -l)
  RFS_KB=$(du -sk "$RFS" | cut -f1)
  rm -rf "$RFS"
fi

BERTHD_VER=$(curl -s --max-time 5 --unix-socket "$SOCK" "http://d/$API/version" | jq -r '"\(.Version) (API \(.ApiVersion))"')
DOCKERD_VER=-
if [[ ${#DAEMONS[@]} == 2 ]]; then
  DOCKERD_VER=$(curl -s --max-time 5 --unix-socket "$DSOCK" "http://d/$API/version" |
    jq -r '"\(.Version) (API \(.ApiVersion)), containerd \(.Components[] | select(.Name == "containerd") | .Version), runc \(.Components[] | select(.Name == "runc") | .Version)"')
  DRIVER=$(curl -s --max-time 5 --unix-socket "$DSOCK" "http://d/$API/info" | jq -r '"\(.Driver), \(.CgroupDriver) cgroups v\(.CgroupVersion)"')
fi
CLIENT_VER=$("$DOCKER20" --version)

# ------------------------------------------------------------------ run
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
T_START=$(date +%s)
if (( WARMUP > 0 )); then
  for c in $CLIENTS; do
    for d in "${DAEMONS[@]}"; do
      log "warm-up $d/$c ($WARMUP containers)"
      measure "$d" "$c" w "$WARMUP"
    done
  done
fi
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
if [[ -n ${BENCH_RAW:-} ]]; then cp "$LAT" "$BENCH_RAW.lat"; cp "$CPUR" "$BENCH_RAW.cpu"; fi

# ------------------------------------------------------------------ report
cat <<EOF
### \`run -d\` on a user network: berthd vs dockerd 20.10

- berthd $BERTHD_VER, in its own namespace (harness), \`--log-level $BERTHD_LOG_LEVEL\`, image \`host\` (built in: the host's file system, nothing copied or mounted for the root)
- dockerd: $([[ ${#DAEMONS[@]} == 2 ]] && echo "$DOCKERD_VER; own namespace, data and exec roots, $DRIVER, \`--iptables=true\` (rules in its namespace), managed containerd; image \`busybox:bench\` = \`docker import\` of a busybox-static rootfs ($RFS_FILES files, $RFS_KB KiB)${STORAGE_FALLBACK:+; **overlay2 unavailable: $STORAGE_FALLBACK**}" || echo "**not measured**: $DOCKERD_STATUS")
- each daemon: \`network create $NET\`, then per run N=$N containers started one after another, \`run -d --net $NET IMAGE sleep 600\`, removed after the run (\`rm -f\`, not timed)
- clients: \`cli\` = $CLIENT_VER, one process per \`run -d\`, wall time (includes the CLI's own start-up); \`api\` = one curl process per run, create (\`POST /containers/create?name=\`) + start (\`POST /containers/NAME/start\`) on one connection, latency = the sum of curl's time_total of the two
- $RUNS runs per case, interleaved (daemon order alternates per run), $WARMUP-container warm-up per case not counted; $(( T_END - T_START )) s; load average before: $LOAD_BEFORE, after: $LOAD_AFTER
- latency: p50 / p95 (nearest rank) of the N containers of a run; shown as the median over runs (min..max)
- CPU per \`run -d\` (median over runs), from /proc/PID/stat: *daemon* = berthd/dockerd utime+stime; *children* = what the daemon reaped (nft, the first fork of each berth-shim / iptables); *containerd* = dockerd's containerd, self + reaped (the shims' \`start\` processes); *shims* = each container's shim with what it reaped (runc, its hooks) and its live descendants (berth-init, sleep / sleep), read before \`rm -f\` (per process the larger of utime+stime and its threads' schedstat run time, which has ns resolution); kernel work done in kworkers is not attributed. The other columns are /proc deltas in ${HZ} Hz ticks, i.e. $(awk -v hz="$HZ" -v n="$N" 'BEGIN { printf "%.2f", 1000 / hz / n }') ms per \`run -d\` resolution

EOF
python3 - "$LAT" "$CPUR" <<'EOF'
import math, statistics, sys
from collections import defaultdict
lat = defaultdict(lambda: defaultdict(list))   # (d, c) -> run -> [(total, create, start)]
for line in open(sys.argv[1]):
    d, c, r, i, tot, cr, st = line.rstrip("\n").split("\t")
    lat[(d, c)][r].append((float(tot), None if cr == "-" else float(cr), None if st == "-" else float(st)))
cpu = defaultdict(list)
for line in open(sys.argv[2]):
    d, c, r, m, v = line.rstrip("\n").split("\t")
    cpu[(d, c, m)].append(float(v))

def pct(vals, p):  # nearest rank
    v = sorted(vals)
    return v[max(0, math.ceil(p / 100 * len(v)) - 1)]
def fmt(x):
    return f"{x:.3g}" if x < 100 else f"{x:.0f}"
def cell(vals):
    return f"{fmt(statistics.median(vals))} ({fmt(min(vals))}..{fmt(max(vals))})"
def per_run(d, c, col, p):
    return [pct([s[col] for s in samples], p) for samples in lat[(d, c)].values()]

clients = sorted({c for _, c in lat}, key=["cli", "api"].index)
daemons = [d for d in ("berthd", "dockerd") if any(k[0] == d for k in lat)]
print("| daemon/client | runs x N | p50 [ms] | p95 [ms] | create p50 [ms] | start p50 [ms] |")
print("|---|---|---|---|---|---|")
for c in clients:
    for d in daemons:
        runs = lat[(d, c)]
        n = len(next(iter(runs.values())))
        api = c == "api"
        print(f"| {d}/{c} | {len(runs)} x {n} | {cell(per_run(d, c, 0, 50))} | {cell(per_run(d, c, 0, 95))} | "
              + (f"{cell(per_run(d, c, 1, 50))} | {cell(per_run(d, c, 2, 50))} |" if api else "- | - |"))
print()
metrics = [("daemon", "daemon"), ("children", "children"), ("containerd", "containerd"),
           ("shims", "shims"), ("total", "total")]
print("CPU per `run -d` [ms], median over runs (min..max):")
print()
print("| daemon/client | " + " | ".join(h for _, h in metrics) + " |")
print("|---" * (len(metrics) + 1) + "|")
for c in clients:
    for d in daemons:
        print(f"| {d}/{c} | " + " | ".join(
            "-" if (m == "containerd" and d == "berthd") else cell(cpu[(d, c, m)]) for m, _ in metrics) + " |")
if len(daemons) == 2:
    print()
    print("Ratios berthd/dockerd (of the medians; < 1 means berthd is faster or cheaper). "
          "Floor: p50 ratio <= 0.33, stretch <= 0.20:")
    print()
    print("| client | p50 | p95 | total CPU | p50 floor (<= 1/3) | p50 stretch (<= 1/5) |")
    print("|---|---|---|---|---|---|")
    for c in clients:
        r50 = statistics.median(per_run("berthd", c, 0, 50)) / statistics.median(per_run("dockerd", c, 0, 50))
        r95 = statistics.median(per_run("berthd", c, 0, 95)) / statistics.median(per_run("dockerd", c, 0, 95))
        cb = statistics.median(cpu[("berthd", c, "total")])
        cd = statistics.median(cpu[("dockerd", c, "total")])
        rc = f"{cb / cd:.2f}" if cd > 0 else "n/a"
        print(f"| {c} | {r50:.2f} | {r95:.2f} | {rc} | {'met' if r50 <= 1 / 3 else '**missed**'} | "
              f"{'met' if r50 <= 1 / 5 else 'missed'} |")
EOF
