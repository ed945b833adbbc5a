#!/usr/bin/env bats
# --restart no|on-failure[:N]|always|unless-stopped: after a crash of the
# process, a manual stop, a kill -9 of berthd and a daemon restart.

load ../lib/harness

setup() {
  harness_setup rp
  berthd_start
}

teardown() { harness_teardown; }

state() { docker28 inspect -f '{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}}' "$1"; }

# wait_state NAME PATTERN [TENTHS]: until `state NAME` matches (bounded).
wait_state() {
  local i
  for i in $(seq 1 "${3:-50}"); do
    [[ $(state "$1") =~ ^$2$ ]] && return 0
    sleep 0.1
  done
  echo "state of $1: $(state "$1"), wanted $2" >&2
  return 1
}

@test "on-failure:2 restarts a failing process twice, then leaves it exited" {
  docker28 network create --subnet 172.204.1.0/24 rn
  start=$(date +%s%N)
  docker28 run -d --name of --net rn --restart on-failure:2 host sh -c 'sleep 0.3; exit 3'
  wait_state of "exited 2 3" 60
  end=$(date +%s%N)
  # Three runs of 0.3 s plus Docker's backoff of 100 and 200 ms.
  (( (end - start) / 1000000 >= 1100 ))
  # Docker's backoff: 100 ms, then 200 ms; and the pause really happened:
  # the second restart began >= 200 ms after the second exit.
  grep -q "container of .*restart policy on-failure, restart 1 in 100 ms" "$BERTHD_LOG"
  grep -q "container of .*restart policy on-failure, restart 2 in 200 ms" "$BERTHD_LOG"
  gap=$(awk -F'[][]' '
    function secs(t) { split(t, a, /[ :]/); return a[2] * 3600 + a[3] * 60 + a[4] }
    /container of .*restart 2 in 200 ms/ { t = secs($2); next }
    t && /container of .* started, pid/ { printf "%d", (secs($2) - t) * 1000; exit }' "$BERTHD_LOG")
  (( gap >= 200 ))
  sleep 0.6
  [ "$(state of)" = "exited 2 3" ]
  [ "$(docker28 inspect -f '{{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}' of)" = on-failure:2 ]
  # Its endpoint went with the last exit.
  [ "$(docker28 network inspect rn -f '{{len .Containers}}')" = 0 ]
  # A success is not restarted; --restart no never.
  docker28 run -d --name ok --restart on-failure host true
  docker28 run -d --name no host sh -c 'exit 1'
  wait_state ok "exited 0 0"
  wait_state no "exited 0 1"
  sleep 0.3
  [ "$(state ok)" = "exited 0 0" ]
  # dockerd's validation at create.
  body=$(api POST /containers/create '{"Image":"host","Cmd":["true"],"HostConfig":{"RestartPolicy":{"Name":"sometimes"}}}')
  [ "$(api_status)" = 400 ]
  [ "$(jq -r .message <<< "$body")" = "invalid restart policy: unknown policy 'sometimes'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'" ]
  body=$(api POST /containers/create '{"Image":"host","Cmd":["true"],"HostConfig":{"RestartPolicy":{"Name":"always","MaximumRetryCount":2}}}')
  [ "$(jq -r .message <<< "$body")" = "invalid restart policy: maximum retry count can only be used with 'on-failure'" ]
  # A start by the user resets the count.
  docker28 start of
  wait_state of "exited 2 3" 60
}

@test "always restarts after the process is killed; docker stop and kill prevent it" {
  docker28 network create --subnet 172.204.2.0/24 ra
  docker28 run -d --name al --net ra --restart always host sleep 300
  docker28 run -d --name peer --net ra host sleep 300
  pid=$(ctr_pid al)
  kill -9 "$pid"
  wait_state al "running 1 0"
  [ "$(ctr_pid al)" != "$pid" ]
  # Back on its network.
  in_ctr peer ping -c1 -W2 "$(ctr_ip al ra)"
  kill -9 "$(ctr_pid al)"
  wait_state al "running 2 0"
  berth stop -t 1 al
  sleep 0.5
  [ "$(state al)" = "exited 2 143" ]
  docker28 start al
  wait_state al "running 0 0"
  docker28 kill al
  sleep 0.5
  [ "$(state al)" = "exited 0 137" ]
}

@test "a container waiting to restart: listed as Restarting, rm refused, stop cancels, rm -f removes" {
  docker28 run -d --name fl --restart always host sh -c 'exit 1'
  docker28 run -d --name fl2 --restart always host sh -c 'exit 1'
  # The backoff grows (100, 200, 400, 800, 1600 ms ...): catch it in a long wait.
  wait_state fl "restarting ([5-9]|[1-9][0-9]) 1" 80
  [[ $(docker28 ps --filter name=fl --format '{{.Names}} {{.Status}}' | grep '^fl ') =~ ^"fl Restarting (1) " ]]
  [ "$(docker28 inspect -f '{{.State.Running}} {{.State.Restarting}}' fl)" = "true true" ]
  run docker28 rm fl
  [ "$status" -eq 1 ]
  [ "$output" = 'Error response from daemon: cannot remove container "/fl": container is restarting: stop the container before removing or force remove' ]
  docker28 stop fl
  count=$(docker28 inspect -f '{{.RestartCount}}' fl)
  [ "$(docker28 inspect -f '{{.State.Status}}' fl)" = exited ]
  sleep 2
  [ "$(state fl)" = "exited $count 1" ]
  wait_state fl2 "restarting ([5-9]|[1-9][0-9]) 1" 80
  docker28 rm -f fl2
  run docker28 inspect fl2
  [ "$status" -eq 1 ]
  sleep 2
  [ -z "$(docker28 ps -aq --filter name=fl2)" ]
}

@test "kill -9 of berthd: a crash while it is away restarts at its return; unless-stopped stays stopped" {
  docker28 run -d --name al --restart always host sleep 300
  docker28 run -d --name us --restart unless-stopped host sleep 300
  docker28 run -d --name us2 --restart unless-stopped host sleep 300
  docker28 run -d --name als --restart always host sleep 300
  docker28 run -d --name no host sleep 300
  docker28 stop -t 1 us als
  pid=$(ctr_pid al)
  nopid=$(ctr_pid no)
  us2pid=$(ctr_pid us2)
  berthd_kill9
  kill -9 "$pid" "$nopid"
  sleep 0.2
  berthd_start
  wait_state al "running 1 0"
  [ "$(ctr_pid al)" != "$pid" ]
  # Live restore: a container that kept running is untouched.
  [ "$(ctr_pid us2)" = "$us2pid" ]
  # Its shim saw the SIGKILL and recorded it; --restart no keeps it stopped.
  [ "$(state no)" = "exited 0 137" ]
  # Manually stopped: unless-stopped stays stopped, always starts with the daemon.
  [ "$(state us)" = "exited 0 143" ]
  wait_state als "running 0 0"
  # Across a clean daemon restart too.
  berthd_restart
  [ "$(state us)" = "exited 0 143" ]
  [ "$(state us2)" = "running 0 0" ]
  kill -9 "$(ctr_pid us2)"
  wait_state us2 "running 1 0"
}
