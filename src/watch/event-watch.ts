import { eventIndex } from '../events/user-event-codec.js';

/**
 * What an event watch hands its handler, as Consul's api/watch eventWatch builds it: the agent's
 * event list (GET /v1/event/list, `?name=`), each event in the Go api's UserEvent shape, pruned to
 * the events after the one whose ID maps (Consul's IDToIndex, uuidToUint64) to the index the read
 * blocked on — `events[i+1:]` at the first match; the whole list when none matches (the first
 * read, a read after an error, or the previous event fell out of the agent's buffer).
 */

const FIELDS = ['ID', 'Name', 'Payload', 'NodeFilter', 'ServiceFilter', 'TagFilter', 'Version', 'LTime'] as const;
const ZERO: Readonly<Record<(typeof FIELDS)[number], unknown>> = {
  ID: '',
  Name: '',
  Payload: null,
  NodeFilter: '',
  ServiceFilter: '',
  TagFilter: '',
  Version: 0,
  LTime: 0,
};

/** One event as Go's api.UserEvent marshals: its eight fields in declaration order, zero values for missing ones. */
function goUserEvent(e: unknown): Record<string, unknown> {
  const r = typeof e === 'object' && e !== null ? (e as Record<string, unknown>) : {};
  const out: Record<string, unknown> = {};
  for (const f of FIELDS) out[f] = r[f] ?? ZERO[f];
  return out;
}

/**
 * The events newer than the one `lastIndex` names (Consul prunes at the event whose IDToIndex
 * equals the plan's last index). `lastIndex` 0n means "no index held" (Consul's nil) and prunes
 * nothing. A body that is not an array (null) is handed on as is.
 */
export function eventsSince(body: unknown, lastIndex: bigint): unknown {
  if (!Array.isArray(body)) return body;
  let events = body.map(goUserEvent);
  if (lastIndex === 0n) return events;
  const last = lastIndex.toString();
  for (let i = 0; i < events.length; i++) {
    const id = events[i]!['ID'];
    if (typeof id === 'string' && eventIndex(id) === last) {
      events = events.slice(i + 1);
      break;
    }
  }
  return events;
}
