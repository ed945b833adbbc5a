# berth's test harness (ARCHITECTURE.md "Test harness"), sourced by every bats
# file and benchmark. It runs berthd inside a network namespace of its own,
# never touching the machine's namespace:
#   - a named namespace (ip netns add) holds the daemon's network state;
#   - berthd is started with `nsenter --net=/run/netns/NAME` (network only,
#     so its bind mounts stay visible to the next berthd after a kill -9);
#   - each daemon gets its own --host, --data-root, --config-file,
#     --resolv-conf and --dns pointing at a fake upstream (dnsmasq
#     --no-resolv) inside the namespace;
#   - processes are stopped by PID; everything is removed at teardown, and the
#     daemon's log of a failed test is kept under $BERTH_TEST_LOGS.
#
# Use from bats:
#   load ../lib/harness
#   setup()    { harness_setup; berthd_start; }
#   teardown() { harness_teardown; }
# Outside bats (scripts/demo.sh, bench/): source it, harness_setup NAME,
# trap harness_teardown EXIT, berthd_start. BERTHD_LOG_LEVEL overrides the
# daemon's --log-level (default debug); BERTH_KEEP_LOG=1 keeps its log.

BERTH_REPO=${BERTH_REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BERTH_BIN=${BERTH_BIN:-$BERTH_REPO/build/src/cmd}
BERTH_TEST_LOGS=${BERTH_TEST_LOGS:-/tmp/berth-test-logs}
DOCKER28=${DOCKER28:-/usr/local/bin/docker}
DOCKER20=${DOCKER20:-/usr/bin/docker}
# The fake upstream DNS server's address inside the test namespace.
UPSTREAM_IP=10.253.53.53

# harness_setup [NAME]: creates the namespace, a temp dir with config files
# and the fake upstream. Sets NS, T (temp dir), SOCK, ROOT.
harness_setup() {
  local name=${1:-t}
  NS="berth-${name}-$$-${BATS_TEST_NUMBER:-0}"
  T=$(mktemp -d /tmp/berth-test.XXXXXX)
  SOCK=$T/berth.sock
  ROOT=$T/root
  BERTHD_LOG=$T/berthd.log
  BERTHD_PID=
  UPSTREAM_PID=
  UPSTREAM2_PID=
  ip netns add "$NS"
  ip -n "$NS" link set lo up
  # The fake upstream's address lives on lo (no dummy module on every host).
  ip -n "$NS" addr add "$UPSTREAM_IP/32" dev lo
  printf 'nameserver %s\noptions ndots:0\n' "$UPSTREAM_IP" > "$T/resolv.conf"
  echo '{}' > "$T/daemon.json"
  export DOCKER_HOST="unix://$SOCK" BERTH_HOST="unix://$SOCK"
}

# upstream_start: dnsmasq answering only from its own records, inside NS.
upstream_start() {
  ip netns exec "$NS" dnsmasq --no-resolv --no-hosts --no-daemon --port 53 \
    --listen-address="$UPSTREAM_IP" --bind-interfaces --pid-file="$T/dnsmasq.pid" \
    --address=/upstream.test/10.9.9.9 --local-ttl=60 --log-queries --log-facility=- > "$T/dnsmasq.log" 2>&1 &
  UPSTREAM_PID=$!
}

# berthd_start [EXTRA FLAGS...]: starts berthd in NS and waits for /_ping.
# A second fake upstream for failover tests, on UPSTREAM2_IP: answers
# upstream.test with 10.9.9.10 (the first says 10.9.9.9) and second.test.
# DEAD_UPSTREAM_IP is an address on lo where nothing listens (queries time out).
UPSTREAM2_IP=10.253.53.54
DEAD_UPSTREAM_IP=10.253.53.55
upstream2_start() {
  # On a link of their own (a bridge without ports; no dummy module here): the first dnsmasq also serves addresses
  # added to lo after it started.
  if ! ip -n "$NS" link show updummy > /dev/null 2>&1; then
    ip -n "$NS" link add updummy type bridge
    ip -n "$NS" link set updummy up
    ip -n "$NS" addr add "$UPSTREAM2_IP/32" dev updummy
    ip -n "$NS" addr add "$DEAD_UPSTREAM_IP/32" dev updummy
  fi
  ip netns exec "$NS" dnsmasq --no-resolv --no-hosts --no-daemon --port 53 \
    --listen-address="$UPSTREAM2_IP" --bind-interfaces --pid-file= --local-ttl=60 \
    --address=/upstream.test/10.9.9.10 --address=/second.test/10.9.9.11 --log-queries \
    --log-facility=- > "$T/dnsmasq2.log" 2>&1 &
  UPSTREAM2_PID=$!
  local i
  for i in $(seq 1 50); do
    ip netns exec "$NS" ss -lnu | grep -q "$UPSTREAM2_IP:53 " && return 0
    sleep 0.05
  done
}

berthd_start() {
  # BERTHD_DNS="IP IP ...": the daemon's upstreams instead of the fake one.
  local d dns_args=()
  for d in ${BERTHD_DNS:-$UPSTREAM_IP}; do dns_args+=(--dns "$d"); done
  nsenter --net="/run/netns/$NS" "$BERTH_BIN/berthd" \
    --host "unix://$SOCK" --data-root "$ROOT" --config-file "$T/daemon.json" \
    --resolv-conf "$T/resolv.conf" "${dns_args[@]}" --log-level "${BERTHD_LOG_LEVEL:-debug}" "$@" \
    >> "$BERTHD_LOG" 2>&1 &
  BERTHD_PID=$!
  berthd_wait_ready
}

berthd_wait_ready() {
  local i
  for i in $(seq 1 100); do
    if curl -sf --max-time 1 --unix-socket "$SOCK" http://berth/_ping > /dev/null 2>&1; then
      return 0
    fi
    if ! kill -0 "$BERTHD_PID" 2> /dev/null; then
      echo "berthd exited during start:" >&2
      tail -n 30 "$BERTHD_LOG" >&2
      return 1
    fi
    sleep 0.1
  done
  echo "berthd did not answer /_ping within 10 s" >&2
  return 1
}

# berthd_kill9: the crash case; nothing is cleaned up by the daemon.
berthd_kill9() {
  [[ -n ${BERTHD_PID:-} ]] || return 0
  kill -9 "$BERTHD_PID" 2> /dev/null || true
  wait "$BERTHD_PID" 2> /dev/null || true
  BERTHD_PID=
}

# berthd_stop: SIGTERM and wait (bounded), then SIGKILL.
berthd_stop() {
  [[ -n ${BERTHD_PID:-} ]] || return 0
  kill -TERM "$BERTHD_PID" 2> /dev/null || true
  local i
  for i in $(seq 1 50); do
    kill -0 "$BERTHD_PID" 2> /dev/null || break
    sleep 0.1
  done
  kill -9 "$BERTHD_PID" 2> /dev/null || true
  wait "$BERTHD_PID" 2> /dev/null || true
  BERTHD_PID=
}

berthd_restart() {
  berthd_stop
  berthd_start "$@"
}

# containers_kill: containers outlive berthd (live restore), so a test's
# teardown ends them itself: the shims and container inits recorded in each
# bundle's state.json, by PID.
containers_kill() {
  [[ -n ${ROOT:-} && -d $ROOT/containers ]] || return 0
  local st pid
  for st in "$ROOT"/containers/*/state.json; do
    [[ -f $st ]] || continue
    for pid in $(jq -r '.pid, .shim_pid' "$st" 2> /dev/null); do
      [[ $pid =~ ^[0-9]+$ && $pid -gt 1 ]] && kill -9 "$pid" 2> /dev/null
    done
  done
  return 0
}

# unmount_under DIR: detaches every mount below DIR (netns bind mounts).
unmount_under() {
  local m
  for m in $(awk -v d="$1/" 'index($5, d) == 1 {print $5}' /proc/self/mountinfo | sort -r); do
    umount -l "$m" 2> /dev/null || true
  done
}

harness_teardown() {
  berthd_stop
  containers_kill
  local up
  for up in ${UPSTREAM_PID:-} ${UPSTREAM2_PID:-}; do
    kill "$up" 2> /dev/null || true
    wait "$up" 2> /dev/null || true
  done
  # Under bats: kept when the test did not complete. Outside bats (demo,
  # benchmarks): kept only when the caller sets BERTH_KEEP_LOG=1.
  local failed=
  if [[ -n ${BATS_TEST_FILENAME:-} ]]; then
    [[ -z ${BATS_TEST_COMPLETED:-} ]] && failed=1
  else
    [[ ${BERTH_KEEP_LOG:-} == 1 ]] && failed=1
  fi
  if [[ -n $failed && -f ${BERTHD_LOG:-} ]]; then
    mkdir -p "$BERTH_TEST_LOGS"
    local keep="$BERTH_TEST_LOGS/$(basename "${BATS_TEST_FILENAME:-test}" .bats)-${BATS_TEST_NUMBER:-0}.log"
    cp "$BERTHD_LOG" "$keep"
    { echo "# berthd log kept in $keep" >&3; } 2> /dev/null || echo "# berthd log kept in $keep" >&2
  fi
  [[ -n ${NS:-} ]] && ip netns del "$NS" 2> /dev/null || true
  if [[ -n ${T:-} && -d $T ]]; then
    unmount_under "$T"
    rm -rf "$T"
  fi
  return 0
}

# Clients. Each talks to the daemon of the current test.
berth() { "$BERTH_BIN/berth" -H "unix://$SOCK" "$@"; }
docker28() { DOCKER_HOST="unix://$SOCK" "$DOCKER28" "$@"; }
docker20() { DOCKER_HOST="unix://$SOCK" "$DOCKER20" "$@"; }

# require_client BIN: a missing client is a visible skip, never a silent pass.
require_client() {
  if [[ ! -x $1 ]]; then
    skip "SKIPPED: client $1 is not installed"
  fi
}

# api METHOD PATH [JSON]: raw API call; prints the body, sets API_STATUS and
# records the status in $T/api_status, so `body=$(api ...)` (a subshell) can
# read it back with api_status.
api() {
  local method=$1 path=$2 body=${3-}
  local out
  if [[ -n $body ]]; then
    out=$(curl -s --max-time 10 --unix-socket "$SOCK" -X "$method" -H 'Content-Type: application/json' \
      --data-binary "$body" -w '\n%{http_code}' "http://berth$path")
  else
    out=$(curl -s --max-time 10 --unix-socket "$SOCK" -X "$method" -w '\n%{http_code}' "http://berth$path")
  fi
  API_STATUS=${out##*$'\n'}
  printf '%s' "$API_STATUS" > "$T/api_status"
  printf '%s' "${out%$'\n'*}"
}
api_status() { cat "$T/api_status"; }

# Inspection inside the test namespace, with the tools a user would use.
in_ns() { ip netns exec "$NS" "$@"; }
# Bridge timers count down and a new address is briefly "tentative": both are
# dropped so that snapshots compare state, not time.
links_json() {
  ip -n "$NS" -j -d link show |
    jq '[.[] | if .linkinfo.info_data? then .linkinfo.info_data |= with_entries(select(.key | endswith("_timer") | not)) else . end
             | if .linkinfo.info_slave_data? then .linkinfo.info_slave_data |= with_entries(select(.key | endswith("_timer") | not)) else . end]'
}
addrs_json() { ip -n "$NS" -j addr show | jq '[.[] | .addr_info |= map(del(.tentative))]'; }
nft_json() { ip netns exec "$NS" nft -j list ruleset; }
db_dump() { sqlite3 -readonly "$ROOT/berth.db" .dump 2> /dev/null; }

# snapshot FILE: everything a failed operation must leave unchanged.
snapshot() {
  {
    echo "## links"
    # Identity and configuration; carrier and offload sizes follow the ports.
    links_json | jq -S '[.[] | {ifname, kind: .linkinfo.info_kind, master, ifalias, mtu, address,
      up: ((.flags // []) | index("UP") != null), info_data: .linkinfo.info_data}]'
    echo "## addrs"
    # Configured addresses; IPv6 link-local ones are the kernel's own.
    addrs_json | jq -S '[.[] | {ifname, addrs: [.addr_info[] | select(.scope != "link" or .family == "inet")
      | "\(.local)/\(.prefixlen)"]}]'
    echo "## nft"
    nft_json | jq -S '.nftables | map(select(has("metainfo") | not))'
    echo "## db"
    db_dump
    echo "## files"
    (cd "$ROOT" && find . -path ./berth.db-wal -prune -o -path ./berth.db-shm -prune -o -print | sort)
  } > "$1"
}

# Processes of this test's containers: the shims whose bundle lies under
# $ROOT, one per line "PID ARGS", for before/after comparisons.
container_processes() {
  ps -C berth-shim -o pid=,args= | awk -v r="$ROOT/" 'index($0, r) {print}' | sort
}

# ctr_pid NAME: the container's init pid as berthd reports it.
ctr_pid() { docker28 inspect -f '{{.State.Pid}}' "$1"; }

# in_ctr NAME CMD...: runs CMD inside the container's network, mount and UTS
# namespaces (exec is a later issue).
in_ctr() {
  local pid
  pid=$(ctr_pid "$1") || return 1
  shift
  nsenter -t "$pid" -n -m -u "$@"
}

# import_debian_image [TAG]: the Debian root of scripts/make-debian-image.sh
# (bash, ping, dig, curl; cached in /var/cache/berth, about a minute of
# debootstrap when the cache is cold) imported with CMD bash as TAG (default
# ubuntu:14.04, the lecture's image). Skips the test visibly when the image
# cannot be built; the times go to bats' fd 3.
import_debian_image() {
  local deb start=$SECONDS
  deb=$("$BERTH_REPO/scripts/make-debian-image.sh") || skip "SKIPPED: the Debian image could not be built (debootstrap)"
  { echo "# debian image ready after $((SECONDS - start)) s" >&3; } 2> /dev/null || true
  start=$SECONDS
  berth import --change 'CMD ["bash"]' "$deb" "${1:-ubuntu:14.04}" > /dev/null || return 1
  { echo "# import of $(du -h "$deb" | cut -f1) took $((SECONDS - start)) s" >&3; } 2> /dev/null || true
}

# ctr_ip NAME NETWORK
ctr_ip() { docker28 inspect -f "{{(index .NetworkSettings.Networks \"$2\").IPAddress}}" "$1"; }

# netns_of NAME: the container's network namespace as the host sees it.
netns_of() { readlink "/proc/$(ctr_pid "$1")/ns/net"; }
