#!/usr/bin/env bash
# Installs every Debian package berth's build, tests, demo and benchmarks need.
# Idempotent: when everything is present it only runs dpkg-query and exits.
# Packages are installed with a temporary policy-rc.d so none starts a service.
set -euo pipefail

BUILD=(
  build-essential cmake pkg-config
  libnl-3-dev libnl-route-3-dev libboost-dev libsqlite3-dev
  nlohmann-json3-dev libcli11-dev libspdlog-dev libfmt-dev libcap-dev
  libarchive-dev libssl-dev googletest libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-14-dev
)
RUNTIME=(nftables iproute2 util-linux procps kmod)
TESTS=(
  bats jq sqlite3 bridge-utils net-tools iputils-ping dnsutils curl socat conntrack
  busybox-static wrk dnsperf iperf3 nginx haproxy dnsmasq aardvark-dns
  docker.io gnuplot debootstrap hyperfine python3
)

missing=()
for p in "${BUILD[@]}" "${RUNTIME[@]}" "${TESTS[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all packages present"
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps: missing packages (${missing[*]}); run as root (sudo make test)" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
policy=/usr/sbin/policy-rc.d
had_policy=0
if [[ -e $policy ]]; then had_policy=1; cp -a "$policy" "$policy.berth-saved"; fi
restore_policy() {
  if ((had_policy)); then mv -f "$policy.berth-saved" "$policy"; else rm -f "$policy"; fi
}
trap restore_policy EXIT
printf '#!/bin/sh\nexit 101\n' > "$policy"
chmod 755 "$policy"

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
