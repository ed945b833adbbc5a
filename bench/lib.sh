# shellcheck shell=bash
# Shared parts of berth's benchmarks (network_bench.sh, run_bench.sh): logging,
# stopping by PID, CPU from /proc, and a private dockerd 20.10 (the peer) in a
# network namespace of its own. Source it; do not run it.
#
# The dockerd never runs in the machine's own network namespace: it is started
# with `nsenter --net=/run/netns/NAME` (network only) and its own
# --data-root, --exec-root, --pidfile, -H unix://..., --config-file and
# --cgroup-parent. Its bridges (docker0 too) and iptables rules live in that
# namespace and go away with it. It starts its own (managed) containerd.
#
# Files dockerd 20.10 / containerd 1.6 write outside those roots (seen with a
# before/after listing of /run, /etc, /var/lib and /sys/fs/cgroup on this
# machine), all removed by dockerd_cleanup:
#   /etc/docker/key.json        removed if it did not exist before
#   /run/docker/plugins         removed if /run/docker did not exist before
#   /run/containerd/s/<sha256>  one socket per containerd shim, named by
#                               sha256("<containerd.sock>/moby/<id>"); the
#                               shim removes it when it exits normally; the
#                               directories go if they did not exist before
#   /sys/fs/cgroup/*/<parent>/<id>  per container, cgroupfs driver, in every
#                               v1 hierarchy and the unified one; runc
#                               removes <id> at rm, the parent stays
# Mounts under --data-root/--exec-root (dockerd's bind mount of the data
# root, overlay2 `merged` dirs, netns files) are unmounted.
#
# Use:
#   source bench/lib.sh
#   dockerd_init "$TMPDIR/dockerd"     # before the EXIT trap can run
#   trap '...; dockerd_cleanup; ...' EXIT
#   dockerd_start --storage-driver=vfs [more dockerd flags]
#   ... $DSOCK, $DOCKERD_PID, $CONTAINERD_PID ...

log() { echo "[$(date +%H:%M:%S)] $*" >&2; }
die() { log "FATAL: $*"; exit 1; }

# stop_pid PID [seconds]: SIGTERM, wait (bounded), then SIGKILL.
stop_pid() {
  local p=$1 _
  [[ -n $p ]] || return 0
  kill -0 "$p" 2> /dev/null || return 0
  kill -TERM "$p" 2> /dev/null || true
  for _ in $(seq 1 $((${2:-15} * 10))); do
    kill -0 "$p" 2> /dev/null || return 0
    sleep 0.1
  done
  log "pid $p did not stop on SIGTERM, SIGKILL"
  kill -9 "$p" 2> /dev/null || true
}

# cpu PID -> "self_ticks children_ticks": utime+stime of the process (all
# threads) and cutime+cstime of the children it has waited for.
cpu() { sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12 + $13, $14 + $15}'; }

# ------------------------------------------------------------------ dockerd
DOCKERD=${DOCKERD:-/usr/sbin/dockerd}
DOCKERD_PID=
CONTAINERD_PID=
# shellcheck disable=SC2034  # read by the scripts that source this file
DOCKERD_STATUS="not started"
DT=
DSOCK=
DNS_NS=

# dockerd_init DIR: names and host state to restore; DIR is created by
# dockerd_start and removed by dockerd_cleanup.
dockerd_init() {
  DT=$1
  DSOCK=$DT/docker.sock
  DNS_NS="berth-bench-dockerd-$$"
  DOCKERD_CGROUP="berth-bench-dockerd-$$"
  DOCKERD_HAD_RUN_DOCKER=; [[ -e /run/docker ]] && DOCKERD_HAD_RUN_DOCKER=1
  DOCKERD_HAD_RUN_CONTAINERD=; [[ -e /run/containerd ]] && DOCKERD_HAD_RUN_CONTAINERD=1
  DOCKERD_HAD_KEY_JSON=; [[ -e /etc/docker/key.json ]] && DOCKERD_HAD_KEY_JSON=1
  DOCKERD_HAD_ETC_DOCKER=; [[ -e /etc/docker ]] && DOCKERD_HAD_ETC_DOCKER=1
  return 0
}

# dockerd_start [DOCKERD FLAGS...]: namespace + dockerd; waits for /_ping.
# Returns 1 with DOCKERD_STATUS set if it cannot run (the caller then calls
# dockerd_stop before a retry).
dockerd_start() {
  if [[ ! -x $DOCKERD ]]; then
    DOCKERD_STATUS="not installed ($DOCKERD missing)"
    return 1
  fi
  [[ -e /run/netns/$DNS_NS ]] || { ip netns add "$DNS_NS" && ip -n "$DNS_NS" link set lo up; }
  mkdir -p "$DT"
  echo '{}' > "$DT/daemon.json"
  # nsenter (network namespace only) execs dockerd: $! is dockerd's PID.
  nsenter --net="/run/netns/$DNS_NS" "$DOCKERD" \
    --config-file "$DT/daemon.json" --data-root "$DT/data" --exec-root "$DT/exec" \
    --pidfile "$DT/dockerd.pid" -H "unix://$DSOCK" --cgroup-parent "/$DOCKERD_CGROUP" \
    --exec-opt native.cgroupdriver=cgroupfs --iptables=true --log-level info "$@" \
    > "$DT/dockerd.log" 2>&1 &
  DOCKERD_PID=$!
  local _
  for _ in $(seq 1 150); do
    if curl -sf --max-time 1 --unix-socket "$DSOCK" http://dockerd/_ping > /dev/null 2>&1; then
      break
    fi
    if ! kill -0 "$DOCKERD_PID" 2> /dev/null; then
      wait "$DOCKERD_PID" 2> /dev/null || true
      DOCKERD_PID=
      DOCKERD_STATUS="exited during start: $(grep -m1 -iE 'level=(fatal|error)|failed' "$DT/dockerd.log" | cut -c1-300)"
      return 1
    fi
    sleep 0.2
  done
  if ! curl -sf --max-time 1 --unix-socket "$DSOCK" http://dockerd/_ping > /dev/null 2>&1; then
    DOCKERD_STATUS="did not answer /_ping within 30 s"
    return 1
  fi
  CONTAINERD_PID=$(cat "$DT/exec/containerd/containerd.pid" 2> /dev/null || true)
  [[ $(cat "/proc/$DOCKERD_PID/comm" 2> /dev/null) == dockerd ]] ||
    die "pid $DOCKERD_PID is not dockerd"
  if [[ -n $CONTAINERD_PID && $(cat "/proc/$CONTAINERD_PID/comm" 2> /dev/null) != containerd ]]; then
    CONTAINERD_PID=
  fi
  # shellcheck disable=SC2034
  DOCKERD_STATUS="running, pid $DOCKERD_PID"
  return 0
}

# The containerd address of this dockerd: its shims carry it on their
# command line, which identifies them among other dockerds' shims.
dockerd_containerd_sock() { echo "$DT/exec/containerd/containerd.sock"; }

# dockerd_shim_pids: the containerd-shim-runc-v2 processes of this dockerd.
dockerd_shim_pids() {
  [[ -n $DT ]] || return 0
  pgrep -f "^[^ ]*containerd-shim[^ ]* .*-address $(dockerd_containerd_sock)( |\$)" || true
}

# dockerd_rm_containers: force-removes every container through the API
# (bounded); quiet, for cleanup.
dockerd_rm_containers() {
  [[ -n $DOCKERD_PID && -S $DSOCK ]] || return 0
  local id
  for id in $(curl -s --max-time 10 --unix-socket "$DSOCK" "http://d/v1.41/containers/json?all=1" 2> /dev/null |
    jq -r '.[].Id' 2> /dev/null); do
    curl -s -o /dev/null --max-time 30 --unix-socket "$DSOCK" -X DELETE "http://d/v1.41/containers/$id?force=1" || true
  done
  return 0
}

# dockerd_stop: containers removed, dockerd and containerd stopped by PID;
# then whatever a killed daemon left: its shims and container processes (by
# the shims' command line and our cgroup parent), shim sockets, cgroups,
# mounts. The namespace and $DT stay (dockerd_cleanup removes them).
dockerd_stop() {
  dockerd_rm_containers
  if [[ -n $DOCKERD_PID ]]; then
    stop_pid "$DOCKERD_PID" 20
    wait "$DOCKERD_PID" 2> /dev/null || true
    DOCKERD_PID=
  fi
  # dockerd stops its managed containerd itself; after a SIGKILL it cannot.
  if [[ -n $CONTAINERD_PID ]]; then stop_pid "$CONTAINERD_PID" 10; fi
  CONTAINERD_PID=
  [[ -n $DT ]] || return 0
  local p d m id left
  # Shims and container processes of a daemon that could not remove them.
  for p in $(dockerd_shim_pids); do kill -9 "$p" 2> /dev/null || true; done
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    left=0
    for d in /sys/fs/cgroup/*/"$DOCKERD_CGROUP"/*/; do
      [[ -f $d/cgroup.procs ]] || continue
      while read -r p; do
        [[ -n $p ]] && { left=1; kill -9 "$p" 2> /dev/null || true; }
      done < "$d/cgroup.procs"
      rmdir "$d" 2> /dev/null || left=1
    done
    (( left == 0 )) && break
    sleep 0.2
  done
  for d in /sys/fs/cgroup/*/"$DOCKERD_CGROUP"; do
    [[ -d $d ]] && { rmdir "$d" 2> /dev/null || log "could not remove cgroup $d"; }
  done
  # Shim sockets (containerd 1.6: /run/containerd/s/sha256(address/ns/id)).
  if [[ -d /run/containerd/s && -d $DT/data/containers ]]; then
    for id in "$DT"/data/containers/*; do
      id=${id##*/}
      rm -f "/run/containerd/s/$(printf '%s' "$(dockerd_containerd_sock)/moby/$id" | sha256sum | cut -d' ' -f1)"
    done
  fi
  # dockerd bind-mounts --data-root onto itself (shared propagation) and
  # unmounts it on a clean shutdown only; overlay2 and netns mounts likewise.
  if [[ -d $DT ]]; then
    while read -r m; do
      [[ -n $m ]] && { umount "$m" 2> /dev/null || umount -l "$m" 2> /dev/null || true; }
    done < <(findmnt -rn -o TARGET | awk -v p="$DT/" 'index($0 "/", p) == 1' | sort -r)
  fi
  return 0
}

# dockerd_cleanup: dockerd_stop, the namespace, $DT and the host paths dockerd
# created (only those that did not exist before dockerd_init).
dockerd_cleanup() {
  [[ -n $DT ]] || return 0
  dockerd_stop
  if [[ -n $DNS_NS ]]; then ip netns del "$DNS_NS" 2> /dev/null || true; fi
  # rmdir: only when empty (another dockerd may be using them meanwhile).
  if [[ -z $DOCKERD_HAD_KEY_JSON ]]; then rm -f /etc/docker/key.json; fi
  if [[ -z $DOCKERD_HAD_ETC_DOCKER ]]; then rmdir /etc/docker 2> /dev/null || true; fi
  if [[ -z $DOCKERD_HAD_RUN_DOCKER ]]; then rmdir /run/docker/plugins /run/docker 2> /dev/null || true; fi
  if [[ -z $DOCKERD_HAD_RUN_CONTAINERD ]]; then rmdir /run/containerd/s /run/containerd 2> /dev/null || true; fi
  rm -rf "$DT"
  return 0
}
