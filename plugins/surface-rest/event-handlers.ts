import { ErrorCode, SextantError } from '../../contracts/errors.js';
import type { UserEvent } from '../../contracts/model/event.js';
import type { EventService } from '../../contracts/services/event-service.js';
import { readBody } from './read-body.js';
import { requestContext, writeContext } from './request-context.js';
import type { Handler, RequestScope } from './request-scope.js';
import { requiredParam } from './required-param.js';
import { sendJson } from './respond.js';

/**
 * /v1/event/* — Consul's user events (agent/event_endpoint.go): fire one into the pool (PUT
 * /v1/event/fire/:name, `?node=`, `?service=`, `?tag=` filters, the body as payload) and list
 * the recent ones this agent kept (GET /v1/event/list, `?name=`, blocking on Consul's event
 * index, which is not monotonic: a list waits only while the index equals `?index`).
 */

/** Bigger than any event gossip carries (serf refuses name + payload over 512 bytes); bounds what is read. */
const MAX_EVENT_BODY = 64 * 1024;
const tooLarge = (n: number, max: number): string => `Request body(${n} bytes) too large, max size: ${max} bytes`;

function eventsOf(scope: RequestScope): EventService {
  const e = scope.deps.events;
  if (!e) throw new SextantError(ErrorCode.NotImplemented, 'user events are not available on this agent');
  return e;
}

/** An event in Consul's JSON: the payload base64 (null when none). */
function eventJson(e: UserEvent): Record<string, unknown> {
  return { ...e, Payload: e.Payload ? Buffer.from(e.Payload).toString('base64') : null };
}

/** PUT /v1/event/fire/:name — the event as fired (`LTime` 0); 400 `Missing name`; 500 with Consul's text for bad filters or size. */
export const putEventFire: Handler = async (scope) => {
  const name = requiredParam(scope, 'name', 'name');
  const q = scope.query;
  const body = await readBody(scope.ctx.req, MAX_EVENT_BODY, tooLarge);
  const event = await eventsOf(scope).fire(
    {
      name,
      ...(body.byteLength > 0 ? { payload: new Uint8Array(body) } : {}),
      ...(q.get('node') ? { nodeFilter: q.get('node')! } : {}),
      ...(q.get('service') ? { serviceFilter: q.get('service')! } : {}),
      ...(q.get('tag') ? { tagFilter: q.get('tag')! } : {}),
    },
    writeContext(scope),
  );
  sendJson(scope, eventJson(event));
};

/** GET /v1/event/list — the kept events, oldest first, with `X-Consul-Index` (Consul's uuidToUint64 of the newest). */
export const getEventList: Handler = async (scope) => {
  const list = await eventsOf(scope).list(scope.query.get('name') ?? '', requestContext(scope));
  scope.ctx.set('X-Consul-Index', list.index);
  sendJson(scope, list.events.map(eventJson));
};
