#!/usr/bin/env bash
# A single-node Slurm with accounting on this Debian machine, for tests and small local use.
#   bench/execution/cluster/slurm_local.sh start    # apt-get installs what is missing, starts the daemons
#   bench/execution/cluster/slurm_local.sh stop     # stops the daemons it started (by their PID files)
#   bench/execution/cluster/slurm_local.sh status
# Needs root and no systemd: each daemon is started directly (munged, mariadbd, slurmdbd,
# slurmctld, slurmd). State, logs and PID files: $SLURM_LOCAL_STATE (default /var/tmp/bench-slurm).
# An /etc/slurm/slurm.conf that this script did not write is never touched. See docs/cluster.md.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
state="${SLURM_LOCAL_STATE:-/var/tmp/bench-slurm}"
etc=/etc/slurm
marker="# bench-slurm-local"
mariadb_pid=/run/mysqld/mariadb.pid  # mariadbd runs as mysql: its PID file lives in its own folder
packages=(slurm-wlm munge slurmdbd mariadb-server)

log() { echo "slurm_local: $*" >&2; }
die() { log "error: $*"; exit 1; }

alive() {  # a PID that exists and is not a zombie (stopped daemons linger as zombies here)
  local s
  s="$(ps -o stat= -p "$1" 2>/dev/null || true)"
  [ -n "$s" ] && [ "${s:0:1}" != Z ]
}

pid_of() { [ -s "$1" ] && cat "$1" || true; }

wait_for() {  # wait_for SECONDS WHAT COMMAND...: poll until the command succeeds
  local limit=$1 what=$2 i
  shift 2
  for ((i = 0; i < limit * 5; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  die "$what not ready after ${limit}s (logs in $state)"
}

install_packages() {
  local missing=0 p
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing=1
  done
  [ "$missing" = 0 ] && return 0
  log "installing ${packages[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
}

fill() {  # fill TEMPLATE DEST MODE: substitute the placeholders unless DEST is someone else's
  if [ -e "$2" ] && ! grep -qx "$marker" "$2"; then
    log "keeping $2 (not written by this script)"
    return 0
  fi
  local mem
  mem=$(( $(awk '/MemTotal/ {print int($2 / 1024)}' /proc/meminfo) * 9 / 10 ))
  sed -e "s|@HOST@|$(hostname -s)|g" -e "s|@CPUS@|$(nproc)|g" -e "s|@MEM@|$mem|g" \
      -e "s|@STATE@|$state|g" "$1" > "$2.tmp"
  chmod "$3" "$2.tmp"
  mv "$2.tmp" "$2"
}

start_munge() {
  install -d -o munge -g munge -m 755 /run/munge
  if [ ! -s /etc/munge/munge.key ]; then
    mungekey --create --keyfile=/etc/munge/munge.key
  fi
  chown munge:munge /etc/munge/munge.key
  chmod 400 /etc/munge/munge.key
  local pid
  pid="$(pid_of /run/munge/munged.pid)"
  if [ -z "$pid" ] || ! alive "$pid"; then
    runuser -u munge -- /usr/sbin/munged
  fi
  wait_for 10 munge sh -c 'munge -n | unmunge'
}

start_mariadb() {
  install -d -o mysql -g mysql -m 755 /run/mysqld
  if [ ! -d /var/lib/mysql/mysql ]; then
    mariadb-install-db --user=mysql >"$state/mariadb-install.log" 2>&1
  fi
  local pid
  pid="$(pid_of "$mariadb_pid")"
  if [ -z "$pid" ] || ! alive "$pid"; then
    setsid mariadbd --user=mysql --skip-networking --pid-file="$mariadb_pid" \
      --socket=/run/mysqld/mysqld.sock >>"$state/mariadb.log" 2>&1 < /dev/null &
  fi
  wait_for 60 mariadb mariadb-admin --socket=/run/mysqld/mysqld.sock ping
}

start_daemon() {  # start_daemon NAME PIDFILE: Slurm daemons fork into the background themselves
  local pid
  pid="$(pid_of "$2")"
  if [ -n "$pid" ] && alive "$pid"; then
    return 0
  fi
  "$1" >>"$state/$1.start.log" 2>&1 || die "$1 did not start (see $state/$1.log)"
}

node_ready() {
  [ "$(sinfo -h -o %t 2>/dev/null | head -1)" = idle ] || [ "$(sinfo -h -o %t 2>/dev/null | head -1)" = mix ]
}

start() {
  [ "$(id -u)" = 0 ] || die "start needs root"
  install_packages
  install -d -m 755 "$state" "$state/ctld" "$state/d" "$etc"
  fill "$here/slurm.conf.in" "$etc/slurm.conf" 644
  fill "$here/slurmdbd.conf.in" "$etc/slurmdbd.conf" 600
  start_munge
  start_mariadb
  start_daemon slurmdbd "$state/slurmdbd.pid"
  wait_for 60 slurmdbd sacctmgr -n list cluster
  start_daemon slurmctld "$state/slurmctld.pid"
  start_daemon slurmd "$state/slurmd.pid"
  wait_for 60 "the node (sinfo idle)" node_ready
  wait_for 30 "accounting (sacct)" sacct -n -X
  log "up: $(sinfo -h -o '%P %t %c CPUs %m MB' | head -1)"
}

stop_pid() {  # stop_pid NAME PIDFILE: SIGTERM, then SIGKILL after 20 s
  local pid i
  pid="$(pid_of "$2")"
  [ -n "$pid" ] || return 0
  if alive "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
      alive "$pid" || break
      sleep 0.2
    done
    if alive "$pid"; then
      log "$1 ($pid) ignored SIGTERM; killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$2"
}

stop() {
  [ "$(id -u)" = 0 ] || die "stop needs root"
  stop_pid slurmd "$state/slurmd.pid"
  stop_pid slurmctld "$state/slurmctld.pid"
  stop_pid slurmdbd "$state/slurmdbd.pid"
  stop_pid mariadbd "$mariadb_pid"
  stop_pid munged /run/munge/munged.pid
  log "stopped"
}

status() {
  local name file pid rc=0
  for name in munged:/run/munge/munged.pid mariadbd:$mariadb_pid slurmdbd:$state/slurmdbd.pid \
              slurmctld:$state/slurmctld.pid slurmd:$state/slurmd.pid; do
    file="${name#*:}"
    pid="$(pid_of "$file")"
    if [ -n "$pid" ] && alive "$pid"; then
      echo "${name%%:*}: running ($pid)"
    else
      echo "${name%%:*}: stopped"
      rc=3
    fi
  done
  [ "$rc" = 0 ] && sinfo
  return "$rc"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
