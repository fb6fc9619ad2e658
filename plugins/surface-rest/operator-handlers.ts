import { ErrorCode, SextantError } from '../../contracts/errors.js';
import type { OperatorService } from '../../contracts/services/operator-service.js';
import { requestContext, writeContext } from './request-context.js';
import type { Handler, RequestScope } from './request-scope.js';
import { sendEmpty, sendJson } from './respond.js';

/** /v1/operator/raft/* — Consul's agent/operator_endpoint.go, Raft part. */

function operatorOf(scope: RequestScope): OperatorService {
  const o = scope.deps.operator;
  if (!o) throw new SextantError(ErrorCode.NotImplemented, 'the operator endpoints are not available on this agent');
  return o;
}

/** GET /v1/operator/raft/configuration — the Raft configuration (the leader's; any server's with `?stale`). */
export const getRaftConfiguration: Handler = async (scope) => {
  sendJson(scope, await operatorOf(scope).raftConfiguration(requestContext(scope)));
};

/** DELETE /v1/operator/raft/peer?id=… | ?address=… — removes a server from the Raft configuration. */
export const deleteRaftPeer: Handler = async (scope) => {
  const id = scope.query.get('id') ?? '';
  const address = scope.query.get('address') ?? '';
  if (id === '' && address === '') {
    throw new SextantError(ErrorCode.BadRequest, "Must specify either ?id with the server's ID or ?address with IP:port of peer to remove");
  }
  await operatorOf(scope).raftRemovePeer(id !== '' ? { id } : { address }, writeContext(scope));
  sendEmpty(scope.ctx, 200);
};

/** POST /v1/operator/raft/transfer-leader?id=… — the leader hands leadership to `id` (or the most up-to-date voter); `{"Success":true}`. */
export const postRaftTransferLeader: Handler = async (scope) => {
  const id = scope.query.get('id') ?? '';
  sendJson(scope, await operatorOf(scope).raftTransferLeader(id, writeContext(scope)));
};
