import { checkDatacenter } from './query-options.js';
import type { Handler } from './request-scope.js';
import { sendJson } from './respond.js';

/** /v1/status/* — Raft leader and peers. Answered locally; work without a leader. */

/** GET /v1/status/leader — the leader's RPC address as a JSON string, `""` when none is known. */
export const getLeader: Handler = async (scope) => {
  checkDatacenter(scope.query, scope.deps.config);
  sendJson(scope, scope.deps.status.leader());
};

/** GET /v1/status/peers — the Raft voters' RPC addresses. */
export const getPeers: Handler = async (scope) => {
  checkDatacenter(scope.query, scope.deps.config);
  sendJson(scope, scope.deps.status.peers());
};
