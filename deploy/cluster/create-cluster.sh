#!/usr/bin/env bash
# A local Redis Cluster for Tessera: three masters and three replicas on loopback, every node
# running deploy/redis-sessions.conf (AOF everysec, volatile-lru, the ACL users), created with
# redis-cli --cluster create. For trying the cluster topology on one machine, not for production.
#
# Usage:
#   deploy/cluster/create-cluster.sh start    start the six nodes and create the cluster
#   deploy/cluster/create-cluster.sh stop     stop them, by the PIDs in their pidfiles
#   deploy/cluster/create-cluster.sh status   CLUSTER INFO of every node
#
# Environment:
#   PORTS  six client ports (default "7000 7001 7002 7003 7004 7005"); port+10000 is each bus port
#   DIR    data, logs, pidfiles and the generated passwords (default ./tessera-cluster)
#
# Needs redis-server and redis-cli (apt-get install redis-server redis-tools).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
conf="$here/../redis-sessions.conf"
read -r -a ports <<<"${PORTS:-7000 7001 7002 7003 7004 7005}"
dir=${DIR:-$PWD/tessera-cluster}
secrets="$dir/passwords.env"

die() { echo "create-cluster: $*" >&2; exit 1; }
command -v redis-server >/dev/null || die "redis-server is missing: sudo apt-get install -y redis-server"
command -v redis-cli >/dev/null || die "redis-cli is missing: sudo apt-get install -y redis-tools"
((${#ports[@]} == 6)) || die "PORTS must list six ports (three masters, three replicas)"

cli() { # cli PORT ARGS...: redis-cli as the default user; the password goes through the environment
  local port=$1; shift
  REDISCLI_AUTH=$PASSWORD redis-cli -h 127.0.0.1 -p "$port" "$@"
}

wait_for() { # wait_for SECONDS DESCRIPTION COMMAND...: poll every 0.1 s until COMMAND succeeds
  local seconds=$1 what=$2; shift 2
  for ((i = 0; i < seconds * 10; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  die "timed out after ${seconds}s waiting until $what"
}

start() {
  mkdir -p "$dir" && chmod 700 "$dir"
  if [[ ! -f $secrets ]]; then
    # Long random passwords, kept out of the process list and of the shell history.
    umask 077
    new_password() { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
    {
      echo "PASSWORD=$(new_password)"
      echo "APP_PASSWORD=$(new_password)"
      echo "ADMIN_PASSWORD=$(new_password)"
      echo "REPLICA_PASSWORD=$(new_password)"
    } >"$secrets"
  fi
  # shellcheck disable=SC1090
  source "$secrets"
  # The default user's password and the replication login, through an included file, not argv.
  printf 'requirepass %s\nmasteruser tessera-replica\nmasterauth %s\n' "$PASSWORD" "$REPLICA_PASSWORD" >"$dir/secrets.conf"
  chmod 600 "$dir/secrets.conf"

  for port in "${ports[@]}"; do
    mkdir -p "$dir/$port"
    redis-server "$conf" \
      --include "$dir/secrets.conf" \
      --port "$port" --dir "$dir/$port" \
      --daemonize yes --supervised no --pidfile "$dir/$port/redis.pid" --logfile "$dir/$port/redis.log" \
      --cluster-enabled yes --cluster-config-file nodes.conf --cluster-node-timeout 5000 \
      --maxmemory 256mb --repl-diskless-sync-delay 0
  done
  for port in "${ports[@]}"; do
    wait_for 15 "127.0.0.1:$port answers" cli "$port" ping
    # ACL users come from redis-sessions.conf on every node; set their passwords on every node.
    cli "$port" acl setuser tessera-app resetpass ">$APP_PASSWORD" >/dev/null
    cli "$port" acl setuser tessera-admin resetpass ">$ADMIN_PASSWORD" >/dev/null
    cli "$port" acl setuser tessera-replica resetpass ">$REPLICA_PASSWORD" >/dev/null
  done

  local nodes=()
  for port in "${ports[@]}"; do nodes+=("127.0.0.1:$port"); done
  REDISCLI_AUTH=$PASSWORD redis-cli --cluster create "${nodes[@]}" --cluster-replicas 1 --cluster-yes >"$dir/create.log"
  for port in "${ports[@]}"; do
    wait_for 60 "127.0.0.1:$port says cluster_state:ok" bash -c "REDISCLI_AUTH='$PASSWORD' redis-cli -p $port cluster info | grep -q '^cluster_state:ok'"
  done
  for port in "${ports[@]}"; do
    # A replica is ready once it has synchronised with its master (through tessera-replica).
    wait_for 60 "127.0.0.1:$port is a master or an in-sync replica" bash -c \
      "REDISCLI_AUTH='$PASSWORD' redis-cli -p $port info replication | grep -qE '^(role:master|master_link_status:up)'"
  done

  local list
  list=$(IFS=,; echo "${nodes[*]}")
  echo "Cluster up: ${nodes[*]} (logs in $dir)"
  echo "Tessera configuration (passwords in $secrets):"
  echo "  $list,user=tessera-app,password=\$APP_PASSWORD,tiebreaker=,\$CONFIG="
}

stop() {
  local pidfile pid
  for port in "${ports[@]}"; do
    pidfile="$dir/$port/redis.pid"
    [[ -f $pidfile ]] || continue
    pid=$(<"$pidfile")
    if kill "$pid" 2>/dev/null; then
      # Redis removes its pidfile as it exits (kill -0 would also see a zombie awaiting its reaper).
      for ((i = 0; i < 100; i++)); do [[ -f $pidfile ]] || break; sleep 0.1; done
      echo "stopped 127.0.0.1:$port (pid $pid)"
    fi
    rm -f "$pidfile"
  done
}

status() {
  # shellcheck disable=SC1090
  source "$secrets"
  for port in "${ports[@]}"; do
    echo "127.0.0.1:$port $(cli "$port" cluster info 2>/dev/null | grep -E '^cluster_state' | tr -d '\r' || echo down)"
  done
}

case ${1:-} in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) die "usage: $0 start|stop|status" ;;
esac
