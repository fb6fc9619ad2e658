/**
 * serf's gossip messages (messages.go) as serf encodes them: one message-type byte, then the Go
 * struct as go-msgpack's MsgpackHandle{} writes it (a map keyed by field name in declaration
 * order). They travel as memberlist user messages (broadcasts, direct packets) and as the user
 * state of a push/pull.
 */
import { ErrorCode, SextantError } from '../../../contracts/errors.js';
import { decodeMsgpack, MsgpackWriter, MsgStruct, type MsgValue } from '../memberlist/msgpack.js';

/** serf's messageType values. */
export const SerfMessageType = {
  Leave: 0,
  Join: 1,
  PushPull: 2,
  UserEvent: 3,
  Query: 4,
  QueryResponse: 5,
  ConflictResponse: 6,
  KeyRequest: 7,
  KeyResponse: 8,
  Relay: 9,
} as const;
export type SerfMessageType = (typeof SerfMessageType)[keyof typeof SerfMessageType];

/** queryFlagAck: the receiver acks the query. */
export const QUERY_FLAG_ACK = 1;
/** queryFlagNoBroadcast: the receiver does not re-broadcast the query. */
export const QUERY_FLAG_NO_BROADCAST = 2;

/** serf's filterType values. */
export const FilterType = { Node: 0, Tag: 1 } as const;

/** messageJoin: a join intent with its Lamport time. */
export interface JoinMessage {
  ltime: number;
  node: string;
}

/** messageLeave: a leave intent (prune: forget the member at once). */
export interface LeaveMessage {
  ltime: number;
  node: string;
  prune: boolean;
}

/** One user event kept in the event buffer (serf's userEvent). */
export interface BufferedEvent {
  name: string;
  payload: Uint8Array | null;
}

/** The user events seen at one Lamport time (serf's userEvents). */
export interface BufferedEvents {
  ltime: number;
  events: BufferedEvent[];
}

/** messagePushPull: serf's part of a push/pull state exchange. */
export interface PushPullMessage {
  ltime: number;
  statusLTimes: Map<string, number>;
  leftMembers: string[];
  eventLTime: number;
  /** The event buffer, one slot per entry (null: empty slot). */
  events: Array<BufferedEvents | null>;
  queryLTime: number;
}

/** messageUserEvent. */
export interface UserEventMessage {
  ltime: number;
  name: string;
  payload: Uint8Array | null;
  /** "Can coalesce". */
  cc: boolean;
}

/** messageQuery. */
export interface QueryMessage {
  ltime: number;
  id: number;
  /** The source's IP bytes, for a direct reply. */
  addr: Uint8Array | null;
  port: number;
  sourceNode: string;
  filters: Uint8Array[] | null;
  flags: number;
  relayFactor: number;
  /** Go time.Duration: nanoseconds. */
  timeoutNs: number;
  name: string;
  payload: Uint8Array | null;
}

/** messageQueryResponse. */
export interface QueryResponseMessage {
  ltime: number;
  id: number;
  from: string;
  flags: number;
  payload: Uint8Array | null;
}

/** serf's Member as a conflict response carries it. */
export interface WireMember {
  name: string;
  addr: Uint8Array | null;
  port: number;
  tags: Record<string, string>;
  status: number;
  protocolMin: number;
  protocolMax: number;
  protocolCur: number;
  delegateMin: number;
  delegateMax: number;
  delegateCur: number;
}

/** nodeKeyResponse: one node's answer to a keyring query. */
export interface NodeKeyResponse {
  result: boolean;
  message: string;
  keys: string[] | null;
  primaryKey: string;
}

/** relayHeader: where a relayed message is going. */
export interface RelayHeader {
  destIp: Uint8Array | null;
  destPort: number;
  destName: string;
}

function head(t: SerfMessageType): MsgpackWriter {
  return new MsgpackWriter().byte(t);
}

function writeJoin(w: MsgpackWriter, m: JoinMessage): MsgpackWriter {
  return w.map(2).str('LTime').int(m.ltime).str('Node').str(m.node);
}

function writeLeave(w: MsgpackWriter, m: LeaveMessage): MsgpackWriter {
  return w.map(3).str('LTime').int(m.ltime).str('Node').str(m.node).str('Prune').bool(m.prune);
}

function writeUserEvent(w: MsgpackWriter, m: UserEventMessage): MsgpackWriter {
  return w.map(4).str('LTime').int(m.ltime).str('Name').str(m.name).str('Payload').bytes(m.payload).str('CC').bool(m.cc);
}

function writeQuery(w: MsgpackWriter, m: QueryMessage): MsgpackWriter {
  w.map(11).str('LTime').int(m.ltime).str('ID').int(m.id).str('Addr').bytes(m.addr).str('Port').int(m.port);
  w.str('SourceNode').str(m.sourceNode).str('Filters');
  if (m.filters === null) w.nil();
  else {
    w.array(m.filters.length);
    for (const f of m.filters) w.bytes(f);
  }
  w.str('Flags').int(m.flags).str('RelayFactor').int(m.relayFactor).str('Timeout').int(m.timeoutNs);
  return w.str('Name').str(m.name).str('Payload').bytes(m.payload);
}

function writeQueryResponse(w: MsgpackWriter, m: QueryResponseMessage): MsgpackWriter {
  return w.map(5).str('LTime').int(m.ltime).str('ID').int(m.id).str('From').str(m.from).str('Flags').int(m.flags).str('Payload').bytes(m.payload);
}

function writeStringMap(w: MsgpackWriter, m: Record<string, string>): MsgpackWriter {
  const entries = Object.entries(m);
  w.map(entries.length);
  for (const [k, v] of entries) w.str(k).str(v);
  return w;
}

/** Encodes a join intent (type byte included). */
export function encodeJoin(m: JoinMessage): Uint8Array {
  return writeJoin(head(SerfMessageType.Join), m).finish();
}

/** Encodes a leave intent. */
export function encodeLeave(m: LeaveMessage): Uint8Array {
  return writeLeave(head(SerfMessageType.Leave), m).finish();
}

/** Encodes a user event. */
export function encodeUserEvent(m: UserEventMessage): Uint8Array {
  return writeUserEvent(head(SerfMessageType.UserEvent), m).finish();
}

/** Encodes a query. */
export function encodeQuery(m: QueryMessage): Uint8Array {
  return writeQuery(head(SerfMessageType.Query), m).finish();
}

/** Encodes a query response (or ack). */
export function encodeQueryResponse(m: QueryResponseMessage): Uint8Array {
  return writeQueryResponse(head(SerfMessageType.QueryResponse), m).finish();
}

/** Encodes serf's push/pull user state. */
export function encodePushPull(m: PushPullMessage): Uint8Array {
  const w = head(SerfMessageType.PushPull).map(6).str('LTime').int(m.ltime).str('StatusLTimes').map(m.statusLTimes.size);
  for (const [k, v] of m.statusLTimes) w.str(k).int(v);
  w.str('LeftMembers').array(m.leftMembers.length);
  for (const n of m.leftMembers) w.str(n);
  w.str('EventLTime').int(m.eventLTime).str('Events').array(m.events.length);
  for (const e of m.events) {
    if (e === null) {
      w.nil();
      continue;
    }
    w.map(2).str('LTime').int(e.ltime).str('Events').array(e.events.length);
    for (const ev of e.events) w.map(2).str('Name').str(ev.name).str('Payload').bytes(ev.payload);
  }
  return w.str('QueryLTime').int(m.queryLTime).finish();
}

/** Encodes a conflict response: the member we know by that name, or nil. */
export function encodeConflictResponse(m: WireMember | null): Uint8Array {
  const w = head(SerfMessageType.ConflictResponse);
  if (m === null) return w.nil().finish();
  w.map(11).str('Name').str(m.name).str('Addr').bytes(m.addr).str('Port').int(m.port).str('Tags');
  writeStringMap(w, m.tags);
  w.str('Status').int(m.status).str('ProtocolMin').int(m.protocolMin).str('ProtocolMax').int(m.protocolMax).str('ProtocolCur').int(m.protocolCur);
  return w.str('DelegateMin').int(m.delegateMin).str('DelegateMax').int(m.delegateMax).str('DelegateCur').int(m.delegateCur).finish();
}

/** Encodes a keyring request (keyRequest{Key}). */
export function encodeKeyRequest(key: Uint8Array): Uint8Array {
  return head(SerfMessageType.KeyRequest).map(1).str('Key').bytes(key).finish();
}

/** Encodes one node's keyring answer. */
export function encodeKeyResponse(m: NodeKeyResponse): Uint8Array {
  const w = head(SerfMessageType.KeyResponse).map(4).str('Result').bool(m.result).str('Message').str(m.message).str('Keys');
  if (m.keys === null) w.nil();
  else {
    w.array(m.keys.length);
    for (const k of m.keys) w.str(k);
  }
  return w.str('PrimaryKey').str(m.primaryKey).finish();
}

/** Encodes a relayed query response: relay type, header (net.UDPAddr + name), then the wrapped message. */
export function encodeRelay(h: RelayHeader, inner: Uint8Array): Uint8Array {
  const w = head(SerfMessageType.Relay).map(2).str('DestAddr').map(3).str('IP').bytes(h.destIp).str('Port').int(h.destPort).str('Zone').str('');
  return w.str('DestName').str(h.destName).rawBytes(inner).finish();
}

/** Encodes a query filter: its type byte, then the node list or the tag filter. */
export function encodeFilter(f: { nodes: string[] } | { tag: string; expr: string }): Uint8Array {
  if ('nodes' in f) {
    const w = new MsgpackWriter().byte(FilterType.Node).array(f.nodes.length);
    for (const n of f.nodes) w.str(n);
    return w.finish();
  }
  return new MsgpackWriter().byte(FilterType.Tag).map(2).str('Tag').str(f.tag).str('Expr').str(f.expr).finish();
}

// ---- decoding ----

function bad(what: string): SextantError {
  return new SextantError(ErrorCode.TransportFailed, `serf: malformed ${what}`, { reason: 'shape' });
}

/** Decodes the msgpack value after the type byte. */
function body(buf: Uint8Array, offset = 1): MsgValue {
  return decodeMsgpack(buf, offset).value;
}

function struct(buf: Uint8Array, what: string): MsgStruct {
  return MsgStruct.of(body(buf), what);
}

const utf8d = new TextDecoder();

function asString(v: MsgValue | undefined): string {
  if (v instanceof Uint8Array) return utf8d.decode(v);
  if (v === null || v === undefined) return '';
  throw bad('string');
}

function asInt(v: MsgValue | undefined): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v === null || v === undefined) return 0;
  throw bad('integer');
}

function asArray(v: MsgValue | undefined, what: string): MsgValue[] {
  if (v === null || v === undefined) return [];
  if (!Array.isArray(v)) throw bad(what);
  return v;
}

function asMap(v: MsgValue | undefined, what: string): Map<string, MsgValue> {
  if (v === null || v === undefined) return new Map();
  if (!(v instanceof Map)) throw bad(what);
  return v;
}

/** Decodes a map[string]string (serf tags). */
export function decodeStringMap(v: MsgValue | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, x] of asMap(v, 'string map')) out[k] = asString(x);
  return out;
}

/** Decodes a join intent (buffer with its type byte). */
export function decodeJoin(buf: Uint8Array): JoinMessage {
  const s = struct(buf, 'join');
  return { ltime: s.int('LTime'), node: s.str('Node') };
}

/** Decodes a leave intent. */
export function decodeLeave(buf: Uint8Array): LeaveMessage {
  const s = struct(buf, 'leave');
  return { ltime: s.int('LTime'), node: s.str('Node'), prune: s.bool('Prune') };
}

/** Decodes a user event. */
export function decodeUserEvent(buf: Uint8Array): UserEventMessage {
  const s = struct(buf, 'user event');
  return { ltime: s.int('LTime'), name: s.str('Name'), payload: s.bytes('Payload'), cc: s.bool('CC') };
}

/** Decodes a query. */
export function decodeQuery(buf: Uint8Array): QueryMessage {
  const v = body(buf);
  const s = MsgStruct.of(v, 'query');
  const raw = (v as Map<string, MsgValue>).get('Filters');
  const filters = raw === null || raw === undefined ? null : asArray(raw, 'filters').map((f) => (f instanceof Uint8Array ? f : Uint8Array.from([])));
  return {
    ltime: s.int('LTime'),
    id: s.int('ID'),
    addr: s.bytes('Addr'),
    port: s.int('Port'),
    sourceNode: s.str('SourceNode'),
    filters,
    flags: s.int('Flags'),
    relayFactor: s.int('RelayFactor'),
    timeoutNs: s.int('Timeout'),
    name: s.str('Name'),
    payload: s.bytes('Payload'),
  };
}

/** Decodes a query response. */
export function decodeQueryResponse(buf: Uint8Array): QueryResponseMessage {
  const s = struct(buf, 'query response');
  return { ltime: s.int('LTime'), id: s.int('ID'), from: s.str('From'), flags: s.int('Flags'), payload: s.bytes('Payload') };
}

/** Decodes serf's push/pull user state. */
export function decodePushPull(buf: Uint8Array): PushPullMessage {
  const m = asMap(body(buf), 'push/pull');
  const statusLTimes = new Map<string, number>();
  for (const [k, v] of asMap(m.get('StatusLTimes'), 'status ltimes')) statusLTimes.set(k, asInt(v));
  const events = asArray(m.get('Events'), 'events').map((e): BufferedEvents | null => {
    if (e === null) return null;
    const em = asMap(e, 'user events');
    return {
      ltime: asInt(em.get('LTime')),
      events: asArray(em.get('Events'), 'user events').map((x) => {
        const s = MsgStruct.of(x, 'user event');
        return { name: s.str('Name'), payload: s.bytes('Payload') };
      }),
    };
  });
  return {
    ltime: asInt(m.get('LTime')),
    statusLTimes,
    leftMembers: asArray(m.get('LeftMembers'), 'left members').map(asString),
    eventLTime: asInt(m.get('EventLTime')),
    events,
    queryLTime: asInt(m.get('QueryLTime')),
  };
}

/** Decodes a conflict response (a nil member decodes as Go's zero Member). */
export function decodeConflictResponse(buf: Uint8Array): WireMember {
  const v = body(buf);
  const s = MsgStruct.of(v === null ? new Map() : v, 'member');
  return {
    name: s.str('Name'),
    addr: s.bytes('Addr'),
    port: s.int('Port'),
    tags: decodeStringMap(v instanceof Map ? v.get('Tags') : undefined),
    status: s.int('Status'),
    protocolMin: s.int('ProtocolMin'),
    protocolMax: s.int('ProtocolMax'),
    protocolCur: s.int('ProtocolCur'),
    delegateMin: s.int('DelegateMin'),
    delegateMax: s.int('DelegateMax'),
    delegateCur: s.int('DelegateCur'),
  };
}

/** Decodes a keyring request's key. */
export function decodeKeyRequest(buf: Uint8Array): Uint8Array {
  return struct(buf, 'key request').bytes('Key') ?? new Uint8Array(0);
}

/** Decodes one node's keyring answer. */
export function decodeKeyResponse(buf: Uint8Array): NodeKeyResponse {
  const v = body(buf);
  const s = MsgStruct.of(v, 'key response');
  const keys = (v as Map<string, MsgValue>).get('Keys');
  return { result: s.bool('Result'), message: s.str('Message'), keys: keys === null || keys === undefined ? null : asArray(keys, 'keys').map(asString), primaryKey: s.str('PrimaryKey') };
}

/** Decodes a relay message: its header and the wrapped message (type byte included) to forward. */
export function decodeRelay(buf: Uint8Array): { header: RelayHeader; inner: Uint8Array } {
  const { value, end } = decodeMsgpack(buf, 1);
  const h = asMap(value, 'relay header');
  const dest = MsgStruct.of(h.get('DestAddr') ?? new Map(), 'relay address');
  return { header: { destIp: dest.bytes('IP'), destPort: dest.int('Port'), destName: asString(h.get('DestName')) }, inner: buf.slice(end) };
}

/** Decodes a query filter. */
export function decodeFilter(buf: Uint8Array): { nodes: string[] } | { tag: string; expr: string } {
  if (buf.length === 0) throw bad('filter');
  if (buf[0] === FilterType.Node) return { nodes: asArray(body(buf), 'node filter').map(asString) };
  if (buf[0] === FilterType.Tag) {
    const s = struct(buf, 'tag filter');
    return { tag: s.str('Tag'), expr: s.str('Expr') };
  }
  throw new SextantError(ErrorCode.TransportFailed, `serf: query has unrecognized filter type: ${buf[0]}`, { reason: 'shape' });
}
