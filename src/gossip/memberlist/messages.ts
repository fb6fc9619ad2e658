/**
 * memberlist's messages (net.go) and their msgpack bodies, field for field as go-msgpack writes
 * the Go structs: a map keyed by the Go field name, in declaration order, `omitempty` fields left
 * out when zero. A packet/stream message is one type byte followed by the msgpack body.
 */
import { ErrorCode, SextantError } from '../../../contracts/errors.js';
import { decodeMsgpack, MsgpackWriter, MsgStruct } from './msgpack.js';

/** memberlist's messageType byte values (net.go). */
export const MessageType = {
  Ping: 0,
  IndirectPing: 1,
  AckResp: 2,
  Suspect: 3,
  Alive: 4,
  Dead: 5,
  PushPull: 6,
  Compound: 7,
  User: 8,
  Compress: 9,
  Encrypt: 10,
  NackResp: 11,
  HasCrc: 12,
  Err: 13,
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

/** memberlist's NodeStateType values (state.go). */
export const NodeStateType = { Alive: 0, Suspect: 1, Dead: 2, Left: 3 } as const;
export type NodeStateType = (typeof NodeStateType)[keyof typeof NodeStateType];

/** memberlist's protocol version range (net.go): this codec speaks 2–5 (1 lacks the ping Node field). */
export const PROTOCOL_VERSION_MIN = 1;
export const PROTOCOL_VERSION_MAX = 5;
/** memberlist's compressionType lzwAlgo. */
export const LZW_ALGO = 0;

/** `ping`: a probe. `node` is the name the sender expects to reach (protocol ≥ 2). Source* only with omitempty (set by newer peers for a direct reply). */
export interface Ping {
  seqNo: number;
  node: string;
  sourceAddr?: Uint8Array | null;
  sourcePort?: number;
  sourceNode?: string;
}
/** `indirectPingReq`: ask a peer to probe `target:port` on our behalf. */
export interface IndirectPing {
  seqNo: number;
  target: Uint8Array;
  port: number;
  node: string;
  nack: boolean;
  sourceAddr?: Uint8Array | null;
  sourcePort?: number;
  sourceNode?: string;
}
/** `ackResp`: answers a ping; `payload` is the ping delegate's data (nil without one). */
export interface AckResp {
  seqNo: number;
  payload: Uint8Array | null;
}
/** `nackResp`: an indirect prober could not reach the target. */
export interface NackResp {
  seqNo: number;
}
/** `errResp`: a stream peer refused the request. */
export interface ErrResp {
  error: string;
}
/** `suspect`: `from` suspects `node` at `incarnation`. */
export interface Suspect {
  incarnation: number;
  node: string;
  from: string;
}
/** `alive`: `node` is alive at `incarnation`, reachable at addr:port, with its meta and protocol versions [pmin,pmax,pcur,dmin,dmax,dcur]. */
export interface Alive {
  incarnation: number;
  node: string;
  addr: Uint8Array | null;
  port: number;
  meta: Uint8Array | null;
  vsn: Uint8Array | null;
}
/** `dead`: `from` declares `node` dead at `incarnation` (from === node: it left). */
export interface Dead {
  incarnation: number;
  node: string;
  from: string;
}
/** `pushPullHeader`: starts a push/pull state exchange on a stream. */
export interface PushPullHeader {
  nodes: number;
  userStateLen: number;
  join: boolean;
}
/** `userMsgHeader`: starts a user message on a stream. */
export interface UserMsgHeader {
  userMsgLen: number;
}
/** `pushNodeState`: one node of a push/pull exchange. */
export interface PushNodeState {
  name: string;
  addr: Uint8Array | null;
  port: number;
  meta: Uint8Array | null;
  incarnation: number;
  state: NodeStateType;
  vsn: Uint8Array | null;
}
/** `compress`: an LZW-compressed message. */
export interface Compress {
  algo: number;
  buf: Uint8Array | null;
}

function omitEmptySource(w: MsgpackWriter, m: { sourceAddr?: Uint8Array | null; sourcePort?: number; sourceNode?: string }): void {
  if (m.sourceAddr && m.sourceAddr.length > 0) w.str('SourceAddr').bytes(m.sourceAddr);
  if (m.sourcePort) w.str('SourcePort').int(m.sourcePort);
  if (m.sourceNode) w.str('SourceNode').str(m.sourceNode);
}

function sourceCount(m: { sourceAddr?: Uint8Array | null; sourcePort?: number; sourceNode?: string }): number {
  return (m.sourceAddr && m.sourceAddr.length > 0 ? 1 : 0) + (m.sourcePort ? 1 : 0) + (m.sourceNode ? 1 : 0);
}

/** Writes a ping body (no type byte). */
export function writePing(w: MsgpackWriter, m: Ping): MsgpackWriter {
  w.map(2 + sourceCount(m)).str('SeqNo').int(m.seqNo).str('Node').str(m.node);
  omitEmptySource(w, m);
  return w;
}
/** Writes an indirectPingReq body. */
export function writeIndirectPing(w: MsgpackWriter, m: IndirectPing): MsgpackWriter {
  w.map(5 + sourceCount(m)).str('SeqNo').int(m.seqNo).str('Target').bytes(m.target).str('Port').int(m.port);
  w.str('Node').str(m.node).str('Nack').bool(m.nack);
  omitEmptySource(w, m);
  return w;
}
/** Writes an ackResp body. */
export function writeAck(w: MsgpackWriter, m: AckResp): MsgpackWriter {
  return w.map(2).str('SeqNo').int(m.seqNo).str('Payload').bytes(m.payload);
}
/** Writes a nackResp body. */
export function writeNack(w: MsgpackWriter, m: NackResp): MsgpackWriter {
  return w.map(1).str('SeqNo').int(m.seqNo);
}
/** Writes an errResp body. */
export function writeErr(w: MsgpackWriter, m: ErrResp): MsgpackWriter {
  return w.map(1).str('Error').str(m.error);
}
/** Writes a suspect body. */
export function writeSuspect(w: MsgpackWriter, m: Suspect): MsgpackWriter {
  return w.map(3).str('Incarnation').int(m.incarnation).str('Node').str(m.node).str('From').str(m.from);
}
/** Writes an alive body. */
export function writeAlive(w: MsgpackWriter, m: Alive): MsgpackWriter {
  w.map(6).str('Incarnation').int(m.incarnation).str('Node').str(m.node).str('Addr').bytes(m.addr);
  return w.str('Port').int(m.port).str('Meta').bytes(m.meta).str('Vsn').bytes(m.vsn);
}
/** Writes a dead body. */
export function writeDead(w: MsgpackWriter, m: Dead): MsgpackWriter {
  return w.map(3).str('Incarnation').int(m.incarnation).str('Node').str(m.node).str('From').str(m.from);
}
/** Writes a pushPullHeader. */
export function writePushPullHeader(w: MsgpackWriter, m: PushPullHeader): MsgpackWriter {
  return w.map(3).str('Nodes').int(m.nodes).str('UserStateLen').int(m.userStateLen).str('Join').bool(m.join);
}
/** Writes a userMsgHeader. */
export function writeUserMsgHeader(w: MsgpackWriter, m: UserMsgHeader): MsgpackWriter {
  return w.map(1).str('UserMsgLen').int(m.userMsgLen);
}
/** Writes a pushNodeState. */
export function writePushNodeState(w: MsgpackWriter, m: PushNodeState): MsgpackWriter {
  w.map(7).str('Name').str(m.name).str('Addr').bytes(m.addr).str('Port').int(m.port).str('Meta').bytes(m.meta);
  return w.str('Incarnation').int(m.incarnation).str('State').int(m.state).str('Vsn').bytes(m.vsn);
}
/** Writes a compress body. */
export function writeCompress(w: MsgpackWriter, m: Compress): MsgpackWriter {
  return w.map(2).str('Algo').int(m.algo).str('Buf').bytes(m.buf);
}

/** Reads a ping body. */
export function readPing(s: MsgStruct): Ping {
  const out: Ping = { seqNo: s.int('SeqNo'), node: s.str('Node') };
  const sa = s.bytes('SourceAddr');
  if (sa) out.sourceAddr = sa;
  if (s.int('SourcePort')) out.sourcePort = s.int('SourcePort');
  if (s.str('SourceNode')) out.sourceNode = s.str('SourceNode');
  return out;
}
/** Reads an indirectPingReq body. */
export function readIndirectPing(s: MsgStruct): IndirectPing {
  const out: IndirectPing = { seqNo: s.int('SeqNo'), target: s.bytes('Target') ?? new Uint8Array(0), port: s.int('Port'), node: s.str('Node'), nack: s.bool('Nack') };
  const sa = s.bytes('SourceAddr');
  if (sa) out.sourceAddr = sa;
  if (s.int('SourcePort')) out.sourcePort = s.int('SourcePort');
  if (s.str('SourceNode')) out.sourceNode = s.str('SourceNode');
  return out;
}
/** Reads an ackResp body. */
export function readAck(s: MsgStruct): AckResp {
  return { seqNo: s.int('SeqNo'), payload: s.bytes('Payload') };
}
/** Reads a nackResp body. */
export function readNack(s: MsgStruct): NackResp {
  return { seqNo: s.int('SeqNo') };
}
/** Reads an errResp body. */
export function readErr(s: MsgStruct): ErrResp {
  return { error: s.str('Error') };
}
/** Reads a suspect body. */
export function readSuspect(s: MsgStruct): Suspect {
  return { incarnation: s.int('Incarnation'), node: s.str('Node'), from: s.str('From') };
}
/** Reads an alive body. */
export function readAlive(s: MsgStruct): Alive {
  return { incarnation: s.int('Incarnation'), node: s.str('Node'), addr: s.bytes('Addr'), port: s.int('Port'), meta: s.bytes('Meta'), vsn: s.bytes('Vsn') };
}
/** Reads a dead body. */
export function readDead(s: MsgStruct): Dead {
  return { incarnation: s.int('Incarnation'), node: s.str('Node'), from: s.str('From') };
}
/** Reads a pushPullHeader. */
export function readPushPullHeader(s: MsgStruct): PushPullHeader {
  return { nodes: s.int('Nodes'), userStateLen: s.int('UserStateLen'), join: s.bool('Join') };
}
/** Reads a userMsgHeader. */
export function readUserMsgHeader(s: MsgStruct): UserMsgHeader {
  return { userMsgLen: s.int('UserMsgLen') };
}
/** Reads a pushNodeState. */
export function readPushNodeState(s: MsgStruct): PushNodeState {
  return {
    name: s.str('Name'),
    addr: s.bytes('Addr'),
    port: s.int('Port'),
    meta: s.bytes('Meta'),
    incarnation: s.int('Incarnation'),
    state: s.int('State') as NodeStateType,
    vsn: s.bytes('Vsn'),
  };
}
/** Reads a compress body. */
export function readCompress(s: MsgStruct): Compress {
  return { algo: s.int('Algo'), buf: s.bytes('Buf') };
}

/** A decoded packet-plane message (after CRC, decryption, compound and compression are unwrapped). */
export type Message =
  | { type: typeof MessageType.Ping; body: Ping }
  | { type: typeof MessageType.IndirectPing; body: IndirectPing }
  | { type: typeof MessageType.AckResp; body: AckResp }
  | { type: typeof MessageType.NackResp; body: NackResp }
  | { type: typeof MessageType.Suspect; body: Suspect }
  | { type: typeof MessageType.Alive; body: Alive }
  | { type: typeof MessageType.Dead; body: Dead }
  | { type: typeof MessageType.User; body: Uint8Array }
  | { type: typeof MessageType.Err; body: ErrResp };

/** Encodes one message: its type byte then its msgpack body (a user message's body is raw bytes). */
export function encodeMessage(m: Message): Uint8Array {
  const w = new MsgpackWriter().byte(m.type);
  switch (m.type) {
    case MessageType.Ping:
      return writePing(w, m.body).finish();
    case MessageType.IndirectPing:
      return writeIndirectPing(w, m.body).finish();
    case MessageType.AckResp:
      return writeAck(w, m.body).finish();
    case MessageType.NackResp:
      return writeNack(w, m.body).finish();
    case MessageType.Suspect:
      return writeSuspect(w, m.body).finish();
    case MessageType.Alive:
      return writeAlive(w, m.body).finish();
    case MessageType.Dead:
      return writeDead(w, m.body).finish();
    case MessageType.User:
      return w.rawBytes(m.body).finish();
    case MessageType.Err:
      return writeErr(w, m.body).finish();
  }
}

/** Decodes one single (non-compound, non-compressed) message: type byte + body. Throws TRANSPORT_FAILED on an unknown type or a malformed body. */
export function decodeMessage(buf: Uint8Array): Message {
  if (buf.length < 1) throw new SextantError(ErrorCode.TransportFailed, 'memberlist: empty message', { reason: 'empty' });
  const type = buf[0]!;
  const body = buf.subarray(1);
  if (type === MessageType.User) return { type, body: body.slice() };
  const s = MsgStruct.of(decodeMsgpack(body).value, `message type ${type}`);
  switch (type) {
    case MessageType.Ping:
      return { type, body: readPing(s) };
    case MessageType.IndirectPing:
      return { type, body: readIndirectPing(s) };
    case MessageType.AckResp:
      return { type, body: readAck(s) };
    case MessageType.NackResp:
      return { type, body: readNack(s) };
    case MessageType.Suspect:
      return { type, body: readSuspect(s) };
    case MessageType.Alive:
      return { type, body: readAlive(s) };
    case MessageType.Dead:
      return { type, body: readDead(s) };
    case MessageType.Err:
      return { type, body: readErr(s) };
    default:
      throw new SextantError(ErrorCode.TransportFailed, `memberlist: unexpected message type ${type}`, { reason: 'type', type });
  }
}
