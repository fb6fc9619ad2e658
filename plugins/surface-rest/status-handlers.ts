import { writeContext } from './request-context.js';
import type { Handler } from './request-scope.js';
import { sendJson } from './respond.js';

/** /v1/status/* — Raft leader and peers (Consul's Status RPC: any server answers; works without a leader). */

/** GET /v1/status/leader — the leader's RPC address as a JSON string, `""` when none is known. */
export const getLeader: Handler = async (scope) => {
  sendJson(scope, await scope.deps.status.leader(writeContext(scope)));
};

/** GET /v1/status/peers — the Raft voters' RPC addresses. */
export const getPeers: Handler = async (scope) => {
  sendJson(scope, await scope.deps.status.peers(writeContext(scope)));
};
