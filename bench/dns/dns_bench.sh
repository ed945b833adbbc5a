#!/usr/bin/env bash
# bench/dns: berth's embedded DNS against dnsmasq and aardvark-dns under
# dnsperf, interleaved, every server reached over loopback from the same
# client network namespace (a real berth container):
#   berth     127.0.0.11:53 of the container (the NAT rule to berthd's socket)
#   dnsmasq   127.0.0.53:5300 in that netns, a hosts file with the same names
#   aardvark  127.0.0.54:5533 in that netns, its config dir with the same names
# Names: tg-net (alias of 3 containers: 3 A records), web1 (a single name),
# and fwd.test (forwarded to a fake upstream dnsmasq in berthd's namespace,
# cache warm: berth's answer cache vs dnsmasq's cache; aardvark-dns has no
# cache and would forward to the machine's resolver, so it is not run there).
# Per case and run: dnsperf -c 1 -T 1 -q 100 -l $DUR (max throughput), the
# server's CPU (utime+stime from /proc/PID/stat) per 1,000 answered queries.
# Markdown on stdout (medians, min..max, ratios); progress on stderr.
#
#   BERTH_BIN  directory with berthd (default build/src/cmd)
#   RUNS (5), DUR (5 s), CASES ("alias single fwd"), SERVERS ("berth dnsmasq aardvark")
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export BERTH_BIN=${BERTH_BIN:-$REPO/build/src/cmd}
RUNS=${RUNS:-5}
DUR=${DUR:-5}
CASES=${CASES:-alias single fwd}
SERVERS=${SERVERS:-berth dnsmasq aardvark}
AARDVARK=${AARDVARK:-/usr/lib/podman/aardvark-dns}
HZ=$(getconf CLK_TCK)

# shellcheck source=tests/lib/harness.bash
source "$REPO/tests/lib/harness.bash"
export BERTHD_LOG_LEVEL=warn
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

PEER_PIDS=()
cleanup() {
  local p
  for p in "${PEER_PIDS[@]}"; do kill "$p" 2> /dev/null || true; done
  [[ -n ${AARDVARK_DIR:-} && -f $AARDVARK_DIR/aardvark.pid ]] && kill "$(cat "$AARDVARK_DIR/aardvark.pid")" 2> /dev/null || true
  harness_teardown
}
harness_setup dnsbench
trap cleanup EXIT
upstream_start
berthd_start

docker28 network create --subnet 172.30.0.0/24 --gateway 172.30.0.1 benchnet > /dev/null
for i in 1 2 3; do
  docker28 run -d --name tg$i --net benchnet --net-alias tg-net host sleep 3600 > /dev/null
done
docker28 run -d --name web1 --net benchnet host sleep 3600 > /dev/null
docker28 run -d --name client --net benchnet host sleep 3600 > /dev/null
CPID=$(ctr_pid client)
in_client() { nsenter -t "$CPID" -n "$@"; }
ip_of() { ctr_ip "$1" benchnet; }

# Peers: the same names, in the client's netns (loopback, as 127.0.0.11).
W=$T/bench
mkdir -p "$W/aardvark"
{
  for i in 1 2 3; do echo "$(ip_of tg$i) tg$i tg-net"; done
  echo "$(ip_of web1) web1"
  echo "$(ip_of client) client"
} > "$W/hosts"
# (nsenter without a fork: $! is dnsmasq itself, whose CPU is measured)
nsenter -t "$CPID" -n dnsmasq -k -C /dev/null --no-resolv --no-hosts --addn-hosts="$W/hosts" \
  --listen-address=127.0.0.53 --bind-interfaces --port=5300 --user=root --pid-file= \
  --cache-size=1000 --server="$UPSTREAM_IP" > "$W/dnsmasq.log" 2>&1 &
DNSMASQ_PID=$!
PEER_PIDS+=("$DNSMASQ_PID")
AARDVARK_DIR=$W/aardvark
{
  echo 127.0.0.54
  echo "c000000000000000000000000000000000000000000000000000000000000010 127.0.0.1  client"
  for i in 1 2 3; do
    echo "c00000000000000000000000000000000000000000000000000000000000001$i $(ip_of tg$i)  tg$i,tg-net"
  done
  echo "c000000000000000000000000000000000000000000000000000000000000021 $(ip_of web1)  web1"
} > "$AARDVARK_DIR/benchnet"
in_client ip addr add 127.0.0.54/8 dev lo 2> /dev/null || true
# aardvark-dns forks and writes its pid; AARDVARK_NO_PROXY: never forward to
# the machine's resolvers.
AARDVARK_NO_PROXY=1 RUST_LOG=warn in_client "$AARDVARK" --config "$AARDVARK_DIR" -p 5533 run \
  > "$W/aardvark.log" 2>&1
AARDVARK_PID=$(cat "$AARDVARK_DIR/aardvark.pid")

addr_of() {
  case $1 in
    berth) echo "127.0.0.11 53" ;;
    dnsmasq) echo "127.0.0.53 5300" ;;
    aardvark) echo "127.0.0.54 5533" ;;
  esac
}
pid_of() {
  case $1 in
    berth) echo "$BERTHD_PID" ;;
    dnsmasq) echo "$DNSMASQ_PID" ;;
    aardvark) echo "$AARDVARK_PID" ;;
  esac
}
name_of() {
  case $1 in alias) echo tg-net ;; single) echo web1 ;; fwd) echo fwd.test ;; esac
}
ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }

# The upstream answers fwd.test (with a TTL, so both caches keep it).
kill "$UPSTREAM_PID"
wait "$UPSTREAM_PID" 2> /dev/null || true
ip netns exec "$NS" dnsmasq --no-resolv --no-hosts --no-daemon --port 53 \
  --listen-address="$UPSTREAM_IP" --bind-interfaces --pid-file= --local-ttl=3600 \
  --address=/fwd.test/10.9.9.9 > "$T/dnsmasq.log" 2>&1 &
UPSTREAM_PID=$!
sleep 0.3

for s in $SERVERS; do
  read -r a p < <(addr_of "$s")
  for c in $CASES; do
    [[ $s == aardvark && $c == fwd ]] && continue
    out=$(in_client dig +short +time=2 +tries=2 @"$a" -p "$p" "$(name_of "$c")" | sort | tr '\n' ' ')
    [[ -n $out ]] || { log "FATAL: $s does not answer $(name_of "$c")"; exit 1; }
    log "$s $(name_of "$c"): $out"
  done
done

RAW=$W/raw.tsv
: > "$RAW"
for run in $(seq 1 "$RUNS"); do
  for c in $CASES; do
    printf '%s A\n' "$(name_of "$c")" > "$W/q.txt"
    for s in $SERVERS; do
      [[ $s == aardvark && $c == fwd ]] && continue
      read -r a p < <(addr_of "$s")
      pid=$(pid_of "$s")
      t0=$(ticks "$pid")
      in_client dnsperf -s "$a" -p "$p" -d "$W/q.txt" -l "$DUR" -c 1 -T 1 -q 100 > "$W/dp.txt" 2>&1
      t1=$(ticks "$pid")
      qps=$(awk '/Queries per second/{print $4}' "$W/dp.txt")
      done_q=$(awk '/Queries completed/{print $3}' "$W/dp.txt")
      lat=$(awk '/Average Latency/{print $4 * 1000}' "$W/dp.txt")
      cpu=$(awk -v t=$((t1 - t0)) -v hz="$HZ" -v q="$done_q" 'BEGIN { printf "%.4f", (q > 0 ? t * 1000 / hz * 1000 / q : 0) }')
      printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$c" "$s" "$run" "$qps" "$cpu" "$lat" >> "$RAW"
      log "run $run $c $s: $qps q/s, $cpu ms CPU per 1000 q, $lat ms avg"
    done
  done
done

load=$(cut -d' ' -f1-3 /proc/loadavg)
python3 - "$RAW" "$load" "$RUNS" "$DUR" << 'EOF'
import statistics, sys
raw, load, runs, dur = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
rows = [l.rstrip('\n').split('\t') for l in open(raw) if l.strip()]
data = {}
for c, s, run, qps, cpu, lat in rows:
    d = data.setdefault((c, s), {'qps': [], 'cpu': [], 'lat': []})
    d['qps'].append(float(qps)); d['cpu'].append(float(cpu)); d['lat'].append(float(lat))
med = lambda v: statistics.median(v)
print(f"dnsperf `-c 1 -T 1 -q 100 -l {dur}`, {runs} runs interleaved (case by case, servers in turn); "
      f"load average at the end: {load}. CPU = utime+stime of the server process per 1,000 answered queries.")
print()
print("| case | server | q/s median (min..max) | CPU ms / 1000 q median (min..max) | avg latency ms | q/s vs dnsmasq | CPU vs dnsmasq | q/s vs aardvark | CPU vs aardvark |")
print("|---|---|---|---|---|---|---|---|---|")
for c in ['alias', 'single', 'fwd']:
    for s in ['berth', 'dnsmasq', 'aardvark']:
        d = data.get((c, s))
        if not d: continue
        q, cp = med(d['qps']), med(d['cpu'])
        def ratio(peer, key, inv=False):
            p = data.get((c, peer))
            if not p or s == peer: return '-'
            pv = med(p[key]); v = med(d[key])
            if key == 'cpu':
                return f"{v / pv:.2f}x" if pv > 0 else '-'
            return f"{v / pv:.2f}x" if pv > 0 else '-'
        print(f"| {c} | {s} | {q:,.0f} ({min(d['qps']):,.0f}..{max(d['qps']):,.0f}) | "
              f"{cp:.3f} ({min(d['cpu']):.3f}..{max(d['cpu']):.3f}) | {med(d['lat']):.3f} | "
              f"{ratio('dnsmasq', 'qps')} | {ratio('dnsmasq', 'cpu')} | {ratio('aardvark', 'qps')} | {ratio('aardvark', 'cpu')} |")
EOF
