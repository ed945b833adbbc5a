#!/usr/bin/env bash
# berth-lb vs nginx vs haproxy (issue 7), all in a private network namespace.
#
#   backends: three berth-echo on 127.0.0.1:5001..5003 (the lecture's
#             alb-node01..03), the same for every case
#   cases (interleaved per run, RUNS times, for each worker count in WORKERS):
#     direct       wrk -> 127.0.0.1:5001 (one backend, the upper bound)
#     berth-lb     the lecture's nginx.conf verbatim (-g sets workers and pid)
#     nginx        the lecture's nginx.conf (worker_processes N; access_log off)
#                  -> one new upstream connection per request
#     nginx-ka     the same + keepalive 64, proxy_http_version 1.1, Connection ""
#     haproxy      mode http, balance roundrobin, nbthread N
#   load: wrk -t2 -c64 -d$DUR --latency; per case: req/s, p99, errors, CPU of
#   the balancer's process tree per request (utime+stime from /proc/PID/stat),
#   backend shares (each berth-echo's own request counter).
# Prints a markdown section on stdout (bench/run.sh appends it to
# bench/RESULTS.md); raw numbers in $W/rows.tsv.
#   RUNS (5) DUR (10) WORKERS ("1 2") CASES ("direct berth-lb nginx nginx-ka haproxy")
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BERTH_BIN=${BERTH_BIN:-$REPO/build/src/cmd}
RUNS=${RUNS:-5}
DUR=${DUR:-10}
WORKERS=${WORKERS:-1 2}
CASES=${CASES:-direct berth-lb nginx nginx-ka haproxy}
LECTURE=$REPO/tests/integration/lb/nginx.conf
HZ=$(getconf CLK_TCK)

log() { echo "[$(date +%H:%M:%S)] $*" >&2; }
[[ $(id -u) == 0 ]] || { log "needs root (network namespace)"; exit 1; }
for t in wrk nginx haproxy curl python3; do command -v $t > /dev/null || { log "missing $t"; exit 1; }; done

NS=berth-lbbench-$$
W=$(mktemp -d /tmp/berth-lbbench.XXXXXX)
chmod 755 "$W"
PIDS=()
LBPID=
cleanup() {
  # A process already gone must not stop the cleanup (set -e).
  [[ -n $LBPID ]] && { kill -9 "$LBPID" 2> /dev/null || true; }
  local p
  for p in "${PIDS[@]}"; do kill -9 "$p" 2> /dev/null || true; done
  sleep 0.2
  ip netns del "$NS" 2> /dev/null || true
  [[ ${KEEP:-0} == 1 ]] || rm -rf "$W"
}
trap cleanup EXIT
ip netns add "$NS"
ip -n "$NS" link set lo up
ip netns exec "$NS" sysctl -q -w net.core.somaxconn=8192 net.ipv4.tcp_tw_reuse=1 net.ipv4.ip_local_port_range="1024 65000"
nsx() { ip netns exec "$NS" "$@"; }

for i in 1 2 3; do
  SERVER_PORT=500$i ip netns exec "$NS" "$BERTH_BIN/berth-echo" 2> /dev/null &
  PIDS+=($!)
done
wait_port() {
  local i
  for i in $(seq 1 100); do
    nsx curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$1/health" && return 0
    sleep 0.05
  done
  return 1
}
for i in 1 2 3; do wait_port 500$i; done

counts() { # each backend's request counter
  local i
  for i in 1 2 3; do
    nsx curl -s -H 'Accept: application/json' "http://127.0.0.1:500$i/health-count" | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])'
  done | tr '\n' ' '
}

ticks() { # utime+stime of PID and its children
  local p=$1 t c
  t=$(awk '{print $14 + $15}' "/proc/$p/stat")
  for c in $(pgrep -P "$p" 2> /dev/null); do t=$((t + $(awk '{print $14 + $15}' "/proc/$c/stat"))); done
  echo "$t"
}

nginx_conf() { # FILE WORKERS KEEPALIVE(0/1): the lecture's file, made runnable here
  python3 - "$LECTURE" "$1" "$2" "$3" "$W" <<'EOF'
import sys
src, dst, workers, ka, w = sys.argv[1:]
t = open(src).read()
head = f"worker_processes {workers};\ndaemon off;\npid {w}/nginx.pid;\nerror_log {w}/nginx-error.log warn;\n"
t = t.replace("http {", "http {\n    access_log off;\n    keepalive_requests 100000000;", 1)
if ka == "1":
    t = t.replace("server 127.0.0.1:5003;", "server 127.0.0.1:5003;\n        keepalive 64;")
    t = t.replace("proxy_pass http://backend-alb;", 'proxy_pass http://backend-alb;\n            proxy_http_version 1.1;\n            proxy_set_header Connection "";')
open(dst, "w").write(head + t)
EOF
}
haproxy_conf() { # FILE WORKERS
  cat > "$1" << EOF
global
  maxconn 8000
  nbthread $2
defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
frontend fe
  bind 0.0.0.0:80
  default_backend be
backend be
  balance roundrobin
  server be1 127.0.0.1:5001
  server be2 127.0.0.1:5002
  server be3 127.0.0.1:5003
EOF
}

declare -A CMDLINE
lb_start() { # CASE WORKERS -> URL, LBPID
  local c
  case $1 in
    direct) URL=http://127.0.0.1:5001/; LBPID=; return 0 ;;
    berth-lb) c="$BERTH_BIN/berth-lb -c $LECTURE -g 'worker_processes $2; pid $W/lb.pid;'" ;;
    nginx) nginx_conf "$W/nginx.conf" "$2" 0; c="nginx -c $W/nginx.conf" ;;
    nginx-ka) nginx_conf "$W/nginx-ka.conf" "$2" 1; c="nginx -c $W/nginx-ka.conf" ;;
    haproxy) haproxy_conf "$W/haproxy.cfg" "$2"; c="haproxy -db -f $W/haproxy.cfg" ;;
    *) log "unknown case $1"; exit 1 ;;
  esac
  CMDLINE[$1]=$c
  CASE_NAME=$1
  eval "set -- $c"
  ip netns exec "$NS" "$@" 2> "$W/$CASE_NAME.err" &
  LBPID=$!
  URL=http://127.0.0.1:80/
  local i
  for i in $(seq 1 100); do
    nsx curl -s -o /dev/null --max-time 1 "$URL" && return 0
    sleep 0.05
  done
  log "$CASE_NAME did not start"; cat "$W/$CASE_NAME.err" >&2
  return 1
}
lb_stop() {
  [[ -n $LBPID ]] || return 0
  kill -TERM "$LBPID" 2> /dev/null || true
  local i
  for i in $(seq 1 50); do kill -0 "$LBPID" 2> /dev/null || break; sleep 0.1; done
  kill -9 "$LBPID" 2> /dev/null || true
  LBPID=
}

echo -e "workers\tcase\trun\trps\tp99_ms\terrors\tcpu_us_per_req\tcpu_pct\tshares\tload1" > "$W/rows.tsv"
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
for wk in $WORKERS; do
  for run in $(seq 1 "$RUNS"); do
    for case in $CASES; do
      [[ $case == direct && $wk != "${WORKERS%% *}" ]] && continue
      lb_start "$case" "$wk"
      nsx wrk -t2 -c64 -d1s "$URL" > /dev/null 2>&1  # warm-up (pools, caches)
      c0=$(counts)
      t0=0
      [[ -n $LBPID ]] && t0=$(ticks "$LBPID")
      nsx wrk -t2 -c64 -d"${DUR}s" --latency "$URL" > "$W/wrk.txt" 2>&1
      t1=0
      [[ -n $LBPID ]] && t1=$(ticks "$LBPID")
      c1=$(counts)
      lb_stop
      load=$(cut -d' ' -f1 /proc/loadavg)
      python3 - "$W/wrk.txt" "$wk" "$case" "$run" "$t0" "$t1" "$HZ" "$DUR" "$c0" "$c1" "$load" >> "$W/rows.tsv" <<'EOF'
import re, sys
f, wk, case, run, t0, t1, hz, dur, c0, c1, load = sys.argv[1:]
t = open(f).read()
def ms(s):
    m = re.match(r'([\d.]+)(us|ms|s)', s); v = float(m.group(1)); u = m.group(2)
    return v / 1000 if u == 'us' else v * 1000 if u == 's' else v
rps = float(re.search(r'Requests/sec:\s+([\d.]+)', t).group(1))
n = int(re.search(r'(\d+) requests in', t).group(1))
p99 = ms(re.search(r'\s99%\s+(\S+)', t).group(1))
err = 0
m = re.search(r'Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)', t)
if m: err += sum(int(x) for x in m.groups())
m = re.search(r'Non-2xx or 3xx responses: (\d+)', t)
if m: err += int(m.group(1))
cpu_s = (int(t1) - int(t0)) / int(hz)
cpu_us = cpu_s * 1e6 / n if n and case != "direct" else 0
d = [int(b) - int(a) - 1 for a, b in zip(c0.split(), c1.split())]
shares = "/".join(str(x) for x in d)
print(f"{wk}\t{case}\t{run}\t{rps:.0f}\t{p99:.2f}\t{err}\t{cpu_us:.1f}\t{cpu_s * 100 / float(dur):.0f}\t{shares}\t{load}")
EOF
      log "$(tail -n 1 "$W/rows.tsv")"
      sleep 0.5
    done
  done
done
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- markdown
python3 - "$W/rows.tsv" "$RUNS" "$DUR" "$LOAD_START" "$LOAD_END" <<'EOF'
import sys, statistics as st
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])][1:]
runs, dur, ls, le = sys.argv[2:]
print("### berth-lb vs nginx vs haproxy (issue 7)\n")
print(f"wrk -t2 -c64 -d{dur}s, {runs} interleaved runs per case, medians (min..max); load average at start {ls}, at end {le}. "
      "CPU = the balancer's process tree (utime+stime), µs per request; shares = requests each backend counted (exact = equal).\n")
print("| workers | case | req/s | p99 ms | errors | CPU µs/req | CPU % | max/min share | load1 |")
print("|---|---|---|---|---|---|---|---|---|")
med = {}
for wk in sorted(set(r[0] for r in rows)):
    for case in dict.fromkeys(r[1] for r in rows if r[0] == wk):
        rs = [r for r in rows if r[0] == wk and r[1] == case]
        def col(i, f=float): return [f(r[i]) for r in rs]
        def fmt(v, d=0): return f"{st.median(v):.{d}f} ({min(v):.{d}f}..{max(v):.{d}f})"
        shares = []
        for r in rs:
            s = [int(x) for x in r[8].split("/")]
            shares.append(max(s) / max(1, min(s)) if case != "direct" else 0)
        med[(wk, case)] = (st.median(col(3)), st.median(col(6)))
        sh = "-" if case == "direct" else f"{max(shares):.4f} (worst run)"
        print(f"| {wk} | {case} | {fmt(col(3))} | {fmt(col(4), 2)} | {sum(col(5, int))} | "
              f"{'-' if case == 'direct' else fmt(col(6), 1)} | {fmt(col(7))} | {sh} | {fmt(col(9), 2)} |")
print()
for wk in sorted(set(k[0] for k in med)):
    b = med.get((wk, "berth-lb"))
    h = med.get((wk, "haproxy"))
    n = med.get((wk, "nginx"))
    k = med.get((wk, "nginx-ka"))
    parts = []
    if b and h: parts.append(f"req/s berth-lb/haproxy = {b[0] / h[0]:.2f}, CPU per request berth-lb/haproxy = {b[1] / h[1]:.2f}")
    if b and n: parts.append(f"berth-lb/nginx (lecture config) = {b[0] / n[0]:.2f}")
    if b and k: parts.append(f"berth-lb/nginx-ka = {b[0] / k[0]:.2f}")
    if parts: print(f"- {wk} worker(s): " + "; ".join(parts))
EOF
echo
echo "Command lines (inside the namespace; wrk -t2 -c64 -d${DUR}s --latency http://127.0.0.1:80/ against each):"
echo
echo '```'
for k in "${!CMDLINE[@]}"; do echo "$k: ${CMDLINE[$k]}"; done | sort
echo "backends: SERVER_PORT=500N berth-echo (N = 1..3)"
echo "nginx conf = the lecture's nginx.conf + worker_processes N; daemon off; pid; error_log; access_log off; keepalive_requests 100000000 (as bench-anchors/lb-bench.sh)"
echo '```'
