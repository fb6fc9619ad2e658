import { ErrorCode, SextantError } from '../../contracts/errors.js';
import type { SnapshotService } from '../../contracts/services/snapshot-service.js';
import { readBody } from './read-body.js';
import { requestContext, writeContext } from './request-context.js';
import type { Handler, RequestScope } from './request-scope.js';
import { sendEmpty } from './respond.js';

/** /v1/snapshot — Consul's agent/snapshot_endpoint.go. */

/** The largest archive PUT /v1/snapshot takes: it travels as one RPC frame and one Raft entry (64 MiB frames). */
const MAX_SNAPSHOT_BODY = 60 * 1024 * 1024;

function snapshotOf(scope: RequestScope): SnapshotService {
  const s = scope.deps.snapshot;
  if (!s) throw new SextantError(ErrorCode.NotImplemented, 'the snapshot endpoint is not available on this agent');
  return s;
}

/** GET /v1/snapshot — the archive of the whole state (the leader's; any server's with `?stale`), X-Consul-Index = its index. */
export const getSnapshot: Handler = async (scope) => {
  const reply = await snapshotOf(scope).save(requestContext(scope));
  const ctx = scope.ctx;
  ctx.status = 200;
  ctx.set('X-Consul-Index', String(Math.max(1, reply.Index)));
  ctx.set('Content-Type', 'application/x-gzip');
  ctx.body = Buffer.from(reply.Archive.buffer, reply.Archive.byteOffset, reply.Archive.byteLength);
};

/** PUT /v1/snapshot — restores the archive in the body on every server (a corrupt one is refused, 500 with Consul's text). */
export const putSnapshot: Handler = async (scope) => {
  const body = await readBody(scope.ctx.req, MAX_SNAPSHOT_BODY, (n, max) => `Request body(${n} bytes) too large, max size: ${max} bytes`);
  await snapshotOf(scope).restore(new Uint8Array(body), writeContext(scope));
  sendEmpty(scope.ctx, 200);
};
