#!/usr/bin/env bash
# berth benchmarks (`sudo make bench`): runs bench/network_bench.sh (network
# create+rm), bench/run_bench.sh (`run -d` on a network) and
# bench/connect_bench.sh (network connect+disconnect), each berthd vs a
# private dockerd 20.10, each daemon in its own network namespace, and the
# IPAM micro-benchmark, and appends a dated section to bench/RESULTS.md
# (earlier sections are kept). Nothing is hard-coded: every number in the
# section is what this run measured.
#
#   BERTH_BIN   directory with berthd, berth-shim, berth-init (default
#               build/src/cmd)
#   BERTH_BUILD build tree with bench/ipam_allocator_bench (default: the one
#               BERTH_BIN is in)
#   BENCHES     which to run (default "network run connect ipam dns lb proxy"; lb = bench/lb/lb_bench.sh,
#               berth-lb vs nginx vs haproxy, LB_WORKERS default "1 2", DUR 10; proxy =
#               bench/proxy/proxy_bench.sh, published ports, ~15 min)
#   RUNS, N, CLIENTS   passed to network_bench.sh, run_bench.sh and connect_bench.sh (default
#               5, 20, "api cli")
#   IPAM_BENCH_ARGS    extra flags for the Google Benchmark binary
#   RESULTS     file to append to (default bench/RESULTS.md)
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export BERTH_BIN=${BERTH_BIN:-$REPO/build/src/cmd}
BERTH_BIN=$(cd "$BERTH_BIN" 2> /dev/null && pwd || echo "$BERTH_BIN")
BERTH_BUILD=${BERTH_BUILD:-$(dirname "$(dirname "$BERTH_BIN")")}
IPAM_BENCH=$BERTH_BUILD/bench/ipam_allocator_bench
RESULTS=${RESULTS:-$REPO/bench/RESULTS.md}
export RUNS=${RUNS:-5} N=${N:-20} CLIENTS=${CLIENTS:-api cli}
BENCHES=${BENCHES:-network run connect ipam dns lb proxy}
for b in $BENCHES; do
  [[ " network run connect ipam dns lb proxy " == *" $b "* ]] ||
    { echo "bench: BENCHES: network, run, connect, ipam, dns, lb, proxy; not '$b'" >&2; exit 1; }
done
has() { [[ " $BENCHES " == *" $1 "* ]]; }

[[ $(id -u) == 0 ]] || { echo "bench: needs root (network namespaces): sudo make bench" >&2; exit 1; }

W=$(mktemp -d /tmp/berth-bench-run.XXXXXX)
trap 'rm -rf "$W"' EXIT
SECTION=$W/section.md
STATUS=0

commit=$(git -C "$REPO" rev-parse --short HEAD 2> /dev/null || echo unknown)
if [[ -n $(git -C "$REPO" status --porcelain 2> /dev/null | head -1) ]]; then commit="$commit + uncommitted changes"; fi
cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
[[ -n $cpu_model ]] || cpu_model=unknown
mem=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)

{
  echo "## $(date -u '+%Y-%m-%d %H:%M UTC') — commit $commit"
  echo
  echo "- command: \`BERTH_BIN=$BERTH_BIN$([[ $BENCHES != "network run connect ipam dns lb proxy" ]] && echo " BENCHES=\"$BENCHES\"") RUNS=$RUNS N=$N CLIENTS=\"$CLIENTS\"${IPAM_BENCH_ARGS:+ IPAM_BENCH_ARGS=\"$IPAM_BENCH_ARGS\"} bash bench/run.sh\` (what \`sudo make bench\` runs after deps and build)"
  echo "- machine: $(nproc) CPUs, $cpu_model, $mem RAM, kernel $(uname -r), $(. /etc/os-release && echo "$PRETTY_NAME")"
  echo "- the machine is shared (other builds and tests may run at the same time): compare the ratios, measured interleaved in one run, rather than absolute numbers"
  echo
} > "$SECTION"

# script_section TITLE SCRIPT: runs bench/SCRIPT, appends its markdown (or a
# FAILED note with its partial output) to the section.
script_section() {
  local title=$1 script=$2 rc=0
  mkdir -p "$(dirname "$W/$script")"
  bash "$REPO/bench/$script" > "$W/$script.md" || rc=$?
  if [[ $rc == 0 ]]; then
    cat "$W/$script.md" >> "$SECTION"
  else
    STATUS=1
    {
      echo "### $title"
      echo
      echo "**FAILED** (\`bench/$script\` exit $rc); see the command's stderr. Partial output:"
      echo
      sed 's/^/    /' "$W/$script.md"
    } >> "$SECTION"
  fi
  echo >> "$SECTION"
}

if has network; then
  echo "== network create+rm: berthd vs dockerd (RUNS=$RUNS N=$N)" >&2
  script_section "Network create+rm" network_bench.sh
fi
if has run; then
  echo "== run -d on a network: berthd vs dockerd (RUNS=$RUNS N=$N)" >&2
  script_section "run -d on a user network" run_bench.sh
fi
if has proxy; then
  echo "== published ports: berth's paths vs plain DNAT vs docker-proxy (RUNS=$RUNS)" >&2
  script_section "Published ports" proxy/proxy_bench.sh
fi
if has connect; then
  echo "== network connect+disconnect of a running container: berthd vs dockerd (RUNS=$RUNS N=$N)" >&2
  script_section "network connect + disconnect" connect_bench.sh
fi
if has dns; then
  echo "== embedded DNS: berth vs dnsmasq vs aardvark-dns (dnsperf, RUNS=$RUNS)" >&2
  {
    echo "### Issue 6: embedded DNS (berth vs dnsmasq vs aardvark-dns)"
    echo
    echo "\`RUNS=$RUNS DUR=${DNS_DUR:-5} bash bench/dns/dns_bench.sh\`: every server reached over loopback from the same berth container's netns (berth at its 127.0.0.11, dnsmasq with a hosts file of the same names and \`--cache-size=1000 --server=<fake upstream>\`, aardvark-dns 1.4 with its config dir, \`AARDVARK_NO_PROXY=1\`); fwd = a name forwarded to a fake upstream dnsmasq, cache warm (aardvark has no cache: not run)."
    echo
  } >> "$SECTION"
  if DUR=${DNS_DUR:-5} bash "$REPO/bench/dns/dns_bench.sh" > "$W/dns.md"; then
    cat "$W/dns.md" >> "$SECTION"
  else
    STATUS=1
    echo "**FAILED** (\`bench/dns/dns_bench.sh\`); partial output:" >> "$SECTION"
    sed 's/^/    /' "$W/dns.md" >> "$SECTION"
  fi
  echo >> "$SECTION"
fi
if has ipam; then
  echo "== IPAM allocator micro-benchmark" >&2
  {
    echo "### IPAM allocator micro-benchmark"
    echo
  } >> "$SECTION"
  if [[ -x $IPAM_BENCH ]]; then
    # Bounded: the binary's own cases take well under a minute here.
    rc=0
    # shellcheck disable=SC2086  # IPAM_BENCH_ARGS: several flags
    timeout 600 "$IPAM_BENCH" ${IPAM_BENCH_ARGS:-} > "$W/ipam.txt" 2> "$W/ipam.err" || rc=$?
    if [[ $rc == 0 ]]; then
      {
        echo "\`${IPAM_BENCH#"$REPO"/}${IPAM_BENCH_ARGS:+ $IPAM_BENCH_ARGS}\` (Google Benchmark; \"Time\" is wall, \"CPU\" is this thread's CPU: a large gap means the machine was busy):"
        echo
        echo '```'
        grep -E '^(Load Average|\*\*\*WARNING)' "$W/ipam.err" "$W/ipam.txt" -h || true
        grep -v -E '^(Load Average|\*\*\*WARNING)' "$W/ipam.txt"
        echo '```'
      } >> "$SECTION"
    else
      STATUS=1
      echo "**FAILED**: \`$IPAM_BENCH\` exited $rc: $(tail -n 3 "$W/ipam.err" | tr '\n' ' ')" >> "$SECTION"
    fi
  else
    echo "SKIPPED: $IPAM_BENCH is not built (make build, or set BERTH_BUILD)" | tee -a "$SECTION" >&2
  fi
  echo >> "$SECTION"
fi

if has lb; then
  # berth-lb vs nginx (lecture config, and with upstream keepalive) vs haproxy
  echo "== berth-lb vs nginx vs haproxy (RUNS=$RUNS, WORKERS=${LB_WORKERS:-1 2})" >&2
  WORKERS=${LB_WORKERS:-1 2} script_section "berth-lb vs nginx vs haproxy" lb/lb_bench.sh
fi

if [[ ! -f $RESULTS ]]; then
  {
    echo "# berth benchmark results"
    echo
    echo "Appended by \`bench/run.sh\` (\`sudo make bench\`), newest last; earlier sections are kept as they were measured."
    echo
  } > "$RESULTS"
fi
cat "$SECTION" >> "$RESULTS"
cat "$SECTION"
echo "== appended to ${RESULTS#"$REPO"/}" >&2
exit "$STATUS"
