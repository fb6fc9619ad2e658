import { decode, encode } from '@msgpack/msgpack';
import type { UserEvent } from '../../contracts/model/event.js';

/** Consul's serf event names carry this prefix (agent/consul: userEventName). */
export const CONSUL_EVENT_PREFIX = 'consul:event:';

/** The user event format version this agent writes and fully understands (Consul's userEventMaxVersion). */
export const USER_EVENT_VERSION = 1;

/**
 * Encodes an event as Consul's agent does before firing it (encodeMsgPack of UserEvent): a
 * msgpack map with Consul's codec names `ID`, `n`, `p`, `nf`, `sf`, `tf` (omitted when empty)
 * and `v`; LTime is not sent (serf's Lamport time is). The payload is msgpack bin, as Consul's
 * handle (WriteExt) writes []byte.
 */
export function encodeUserEvent(e: UserEvent): Uint8Array {
  const m: Record<string, unknown> = { ID: e.ID, n: e.Name };
  if (e.Payload && e.Payload.byteLength > 0) m.p = e.Payload;
  if (e.NodeFilter) m.nf = e.NodeFilter;
  if (e.ServiceFilter) m.sf = e.ServiceFilter;
  if (e.TagFilter) m.tf = e.TagFilter;
  m.v = e.Version;
  return encode(m);
}

/** Decodes a Consul user event payload delivered with serf Lamport time `ltime`; undefined when it is not one. */
export function decodeUserEvent(bytes: Uint8Array, ltime: number): UserEvent | undefined {
  let m: unknown;
  try {
    m = decode(bytes);
  } catch {
    return undefined;
  }
  if (typeof m !== 'object' || m === null || Array.isArray(m)) return undefined;
  const r = m as Record<string, unknown>;
  const str = (v: unknown): string => (typeof v === 'string' ? v : '');
  const payload = r.p instanceof Uint8Array ? r.p : typeof r.p === 'string' ? new TextEncoder().encode(r.p) : null;
  if (typeof r.n !== 'string') return undefined;
  return {
    ID: str(r.ID),
    Name: r.n,
    Payload: payload && payload.byteLength > 0 ? payload : null,
    NodeFilter: str(r.nf),
    ServiceFilter: str(r.sf),
    TagFilter: str(r.tf),
    Version: typeof r.v === 'number' ? r.v : 0,
    LTime: ltime,
  };
}

/**
 * Consul's uuidToUint64: the event list's blocking index, from the newest event's ID — the
 * UUID's first 16 hex digits XOR its last 16 — as a decimal string (it may exceed 2^53).
 * '0' for a malformed ID.
 */
export function eventIndex(uuid: string): string {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(uuid)) return '0';
  const lower = BigInt(`0x${uuid.slice(0, 8)}${uuid.slice(9, 13)}${uuid.slice(14, 18)}`);
  const upper = BigInt(`0x${uuid.slice(19, 23)}${uuid.slice(24, 36)}`);
  return (lower ^ upper).toString();
}
