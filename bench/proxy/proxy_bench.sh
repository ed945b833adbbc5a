#!/usr/bin/env bash
# Published ports, data path (issue 5). Everything runs inside namespaces this
# script creates (tests/lib/harness.bash): berthd in NS ("the host"), a
# container `be` of the built-in host image running nginx (1 worker,
# 1 KiB small.html) and iperf3 -s, published with -p 18001:80 -p 18003:8081
# -p 18201:5201 -p 18201:5201/udp. The client (wrk, iperf3) runs in NS.
#
# nginx serves the same page on four ports, one per family of cases, so that
# no case meets the TIME_WAIT sockets another case left in the container
# (nginx closes first under "Connection: close"). The kernel draws a
# connection's TCP timestamp offset from its own 4-tuple; a masqueraded
# loopback connection reaches the container as gateway:port -> container:80
# with the offset of 127.0.0.1:port -> 127.0.0.1:HP, so two cases whose
# connections land on the same container tuples with different offsets make
# the container's PAWS check reject the second one's SYNs for a minute
# (bench/RESULTS.md issue 5 run 5: TcpExtPAWSTimewait equal to the client's
# RSTs). Ports: direct :8080; berth-lo and berth-host :80 (berth-host is not
# masqueraded: its own source address); dnat :8082; berth-always and
# docker-proxy :8081 (both connect from the gateway like a direct client).
#
# Cases, interleaved in every run (RUNS, default 5):
#   direct       NS -> container address (through the bridge, no NAT)
#   berth-lo     berthd default (--userland-proxy=true): 127.0.0.1:18001
#   berth-host   berthd default: the host's own address 10.99.0.1:18001
#   berth-always berthd --userland-proxy=always: 127.0.0.1:18003 (berthd's proxy)
#   berth-always-1t  the same with one proxy thread (BERTH_PROXY_THREADS=1; the
#                default is one per CPU; not in the default CASES)
#   dnat         plain nft DNAT in the output hook + masquerade + route_localnet
#                (table ip benchdnat, 127.0.0.1:18002), like dockerd
#                --userland-proxy=false
#   docker-proxy Debian docker.io's /usr/sbin/docker-proxy standalone, one
#                process per port and protocol, 127.0.0.1:18004 (fd 3 given:
#                see bench-anchors/README.md)
# Tests: http_ka (wrk -t2 -c64 keep-alive), http_cc (wrk -t2 -c64
# "Connection: close"), tcp_bulk (iperf3 TCP, 1 stream), udp (iperf3 -u -b
# 500M -l 1400 -w 4M: loss measures the proxy). CPU of the process under test
# (berthd, or the docker-proxy processes) from /proc/PID/stat per request /
# per GB.
# Then: berthd RSS per published port (1,000 and 10,000 ports) and
# first-packet (TCP connect) latency to port #1 vs port #10,005.
#
#   RUNS=5 DUR=5 bench/proxy/proxy_bench.sh   (root; BERTH_BIN as for tests)
#   CASES="direct berth-always docker-proxy" TESTS="http_ka http_cc tcp_bulk" EXTRAS=0 ...
#     selects cases and tests; EXTRAS=0 skips memory per port and latency.
# Raw rows: $OUT/rows.tsv; summary (markdown) on stdout.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
source "$REPO/tests/lib/harness.bash"
RUNS=${RUNS:-5}
DUR=${DUR:-5}
CASES=${CASES:-direct berth-lo berth-host berth-always dnat docker-proxy}
TESTS=${TESTS:-http_ka http_cc tcp_bulk udp}
HOST_IP=10.99.0.1
HZ=$(getconf CLK_TCK)

log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

harness_setup pbench
PEER="$NS-peer"
DP_PIDS=()
cleanup() {
  local p
  for p in "${DP_PIDS[@]:-}"; do [[ -n $p ]] && { kill "$p" 2> /dev/null || true; }; done
  ip netns del "$PEER" 2> /dev/null || true
  harness_teardown
}
trap cleanup EXIT
OUT=${OUT:-$T/out}
mkdir -p "$OUT"
ROWS=$OUT/rows.tsv
: > "$ROWS"
export BERTHD_LOG_LEVEL=warn

# The host's own address: a veth to a peer namespace.
ip netns add "$PEER"
ip -n "$NS" link add vh0 type veth peer name vp0 netns "$PEER"
ip -n "$NS" addr add "$HOST_IP/24" dev vh0
ip -n "$NS" link set vh0 up
ip -n "$PEER" link set vp0 up
in_ns sysctl -qw net.ipv4.tcp_tw_reuse=1 net.ipv4.ip_local_port_range="30000 65000" \
  net.core.somaxconn=8192

W=$T/www
mkdir -p "$W"
chmod 755 "$T" "$W"
head -c 1024 /dev/zero | tr '\0' 'a' > "$W/small.html"
nginx_conf() {  # PORT -> file
  cat > "$T/nginx-$1.conf" << EOF
worker_processes 1;
daemon off;
pid $T/nginx-$1.pid;
error_log $T/nginx-$1.err warn;
events { worker_connections 8192; }
http {
  access_log off;
  sendfile on; tcp_nopush on;
  keepalive_requests 100000000;
  server { listen 80 backlog=4096; listen 8080 backlog=4096; listen 8081 backlog=4096; listen 8082 backlog=4096; root $W; }
}
EOF
}
nginx_conf be
nginx_conf be2

berthd_start
docker28 run -d --name be -p 18001:80 -p 18003:8081 -p 18201:5201 -p 18201:5201/udp host \
  sh -c "sysctl -qw net.core.somaxconn=8192 net.ipv4.tcp_tw_reuse=1; iperf3 -s -p 5201 > /dev/null 2>&1 & exec nginx -c $T/nginx-be.conf" > /dev/null
BE=$(ctr_ip be bridge)
BE_PID=$(docker28 inspect -f '{{.State.Pid}}' be)
for i in $(seq 1 50); do in_ns curl -sf -o /dev/null "http://$BE/small.html" && break; sleep 0.1; done
for i in $(seq 1 50); do in_ns bash -c "echo > /dev/tcp/$BE/5201" 2> /dev/null && break; sleep 0.1; done

dnat_on() {
  in_ns sysctl -qw net.ipv4.conf.berth0.route_localnet=1
  in_ns nft -f - << EOF
table ip benchdnat {
  chain out {
    type nat hook output priority -100; policy accept;
    ip daddr 127.0.0.1 tcp dport 18002 dnat to $BE:8082
    ip daddr 127.0.0.1 tcp dport 18202 dnat to $BE:5201
    ip daddr 127.0.0.1 udp dport 18202 dnat to $BE:5201
  }
  chain post {
    type nat hook postrouting priority 100; policy accept;
    oifname "berth0" ip saddr 127.0.0.0/8 masquerade
  }
}
EOF
}
dnat_off() { in_ns nft delete table ip benchdnat; }

dp_start() {  # proto hport cport
  # docker-proxy writes its status to fd 3 and closes it; without an fd 3 it
  # closes its own listener (bench-anchors/README.md).
  ip netns exec "$NS" bash -c 'exec "$@" 3> "$0"' "$T/dp-$1-$2.fd3" \
    /usr/sbin/docker-proxy -proto "$1" -host-ip 127.0.0.1 -host-port "$2" \
    -container-ip "$BE" -container-port "$3" &
  DP_PIDS+=($!)
}
dp_stop() {
  local p
  for p in "${DP_PIDS[@]}"; do kill "$p" 2> /dev/null || true; done
  for p in "${DP_PIDS[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$p" 2> /dev/null || break; sleep 0.1; done
  done
  DP_PIDS=()
}

ticks() {  # PIDS... -> utime+stime sum
  local t=0 p
  for p in "$@"; do t=$((t + $(sed 's/^.*) //' "/proc/$p/stat" | awk '{print $12 + $13}'))); done
  echo "$t"
}
sys_ticks() {  # PIDS... -> stime sum (the kernel's share of ticks)
  local t=0 p
  for p in "$@"; do t=$((t + $(sed 's/^.*) //' "/proc/$p/stat" | awk '{print $13}'))); done
  echo "$t"
}
# The machine's idle and total ticks over all CPUs ("idle total").
machine_ticks() { awk '/^cpu / {t = 0; for (i = 2; i <= NF; i++) t += $i; print $5 + $6, t}' /proc/stat; }
rec() { printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" >> "$ROWS"; }

wrk_parse() {  # file -> "rps requests errors"
  python3 - "$1" << 'EOF'
import re, sys
t = open(sys.argv[1]).read()
rps = float(re.search(r'Requests/sec:\s+([\d.]+)', t).group(1))
req = int(re.search(r'(\d+) requests in', t).group(1))
m = re.search(r'Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)', t)
err = sum(int(x) for x in m.groups()) if m else 0
print(rps, req, err)
EOF
}

# measure CASE TEST RUN HOST HTTP_PORT IPERF_PORT PIDS...
measure() {
  local c=$1 t=$2 run=$3 h=$4 hp=$5 ip=$6
  shift 6
  local pids=("$@") t0=0 t1 s0=0 s1 out="$OUT/$c.$t.$run" m0 m1
  ((${#pids[@]})) && t0=$(ticks "${pids[@]}") && s0=$(sys_ticks "${pids[@]}")
  m0=$(machine_ticks)
  # The namespace's TCP counters around each test: SYN retransmits show the
  # 1 s stalls of new connections (STATS=1 also keeps conntrack's counters).
  in_ns nstat -az > "$out.nstat0"
  if [[ ${STATS:-0} == 1 ]]; then
    in_ns conntrack -S > "$out.ct0" 2> /dev/null || true
    nsenter -t "$BE_PID" -n nstat -az > "$out.ctr0"
  fi
  case $t in
    http_ka) in_ns wrk -t2 -c64 -d"${DUR}s" "http://$h:$hp/small.html" > "$out" 2>&1 ;;
    http_cc) in_ns wrk -t2 -c64 -d"${DUR}s" -H 'Connection: close' "http://$h:$hp/small.html" > "$out" 2>&1 ;;
    tcp_bulk) in_ns iperf3 -c "$h" -p "$ip" -t "$DUR" -J > "$out" 2>&1 ;;
    udp) in_ns iperf3 -c "$h" -p "$ip" -u -b 500M -l 1400 -w 4M -t "$DUR" -J > "$out" 2>&1 ;;
  esac
  local cpu="" sys=""
  m1=$(machine_ticks)
  in_ns nstat -az > "$out.nstat1"
  if [[ ${STATS:-0} == 1 ]]; then  # and the container's counters (the server side)
    in_ns conntrack -S > "$out.ct1" 2> /dev/null || true
    nsenter -t "$BE_PID" -n nstat -az > "$out.ctr1"
    awk 'NR == FNR {a[$1] = $2; next} $2 - a[$1] != 0 {print $1, $2 - a[$1]}' "$out.ctr0" "$out.ctr1" > "$out.ctr.nstat"
  fi
  awk 'NR == FNR {a[$1] = $2; next} $2 - a[$1] != 0 {print $1, $2 - a[$1]}' "$out.nstat0" "$out.nstat1" > "$out.nstat"
  rec "$c" "$t" syn_retrans "$(awk '$1 == "TcpExtTCPSynRetrans" {v = $2} END {print v + 0}' "$out.nstat")" "$run"
  # How busy the whole machine was (every process, softirq included): on 2
  # CPUs a case can only go faster if the others leave CPU idle.
  rec "$c" "$t" machine_busy_pct "$(awk -v a="$m0" -v b="$m1" 'BEGIN{split(a, x, " "); split(b, y, " "); printf "%.0f", 100 - (y[1] - x[1]) * 100 / (y[2] - x[2])}')" "$run"
  if ((${#pids[@]})); then
    t1=$(ticks "${pids[@]}")
    s1=$(sys_ticks "${pids[@]}")
    cpu=$((t1 - t0))
    sys=$((s1 - s0))
    rec "$c" "$t" cpu_pct "$((cpu * 100 / HZ / DUR))" "$run"
  fi
  case $t in
    http_ka | http_cc)
      read -r rps req err <<< "$(wrk_parse "$out")"
      rec "$c" "$t" rps "$rps" "$run"
      rec "$c" "$t" errors "$err" "$run"
      if [[ -n $cpu ]]; then
        rec "$c" "$t" cpu_us_per_req "$(awk -v c="$cpu" -v h="$HZ" -v r="$req" 'BEGIN{printf "%.2f", c/h*1e6/r}')" "$run"
        rec "$c" "$t" sys_us_per_req "$(awk -v c="$sys" -v h="$HZ" -v r="$req" 'BEGIN{printf "%.2f", c/h*1e6/r}')" "$run"
      fi
      log "$c $t run $run: $rps req/s${cpu:+, cpu $cpu ticks}"
      ;;
    tcp_bulk)
      local g
      g=$(jq -r '.end.sum_received.bits_per_second/1e9*1000|round/1000' "$out")
      rec "$c" "$t" gbps "$g" "$run"
      log "$c $t run $run: $g Gbit/s${cpu:+, cpu $cpu ticks}"
      ;;
    udp)
      local l g
      l=$(jq -r '.end.sum.lost_percent' "$out")
      g=$(jq -r '.end.sum.bits_per_second/1e9*(100-.end.sum.lost_percent)/100*1000|round/1000' "$out")
      rec "$c" "$t" lost_pct "$(printf '%.2f' "$l")" "$run"
      rec "$c" "$t" goodput_gbps "$g" "$run"
      log "$c $t run $run: lost $l %, goodput $g Gbit/s${cpu:+, cpu $cpu ticks}"
      ;;
  esac
  sleep 0.5
}

mode=true/
set_mode() {  # true|always [threads]: restart berthd (the container and its ports stay)
  local want="$1/${2:-}"
  [[ $mode == "$want" ]] && return 0
  if [[ -n ${2:-} ]]; then
    BERTH_PROXY_THREADS=$2 berthd_restart --userland-proxy="$1"
  else
    berthd_restart --userland-proxy="$1"
  fi
  mode=$want
  for _ in $(seq 1 50); do in_ns curl -sf -o /dev/null "http://127.0.0.1:18001/small.html" && return 0; sleep 0.1; done
  log "port 18001 not reachable after restart"
  return 1
}

log "proxy bench: RUNS=$RUNS DUR=$DUR CASES=$CASES TESTS=$TESTS; load: $(uptime)"
echo "load at start: $(uptime)" > "$OUT/load"
for run in $(seq 1 "$RUNS"); do
  for c in $CASES; do
    pids=()
    case $c in
      direct) set_mode true; h=$BE; hp=8080; ip=5201 ;;
      berth-lo) set_mode true; h=127.0.0.1; hp=18001; ip=18201; pids=("$BERTHD_PID") ;;
      berth-host) set_mode true; h=$HOST_IP; hp=18001; ip=18201; pids=("$BERTHD_PID") ;;
      berth-always) set_mode always; h=127.0.0.1; hp=18003; ip=18201; pids=("$BERTHD_PID") ;;
      berth-always-1t) set_mode always 1; h=127.0.0.1; hp=18003; ip=18201; pids=("$BERTHD_PID") ;;
      dnat) set_mode true; dnat_on; h=127.0.0.1; hp=18002; ip=18202 ;;
      docker-proxy)
        set_mode true
        dp_start tcp 18004 8081
        dp_start tcp 18204 5201
        dp_start udp 18204 5201
        for _ in $(seq 1 50); do in_ns curl -sf -o /dev/null "http://127.0.0.1:18004/small.html" && break; sleep 0.1; done
        h=127.0.0.1; hp=18004; ip=18204; pids=("${DP_PIDS[@]}")
        ;;
    esac
    in_ns curl -sf -o /dev/null "http://$h:$hp/small.html" || { log "$c: not reachable"; exit 1; }
    for t in $TESTS; do measure "$c" "$t" "$run" "$h" "$hp" "$ip" "${pids[@]}"; done
    case $c in
      dnat) dnat_off ;;
      docker-proxy) dp_stop ;;
    esac
  done
done
echo "load at end: $(uptime)" >> "$OUT/load"
set_mode true

# ---- memory per published port and first-packet latency with 10,000 ports
# (EXTRAS=0 skips this part: a run of the data-path cases only)
if [[ ${EXTRAS:-1} == 1 ]]; then
rss() { awk '/^VmRSS/ {print $2}' "/proc/$BERTHD_PID/status"; }
for i in $(seq 0 9); do
  docker28 create --name "fill$i" -p "$((20000 + i * 1000))-$((20999 + i * 1000)):1000-1999" host sleep 3600 > /dev/null
done
r0=$(rss)
docker28 start fill0 > /dev/null
r1=$(rss)
s0=$(date +%s.%N)
for i in $(seq 1 9); do docker28 start "fill$i" > /dev/null; done
s1=$(date +%s.%N)
r10=$(rss)
rec mem rss_kib_before 0 "$r0" 1
rec mem kib_per_port_1000 0 "$(awk -v a="$r0" -v b="$r1" 'BEGIN{printf "%.2f", (b-a)/1000}')" 1
rec mem kib_per_port_10000 0 "$(awk -v a="$r0" -v b="$r10" 'BEGIN{printf "%.2f", (b-a)/10000}')" 1
rec mem start_9000_ports_s 0 "$(awk -v a="$s0" -v b="$s1" 'BEGIN{printf "%.2f", b-a}')" 1
log "berthd RSS: $r0 KiB -> $r1 KiB (1,000 ports) -> $r10 KiB (10,000 ports)"
docker28 run -d --name be2 -p 18999:80 host nginx -c "$T/nginx-be2.conf" > /dev/null
nports=$(in_ns nft -j list map ip berth port-dnat-any | jq '[.nftables[] | select(.map) | .map.elem[]] | length')
rec mem published_ports 0 "$nports" 1
for _ in $(seq 1 50); do in_ns curl -sf -o /dev/null "http://127.0.0.1:18999/small.html" && break; sleep 0.1; done
# Interleaved: connect time to port #1 (18001) and port #nports (18999), via
# the host address (prerouting is not involved from the host: output hook).
for k in $(seq 1 300); do
  for p in 18001 18999; do
    v=$(in_ns curl -s -o /dev/null -w '%{time_connect}' "http://$HOST_IP:$p/small.html")
    rec latency "port_$p" connect_us "$(awk -v v="$v" 'BEGIN{printf "%.1f", v*1e6}')" "$k"
  done
done
fi

python3 "$REPO/bench/proxy/summarize.py" "$ROWS" "$OUT/load"
