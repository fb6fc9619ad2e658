# Shared by compose-check.sh and k8s-check.sh (sourced, after CHECK_NAME is set): how they fail,
# how they wait, and what a healthy Raft cluster looks like through their `sextant NAME ARGS...`.

# fail WHAT...: prints "<CHECK_NAME>: FAILED: WHAT" and exits 1.
fail() { echo "$CHECK_NAME: FAILED: $*" >&2; exit 1; }

# wait_until SECONDS WHAT COMMAND...: runs COMMAND every second until it succeeds ("ok: WHAT"),
# or fails after SECONDS.
wait_until() {
  local limit="$1" what="$2"; shift 2
  local deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || fail "$what (not within ${limit}s)"
    sleep 1
  done
  echo "ok: $what"
}

# leader_with_voters NAME: one leader and three voters in NAME's `operator raft list-peers`
# (uses the caller's `sextant NAME ARGS...`, which runs the CLI in that agent's container).
leader_with_voters() {
  local peers; peers="$(sextant "$1" operator raft list-peers)"
  [[ "$(grep -c ' leader ' <<<"$peers")" == 1 && "$(grep -c ' true ' <<<"$peers")" == 3 ]]
}
