#!/usr/bin/env bats
# berth-lb (issue 7): the lecture's section 5 — three berth-echo containers
# (alb-node01..03 on 5001..5003) behind the lecture's nginx.conf, unchanged —
# plus failover under load, live upstream membership through `resolve`,
# reload under load and nginx-style configuration errors. Everything runs in
# the harness's private network namespace.

load ../lib/harness

LECTURE_CONF=$BERTH_REPO/tests/integration/lb/nginx.conf

# How a backend container reaches the host's 127.0.0.1:PORT: the lecture's
# published port on the default bridge (`--network host` also works).
backend_net_args() { echo "-p $1:$1"; }

setup() {
  harness_setup lb
  LB_PID=
  ECHO_PIDS=()
  DNSMASQ_PID=
}

teardown() {
  [[ -n $LB_PID ]] && kill -9 "$LB_PID" 2> /dev/null
  local p
  for p in "${ECHO_PIDS[@]}"; do kill -9 "$p" 2> /dev/null; done
  [[ -n $DNSMASQ_PID ]] && kill "$DNSMASQ_PID" 2> /dev/null
  harness_teardown
}

# backends_start: the lecture's three `docker run`s, as berth containers.
backends_start() {
  local i
  berthd_start
  for i in 1 2 3; do
    # shellcheck disable=SC2046  # backend_net_args: several words
    docker28 run -itd --name=alb-node0$i -e SERVER_PORT=500$i $(backend_net_args 500$i) \
      -h alb-node0$i -u root host "$BERTH_BIN/berth-echo" > /dev/null
  done
  for i in 1 2 3; do wait_port 127.0.0.1 500$i; done
}

wait_port() { # ADDR PORT
  local i
  for i in $(seq 1 50); do
    in_ns curl -s -o /dev/null --max-time 1 "http://$1:$2/health" && return 0
    sleep 0.1
  done
  echo "nothing answers on $1:$2" >&2
  return 1
}

# lb_start CONF: berth-lb in the namespace; pid file and log in $T.
lb_start() {
  # not through in_ns (a function: $! would be a subshell)
  ip netns exec "$NS" "$BERTH_BIN/berth-lb" -c "$1" -g "pid $T/lb.pid;" 2> "$T/lb.log" &
  LB_PID=$!
  local port=${2:-80}
  for i in $(seq 1 50); do
    in_ns curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port/" && return 0
    sleep 0.1
  done
  cat "$T/lb.log" >&2
  return 1
}

# count_backends N URL: N requests on one keep-alive connection; prints
# "name count" lines.
count_backends() {
  in_ns curl -s --max-time 20 "$2?[1-$1]" | awk '/^Server name:/ { n[$3]++ } END { for (k in n) print k, n[k] }' | sort
}

# wrk_clean FILE: wrk output with no socket errors and no non-2xx answers.
wrk_clean() {
  grep -q "requests in" "$1" || { cat "$1"; return 1; }
  if grep -E "Socket errors|Non-2xx" "$1"; then cat "$1"; return 1; fi
}

@test "lecture section 5: nginx.conf verbatim, 300 requests are exactly 100 per backend" {
  backends_start
  run "$BERTH_BIN/berth-lb" -t -c "$LECTURE_CONF"
  [ "$status" -eq 0 ]
  [[ "$output" == *"syntax is ok"* && "$output" == *"test is successful"* ]]
  lb_start "$LECTURE_CONF"
  run count_backends 300 http://127.0.0.1/
  [ "$output" = "$(printf 'alb-node01 100\nalb-node02 100\nalb-node03 100')" ]
  # the rotation is nginx's: one request to each in turn
  in_ns curl -s "http://127.0.0.1/?[1-3]" | grep -c "Server port: 500[123]" | grep -qx 3
  run in_ns curl -s -H 'Accept: application/json' http://127.0.0.1/
  [[ "$output" =~ \{\"hostname\":\"alb-node0[123]\",\"port\":500[123], ]]
}

@test "a backend killed under load: zero failed GETs" {
  backends_start
  lb_start "$LECTURE_CONF"
  ip netns exec "$NS" wrk -t1 -c8 -d4s http://127.0.0.1/ > "$T/wrk.txt" 2>&1 &
  local wrk=$!
  sleep 1.5
  docker28 kill alb-node02 > /dev/null
  # wait for wrk by PID, bounded
  for i in $(seq 1 100); do kill -0 $wrk 2> /dev/null || break; sleep 0.1; done
  wrk_clean "$T/wrk.txt"
  run count_backends 30 http://127.0.0.1/
  [ "$output" = "$(printf 'alb-node01 15\nalb-node03 15')" ]
}

@test "bodies stream both ways, lengths are not smuggled, X-Forwarded-For is added" {
  backends_start
  lb_start "$LECTURE_CONF"
  head -c 3000000 /dev/urandom > "$T/body"
  run in_ns curl -s -X POST --data-binary @"$T/body" http://127.0.0.1/up
  [ "$output" = "Body bytes: 3000000" ]
  run in_ns curl -s -X POST -H 'Transfer-Encoding: chunked' --data-binary @"$T/body" http://127.0.0.1/up
  [[ "${lines[0]}" == "Body bytes: 3000000" ]]
  [ "$(in_ns curl -s 'http://127.0.0.1/big?n=5000000' | wc -c)" -eq 5000000 ]
  run in_ns curl -s -H 'X-Forwarded-For: 192.0.2.7' http://127.0.0.1/headers
  [[ "$output" == *"X-Forwarded-For: 192.0.2.7, 127.0.0.1"* ]]
  [[ "$output" == *"Host: backend-alb"* ]]
  # an HTTP/1.0 client: the upstream is asked in HTTP/1.0 as well
  run in_ns curl -s -0 http://127.0.0.1/headers
  [[ "${lines[0]}" == "GET /headers HTTP/1.0"* ]]
  # Content-Length with Transfer-Encoding: 400, and nothing reaches a backend
  run in_ns bash -c "printf 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n' | timeout 3 socat - TCP:127.0.0.1:80"
  [[ "${lines[0]}" == "HTTP/1.1 400 Bad Request"* ]]
  run in_ns bash -c "printf 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nabcde' | timeout 3 socat - TCP:127.0.0.1:80"
  [[ "${lines[0]}" == "HTTP/1.1 400 Bad Request"* ]]
}

@test "an upstream name follows DNS (resolve): members join and leave with no reload and no failed request" {
  # dnsmasq with a hosts file stands in for berth's DNS on the gateway
  ip -n "$NS" addr add 10.253.54.1/32 dev lo
  local i
  for i in 1 2 3; do
    ip -n "$NS" addr add 10.0.5.$i/32 dev lo
    SERVER_PORT=5000 SERVER_ADDR=10.0.5.$i ip netns exec "$NS" "$BERTH_BIN/berth-echo" 2> /dev/null &
    ECHO_PIDS+=($!)
  done
  printf '10.0.5.1 tg-net\n10.0.5.2 tg-net\n' > "$T/hosts"
  ip netns exec "$NS" dnsmasq --no-resolv --no-hosts --addn-hosts="$T/hosts" --no-daemon --port 53 \
    --listen-address=10.253.54.1 --bind-interfaces --log-facility=- > "$T/dnsmasq.log" 2>&1 &
  DNSMASQ_PID=$!
  for i in 1 2 3; do wait_port 10.0.5.$i 5000; done
  cat > "$T/lb.conf" <<EOF
events { worker_connections 1024; }
http {
  resolver 10.253.54.1 valid=1s;
  upstream tg { server tg-net:5000 resolve; }
  server {
    listen 8080;
    location = /status { stub_status; }
    location / { proxy_pass http://tg; }
  }
}
EOF
  for i in $(seq 1 30); do in_ns dig +short +time=1 @10.253.54.1 tg-net | grep -q 10.0.5.2 && break; sleep 0.1; done
  lb_start "$T/lb.conf" 8080
  addrs() { in_ns curl -s "http://127.0.0.1:8080/?[1-12]" | awk '/^Server address:/ { print $3 }' | sort -u | tr '\n' ' '; }
  [ "$(addrs)" = "10.0.5.1 10.0.5.2 " ]
  ip netns exec "$NS" wrk -t1 -c4 -d5s http://127.0.0.1:8080/ > "$T/wrk.txt" 2>&1 &
  local wrk=$!
  printf '10.0.5.1 tg-net\n10.0.5.2 tg-net\n10.0.5.3 tg-net\n' > "$T/hosts"
  kill -HUP "$DNSMASQ_PID"
  sleep 2
  [ "$(addrs)" = "10.0.5.1 10.0.5.2 10.0.5.3 " ]
  printf '10.0.5.2 tg-net\n10.0.5.3 tg-net\n' > "$T/hosts"
  kill -HUP "$DNSMASQ_PID"
  sleep 2
  [ "$(addrs)" = "10.0.5.2 10.0.5.3 " ]
  for i in $(seq 1 100); do kill -0 $wrk 2> /dev/null || break; sleep 0.1; done
  wrk_clean "$T/wrk.txt"
  ! grep -q reconfiguring "$T/lb.log"
  kill -0 "$LB_PID"
  # per-backend counters in Prometheus text
  run in_ns curl -s http://127.0.0.1:8080/status
  [[ "$output" == *'berth_lb_upstream_requests_total{upstream="tg",server="10.0.5.3:5000"} '[1-9]* ]]
}

@test "reload under load (SIGHUP and -s reload) drops nothing and applies the new file" {
  backends_start
  cp "$LECTURE_CONF" "$T/lb.conf"
  lb_start "$T/lb.conf"
  ip netns exec "$NS" wrk -t2 -c16 -d5s http://127.0.0.1/ > "$T/wrk.txt" 2>&1 &
  local wrk=$!
  sleep 1
  sed -i 's|location / {|location = /version { return 200 "v2"; }\n        location / {|' "$T/lb.conf"
  in_ns "$BERTH_BIN/berth-lb" -c "$T/lb.conf" -g "pid $T/lb.pid;" -s reload
  sleep 1
  kill -HUP "$LB_PID"
  sleep 1
  kill -HUP "$LB_PID"
  for i in $(seq 1 100); do kill -0 $wrk 2> /dev/null || break; sleep 0.1; done
  wrk_clean "$T/wrk.txt"
  [ "$(in_ns curl -s http://127.0.0.1/version)" = "v2" ]
  # a broken file on reload: logged with file:line, the old configuration keeps serving
  echo "bogus;" >> "$T/lb.conf"
  kill -HUP "$LB_PID"
  sleep 0.5
  grep -q "unknown directive \"bogus\" in $T/lb.conf:$(wc -l < "$T/lb.conf")" "$T/lb.log"
  [ "$(in_ns curl -s http://127.0.0.1/version)" = "v2" ]
  # graceful stop (-s parses the file too, as nginx's does)
  sed -i '$d' "$T/lb.conf"
  in_ns "$BERTH_BIN/berth-lb" -c "$T/lb.conf" -g "pid $T/lb.pid;" -s quit
  for i in $(seq 1 50); do kill -0 "$LB_PID" 2> /dev/null || break; sleep 0.1; done
  ! kill -0 "$LB_PID" 2> /dev/null
  [ ! -e "$T/lb.pid" ]
  LB_PID=
}

@test "bad configurations: nginx's messages with file:line, nothing started" {
  printf 'events {}\nhttp {\n  upstream u {\n    server 127.0.0.1:5001 wieght=2;\n  }\n}\n' > "$T/a.conf"
  run "$BERTH_BIN/berth-lb" -t -c "$T/a.conf"
  [ "$status" -eq 1 ]
  [ "${lines[0]}" = "berth-lb: [emerg] invalid parameter \"wieght=2\" in $T/a.conf:4" ]
  [ "${lines[1]}" = "berth-lb: configuration file $T/a.conf test failed" ]
  printf 'events {}\nhttp {\n  server {\n    listen 80;\n    proxy_pass http://x;\n  }\n}\n' > "$T/b.conf"
  run "$BERTH_BIN/berth-lb" -c "$T/b.conf" -g "pid $T/b.pid;"
  [ "$status" -eq 1 ]
  [ "$output" = "berth-lb: [emerg] \"proxy_pass\" directive is not allowed here in $T/b.conf:5" ]
  [ ! -e "$T/b.pid" ]
  printf 'events {}\nhttp {\n  server {\n    location / {\n      proxy_pass http://backend;\n' > "$T/c.conf"
  run "$BERTH_BIN/berth-lb" -t -c "$T/c.conf"
  [ "${lines[0]}" = "berth-lb: [emerg] unexpected end of file, expecting \"}\" in $T/c.conf:6" ]
  run "$BERTH_BIN/berth-lb" -t -c "$T/missing.conf"
  [ "${lines[0]}" = "berth-lb: [emerg] open() \"$T/missing.conf\" failed (2: No such file or directory)" ]
}

@test "passive and active health: a failed backend is skipped, a recovered one returns" {
  backends_start
  cat > "$T/lb.conf" <<EOF
events { worker_connections 1024; }
http {
  upstream be {
    server 127.0.0.1:5001;
    server 127.0.0.1:5002;
    server 127.0.0.1:5009 backup;
  }
  server {
    listen 80;
    location / { proxy_pass http://be; health_check interval=200ms uri=/health fails=1 passes=1; }
  }
}
EOF
  lb_start "$T/lb.conf"
  run count_backends 20 http://127.0.0.1/
  [ "$output" = "$(printf 'alb-node01 10\nalb-node02 10')" ]
  docker28 stop -t 1 alb-node01 > /dev/null
  sleep 0.5
  run count_backends 20 http://127.0.0.1/
  [ "$output" = "alb-node02 20" ]
  grep -q "health check of 127.0.0.1:5001" "$T/lb.log"
  docker28 start alb-node01 > /dev/null
  wait_port 127.0.0.1 5001
  sleep 0.5
  run count_backends 20 http://127.0.0.1/
  [ "$output" = "$(printf 'alb-node01 10\nalb-node02 10')" ]
}

@test "an upstream follows a network alias through berth's DNS on the gateway: a started member joins, a stopped one leaves, no reload, no failed request" {
  berthd_start
  docker28 network create --driver bridge --subnet 172.200.1.0/24 --ip-range 172.200.1.0/24 \
    --gateway 172.200.1.1 netlb > /dev/null
  member() { docker28 run -d --name "$1" -e SERVER_PORT=5000 --net netlb --net-alias tg-net host "$BERTH_BIN/berth-echo" > /dev/null; }
  local i
  for i in 1 2 3; do member tg$i; done
  for i in 2 3 4; do wait_port 172.200.1.$i 5000; done
  # the gateway address answers host-side tools (berthd's embedded DNS)
  [ "$(in_ns dig +short +time=2 +tries=1 @172.200.1.1 tg-net | sort | tr '\n' ' ')" = "172.200.1.2 172.200.1.3 172.200.1.4 " ]
  cat > "$T/lb.conf" <<EOC
events { worker_connections 1024; }
http {
  resolver 172.200.1.1 valid=1s;
  upstream tg { server tg-net:5000 resolve; }
  server {
    listen 8080;
    location = /status { stub_status; }
    location / { proxy_pass http://tg; }
  }
}
EOC
  lb_start "$T/lb.conf" 8080
  # addrs: the members that answer 12 requests; each request's time is kept
  addrs() {
    in_ns curl -s --max-time 5 -w 'Time: %{time_total}\n' "http://127.0.0.1:8080/?[1-12]" | tee -a "$T/replies" |
      awk '/^Server address:/ { print $3 }' | sort -u | tr '\n' ' '
  }
  [ "$(addrs)" = "172.200.1.2 172.200.1.3 172.200.1.4 " ]
  # valid=1s: a change shows within about a second (bounded at 6)
  wait_addrs() {
    local start=$SECONDS got
    while ((SECONDS - start < 6)); do
      got=$(addrs)
      [ "$got" = "$1" ] && { echo "# pool is '$1' after $((SECONDS - start)) s" >&3; return 0; }
      sleep 0.2
    done
    echo "pool: '$got', expected '$1'" >&2
    return 1
  }
  ip netns exec "$NS" wrk -t1 -c4 -d6s http://127.0.0.1:8080/ > "$T/wrk.txt" 2>&1 &
  local wrk=$!
  sleep 0.5
  member tg4
  wait_port 172.200.1.5 5000
  wait_addrs "172.200.1.2 172.200.1.3 172.200.1.4 172.200.1.5 "
  : > "$T/replies"
  docker28 stop tg2 > /dev/null
  wait_addrs "172.200.1.2 172.200.1.4 172.200.1.5 "
  # A request caught on its way to the stopped member is not held until ARP
  # gives up (3 s): its connect is abandoned once the name stops resolving to
  # it, and it goes to the next server.
  max=$(awk '$1 == "Time:" && $2 > m { m = $2 } END { print m + 0 }' "$T/replies")
  echo "# slowest request after the stop: $max s" >&3
  awk -v m="$max" 'BEGIN { exit !(m < 2.5) }' 
  for i in $(seq 1 100); do kill -0 $wrk 2> /dev/null || break; sleep 0.1; done
  wrk_clean "$T/wrk.txt"
  echo "# $(grep -E 'Latency|requests in' "$T/wrk.txt" | tr -s ' \n' ' ')" >&3
  ! grep -q reconfiguring "$T/lb.log"
  kill -0 "$LB_PID"
  run in_ns curl -s http://127.0.0.1:8080/status
  [[ "$output" == *'berth_lb_upstream_requests_total{upstream="tg",server="172.200.1.5:5000"} '[1-9]* ]]
}
