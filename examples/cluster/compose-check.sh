#!/usr/bin/env bash
# Builds the image and runs docker-compose.yml's 3 servers and 3 clients, then checks the cluster
# as a user would: all six see each other, the servers elect a leader with three voters, a write
# through one client is read through another and from the host's published port, and after
# kill -9 of the leader's container the others elect a new leader, take writes, and the
# restarted server catches up. Takes the cluster down (with its volumes) at the end.
#
#   examples/cluster/compose-check.sh
#
# Uses `docker compose` when a Docker engine answers, else podman with podman-compose (no daemon
# needed). Host ports 8500 and 8600 must be free (server-1 publishes them).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
FILE="$HERE/docker-compose.yml"

if docker info >/dev/null 2>&1; then
  ENGINE=docker; COMPOSE=(docker compose -p sextant-check -f "$FILE")
elif command -v podman >/dev/null 2>&1 && command -v podman-compose >/dev/null 2>&1; then
  ENGINE=podman; COMPOSE=(podman-compose -p sextant-check -f "$FILE")
else
  echo "compose-check: needs a Docker engine, or podman and podman-compose" >&2; exit 2
fi
container() { "$ENGINE" ps -q --filter "label=com.docker.compose.project=sextant-check" --filter "label=com.docker.compose.service=$1" | head -n1; }
sextant() { local svc="$1"; shift; "$ENGINE" exec "$(container "$svc")" node /opt/sextant/bin/sextant.js "$@"; }
CHECK_NAME=compose-check
# shellcheck source=check-lib.sh
source "$HERE/check-lib.sh"
cleanup() { "${COMPOSE[@]}" down -v >/dev/null 2>&1 || true; }
trap cleanup EXIT

echo "building the image with $ENGINE"
log="$(mktemp)"
"$ENGINE" build -f "$HERE/Dockerfile" -t sextant:local "$REPO" >"$log" 2>&1 || { tail -n 30 "$log" >&2; fail "image build (log: $log)"; }
rm -f "$log"
"${COMPOSE[@]}" up -d >/dev/null 2>&1 || fail "compose up"

six_alive() { [[ "$(sextant "$1" members | grep -c ' alive ')" == 6 ]]; }
for s in server-1 server-2 server-3 client-1 client-2 client-3; do wait_until 90 "$s sees six alive members" six_alive "$s"; done
wait_until 60 "a leader with three voters" leader_with_voters server-1

sextant client-1 kv put compose/hello world >/dev/null || fail "kv put through client-1"
[[ "$(sextant client-2 kv get compose/hello)" == world ]] || fail "kv get through client-2"
echo "ok: a write through client-1 is read through client-2"
[[ "$(curl -s http://127.0.0.1:8500/v1/kv/compose/hello?raw)" == world ]] || fail "kv get on the host's port 8500"
echo "ok: read through the published port 8500"

leader_ip="$(curl -s http://127.0.0.1:8500/v1/status/leader | tr -d '"' | cut -d: -f1)"
leader=""
for s in server-1 server-2 server-3; do
  if "$ENGINE" inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$(container "$s")" | grep -qx "$leader_ip"; then leader="$s"; fi
done
[[ -n "$leader" ]] || fail "no server container has the leader's address $leader_ip"
others=(); for s in server-1 server-2 server-3; do [[ "$s" == "$leader" ]] || others+=("$s"); done
"$ENGINE" kill -s KILL "$(container "$leader")" >/dev/null
echo "killed the leader ($leader) with SIGKILL"
put_after_kill() { sextant client-3 kv put compose/after-kill yes; }
wait_until 60 "a write through client-3 after the kill" put_after_kill
new_leader() { sextant "${others[0]}" operator raft list-peers | grep ' leader ' | grep -qv "^$leader "; }
wait_until 30 "${others[0]} sees a new leader" new_leader
"$ENGINE" start "$(container "$leader")" >/dev/null 2>&1 || "${COMPOSE[@]}" up -d "$leader" >/dev/null 2>&1
caught_up() { [[ "$(sextant "$leader" kv get -stale compose/after-kill)" == yes ]]; }
wait_until 60 "$leader is back and has the write made while it was down" caught_up
wait_until 60 "three voters again" leader_with_voters "${others[0]}"
echo "compose-check: passed"
