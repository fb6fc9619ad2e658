import { ErrorCode, SextantError } from '../../contracts/errors.js';
import type { LocalAgentApi } from '../../contracts/services/local-agent-service.js';
import { compileFilter } from 'sextant/plugin-sdk';
import { decodeJsonBody } from './json-body.js';
import { readBody } from './read-body.js';
import type { RequestScope } from './request-scope.js';
import { sendEmpty } from './respond.js';

/** Helpers shared by the /v1/agent/service* and /v1/agent/check* handlers. */

/** Largest service/check definition body accepted. */
const MAX_DEFINITION_BODY = 1024 * 1024;
const tooLarge = (n: number, max: number): string => `Request body(${n} bytes) too large, max size: ${max} bytes`;

/** The surface's LocalAgentApi (NOT_IMPLEMENTED when the agent was built without one). */
export function localAgentOf(scope: RequestScope): LocalAgentApi {
  const a = scope.deps.localAgent;
  if (!a) throw new SextantError(ErrorCode.NotImplemented, 'agent-local services and checks are not available on this agent');
  return a;
}

/**
 * Answers a write to the agent's services or checks: 200 with an empty body once the change is
 * synced to the catalog (Consul's syncChanges), so `/v1/health` and `/v1/catalog` read it at once.
 */
export async function answerSynced(scope: RequestScope): Promise<void> {
  await localAgentOf(scope).syncChanges();
  sendEmpty(scope.ctx, 200);
}

/** The JSON body as sent (keys untouched: definitions fold key case themselves); undefined when empty. 400 on bad JSON. */
export async function readJsonBody(scope: RequestScope): Promise<unknown> {
  return decodeJsonBody(await readBody(scope.ctx.req, MAX_DEFINITION_BODY, tooLarge), []);
}

/** The values of `map` kept by `?filter` (all without one); 400 on a filter syntax error. */
export function filterMap<T>(scope: RequestScope, map: Record<string, T>): Record<string, T> {
  const pred = compileFilter(scope.query.get('filter') ?? undefined);
  if (!pred) return map;
  const out: Record<string, T> = {};
  for (const [k, v] of Object.entries(map)) if (pred(v)) out[k] = v;
  return out;
}

const GO_TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const GO_FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** A Go strconv.ParseBool query value; `missing` when absent; 400 `Invalid value for <name>: "<v>"` when unparsable. */
export function goBoolParam(q: URLSearchParams, name: string): boolean | 'missing' {
  const v = q.get(name);
  if (v === null || v === '') return 'missing';
  if (GO_TRUE.has(v)) return true;
  if (GO_FALSE.has(v)) return false;
  throw new SextantError(ErrorCode.BadRequest, `Invalid value for ${name}: ${JSON.stringify(v)}`);
}

/** A flag that is on when present bare or with a true value (`?replace-existing-checks`, `?replace-existing-checks=true`). */
export function flagParam(q: URLSearchParams, name: string): boolean {
  if (!q.has(name)) return false;
  const v = q.get(name) ?? '';
  return v === '' || !GO_FALSE.has(v);
}

/** Consul's returnTextPlain: `Accept: text/plain…` or `?format=text`. */
export function wantsText(scope: RequestScope): boolean {
  const accept = scope.ctx.get('Accept');
  if (accept.startsWith('text/plain')) return true;
  return scope.query.get('format') === 'text';
}
