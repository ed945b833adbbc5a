#!/usr/bin/env bash
# berth demo (`sudo make demo`): the networking part of the "Docker
# networking" lecture, as far as berth builds it today, against a private
# berthd. The daemon runs inside a throwaway network namespace made by the
# test harness (tests/lib/harness.bash), so the machine's own namespace is
# never touched; the namespace, the temp dir and the daemon are removed on
# exit, also when a step fails or on Ctrl-C.
#
#   BERTH_BIN   directory with berthd (and berth, once built); default build/src/cmd
#
# Non-interactive; every command is bounded by `timeout`; takes a few seconds.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export BERTH_BIN=${BERTH_BIN:-$REPO/build/src/cmd}
CMD_TIMEOUT=${CMD_TIMEOUT:-20}

if [[ $(id -u) != 0 ]]; then
  echo "demo: needs root (it creates a network namespace): sudo make demo" >&2
  exit 1
fi
if [[ ! -x $BERTH_BIN/berthd ]]; then
  echo "demo: no berthd in $BERTH_BIN (run 'make build' or set BERTH_BIN)" >&2
  exit 1
fi

# shellcheck source=tests/lib/harness.bash
source "$REPO/tests/lib/harness.bash"
# Info level keeps the daemon log short; the log is printed if the demo fails.
export BERTHD_LOG_LEVEL=${BERTHD_LOG_LEVEL:-info}

if [[ -t 1 ]]; then B=$'\e[1m' C=$'\e[36m' R=$'\e[0m'; else B='' C='' R=''; fi
header() { printf '\n%s==== %s ====%s\n' "$B" "$*" "$R"; }
say() { printf '%s# %s%s\n' "$C" "$*" "$R"; }
# show DISPLAY-WORDS...: the command line as a user would type it.
show() {
  local a out=()
  for a in "$@"; do
    if [[ $a =~ ^[][A-Za-z0-9_./:=,@%+{}-]+$ ]]; then out+=("$a"); else out+=("'$a'"); fi
  done
  printf '%s+ %s%s\n' "$B" "${out[*]}" "$R"
}

# The berth CLI, or the docker 28 CLI while berth's own CLI is not built.
if [[ -x $BERTH_BIN/berth ]]; then
  HAVE_BERTH_CLI=1
else
  HAVE_BERTH_CLI=
fi
berth_cmd() {
  if [[ -n $HAVE_BERTH_CLI ]]; then
    show berth "$@"
    timeout "$CMD_TIMEOUT" "$BERTH_BIN/berth" -H "unix://$SOCK" "$@"
  else
    show docker "$@"
    timeout "$CMD_TIMEOUT" env DOCKER_HOST="unix://$SOCK" "$DOCKER28" "$@"
  fi
}
docker_cmd() {
  show docker "$@"
  timeout "$CMD_TIMEOUT" env DOCKER_HOST="unix://$SOCK" "$DOCKER28" "$@"
}
# expect_fail CMD...: a command the lecture shows failing; the demo goes on
# only if it does fail.
expect_fail() {
  if "$@"; then
    echo "demo: expected the command above to fail, it succeeded" >&2
    return 1
  fi
  say "(failed as expected)"
}
# kernel CMD...: a plain tool run against the demo's namespace.
kernel() {
  show "$@"
  timeout "$CMD_TIMEOUT" "$@"
}

DEMO_OK=
cleanup() {
  local rc=$?
  if [[ -z $DEMO_OK ]]; then
    echo >&2
    echo "demo: FAILED (exit $rc); last lines of the berthd log:" >&2
    [[ -f ${BERTHD_LOG:-} ]] && tail -n 30 "$BERTHD_LOG" >&2
  fi
  [[ -n ${LB_PID:-} ]] && { kill "$LB_PID" 2> /dev/null || true; }
  harness_teardown
  if [[ -n ${NS:-} ]] && ip netns list | awk '{print $1}' | grep -qx "$NS"; then
    echo "demo: namespace $NS is still there" >&2
  elif [[ -n ${NS:-} ]]; then
    say "cleaned up: berthd stopped, namespace $NS and ${T:-its temp dir} removed"
  fi
}

header "A private berthd in a throwaway network namespace"
harness_setup demo
trap cleanup EXIT
trap 'exit 130' INT TERM
say "namespace $NS, state in $T"
show nsenter --net=/run/netns/"$NS" "$BERTH_BIN/berthd" --host "unix://$SOCK" --data-root "$ROOT" \
  --config-file "$T/daemon.json" --resolv-conf "$T/resolv.conf" --dns "$UPSTREAM_IP" \
  --log-level "$BERTHD_LOG_LEVEL" '&'
berthd_start
say "berthd pid $BERTHD_PID answers on $SOCK"
show export DOCKER_HOST="unix://$SOCK"
if [[ -z $HAVE_BERTH_CLI ]]; then
  say "the berth CLI is not built yet ($BERTH_BIN/berth is missing): the commands"
  say "meant for it are run with the stock docker CLI $("$DOCKER28" --version | awk '{print $3}' | tr -d ,)"
fi
docker_cmd version --format 'client {{.Client.Version}} (API {{.Client.APIVersion}}) -> server {{.Server.Version}} (API {{.Server.APIVersion}})'

header "Networks that exist from the start"
berth_cmd network ls

header "The lecture's network: a bridge with a fixed subnet, range and gateway"
docker_cmd network create --driver bridge --subnet 172.200.1.0/24 --ip-range 172.200.1.0/24 \
  --gateway 172.200.1.1 netlb
berth_cmd network ls
berth_cmd network inspect netlb
BR=br-$(timeout "$CMD_TIMEOUT" env DOCKER_HOST="unix://$SOCK" "$DOCKER28" network inspect -f '{{.Id}}' netlb | cut -c1-12)

header "What the daemon refuses"
expect_fail docker_cmd network create --driver bridge --subnet 172.200.1.0/24 overlapnet
expect_fail docker_cmd network create --driver bridge --subnet 172.200.2.0/24 --gateway 172.200.3.1 badgw
say "that one the CLI refuses before asking the daemon; the daemon's own answer:"
show curl -s --unix-socket "$SOCK" -X POST -H 'Content-Type: application/json' \
  -d '{"Name":"badgw","IPAM":{"Config":[{"Subnet":"172.200.2.0/24","Gateway":"172.200.3.1"}]}}' \
  http://berth/networks/create
timeout "$CMD_TIMEOUT" curl -s --unix-socket "$SOCK" -X POST -H 'Content-Type: application/json' \
  -d '{"Name":"badgw","IPAM":{"Config":[{"Subnet":"172.200.2.0/24","Gateway":"172.200.3.1"}]}}' \
  -w '\nHTTP %{http_code}\n' http://berth/networks/create
expect_fail docker_cmd network create netlb

header "The kernel side, inside the daemon's namespace"
say "one Linux bridge per network: berth0 is the default 'bridge' network, $BR is netlb"
kernel ip -n "$NS" -br link
kernel ip -n "$NS" -br addr
kernel ip -n "$NS" -d link show "$BR"
say "bridge ports: none yet, no container is attached"
kernel bridge -n "$NS" link
say "the firewall: one nftables table, per-bridge chains reached through verdict maps"
kernel ip netns exec "$NS" nft list table ip berth

header "Automatic subnets: 172.18, then 172.19; a removed one is reused"
docker_cmd network create auto1
docker_cmd network create auto2
berth_cmd network inspect -f '{{.Name}} {{range .IPAM.Config}}{{.Subnet}} gw={{.Gateway}}{{end}}' \
  bridge netlb auto1 auto2
docker_cmd network rm auto1
docker_cmd network create auto3
berth_cmd network inspect -f '{{.Name}} {{range .IPAM.Config}}{{.Subnet}} gw={{.Gateway}}{{end}}' auto2 auto3
kernel ip -n "$NS" -br addr

header "Images without a registry: import and load tarballs"
say "berth cannot pull; the docker client's pull attempt gets guidance instead"
expect_fail docker_cmd run -d --name=nopull alpine:3.18
BB_TAR=$T/busybox.tar
show scripts/make-busybox-image.sh "$BB_TAR"
"$REPO/scripts/make-busybox-image.sh" "$BB_TAR" > /dev/null
docker_cmd import --change 'CMD ["sh"]' "$BB_TAR" busybox:latest
# The lecture's ubuntu:14.04 is a small Debian root file system built once
# by scripts/make-debian-image.sh and cached; without it the demo uses the
# built-in image 'host' (the host's file system).
IMAGE=host
DEB_TAR=${BERTH_DEBIAN_TAR:-/var/cache/berth/debian-bookworm.tar}
if [[ -s $DEB_TAR ]]; then
  berth_cmd import --change 'CMD ["bash"]' "$DEB_TAR" ubuntu:14.04
  IMAGE=ubuntu:14.04
else
  say "no $DEB_TAR (build it once with scripts/make-debian-image.sh): using the image 'host'"
fi
berth_cmd images

header "Containers on netlb: the lecture's target group (section 4)"
if [[ $IMAGE == host ]]; then
  say "the built-in image 'host' runs on the host's file system; each container gets its own namespaces"
else
  say "$IMAGE runs on overlayfs over its layers, each container with its own writable layer"
fi
for i in 1 2 3; do
  docker_cmd run -itd --name=nettest$i --net=netlb --net-alias=tg-net $IMAGE bash
done
berth_cmd ps
show "docker inspect nettest1 | grep -i ipa"
timeout "$CMD_TIMEOUT" env DOCKER_HOST="unix://$SOCK" "$DOCKER28" inspect nettest1 | grep -i ipa
berth_cmd inspect -f '{{json .NetworkSettings.Networks.netlb.Aliases}} {{.NetworkSettings.Networks.netlb.MacAddress}}' nettest1
say "inside nettest1 (exec comes later: nsenter into its namespaces)"
P1=$(timeout "$CMD_TIMEOUT" env DOCKER_HOST="unix://$SOCK" "$DOCKER28" inspect -f '{{.State.Pid}}' nettest1)
kernel nsenter -t "$P1" -n -m -u ip -br addr
kernel nsenter -t "$P1" -n -m -u ping -c 2 -W 1 172.200.1.4
kernel nsenter -t "$P1" -n -m -u cat /etc/resolv.conf
[[ $IMAGE == host ]] || kernel nsenter -t "$P1" -n -m -u cat /etc/os-release
say "the frontend asks the embedded DNS at 127.0.0.11: every member of tg-net, rotated"
docker_cmd run -itd --name=frontend --net=netlb $IMAGE bash
PF=$(timeout "$CMD_TIMEOUT" env DOCKER_HOST="unix://$SOCK" "$DOCKER28" inspect -f '{{.State.Pid}}' frontend)
kernel nsenter -t "$PF" -n -m -u ping -c 2 -W 1 tg-net
kernel nsenter -t "$PF" -n -m -u dig +noall +answer tg-net
kernel nsenter -t "$PF" -n -m -u dig +noall +answer tg-net
say "the host side asks the network's gateway, where berthd answers too"
kernel ip netns exec "$NS" dig +noall +answer @172.200.1.1 tg-net
say "one veth per container on netlb's bridge"
kernel bridge -n "$NS" link
say "a removed container's address is reused"
docker_cmd rm -f nettest2
docker_cmd run -itd --name=nettest4 --net=netlb --net-alias=tg-net $IMAGE bash
berth_cmd inspect -f '{{.Name}} {{.NetworkSettings.Networks.netlb.IPAddress}}' nettest1 nettest3 nettest4
docker_cmd rm -f nettest1 nettest3 nettest4 frontend

header "NAT and published ports (section 1)"
say "berth-echo (static, in the build) plays the lecture's web server"
docker_cmd run -d --name=myweb -e SERVER_PORT=80 -p 8001:80 host "$BERTH_BIN/berth-echo"
berth_cmd port myweb
berth_cmd ps --format '{{.Names}} {{.Ports}}'
say "Docker's DNAT rules, one per port, are elements of an nft map here"
kernel ip netns exec "$NS" nft list map ip berth port-dnat-any
say "no docker-proxy: berthd itself holds the port"
kernel ip netns exec "$NS" ss -Hltnp 'sport = :8001'
kernel ip netns exec "$NS" curl -s http://127.0.0.1:8001/
docker_cmd rm -f myweb

header "Host networking (section 2)"
docker_cmd run -d --name=myweb-host --net=host -e SERVER_PORT=8080 host "$BERTH_BIN/berth-echo"
say "no port mapping and no address of its own"
berth_cmd port myweb-host
berth_cmd inspect -f 'IPAddress="{{.NetworkSettings.IPAddress}}"' myweb-host
for i in $(seq 1 50); do ip netns exec "$NS" ss -Hltn 'sport = :8080' | grep -q . && break; sleep 0.1; done
kernel ip netns exec "$NS" curl -s http://127.0.0.1:8080/
docker_cmd rm -f myweb-host

header "An application load balancer: the lecture's nginx.conf read by berth-lb (section 5)"
for i in 1 2 3; do
  docker_cmd run -itd --name=alb-node0$i -e SERVER_PORT=500$i -p 500$i:500$i -h alb-node0$i -u root \
    host "$BERTH_BIN/berth-echo"
done
LB_CONF=$REPO/tests/integration/lb/nginx.conf
kernel cat "$LB_CONF"
kernel "$BERTH_BIN/berth-lb" -t -c "$LB_CONF"
show berth-lb -c "$LB_CONF"
ip netns exec "$NS" "$BERTH_BIN/berth-lb" -c "$LB_CONF" -g "pid $T/lb.pid;" 2> "$T/lb.log" &
LB_PID=$!
for i in $(seq 1 50); do ip netns exec "$NS" ss -Hltn 'sport = :80' | grep -q . && break; sleep 0.1; done
say "each request goes to the next backend"
for i in 1 2 3 4 5 6; do kernel ip netns exec "$NS" curl -s http://127.0.0.1/; done
kill -QUIT "$LB_PID" 2> /dev/null || true
for i in $(seq 1 50); do kill -0 "$LB_PID" 2> /dev/null || break; sleep 0.1; done
LB_PID=
docker_cmd rm -f alb-node01 alb-node02 alb-node03

header "Removing networks"
docker_cmd network rm netlb
docker_cmd network prune -f
berth_cmd network ls
say "the bridges and their firewall chains are gone with them"
kernel ip -n "$NS" -br link
kernel ip netns exec "$NS" nft list set ip berth bridges

header "Done"
DEMO_OK=1
