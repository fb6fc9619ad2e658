import { describe, expect, it } from 'vitest';
import { ErrorCode, SextantError, isSextantError } from '../../../contracts/errors.js';
import { decodeRpcReply, decodeRpcRequest, encodeRpcError, encodeRpcReply, encodeRpcRequest } from '../../../src/rpc/rpc-codec.js';

describe('RPC wire format', () => {
  it('carries a request with its context (minus the abort signal) and hop count', () => {
    const signal = new AbortController().signal;
    const frame = encodeRpcRequest('KVS.Get', { key: 'a/b' }, { minIndex: 9, waitMs: 1000, consistency: 'consistent', datacenter: 'dc1', token: 't', signal }, 1);
    const req = decodeRpcRequest(frame);
    expect(req).toEqual({ method: 'KVS.Get', args: { key: 'a/b' }, ctx: { minIndex: 9, waitMs: 1000, consistency: 'consistent', datacenter: 'dc1', token: 't' }, hops: 1 });
  });

  it('keeps bytes as bytes and leaves undefined fields out, so a record reads back as written', () => {
    const reply = { value: { key: 'k', value: new Uint8Array([0, 255, 7]), session: undefined, flags: '18446744073709551615' }, meta: { index: 3, knownLeader: true, lastContactMs: 0 } };
    const back = decodeRpcReply(encodeRpcReply(reply)) as typeof reply;
    expect(back.value.value).toBeInstanceOf(Uint8Array);
    expect([...back.value.value]).toEqual([0, 255, 7]);
    expect('session' in back.value).toBe(false);
    expect(back.value.flags).toBe('18446744073709551615');
    expect(decodeRpcReply(encodeRpcReply(false))).toBe(false);
    expect(decodeRpcReply(encodeRpcReply(null))).toBeNull();
  });

  it('carries the leader the answering server knows, on replies and on errors', () => {
    const heard: (string | undefined)[] = [];
    const note = (l: string | undefined): number => heard.push(l);
    expect(decodeRpcReply(encodeRpcReply(true, '10.0.0.1:8300'), note)).toBe(true);
    expect(decodeRpcReply(encodeRpcReply(true), note)).toBe(true);
    expect(() => decodeRpcReply(encodeRpcError(new SextantError(ErrorCode.NotLeader, 'x'), '10.0.0.2:8300'), note)).toThrow('x');
    expect(heard).toEqual(['10.0.0.1:8300', undefined, '10.0.0.2:8300']);
  });

  it("rethrows the server's error with its code, text and details; anything else as INTERNAL", () => {
    const e = new SextantError(ErrorCode.NotLeader, 'this server is not the raft leader', { leader: '10.0.0.1:8300' });
    let thrown: unknown;
    try {
      decodeRpcReply(encodeRpcError(e));
    } catch (x) {
      thrown = x;
    }
    expect(isSextantError(thrown, ErrorCode.NotLeader)).toBe(true);
    expect((thrown as SextantError).message).toBe('this server is not the raft leader');
    expect((thrown as SextantError).details).toEqual({ leader: '10.0.0.1:8300' });
    expect(() => decodeRpcReply(encodeRpcError(new TypeError('boom')))).toThrow(expect.objectContaining({ code: ErrorCode.Internal, message: 'boom' }));
  });

  it('refuses frames that are not RPC records', () => {
    expect(() => decodeRpcRequest(new Uint8Array([0xc1]))).toThrow(expect.objectContaining({ code: ErrorCode.CommandInvalid }));
    expect(() => decodeRpcRequest(encodeRpcReply(1))).toThrow(expect.objectContaining({ code: ErrorCode.CommandInvalid }));
  });
});
