import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, isSextantError, type SextantError } from '../../contracts/errors.js';
import type { Transport } from '../../contracts/ports/transport.js';

/** Two started transports that can reach each other, plus how to drive and tear them down. */
export interface TransportPair {
  a: Transport;
  b: Transport;
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

/**
 * The Transport contract (contracts/ports/transport.ts), run against one adapter. `makePair`
 * is called once per test and returns two started transports on a fault-free network.
 * Adapters on a ManualClock pass `advance`; everything else runs in real time.
 */
export function describeTransportConformance(name: string, makePair: () => Promise<TransportPair>): void {
  describe(`Transport conformance: ${name}`, () => {
    const live: TransportPair[] = [];

    async function pair(): Promise<TransportPair> {
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
      p.b.onMessage((from, f) => atB.push([from, text(f)]));
      p.a.onMessage((from, f) => atA.push([from, text(f)]));
      p.a.send(p.b.localAddress, bytes('hello b'));
      p.b.send(p.a.localAddress, bytes('hello a'));
      await until(p, () => atB.length === 1 && atA.length === 1);
      expect(atB).toEqual([[p.a.localAddress, 'hello b']]);
      expect(atA).toEqual([[p.b.localAddress, 'hello a']]);
    });

    it('delivers every one of many messages and replaces the message handler', async () => {
      const p = await pair();
      const first: string[] = [];
      const second: string[] = [];
      p.b.onMessage((_f, m) => first.push(text(m)));
      p.b.onMessage((_f, m) => second.push(text(m)));
      for (let i = 0; i < 100; i++) p.a.send(p.b.localAddress, bytes(`m${i}`));
      await until(p, () => second.length === 100);
      expect(first).toEqual([]);
      expect(new Set(second)).toEqual(new Set(Array.from({ length: 100 }, (_, i) => `m${i}`)));
    });

    it('copies the frame: mutating it after send does not change what arrives', async () => {
      const p = await pair();
      const got: string[] = [];
      p.b.onMessage((_f, m) => got.push(text(m)));
      const frame = bytes('original');
      p.a.send(p.b.localAddress, frame);
      frame.fill(0x58);
      await until(p, () => got.length === 1);
      expect(got).toEqual(['original']);
    });

    it('round-trips a request, passing `from` = the requester localAddress to the handler', async () => {
      const p = await pair();
      const seen: string[] = [];
      p.b.onRequest(async (from, f) => {
        seen.push(from);
        return bytes(`echo:${text(f)}`);
      });
      const o = await settle(p, p.a.request(p.b.localAddress, bytes('ping'), 5000));
      expect(o.ok).toBe(true);
      expect(o.ok && text(o.value)).toBe('echo:ping');
      expect(seen).toEqual([p.a.localAddress]);
    });

    it('rejects with TRANSPORT_FAILED carrying the remote message when the handler rejects or throws', async () => {
      const p = await pair();
      p.b.onRequest(async () => {
        throw new Error('boom: key not found');
      });
      const e1 = expectCode(await settle(p, p.a.request(p.b.localAddress, bytes('x'), 5000)), ErrorCode.TransportFailed);
      expect(e1.message).toContain('boom: key not found');
      p.b.onRequest(() => {
        throw new Error('sync failure in handler');
      });
      const e2 = expectCode(await settle(p, p.a.request(p.b.localAddress, bytes('x'), 5000)), ErrorCode.TransportFailed);
      expect(e2.message).toContain('sync failure in handler');
      // the link still works afterwards
      p.b.onRequest(async () => bytes('fine'));
      const o = await settle(p, p.a.request(p.b.localAddress, bytes('x'), 5000));
      expect(o.ok && text(o.value)).toBe('fine');
    });

    it('rejects with TRANSPORT_FAILED when the peer has no request handler', async () => {
      const p = await pair();
      expectCode(await settle(p, p.a.request(p.b.localAddress, bytes('x'), 5000)), ErrorCode.TransportFailed);
    });

    it('rejects with TIMEOUT after timeoutMs, ignores the late response and keeps working', async () => {
      const p = await pair();
      let release: ((b: Uint8Array) => void) | undefined;
      p.b.onRequest(() => new Promise<Uint8Array>((r) => (release = r)));
      const started = p.advance ? 0 : performance.now();
      const o = await settle(p, p.a.request(p.b.localAddress, bytes('slow'), 150));
      const err = expectCode(o, ErrorCode.Timeout);
      expect(err.message).toContain('150');
      if (!p.advance) expect(performance.now() - started).toBeGreaterThanOrEqual(140);
      await until(p, () => release !== undefined);
      release!(bytes('too late'));
      await pass(p, 20);
      p.b.onRequest(async () => bytes('on time'));
      const again = await settle(p, p.a.request(p.b.localAddress, bytes('fast'), 5000));
      expect(again.ok && text(again.value)).toBe('on time');
    });

    it('does not throw when sending to an unreachable address; requests there fail with TRANSPORT_FAILED', async () => {
      const p = await pair();
      expect(() => {
        for (let i = 0; i < 50; i++) p.a.send(p.unreachable, bytes(`lost ${i}`));
      }).not.toThrow();
      const o = await settle(p, p.a.request(p.unreachable, bytes('anyone?'), 4000));
      expectCode(o, ErrorCode.TransportFailed);
      // the transport is unharmed
      const got: string[] = [];
      p.b.onMessage((_f, m) => got.push(text(m)));
      p.a.send(p.b.localAddress, bytes('still here'));
      await until(p, () => got.length === 1);
      expect(got).toEqual(['still here']);
    });

    it('close rejects pending requests with SHUTDOWN, is idempotent, and later calls fail safely', async () => {
      const p = await pair();
      let arrived = 0;
      p.b.onRequest(() => {
        arrived++;
        return new Promise<Uint8Array>(() => undefined);
      });
      const pending = [1, 2, 3].map(() => outcome(p.a.request(p.b.localAddress, bytes('wait'), 60_000)));
      await until(p, () => arrived === 3);
      await p.a.close();
      await p.a.close();
      for (const o of await Promise.all(pending)) expectCode(o, ErrorCode.Shutdown);
      expectCode(await outcome(p.a.request(p.b.localAddress, bytes('after'), 1000)), ErrorCode.Shutdown);
      expect(() => p.a.send(p.b.localAddress, bytes('after'))).not.toThrow();
      await Promise.all([p.b.close(), p.b.close()]);
    });

    it('round-trips 5 MB frames byte-exact as requests, responses and messages', async () => {
      const p = await pair();
      const big = new Uint8Array(randomBytes(5 * 1024 * 1024));
      const reversed = big.slice().reverse();
      let received: Uint8Array | undefined;
      p.b.onRequest(async (_f, f) => f.slice().reverse());
      p.b.onMessage((_f, m) => (received = m.slice()));
      const o = await settle(p, p.a.request(p.b.localAddress, big, 20_000), 20_000);
      expect(o.ok).toBe(true);
      expect(o.ok && Buffer.from(o.value).equals(Buffer.from(reversed))).toBe(true);
      p.a.send(p.b.localAddress, big);
      await until(p, () => received !== undefined, 20_000);
      expect(Buffer.from(received!).equals(Buffer.from(big))).toBe(true);
    });

    it('correlates many concurrent requests answered out of order', async () => {
      const p = await pair();
      p.b.onRequest(async (_from, f) => {
        const n = Number(text(f));
        for (let i = 0; i < (n * 7) % 13; i++) await macrotask();
        return bytes(`r${n}:${'x'.repeat(n % 50)}`);
      });
      p.a.onRequest(async (_from, f) => bytes(`a${text(f)}`));
      const reqs = Array.from({ length: 300 }, (_, n) => outcome(p.a.request(p.b.localAddress, bytes(String(n)), 10_000)));
      const back = Array.from({ length: 20 }, (_, n) => outcome(p.b.request(p.a.localAddress, bytes(String(n)), 10_000)));
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
  });
}
