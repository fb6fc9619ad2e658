import { Decoder, Encoder } from '@msgpack/msgpack';
import { ErrorCode, SextantError } from '../../contracts/errors.js';
import type { LogEntry, LogEntryType } from '../../contracts/ports/log-store.js';
import type { RaftMessage } from './raft-message.js';
import { RAFT_MESSAGE_TYPES } from './raft-message.js';

/** Wire version of a Raft frame. A decoder must keep accepting every version it ever wrote. */
export const RAFT_WIRE_VERSION = 1;

/** First byte of every Raft frame, so a transport shared with other protocols can tell them apart. */
export const RAFT_FRAME_TAG = 0x52; // 'R'

/** One encoder and decoder for every frame: the library's encode()/decode() build a new one
 * (a 2 KB buffer, a key cache) per call. Both are synchronous and guard re-entrance. */
const encoder = new Encoder();
const decoder = new Decoder();

type Wire = [version: number, type: number, from: string, to: string, term: number, body: unknown[]];

function encodeEntries(entries: readonly LogEntry[]): unknown[] {
  return entries.map((e) => [e.index, e.term, e.type, e.data]);
}

function fail(what: string): never {
  throw new SextantError(ErrorCode.BadRequest, `malformed raft frame: ${what}`);
}

function num(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(what);
  return v;
}

function str(v: unknown, what: string): string {
  if (typeof v !== 'string') fail(what);
  return v;
}

function bytes(v: unknown, what: string): Uint8Array {
  if (!(v instanceof Uint8Array)) fail(what);
  return v;
}

function bool(v: unknown, what: string): boolean {
  if (typeof v !== 'boolean') fail(what);
  return v;
}

function decodeEntries(v: unknown): LogEntry[] {
  if (!Array.isArray(v)) fail('entries');
  return v.map((e: unknown) => {
    if (!Array.isArray(e)) fail('entry');
    return {
      index: num(e[0], 'entry index'),
      term: num(e[1], 'entry term'),
      type: num(e[2], 'entry type') as LogEntryType,
      data: bytes(e[3], 'entry data'),
    };
  });
}

/** Encodes a Raft message as one binary frame (tag byte + msgpack). */
export function encodeRaftMessage(m: RaftMessage): Uint8Array {
  let body: unknown[];
  switch (m.type) {
    case 'preVote':
      body = [m.lastIndex, m.lastTerm];
      break;
    case 'vote':
      body = m.transfer ? [m.lastIndex, m.lastTerm, true] : [m.lastIndex, m.lastTerm];
      break;
    case 'timeoutNow':
      body = [];
      break;
    case 'preVoteResp':
    case 'voteResp':
      body = [m.reject];
      break;
    case 'append':
      body = [m.prevIndex, m.prevTerm, m.commit, encodeEntries(m.entries)];
      break;
    case 'appendResp':
      body = [m.reject, m.index, m.hintIndex, m.hintTerm];
      break;
    case 'heartbeat':
      body = [m.commit, m.context];
      break;
    case 'heartbeatResp':
      body = [m.context];
      break;
    case 'snapshot':
      body = [m.snapshot.meta.lastIndex, m.snapshot.meta.lastTerm, m.snapshot.meta.configuration, m.snapshot.data];
      break;
  }
  const wire: Wire = [RAFT_WIRE_VERSION, RAFT_MESSAGE_TYPES.indexOf(m.type), m.from, m.to, m.term, body];
  const packed = encoder.encodeSharedRef(wire); // a view of the encoder's buffer: copied at once below
  const out = new Uint8Array(packed.length + 1);
  out[0] = RAFT_FRAME_TAG;
  out.set(packed, 1);
  return out;
}

/** Decodes a frame written by encodeRaftMessage. Throws BAD_REQUEST on anything malformed
 * or of an unknown version. */
export function decodeRaftMessage(frame: Uint8Array): RaftMessage {
  if (frame.length < 2 || frame[0] !== RAFT_FRAME_TAG) fail('missing raft tag');
  let raw: unknown;
  try {
    raw = decoder.decode(frame.subarray(1));
  } catch {
    fail('not msgpack');
  }
  if (!Array.isArray(raw) || raw.length !== 6) fail('envelope');
  const [version, typeNo, fromRaw, toRaw, termRaw, bodyRaw] = raw as unknown[];
  if (version !== RAFT_WIRE_VERSION) fail(`unsupported version ${String(version)}`);
  const type = RAFT_MESSAGE_TYPES[num(typeNo, 'type')];
  if (type === undefined) fail('unknown type');
  const from = str(fromRaw, 'from');
  const to = str(toRaw, 'to');
  const term = num(termRaw, 'term');
  if (!Array.isArray(bodyRaw)) fail('body');
  const b = bodyRaw as unknown[];
  // Object literals, not `{ ...base, type, ... }`: V8 adds each property after a spread on a
  // slow path (~0.4 µs each; the spread made this the leader's costliest function of its own).
  switch (type) {
    case 'preVote':
      return { type, from, to, term, lastIndex: num(b[0], 'lastIndex'), lastTerm: num(b[1], 'lastTerm') };
    case 'vote':
      return b[2] === true
        ? { type, from, to, term, lastIndex: num(b[0], 'lastIndex'), lastTerm: num(b[1], 'lastTerm'), transfer: true }
        : { type, from, to, term, lastIndex: num(b[0], 'lastIndex'), lastTerm: num(b[1], 'lastTerm') };
    case 'timeoutNow':
      return { type, from, to, term };
    case 'preVoteResp':
    case 'voteResp':
      return { type, from, to, term, reject: bool(b[0], 'reject') };
    case 'append':
      return {
        type,
        from,
        to,
        term,
        prevIndex: num(b[0], 'prevIndex'),
        prevTerm: num(b[1], 'prevTerm'),
        commit: num(b[2], 'commit'),
        entries: decodeEntries(b[3]),
      };
    case 'appendResp':
      return {
        type,
        from,
        to,
        term,
        reject: bool(b[0], 'reject'),
        index: num(b[1], 'index'),
        hintIndex: num(b[2], 'hintIndex'),
        hintTerm: num(b[3], 'hintTerm'),
      };
    case 'heartbeat':
      return { type, from, to, term, commit: num(b[0], 'commit'), context: str(b[1], 'context') };
    case 'heartbeatResp':
      return { type, from, to, term, context: str(b[0], 'context') };
    case 'snapshot':
      return {
        type,
        from,
        to,
        term,
        snapshot: {
          meta: { lastIndex: num(b[0], 'lastIndex'), lastTerm: num(b[1], 'lastTerm'), configuration: bytes(b[2], 'configuration') },
          data: bytes(b[3], 'data'),
        },
      };
  }
}
