#!/usr/bin/env bash
# Runs the Kubernetes manifests in k8s/ without a Kubernetes cluster: k8s-pods.mjs renders the
# pods the StatefulSet and the DaemonSet would create (downward-API values, $(VAR) expansion,
# the headless Service's DNS names as host aliases), and podman plays them on a network of their
# own. Then it checks the cluster as a user would: every agent sees the others, the servers
# bootstrap (bootstrap_expect 3, joined by the StatefulSet DNS names) with a leader and three
# voters, the readiness probe's own command passes on each server, a write through one client
# agent is read through the other, and after kill -9 of the leader's pod the others elect a new
# leader and take writes, and the restarted pod (same data, as the StatefulSet brings it back)
# catches up. Removes its pods, network and data at the end.
#
#   examples/cluster/k8s-check.sh
#
# Needs podman (`podman kube play`) and `npm install` in the repository (k8s-pods.mjs reads the
# YAML with its `yaml` package). Builds the image from examples/cluster/Dockerfile unless
# SEXTANT_IMAGE names one to use. SEXTANT_K8S_SUBNET (default 10.89.77) is the /24 the pods get.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
SUBNET="${SEXTANT_K8S_SUBNET:-10.89.77}"
NETWORK=sextant-k8s-check
command -v podman >/dev/null 2>&1 || { echo "k8s-check: needs podman (podman kube play)" >&2; exit 2; }

CHECK_NAME=k8s-check
# shellcheck source=check-lib.sh
source "$HERE/check-lib.sh"
sextant() { local pod="$1"; shift; podman exec "$pod-sextant" node /opt/sextant/bin/sextant.js "$@"; }

OUT="$(mktemp -d)"
PODS=()
cleanup() {
  for p in "${PODS[@]}"; do podman pod rm -f "$p" >/dev/null 2>&1 || true; done
  podman network rm -f "$NETWORK" >/dev/null 2>&1 || true
  rm -rf "$OUT"
}
trap cleanup EXIT

IMAGE="${SEXTANT_IMAGE:-}"
if [[ -z "$IMAGE" ]]; then
  IMAGE=localhost/sextant:local
  echo "building the image with podman"
  podman build -f "$HERE/Dockerfile" -t sextant:local "$REPO" >"$OUT/build.log" 2>&1 || { tail -n 30 "$OUT/build.log" >&2; fail "image build"; }
fi

declare -A IP
while read -r pod ip; do PODS+=("$pod"); IP[$pod]="$ip"; done < <(node "$HERE/k8s-pods.mjs" "$OUT" "$SUBNET." "$IMAGE" 2)
mapfile -d '' PROBE < "$OUT/probe"
SERVERS=(); CLIENTS=()
for p in "${PODS[@]}"; do if [[ "$p" == sextant-server-* ]]; then SERVERS+=("$p"); else CLIENTS+=("$p"); fi; done

podman network create --subnet "$SUBNET.0/24" "$NETWORK" >/dev/null
for p in "${PODS[@]}"; do
  podman kube play --network "$NETWORK" --ip "${IP[$p]}" --configmap "$OUT/configmap.yaml" "$OUT/$p.yaml" >"$OUT/play.log" 2>&1 || { cat "$OUT/play.log" >&2; fail "podman kube play $p"; }
done
echo "started ${#SERVERS[@]} server pods and ${#CLIENTS[@]} client pods on $SUBNET.0/24"

all_alive() { [[ "$(sextant "$1" members | grep -c ' alive ')" == "${#PODS[@]}" ]]; }
ready() { podman exec "$1-sextant" "${PROBE[@]}"; }
for p in "${PODS[@]}"; do wait_until 90 "$p sees ${#PODS[@]} alive members" all_alive "$p"; done
wait_until 60 "a leader with three voters" leader_with_voters "${SERVERS[0]}"
for p in "${SERVERS[@]}"; do wait_until 30 "$p passes its readiness probe" ready "$p"; done

sextant "${CLIENTS[0]}" kv put k8s/hello world >/dev/null || fail "kv put through ${CLIENTS[0]}"
[[ "$(sextant "${CLIENTS[1]}" kv get k8s/hello)" == world ]] || fail "kv get through ${CLIENTS[1]}"
echo "ok: a write through ${CLIENTS[0]} is read through ${CLIENTS[1]}"

leader_ip="$(podman exec "${SERVERS[0]}-sextant" node -e "fetch('http://127.0.0.1:8500/v1/status/leader').then(r=>r.json()).then(l=>console.log(l.split(':')[0]))")"
leader=""; for p in "${SERVERS[@]}"; do [[ "${IP[$p]}" == "$leader_ip" ]] && leader="$p"; done
[[ -n "$leader" ]] || fail "no server pod has the leader's address $leader_ip"
others=(); for p in "${SERVERS[@]}"; do [[ "$p" == "$leader" ]] || others+=("$p"); done
podman pod kill -s KILL "$leader" >/dev/null
echo "killed the leader's pod ($leader) with SIGKILL"
put_after_kill() { sextant "${CLIENTS[1]}" kv put k8s/after-kill yes; }
wait_until 60 "a write through ${CLIENTS[1]} after the kill" put_after_kill
new_leader() { sextant "${others[0]}" operator raft list-peers | grep ' leader ' | grep -qv "^$leader "; }
wait_until 30 "${others[0]} sees a new leader" new_leader
podman pod start "$leader" >/dev/null
caught_up() { [[ "$(sextant "$leader" kv get -stale k8s/after-kill)" == yes ]]; }
wait_until 60 "$leader is back on its data and has the write made while it was down" caught_up
wait_until 60 "three voters again" leader_with_voters "${others[0]}"
wait_until 30 "$leader passes its readiness probe again" ready "$leader"
echo "k8s-check: passed"
