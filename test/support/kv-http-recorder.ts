import type { Operation } from '../../src/testing/linearizability/history.js';
import type { KvInput, KvOutput } from '../../src/testing/linearizability/kv-model.js';

/** One KV operation run over HTTP against an agent, as the checker takes it, plus where it went and why its answer was lost. */
export interface RecordedKvOp extends Operation<KvInput, KvOutput> {
  /** The agent's name (e.g. `s1`, `c2`). */
  readonly agent: string;
  /** For a get: its consistency mode. */
  readonly mode?: 'default' | 'consistent';
  /** For an operation whose answer was lost: what happened (status and body, or the socket error). */
  readonly lost?: string;
}

/** Where a recorded operation is sent: an agent's name and `http://ip:port`. */
export interface KvTarget {
  readonly name: string;
  readonly url: string;
}

/**
 * What one operation came to: `done` (a definite answer, recorded), `unknown` (a write whose
 * answer was lost: recorded with an unknown outcome; a read whose answer was lost: dropped) or
 * `refused` (the connection was refused, so the request never reached the agent: dropped).
 */
export type Outcome = 'done' | 'unknown' | 'refused';

/** A get's answer: the value (null: no such key) and its ModifyIndex (0 for no key), for a later cas. */
export interface ReadValue {
  readonly value: string | null;
  readonly index: number;
}

type Answer = { kind: 'answer'; status: number; body: string } | { kind: 'refused' } | { kind: 'lost'; why: string };

/**
 * Runs KV get/put/cas against agents over HTTP and records each as a linearizability history
 * operation with monotonic (performance.now()) call and return times. An answer other than
 * 200 (404 for a get), a timeout or a broken connection makes a write's outcome unknown (it
 * may or may not have happened) and drops a read; a refused connection drops the operation.
 */
export class KvHttpRecorder {
  /** Every recorded operation, in the order their answers came. */
  readonly ops: RecordedKvOp[] = [];
  /** Operations dropped because the connection was refused, and reads dropped because their answer was lost. */
  dropped = 0;

  constructor(private readonly timeoutMs: number) {}

  /** GET /v1/kv/<key> (with `?consistent` in that mode); the value read, or undefined when the read was dropped. */
  async get(clientId: number, to: KvTarget, key: string, mode: 'default' | 'consistent'): Promise<{ outcome: Outcome; read?: ReadValue }> {
    const input: KvInput = { op: 'get', key };
    const call = performance.now();
    const a = await this.send(`${to.url}/v1/kv/${key}${mode === 'consistent' ? '?consistent' : ''}`, { method: 'GET' });
    const ret = performance.now();
    if (a.kind === 'refused') return this.drop('refused');
    if (a.kind === 'answer' && a.status === 404) {
      this.ops.push({ clientId, input, call, return: ret, output: { value: null }, agent: to.name, mode });
      return { outcome: 'done', read: { value: null, index: 0 } };
    }
    if (a.kind === 'answer' && a.status === 200) {
      const [entry] = JSON.parse(a.body) as { Value: string | null; ModifyIndex: number }[];
      if (!entry) throw new Error(`GET ${key} through ${to.name}: 200 with no entry`);
      const value = entry.Value === null ? '' : Buffer.from(entry.Value, 'base64').toString('utf8');
      this.ops.push({ clientId, input, call, return: ret, output: { value }, agent: to.name, mode });
      return { outcome: 'done', read: { value, index: entry.ModifyIndex } };
    }
    return this.drop('unknown');
  }

  /** PUT /v1/kv/<key> = value; true when acknowledged, undefined otherwise. */
  put(clientId: number, to: KvTarget, key: string, value: string): Promise<{ outcome: Outcome; ok?: boolean }> {
    return this.write(clientId, to, { op: 'put', key, value }, `${to.url}/v1/kv/${key}`, value);
  }

  /** PUT /v1/kv/<key>?cas=<expect.index> = value: expects the key to still hold `expect.value`. */
  cas(clientId: number, to: KvTarget, key: string, expect: ReadValue, value: string): Promise<{ outcome: Outcome; ok?: boolean }> {
    return this.write(clientId, to, { op: 'cas', key, expect: expect.value, value }, `${to.url}/v1/kv/${key}?cas=${expect.index}`, value);
  }

  private async write(clientId: number, to: KvTarget, input: KvInput, url: string, body: string): Promise<{ outcome: Outcome; ok?: boolean }> {
    const call = performance.now();
    const a = await this.send(url, { method: 'PUT', body });
    const ret = performance.now();
    if (a.kind === 'refused') return this.drop('refused');
    if (a.kind === 'answer' && a.status === 200 && (a.body.trim() === 'true' || a.body.trim() === 'false')) {
      const ok = a.body.trim() === 'true';
      this.ops.push({ clientId, input, call, return: ret, output: { ok }, agent: to.name });
      return { outcome: 'done', ok };
    }
    const lost = a.kind === 'lost' ? a.why : `${a.status} ${a.body.trim().slice(0, 120)}`;
    this.ops.push({ clientId, input, call, return: Infinity, output: undefined, agent: to.name, lost });
    return { outcome: 'unknown' };
  }

  private drop(outcome: Outcome): { outcome: Outcome } {
    this.dropped++;
    return { outcome };
  }

  private async send(url: string, init: RequestInit): Promise<Answer> {
    try {
      const res = await fetch(url, { ...init, signal: AbortSignal.timeout(this.timeoutMs) });
      return { kind: 'answer', status: res.status, body: await res.text() };
    } catch (e) {
      const err = e as Error & { cause?: { code?: string } };
      if (err.cause?.code === 'ECONNREFUSED') return { kind: 'refused' };
      return { kind: 'lost', why: err.cause?.code ?? err.name };
    }
  }
}
