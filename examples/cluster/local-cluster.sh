#!/usr/bin/env bash
# A Sextant cluster on one machine, without containers: 3 servers and 3 client agents, each on
# its own loopback address (so every agent keeps Consul's default ports: HTTP 8500, DNS 8600,
# server 8300, serf LAN 8301).
#
#   examples/cluster/local-cluster.sh [start] [BASE_DIR]   start the 6 agents, wait for the cluster
#   examples/cluster/local-cluster.sh status [BASE_DIR]    members and Raft peers
#   examples/cluster/local-cluster.sh stop [BASE_DIR]      stop every agent this script started
#
# BASE_DIR (default: $SEXTANT_CLUSTER_DIR, else ${TMPDIR:-/tmp}/sextant-cluster) holds one data
# directory, one log file and one pid file per agent.
#
# Environment:
#   SEXTANT_CLUSTER_NET   the first three octets of the addresses (default 127.0.0): servers get
#                         .11-.13, clients .21-.23
#   SEXTANT_BIN           the command that runs sextant (default: node <repo>/bin/sextant.js)
#   SEXTANT_RAFT_MULTIPLIER  performance.raft_multiplier (default 1: fast elections on one machine)
#   SEXTANT_CLUSTER_TIMEOUT  seconds to wait for the cluster to form (default 60)
#   SEXTANT_HTTP_PORT, SEXTANT_DNS_PORT, SEXTANT_SERVER_PORT, SEXTANT_SERF_LAN_PORT
#                         ports every agent uses on its own address (Consul's defaults)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"

cmd="start"
case "${1:-}" in
  start|stop|status) cmd="$1"; shift ;;
  -h|--help|help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | grep '^#' | sed 's/^# \{0,1\}//'; exit 0 ;;
esac
BASE="${1:-${SEXTANT_CLUSTER_DIR:-${TMPDIR:-/tmp}/sextant-cluster}}"

NET="${SEXTANT_CLUSTER_NET:-127.0.0}"
HTTP_PORT="${SEXTANT_HTTP_PORT:-8500}"
DNS_PORT="${SEXTANT_DNS_PORT:-8600}"
SERVER_PORT="${SEXTANT_SERVER_PORT:-8300}"
SERF_PORT="${SEXTANT_SERF_LAN_PORT:-8301}"
TIMEOUT="${SEXTANT_CLUSTER_TIMEOUT:-60}"
read -r -a SEXTANT <<< "${SEXTANT_BIN:-node $REPO/bin/sextant.js}"

SERVERS=(server-1 server-2 server-3)
CLIENTS=(client-1 client-2 client-3)

ip_of() {
  case "$1" in
    server-*) echo "$NET.1${1#server-}" ;;
    client-*) echo "$NET.2${1#client-}" ;;
  esac
}

alive_pid() { # prints the pid of a running agent, or nothing
  local f="$BASE/$1.pid" pid
  [[ -f "$f" ]] || return 0
  pid="$(cat "$f")"
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then echo "$pid"; fi
}

start_agent() {
  local name="$1" ip; ip="$(ip_of "$name")"
  if [[ -n "$(alive_pid "$name")" ]]; then echo "$name is already running (pid $(cat "$BASE/$name.pid"))"; return; fi
  mkdir -p "$BASE/$name"
  local args=(agent -node "$name" -bind "$ip" -client "$ip" -data-dir "$BASE/$name"
    -http-port "$HTTP_PORT" -dns-port "$DNS_PORT" -serf-lan-port "$SERF_PORT"
    -config-file "$BASE/cluster.json" -retry-interval 1s)
  local s
  for s in "${SERVERS[@]}"; do
    [[ "$s" == "$name" ]] || args+=(-retry-join "$(ip_of "$s"):$SERF_PORT")
  done
  if [[ "$name" == server-* ]]; then args+=(-server -bootstrap-expect 3 -server-port "$SERVER_PORT"); fi
  # The agents outlive this script: an agent that believes an npm script started it (run from
  # `npm run`/npx) would shut down when its parent exits, so npm's marker is not passed on.
  env -u npm_lifecycle_event "${SEXTANT[@]}" "${args[@]}" >"$BASE/$name.log" 2>&1 </dev/null &
  echo $! >"$BASE/$name.pid"
  echo "started $name on $ip (pid $!, log $BASE/$name.log)"
}

http_addr() { echo "http://$(ip_of "$1"):$HTTP_PORT"; }

cluster_ready() { # 6 alive members and a leader with 3 voters
  local n alive peers
  for n in client-1 "${SERVERS[@]}" client-2 client-3; do # every agent sees all six alive
    alive="$("${SEXTANT[@]}" members -http-addr "$(http_addr "$n")" 2>/dev/null | grep -c ' alive ' || true)"
    [[ "$alive" == 6 ]] || return 1
  done
  peers="$("${SEXTANT[@]}" operator raft list-peers -http-addr "$(http_addr server-1)" 2>/dev/null || true)"
  [[ "$(grep -c ' leader ' <<<"$peers" || true)" == 1 ]] || return 1
  [[ "$(grep -c ' true ' <<<"$peers" || true)" == 3 ]]
}

do_start() {
  mkdir -p "$BASE"
  [[ -f "$BASE/cluster.json" ]] || printf '{ "performance": { "raft_multiplier": %s } }\n' "${SEXTANT_RAFT_MULTIPLIER:-1}" >"$BASE/cluster.json"
  local n
  for n in "${SERVERS[@]}" "${CLIENTS[@]}"; do start_agent "$n"; done
  local deadline=$((SECONDS + TIMEOUT))
  until cluster_ready; do
    for n in "${SERVERS[@]}" "${CLIENTS[@]}"; do
      if [[ -z "$(alive_pid "$n")" ]]; then
        echo "$n exited; the end of its log:" >&2; tail -n 20 "$BASE/$n.log" >&2; do_stop; exit 1
      fi
    done
    if ((SECONDS >= deadline)); then
      echo "the cluster did not form within ${TIMEOUT}s; logs are in $BASE" >&2; do_stop; exit 1
    fi
    sleep 0.5
  done
  echo
  do_status
  cat <<USAGE

The cluster is up: 3 servers ($(ip_of server-1) - $(ip_of server-3)) and 3 clients ($(ip_of client-1) - $(ip_of client-3)).
  ${SEXTANT[*]} members -http-addr $(http_addr client-1)
  ${SEXTANT[*]} kv put -http-addr $(http_addr client-1) hello world
  ${SEXTANT[*]} kv get -http-addr $(http_addr client-2) hello
  ${SEXTANT[*]} operator raft list-peers -http-addr $(http_addr server-1)
  curl $(http_addr client-3)/v1/status/leader
  dig @$(ip_of client-1) -p $DNS_PORT consul.service.consul
Stop it with: $0 stop $BASE
USAGE
}

stop_group() { # SIGTERM the named agents, wait for them to exit (SIGKILL after 15 s)
  local n pid entry stopped=()
  for n in "$@"; do
    pid="$(alive_pid "$n")"
    if [[ -n "$pid" ]]; then kill -TERM "$pid" 2>/dev/null || true; stopped+=("$n:$pid"); fi
  done
  local deadline=$((SECONDS + 15))
  for entry in ${stopped[@]+"${stopped[@]}"}; do
    n="${entry%%:*}"; pid="${entry#*:}"
    while kill -0 "$pid" 2>/dev/null; do
      if ((SECONDS >= deadline)); then kill -KILL "$pid" 2>/dev/null || true; fi
      sleep 0.1
    done
    echo "stopped $n (pid $pid)"
  done
  for n in "$@"; do rm -f "$BASE/$n.pid"; done
}

# Clients first: on SIGTERM a client leaves the pool gracefully, which the servers must still hear.
do_stop() {
  stop_group "${CLIENTS[@]}"
  stop_group "${SERVERS[@]}"
}

do_status() {
  "${SEXTANT[@]}" members -http-addr "$(http_addr client-1)"
  echo
  "${SEXTANT[@]}" operator raft list-peers -http-addr "$(http_addr server-1)"
}

case "$cmd" in
  start) do_start ;;
  stop) do_stop ;;
  status) do_status ;;
esac
