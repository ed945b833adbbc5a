#!/usr/bin/env bats
# Published ports (issue 5) against the real thing: berthd in its own
# namespace ("the host"), a second namespace "peer" joined to it by a veth
# ("another host" on 10.99.0.0/24), containers of the built-in `host` image
# running a Python HTTP server and UDP echo. Checked with curl, socat,
# conntrack, ss and `nft -j list`, in each --userland-proxy mode.

load ../lib/harness

HOST_IP=10.99.0.1
PEER_IP=10.99.0.2

setup() {
  harness_setup ports
  PEER="$NS-peer"
  ip netns add "$PEER"
  ip -n "$PEER" link set lo up
  ip -n "$NS" link add vh0 type veth peer name vp0 netns "$PEER"
  ip -n "$NS" addr add "$HOST_IP/24" dev vh0
  ip -n "$NS" link set vh0 up
  ip -n "$PEER" addr add "$PEER_IP/24" dev vp0
  ip -n "$PEER" link set vp0 up
  ip -n "$PEER" route add default via "$HOST_IP"
  # A tiny server: HTTP on 80 and UDP echo on 5353 (paths from the host).
  cat > "$T/srv.py" <<'PY'
import http.server, socket, threading
def udp():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", 5353))
    while True:
        d, a = s.recvfrom(65535)
        s.sendto(d, a)
threading.Thread(target=udp, daemon=True).start()
http.server.ThreadingHTTPServer(("0.0.0.0", 80), http.server.SimpleHTTPRequestHandler).serve_forever()
PY
}

teardown() {
  [[ -n ${SOCAT_PID:-} ]] && kill "$SOCAT_PID" 2> /dev/null
  ip netns del "$PEER" 2> /dev/null || true
  harness_teardown
}

in_peer() { ip netns exec "$PEER" "$@"; }
http_code() { curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$@"; }

# wait_http URL: the container's server is up (bounded: 5 s).
wait_http() {
  local i
  for i in $(seq 1 50); do
    [[ $(in_ns curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$1") == 200 ]] && return 0
    sleep 0.1
  done
  return 1
}

udp_echo() {  # NS-RUNNER ADDR PORT: prints what came back
  "$1" bash -c "echo hello-udp | socat -t 2 - UDP4:$2:$3"
}

run_web() {
  docker28 run -d --name web -p 8080:80 -p 127.0.0.1:8081:80 -p 5353:5353/udp \
    host /usr/bin/python3 "$T/srv.py"
  ip=$(ctr_ip web bridge)
  wait_http "http://$ip:80/"
}

# conntrack_reply_src PORT: the source of the reply direction of the
# connection to 127.0.0.1:PORT (the container's address when the kernel
# DNATed it, 127.0.0.1 when the proxy answered).
conntrack_reply_src() {
  in_ns conntrack -L -p tcp -d 127.0.0.1 --dport "$1" 2> /dev/null |
    sed -n 's/.*src=127.0.0.1 dst=127.0.0.1 sport=[0-9]* dport='"$1"' .*src=\([0-9.]*\) dst=.*/\1/p' | head -1
}

# check_paths MODE: every path to a published port, and who carried it.
check_paths() {
  local mode=$1
  run_web
  # The host itself: loopback and its own address.
  [[ $(in_ns curl -s -o /dev/null -w '%{http_code}' --max-time 3 http://127.0.0.1:8080/) == 200 ]]
  [[ $(in_ns curl -s -o /dev/null -w '%{http_code}' --max-time 3 http://$HOST_IP:8080/) == 200 ]]
  [[ $(in_ns curl -s -o /dev/null -w '%{http_code}' --max-time 3 http://127.0.0.1:8081/) == 200 ]]
  # Another host.
  [[ $(in_peer curl -s -o /dev/null -w '%{http_code}' --max-time 3 http://$HOST_IP:8080/) == 200 ]]
  # 127.0.0.1:8081 is not reachable from the other host on the host's address.
  [[ $(in_peer curl -s -o /dev/null -w '%{http_code}' --max-time 2 http://$HOST_IP:8081/) != 200 ]]
  # UDP echo from the other host and from the host.
  [[ $(udp_echo in_peer "$HOST_IP" 5353) == hello-udp ]]
  [[ $(udp_echo in_ns 127.0.0.1 5353) == hello-udp ]]
  # Hairpin: the container reaches its own published port through the host.
  [[ $(in_ctr web curl -s -o /dev/null -w '%{http_code}' --max-time 3 http://$HOST_IP:8080/) == 200 ]]
  # Loopback: the kernel path (DNAT, reply from the container) unless `always`.
  local src
  src=$(conntrack_reply_src 8080)
  echo "mode $mode: reply source of 127.0.0.1:8080 is '$src'"
  if [[ $mode == always ]]; then
    [[ $src == 127.0.0.1 ]]
  else
    [[ $src == "$ip" ]]
  fi
  # The proxy holds the ports in every mode (listening TCP, bound UDP).
  in_ns ss -Hltnp | grep -q ':8080 .*berthd'
  in_ns ss -Hlunp | grep -q ':5353 .*berthd'
  # The map elements.
  in_ns nft -j list map ip berth port-dnat-any |
    jq -e --arg ip "$ip" '[.nftables[] | select(.map) | .map.elem[]] | length == 2'
  in_ns nft -j list map ip berth port-dnat |
    jq -e --arg ip "$ip" '.nftables[] | select(.map) | .map.elem[0][0].concat == ["127.0.0.1","tcp",8081] and .map.elem[0][1].concat == [$ip, 80]'
}

@test "default mode: loopback, own address, another host, UDP, hairpin through the kernel" {
  berthd_start
  check_paths true
  in_ns nft list chain ip berth nat-output | grep -q '^[[:space:]]*fib daddr type local jump nat-ports'
  [[ $(in_ns cat /proc/sys/net/ipv4/conf/berth0/route_localnet) == 1 ]]
}

@test "--userland-proxy=false: same paths, the proxy only holds the ports" {
  berthd_start --userland-proxy=false
  check_paths false
}

@test "--userland-proxy=always: loopback through berthd's proxy" {
  berthd_start --userland-proxy=always
  check_paths always
  in_ns nft list chain ip berth nat-output | grep -q 'ip daddr != 127.0.0.0/8'
}

@test "a port published on 127.0.0.1 cannot be reached from another host, even addressed to 127.0.0.1" {
  berthd_start
  run_web
  # The peer sends packets for 127.0.0.0/8 to the host (the attack Docker
  # 28's raw rule stops): its own loopback route removed, route_localnet on.
  ip -n "$PEER" addr del 127.0.0.1/8 dev lo
  ip -n "$PEER" route add 127.0.0.0/8 via "$HOST_IP" dev vp0 2> /dev/null ||
    ip -n "$PEER" route replace 127.0.0.0/8 via "$HOST_IP" dev vp0
  in_peer sysctl -qw net.ipv4.conf.all.route_localnet=1 net.ipv4.conf.vp0.route_localnet=1
  [[ $(in_peer curl -s -o /dev/null -w '%{http_code}' --max-time 2 http://127.0.0.1:8081/) != 200 ]]
  # The guard dropped it (its counter moved).
  in_ns nft -j list chain ip berth raw-prerouting |
    jq -e '[.nftables[] | select(.rule) | .rule.expr[] | select(.counter) | .counter.packets] | .[0] > 0'
}

@test "bad specs and conflicts give Docker's errors and leave the container Created with nothing behind" {
  berthd_start
  for client in docker28 berth; do
    run $client run -d -p 70000:80 host true
    [[ $status -eq 125 ]]
    [[ $output == *"invalid hostPort: 70000"* ]]
    run $client run -d -p 80:80/foo host true
    [[ $output == *"invalid proto: foo"* ]]
    run $client run -d -p 8000-8002:80-81 host true
    [[ $output == *"invalid ranges specified for container and host Ports: 80-81 and 8000-8002"* ]]
  done
  [[ -z $(docker28 ps -aq) ]]
  # Held by berth: Docker's "port is already allocated".
  docker28 run -d --name pa -p 9000:80 host sleep 300
  docker28 create --name pb -p 9000:80 host sleep 300
  snapshot "$T/before"
  run docker28 start pb
  [[ $status -ne 0 ]]
  [[ $output == *"failed to set up container networking: driver failed programming external connectivity on endpoint pb ("*"): Bind for 0.0.0.0:9000 failed: port is already allocated"* ]]
  snapshot "$T/after"
  diff "$T/before" "$T/after"
  [[ $(docker28 inspect -f '{{.State.Status}}' pb) == created ]]
  # Held by another program.
  # ip netns exec execs socat, so $! is socat; fd 3 closed so bats does not wait for it.
  ip netns exec "$NS" socat TCP4-LISTEN:9001,bind=0.0.0.0,reuseaddr,fork /dev/null > /dev/null 2>&1 3>&- &
  SOCAT_PID=$!
  for i in $(seq 1 50); do in_ns ss -Hltn | grep -q ':9001 ' && break; sleep 0.1; done
  docker28 create --name pc -p 9001:80 host sleep 300
  snapshot "$T/before"
  run berth start pc
  [[ $status -ne 0 ]]
  [[ $output == *"failed to bind host port for 0.0.0.0:9001:172.17.0.3:80/tcp: address already in use"* ]]
  snapshot "$T/after"
  diff "$T/before" "$T/after"
  [[ $(berth inspect -f '{{.State.Status}}' pc) == created ]]
}

@test "ranges, -P with --expose, berth port, ps, stop releases, restart restores" {
  berthd_start
  docker28 run -d --name pr -p 8100-8102:80-82 -p 8200-8209:90 -P --expose 7000/udp host sleep 300
  run berth port pr
  echo "$output"
  [[ ${lines[0]} == "80/tcp -> 0.0.0.0:8100" ]]
  [[ ${lines[1]} == "81/tcp -> 0.0.0.0:8101" ]]
  [[ ${lines[2]} == "82/tcp -> 0.0.0.0:8102" ]]
  [[ ${lines[3]} == "90/tcp -> 0.0.0.0:8200" ]]
  local first
  first=$(in_ns cut -f1 /proc/sys/net/ipv4/ip_local_port_range)
  [[ ${lines[4]} == "7000/udp -> 0.0.0.0:$first" ]]
  [[ $(docker28 port pr 90) == "0.0.0.0:8200" ]]
  run docker28 port pr 91
  [[ $output == *"No public port '91' published for pr"* ]]
  # The next container gets the next port of the range.
  docker28 run -d --name pr2 -p 8200-8209:90 host sleep 300
  [[ $(berth port pr2 90/tcp) == "0.0.0.0:8201" ]]
  [[ $(docker28 ps --filter name=pr2 --format '{{.Ports}}') == "0.0.0.0:8201->90/tcp" ]]
  [[ $(berth ps --filter name=pr2 --format '{{.Ports}}') == "0.0.0.0:8201->90/tcp" ]]
  docker28 inspect -f '{{json .HostConfig.PortBindings}}' pr2 | jq -e '."90/tcp"[0].HostPort == "8200-8209"'
  # Restart: listeners and map elements come back from the database.
  berthd_restart
  in_ns ss -Hltnp | grep -q ':8201 .*berthd'
  in_ns nft -j list map ip berth port-dnat-any | jq -e '[.nftables[] | select(.map) | .map.elem[]] | length == 6'
  # Stop: everything released; start: bound again.
  docker28 stop -t 0 pr pr2
  ! in_ns ss -Hltn | grep -q ':8201 '
  in_ns nft -j list map ip berth port-dnat-any | jq -e '[.nftables[] | select(.map) | .map.elem // [] | .[]] | length == 0'
  [[ -z $(docker28 port pr) ]]
  docker28 start pr2
  [[ $(berth port pr2 90/tcp) == "0.0.0.0:8200" ]]
}

@test "1,000 published ports on 100 containers are set up and torn down cleanly" {
  BERTHD_LOG_LEVEL=info berthd_start
  local i
  for i in $(seq 0 99); do
    berth run -d --name "s$i" -p "$((20000 + i * 10))-$((20009 + i * 10)):1000-1009" host sleep 600 > /dev/null
  done
  [[ $(in_ns ss -Hltnp | grep -c '"berthd"') == 1000 ]]
  in_ns nft -j list map ip berth port-dnat-any | jq -e '[.nftables[] | select(.map) | .map.elem[]] | length == 1000'
  in_ns nft -j list set ip berth published-ports | jq -e '[.nftables[] | select(.set) | .set.elem[]] | length == 1000'
  # Still two DNAT rules.
  [[ $(in_ns nft list chain ip berth nat-ports | grep -c 'dnat ip to') == 2 ]]
  berth rm -f $(berth ps -aq) > /dev/null
  [[ $(in_ns ss -Hltnp | grep -c '"berthd"') == 0 ]]
  in_ns nft -j list map ip berth port-dnat-any | jq -e '[.nftables[] | select(.map) | .map.elem // [] | .[]] | length == 0'
  [[ -z $(db_dump | grep -i 'INSERT INTO port_bindings') ]]
}
