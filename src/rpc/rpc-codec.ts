import { Decoder, Encoder } from '@msgpack/msgpack';
import { ErrorCode, SextantError, isSextantError } from '../../contracts/errors.js';
import type { QueryOptions } from '../../contracts/model/query.js';

/**
 * The RPC wire format (stream protocol Rpc): a request is a msgpack record
 * `{v: 1, m: method, a: args, c: context, h: hops}`; the reply is `{v: 1, r: reply}` or
 * `{v: 1, e: {code, message, details}}`, either with `l`: the RPC address of the Raft leader as
 * the answering server knows it (a client agent sends its leader-bound requests there next, see
 * ServerPool.noteLeader). The context travels without its AbortSignal (the
 * transport carries cancellation); fields that are undefined are left out, so a record reads
 * back exactly as it was written.
 */

/** The record version this codec writes and reads. */
const V1 = 1;

/** A decoded request. */
export interface RpcRequestFrame {
  method: string;
  args: unknown;
  ctx: QueryOptions;
  /** How many servers already forwarded it (bounds forwarding loops during an election). */
  hops: number;
}

/** One encoder and decoder for every frame (the library's encode()/decode() build one per call). */
const encoder = new Encoder({ ignoreUndefined: true });
const decoder = new Decoder();

/** Encodes a request; `ctx.signal` is dropped. */
export function encodeRpcRequest(method: string, args: unknown, ctx: QueryOptions, hops: number): Uint8Array {
  const { signal: _signal, ...wire } = ctx;
  return encoder.encode({ v: V1, m: method, a: args, c: wire, h: hops });
}

/** Decodes a request; COMMAND_INVALID when the bytes are not one. */
export function decodeRpcRequest(frame: Uint8Array): RpcRequestFrame {
  const raw = decodeRecord(frame);
  const c = raw['c'];
  if (raw['v'] !== V1 || typeof raw['m'] !== 'string' || typeof c !== 'object' || c === null || typeof raw['h'] !== 'number') {
    throw new SextantError(ErrorCode.CommandInvalid, 'malformed RPC request');
  }
  const ctx = c as QueryOptions;
  if (typeof ctx.minIndex !== 'number' || typeof ctx.waitMs !== 'number' || typeof ctx.consistency !== 'string') {
    throw new SextantError(ErrorCode.CommandInvalid, 'malformed RPC request context');
  }
  return { method: raw['m'], args: raw['a'] ?? {}, ctx, hops: raw['h'] };
}

/** Encodes a successful reply; `leader`: the leader's RPC address as this server knows it. */
export function encodeRpcReply(reply: unknown, leader?: string): Uint8Array {
  return encoder.encode({ v: V1, r: reply, l: leader });
}

/** Encodes a failure: a SextantError keeps its code, message and details; anything else is INTERNAL. `leader` as encodeRpcReply. */
export function encodeRpcError(e: unknown, leader?: string): Uint8Array {
  const err = isSextantError(e)
    ? { code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) }
    : { code: ErrorCode.Internal, message: e instanceof Error ? e.message : String(e) };
  return encoder.encode({ v: V1, e: err, l: leader });
}

/**
 * Decodes a reply: returns the value, or throws the SextantError the server answered with.
 * `onLeader` hears the leader address the reply carries (or undefined when the server knew none),
 * before the value returns or the error is thrown.
 */
export function decodeRpcReply(frame: Uint8Array, onLeader?: (leader: string | undefined) => void): unknown {
  const raw = decodeRecord(frame);
  if (raw['v'] !== V1) throw new SextantError(ErrorCode.CommandInvalid, 'malformed RPC reply');
  if (onLeader) onLeader(typeof raw['l'] === 'string' && raw['l'] !== '' ? raw['l'] : undefined);
  const e = raw['e'] as { code?: unknown; message?: unknown; details?: unknown } | undefined;
  if (e !== undefined) {
    const code = typeof e.code === 'string' && (Object.values(ErrorCode) as string[]).includes(e.code) ? (e.code as ErrorCode) : ErrorCode.Internal;
    const details = typeof e.details === 'object' && e.details !== null ? (e.details as Record<string, unknown>) : undefined;
    throw new SextantError(code, typeof e.message === 'string' ? e.message : 'RPC failed', details);
  }
  return raw['r'] ?? null;
}

function decodeRecord(frame: Uint8Array): Record<string, unknown> {
  let raw: unknown;
  try {
    raw = decoder.decode(frame);
  } catch (e) {
    throw new SextantError(ErrorCode.CommandInvalid, `undecodable RPC frame: ${(e as Error).message}`, undefined, { cause: e });
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new SextantError(ErrorCode.CommandInvalid, 'RPC frame is not a record');
  return raw as Record<string, unknown>;
}
