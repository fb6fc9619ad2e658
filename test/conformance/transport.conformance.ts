import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, isSextantError, type SextantError } from '../../contracts/errors.js';
import type { PacketTransport, ProtocolHandlers, StreamTransport } from '../../contracts/ports/transport.js';

/** Two started transports that can reach each other, plus how to drive and tear them down. */
export interface TransportPair<T extends { close(): Promise<void> } = StreamTransport> {
  a: T;
  b: T;
  /** Releases whatever the fixture created besides the transports (called after both are closed). */
  cleanup: () => Promise<void>;
  /** An address in the adapter's format at which nothing listens. */
  unreachable: string;
  /**
   * Present when the adapter runs on a ManualClock: moves its time forward by `ms`, firing due
   * timers. The suite then drives delivery and timeouts through it instead of waiting real time.
   */
  advance?: (ms: number) => void;
}

const enc = new TextEncoder();
const dec = new TextDecoder();
const bytes = (s: string): Uint8Array => enc.encode(s);
const text = (b: Uint8Array): string => dec.decode(b);
const macrotask = (): Promise<void> => new Promise((r) => setImmediate(r));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Outcome of a promise without leaving a rejection unhandled. */
async function outcome<T>(p: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  return p.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

function expectCode(o: { ok: boolean; error?: unknown }, code: ErrorCode): SextantError {
  expect(o.ok, `expected a rejection with ${code}`).toBe(false);
  expect(isSextantError(o.error, code), `expected ${code}, got ${String(o.error)}`).toBe(true);
  return o.error as SextantError;
}

/** The protocol the stream tests use, and a second one that shares the listener. */
const P = 1;
const Q = 0;

/**
 * The stream plane of the Transport contract (contracts/ports/transport.ts), run against one
 * adapter. `makePair` is called once per test and returns two started transports on a
 * fault-free network. Adapters on a ManualClock pass `advance`; everything else runs in real time.
 */
export function describeStreamTransportConformance(name: string, makePair: () => Promise<TransportPair>): void {
  describe(`Stream transport conformance: ${name}`, () => {
    const live: TransportPair[] = [];

    async function pair(): Promise<TransportPair> {
      const p = await makePair();
      live.push(p);
      return p;
    }

    /** Protocol P's handlers on `t`, replacing those this suite registered before. */
    const registered = new Map<StreamTransport, () => void>();
    function on(t: StreamTransport, h: ProtocolHandlers): void {
      registered.get(t)?.();
      registered.set(t, t.handle(P, h));
    }
    const onMsg = (t: StreamTransport, h: NonNullable<ProtocolHandlers['onMessage']>): void => on(t, { onMessage: h });
    const onReq = (t: StreamTransport, h: NonNullable<ProtocolHandlers['onRequest']>): void => on(t, { onRequest: h });

    afterEach(async () => {
      registered.clear();
      for (const p of live.splice(0)) {
        await p.a.close();
        await p.b.close();
        await p.cleanup();
      }
    });

    /** Lets time pass: real time, or manual ticks of 1 ms with event-loop turns between. */
    async function pass(p: TransportPair, ms: number): Promise<void> {
      if (!p.advance) {
        await sleep(ms);
        return;
      }
      for (let i = 0; i < ms; i++) {
        p.advance(1);
        await macrotask();
      }
    }

    /** Waits (driving time) until `pred()` holds; fails after `limitMs`. */
    async function until(p: TransportPair, pred: () => boolean, limitMs = 5000): Promise<void> {
      for (let waited = 0; !pred(); waited += 5) {
        if (waited > limitMs) throw new Error('condition not reached in time');
        await pass(p, 5);
      }
    }

    /** Settles `req` (driving time when manual) and returns its outcome. */
    async function settle<T>(p: TransportPair, req: Promise<T>, limitMs = 10_000): Promise<Awaited<ReturnType<typeof outcome<T>>>> {
      let done = false;
      const o = outcome(req).then((r) => {
        done = true;
        return r;
      });
      if (p.advance) await until(p, () => done, limitMs);
      return o;
    }

    it('delivers a message with `from` set to the sender localAddress, in both directions', async () => {
      const p = await pair();
      const atB: [string, string][] = [];
      const atA: [string, string][] = [];
      onMsg(p.b, (from, f) => atB.push([from, text(f)]));
      onMsg(p.a, (from, f) => atA.push([from, text(f)]));
      p.a.send(p.b.localAddress, P, bytes('hello b'));
      p.b.send(p.a.localAddress, P, bytes('hello a'));
      await until(p, () => atB.length === 1 && atA.length === 1);
      expect(atB).toEqual([[p.a.localAddress, 'hello b']]);
      expect(atA).toEqual([[p.b.localAddress, 'hello a']]);
    });

    it('delivers every one of many messages; handlers unregistered before get nothing', async () => {
      const p = await pair();
      const first: string[] = [];
      const second: string[] = [];
      onMsg(p.b, (_f, m) => first.push(text(m)));
      onMsg(p.b, (_f, m) => second.push(text(m)));
      for (let i = 0; i < 100; i++) p.a.send(p.b.localAddress, P, bytes(`m${i}`));
      await until(p, () => second.length === 100);
      expect(first).toEqual([]);
      expect(new Set(second)).toEqual(new Set(Array.from({ length: 100 }, (_, i) => `m${i}`)));
    });

    it('copies the frame: mutating it after send does not change what arrives', async () => {
      const p = await pair();
      const got: string[] = [];
      onMsg(p.b, (_f, m) => got.push(text(m)));
      const frame = bytes('original');
      p.a.send(p.b.localAddress, P, frame);
      frame.fill(0x58);
      await until(p, () => got.length === 1);
      expect(got).toEqual(['original']);
    });

    it('round-trips a request, passing `from` = the requester localAddress to the handler', async () => {
      const p = await pair();
      const seen: string[] = [];
      onReq(p.b, async (from, f) => {
        seen.push(from);
        return bytes(`echo:${text(f)}`);
      });
      const o = await settle(p, p.a.request(p.b.localAddress, P, bytes('ping'), { timeoutMs: 5000 }));
      expect(o.ok).toBe(true);
      expect(o.ok && text(o.value)).toBe('echo:ping');
      expect(seen).toEqual([p.a.localAddress]);
    });

    it('rejects with TRANSPORT_FAILED carrying the remote message when the handler rejects or throws', async () => {
      const p = await pair();
      onReq(p.b, async () => {
        throw new Error('boom: key not found');
      });
      const e1 = expectCode(await settle(p, p.a.request(p.b.localAddress, P, bytes('x'), { timeoutMs: 5000 })), ErrorCode.TransportFailed);
      expect(e1.message).toContain('boom: key not found');
      onReq(p.b, () => {
        throw new Error('sync failure in handler');
      });
      const e2 = expectCode(await settle(p, p.a.request(p.b.localAddress, P, bytes('x'), { timeoutMs: 5000 })), ErrorCode.TransportFailed);
      expect(e2.message).toContain('sync failure in handler');
      // the link still works afterwards
      onReq(p.b, async () => bytes('fine'));
      const o = await settle(p, p.a.request(p.b.localAddress, P, bytes('x'), { timeoutMs: 5000 }));
      expect(o.ok && text(o.value)).toBe('fine');
    });

    it('rejects with TRANSPORT_FAILED when the peer has no request handler', async () => {
      const p = await pair();
      expectCode(await settle(p, p.a.request(p.b.localAddress, P, bytes('x'), { timeoutMs: 5000 })), ErrorCode.TransportFailed);
    });

    it('rejects with TIMEOUT after timeoutMs, ignores the late response and keeps working', async () => {
      const p = await pair();
      let release: ((b: Uint8Array) => void) | undefined;
      onReq(p.b, () => new Promise<Uint8Array>((r) => (release = r)));
      const started = p.advance ? 0 : performance.now();
      const o = await settle(p, p.a.request(p.b.localAddress, P, bytes('slow'), { timeoutMs: 150 }));
      const err = expectCode(o, ErrorCode.Timeout);
      expect(err.message).toContain('150');
      if (!p.advance) expect(performance.now() - started).toBeGreaterThanOrEqual(140);
      await until(p, () => release !== undefined);
      release!(bytes('too late'));
      await pass(p, 20);
      onReq(p.b, async () => bytes('on time'));
      const again = await settle(p, p.a.request(p.b.localAddress, P, bytes('fast'), { timeoutMs: 5000 }));
      expect(again.ok && text(again.value)).toBe('on time');
    });

    it('does not throw when sending to an unreachable address; requests there fail with TRANSPORT_FAILED', async () => {
      const p = await pair();
      expect(() => {
        for (let i = 0; i < 50; i++) p.a.send(p.unreachable, P, bytes(`lost ${i}`));
      }).not.toThrow();
      const o = await settle(p, p.a.request(p.unreachable, P, bytes('anyone?'), { timeoutMs: 4000 }));
      expectCode(o, ErrorCode.TransportFailed);
      // the transport is unharmed
      const got: string[] = [];
      onMsg(p.b, (_f, m) => got.push(text(m)));
      p.a.send(p.b.localAddress, P, bytes('still here'));
      await until(p, () => got.length === 1);
      expect(got).toEqual(['still here']);
    });

    it('close rejects pending requests with SHUTDOWN, is idempotent, and later calls fail safely', async () => {
      const p = await pair();
      let arrived = 0;
      onReq(p.b, () => {
        arrived++;
        return new Promise<Uint8Array>(() => undefined);
      });
      const pending = [1, 2, 3].map(() => outcome(p.a.request(p.b.localAddress, P, bytes('wait'), { timeoutMs: 60_000 })));
      await until(p, () => arrived === 3);
      await p.a.close();
      await p.a.close();
      for (const o of await Promise.all(pending)) expectCode(o, ErrorCode.Shutdown);
      expectCode(await outcome(p.a.request(p.b.localAddress, P, bytes('after'), { timeoutMs: 1000 })), ErrorCode.Shutdown);
      expect(() => p.a.send(p.b.localAddress, P, bytes('after'))).not.toThrow();
      await Promise.all([p.b.close(), p.b.close()]);
    });

    it('round-trips 5 MB frames byte-exact as requests, responses and messages', async () => {
      const p = await pair();
      const big = new Uint8Array(randomBytes(5 * 1024 * 1024));
      const reversed = big.slice().reverse();
      let received: Uint8Array | undefined;
      on(p.b, { onRequest: async (_f, f) => f.slice().reverse(), onMessage: (_f, m) => (received = m.slice()) });
      const o = await settle(p, p.a.request(p.b.localAddress, P, big, { timeoutMs: 20_000 }), 20_000);
      expect(o.ok).toBe(true);
      expect(o.ok && Buffer.from(o.value).equals(Buffer.from(reversed))).toBe(true);
      p.a.send(p.b.localAddress, P, big);
      await until(p, () => received !== undefined, 20_000);
      expect(Buffer.from(received!).equals(Buffer.from(big))).toBe(true);
    });

    it('correlates many concurrent requests answered out of order', async () => {
      const p = await pair();
      onReq(p.b, async (_from, f) => {
        const n = Number(text(f));
        for (let i = 0; i < (n * 7) % 13; i++) await macrotask();
        return bytes(`r${n}:${'x'.repeat(n % 50)}`);
      });
      onReq(p.a, async (_from, f) => bytes(`a${text(f)}`));
      const reqs = Array.from({ length: 300 }, (_, n) => outcome(p.a.request(p.b.localAddress, P, bytes(String(n)), { timeoutMs: 10_000 })));
      const back = Array.from({ length: 20 }, (_, n) => outcome(p.b.request(p.a.localAddress, P, bytes(String(n)), { timeoutMs: 10_000 })));
      const all = await settle(p, Promise.all([Promise.all(reqs), Promise.all(back)]));
      expect(all.ok).toBe(true);
      const [results, replies] = all.ok ? all.value : [[], []];
      expect(results).toHaveLength(300);
      results.forEach((o, n) => {
        expect(o.ok, `request ${n}`).toBe(true);
        expect(o.ok && text(o.value)).toBe(`r${n}:${'x'.repeat(n % 50)}`);
      });
      expect(replies.map((o) => o.ok && text(o.value))).toEqual(Array.from({ length: 20 }, (_, n) => `a${n}`));
    });
    it('several protocols share one listener, each reaching only its own handlers', async () => {
      const p = await pair();
      const atP: string[] = [];
      const atQ: string[] = [];
      on(p.b, { onMessage: (_f, m) => atP.push(text(m)), onRequest: async (_f, m) => bytes(`P:${text(m)}`) });
      const offQ = p.b.handle(Q, { onMessage: (_f, m) => atQ.push(text(m)), onRequest: async (_f, m) => bytes(`Q:${text(m)}`) });
      p.a.send(p.b.localAddress, P, bytes('to-p'));
      p.a.send(p.b.localAddress, Q, bytes('to-q'));
      await until(p, () => atP.length === 1 && atQ.length === 1);
      expect([atP, atQ]).toEqual([['to-p'], ['to-q']]);
      const rp = await settle(p, p.a.request(p.b.localAddress, P, bytes('x'), { timeoutMs: 5000 }));
      const rq = await settle(p, p.a.request(p.b.localAddress, Q, bytes('y'), { timeoutMs: 5000 }));
      expect([rp.ok && text(rp.value), rq.ok && text(rq.value)]).toEqual(['P:x', 'Q:y']);
      // A protocol nobody handles: messages dropped, requests refused naming the protocol.
      const none = expectCode(await settle(p, p.a.request(p.b.localAddress, 7, bytes('z'), { timeoutMs: 5000 })), ErrorCode.TransportFailed);
      expect(none.message).toContain('no handler for protocol 7');
      p.a.send(p.b.localAddress, 7, bytes('nobody'));
      // Unregistered: Q's requests are refused from now on, P still works.
      offQ();
      expectCode(await settle(p, p.a.request(p.b.localAddress, Q, bytes('y'), { timeoutMs: 5000 })), ErrorCode.TransportFailed);
      const again = await settle(p, p.a.request(p.b.localAddress, P, bytes('w'), { timeoutMs: 5000 }));
      expect(again.ok && text(again.value)).toBe('P:w');
    });

    it('refuses a second registration of a protocol, and protocols that are not a byte', async () => {
      const p = await pair();
      p.b.handle(Q, { onMessage: () => undefined });
      expect(() => p.b.handle(Q, { onMessage: () => undefined })).toThrow(expect.objectContaining({ code: ErrorCode.TransportFailed }));
      expect(() => p.b.handle(256, {})).toThrow(expect.objectContaining({ code: ErrorCode.TransportFailed }));
      expect(() => p.b.handle(-1, {})).toThrow(expect.objectContaining({ code: ErrorCode.TransportFailed }));
    });

    it("cancelling a request rejects it and aborts the remote handler's signal", async () => {
      const p = await pair();
      let remote: AbortSignal | undefined;
      onReq(p.b, (_f, _m, signal) => {
        remote = signal;
        return new Promise<Uint8Array>(() => undefined);
      });
      const ac = new AbortController();
      const req = p.a.request(p.b.localAddress, P, bytes('long'), { timeoutMs: 60_000, signal: ac.signal });
      req.catch(() => undefined); // settled below
      await until(p, () => remote !== undefined);
      expect(remote!.aborted).toBe(false);
      ac.abort();
      const err = expectCode(await settle(p, req), ErrorCode.TransportFailed);
      expect(err.message).toBe('request cancelled');
      await until(p, () => remote!.aborted);
      // An already aborted signal fails at once; the link keeps working.
      expectCode(await settle(p, p.a.request(p.b.localAddress, P, bytes('x'), { timeoutMs: 5000, signal: ac.signal })), ErrorCode.TransportFailed);
      onReq(p.b, async () => bytes('ok'));
      const o = await settle(p, p.a.request(p.b.localAddress, P, bytes('x'), { timeoutMs: 5000 }));
      expect(o.ok && text(o.value)).toBe('ok');
    });
  });
}

/**
 * The packet plane of the Transport contract, run against one adapter: two started transports
 * on a fault-free network (best effort, but nothing is lost there).
 */
export function describePacketTransportConformance(name: string, makePair: () => Promise<TransportPair<PacketTransport>>): void {
  describe(`Packet transport conformance: ${name}`, () => {
    const live: TransportPair<PacketTransport>[] = [];
    async function pair(): Promise<TransportPair<PacketTransport>> {
      const p = await makePair();
      live.push(p);
      return p;
    }
    afterEach(async () => {
      for (const p of live.splice(0)) {
        await p.a.close();
        await p.b.close();
        await p.cleanup();
      }
    });
    async function until(p: TransportPair<PacketTransport>, pred: () => boolean, limitMs = 5000): Promise<void> {
      for (let waited = 0; !pred(); waited += 5) {
        if (waited > limitMs) throw new Error('condition not reached in time');
        if (p.advance) {
          for (let i = 0; i < 5; i++) {
            p.advance(1);
            await macrotask();
          }
        } else await sleep(5);
      }
    }

    it('delivers packets in both directions with `from` = the sender localAddress, copied at send', async () => {
      const p = await pair();
      const atB: [string, string][] = [];
      const atA: [string, string][] = [];
      p.b.onPacket((from, pk) => atB.push([from, text(pk)]));
      p.a.onPacket((from, pk) => atA.push([from, text(pk)]));
      const pk = bytes('ping');
      p.a.sendPacket(p.b.localAddress, pk);
      pk.fill(0x58);
      p.b.sendPacket(p.a.localAddress, bytes('ack'));
      await until(p, () => atB.length === 1 && atA.length === 1);
      expect(atB).toEqual([[p.a.localAddress, 'ping']]);
      expect(atA).toEqual([[p.b.localAddress, 'ack']]);
    });

    it('delivers many packets, up to maxPacketBytes; an oversize one is dropped without throwing', async () => {
      const p = await pair();
      const got: number[] = [];
      p.b.onPacket((_f, pk) => got.push(pk.byteLength));
      for (let i = 0; i < 200; i++) p.a.sendPacket(p.b.localAddress, new Uint8Array(1 + i));
      await until(p, () => got.length === 200);
      expect(got.sort((x, y) => x - y)).toEqual(Array.from({ length: 200 }, (_, i) => 1 + i));
      expect(() => p.a.sendPacket(p.b.localAddress, new Uint8Array(p.a.maxPacketBytes + 1))).not.toThrow();
      const big = new Uint8Array(Math.min(p.a.maxPacketBytes, 60_000)).fill(7);
      p.a.sendPacket(p.b.localAddress, big);
      await until(p, () => got.length === 201);
      expect(got[200]).toBe(big.byteLength);
    });

    it('drops packets to unreachable or malformed addresses without throwing', async () => {
      const p = await pair();
      expect(() => {
        p.a.sendPacket(p.unreachable, bytes('lost'));
        p.a.sendPacket('not an address', bytes('lost'));
      }).not.toThrow();
      const got: string[] = [];
      p.b.onPacket((_f, pk) => got.push(text(pk)));
      p.a.sendPacket(p.b.localAddress, bytes('still here'));
      await until(p, () => got.length === 1);
      expect(got).toEqual(['still here']);
    });

    it('has one packet handler at a time: a second is refused, an uninstalled one gets nothing', async () => {
      const p = await pair();
      const first: string[] = [];
      const off = p.b.onPacket((_f, pk) => first.push(text(pk)));
      expect(() => p.b.onPacket(() => undefined)).toThrow(expect.objectContaining({ code: ErrorCode.TransportFailed }));
      off();
      const second: string[] = [];
      p.b.onPacket((_f, pk) => second.push(text(pk)));
      p.a.sendPacket(p.b.localAddress, bytes('x'));
      await until(p, () => second.length === 1);
      expect(first).toEqual([]);
    });

    it('delivers nothing after close; close is idempotent and sending afterwards is safe', async () => {
      const p = await pair();
      const got: string[] = [];
      p.b.onPacket((_f, pk) => got.push(text(pk)));
      await Promise.all([p.b.close(), p.b.close()]);
      p.a.sendPacket(p.b.localAddress, bytes('late'));
      await p.a.close();
      expect(() => p.a.sendPacket(p.b.localAddress, bytes('after'))).not.toThrow();
      if (p.advance) for (let i = 0; i < 20; i++) p.advance(1);
      else await sleep(50);
      expect(got).toEqual([]);
    });
  });
}
