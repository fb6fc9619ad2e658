import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { connect, createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import Consul from 'consul';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode, SextantError } from '../../contracts/errors.js';
import { RestSurface } from '../../plugins/surface-rest/rest-surface.js';
import { SystemClock } from '../../src/platform/system-clock.js';
import { TextLogger } from '../../src/platform/text-logger.js';
import { SeededRandom } from '../../src/testing/seeded-random.js';
import { FakeAgent, FakeKv, FakeStatus, testConfig } from '../unit/surface-rest/fakes.js';
import { startSurface } from '../unit/surface-rest/harness.js';
import type { SurfaceHarness } from '../unit/surface-rest/harness.js';

let h: SurfaceHarness;
const url = (p: string): string => h.base + p;
const put = (p: string, body?: string | Uint8Array): Promise<Response> => fetch(url(p), { method: 'PUT', body });
const del = (p: string): Promise<Response> => fetch(url(p), { method: 'DELETE' });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A raw request (fetch cannot send a chunked body with arbitrary framing or read every header as sent). */
function rawRequest(method: string, path: string, body?: Buffer, chunked = false): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: h.port, method, path, headers: chunked ? { 'Transfer-Encoding': 'chunked' } : {} }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    if (body && chunked) {
      for (let i = 0; i < body.length; i += 64 * 1024) req.write(body.subarray(i, i + 64 * 1024));
      req.end();
    } else req.end(body);
  });
}

describe('REST surface: KV', () => {
  beforeEach(async () => {
    h = await startSurface();
  });
  afterEach(async () => {
    await h.surface.stop();
  });

  it('writes and reads a key as Consul DirEntry JSON, flags exact past 2^53', async () => {
    const w = await put('/v1/kv/web/key1?flags=18446744073709551615', 'test');
    expect(w.status).toBe(200);
    expect(w.headers.get('content-type')).toBe('application/json');
    expect(await w.text()).toBe('true');
    const r = await fetch(url('/v1/kv/web/key1'));
    expect(r.status).toBe(200);
    expect(await r.text()).toBe(
      '[{"LockIndex":0,"Key":"web/key1","Flags":18446744073709551615,"Value":"dGVzdA==","CreateIndex":2,"ModifyIndex":2}]',
    );
    expect(r.headers.get('x-consul-index')).toBe('2');
  });

  it('prints flags exactly on both sides of 2^53', async () => {
    for (const flags of ['9007199254740991', '9007199254740993']) {
      await put(`/v1/kv/edge/${flags}?flags=${flags}`, 'x');
      const text = await (await fetch(url(`/v1/kv/edge/${flags}`))).text();
      expect(text).toContain(`"Flags":${flags},`);
    }
  });

  it('reports an empty value as null', async () => {
    await put('/v1/kv/empty');
    const [e] = (await (await fetch(url('/v1/kv/empty'))).json()) as { Value: unknown }[];
    expect(e!.Value).toBeNull();
  });

  it('answers a miss with 404, an empty body and every meta header', async () => {
    h.kv.lastContactMs = 12;
    const r = await fetch(url('/v1/kv/nope'));
    expect(r.status).toBe(404);
    expect(await r.text()).toBe('');
    expect(r.headers.get('content-type')).toBeNull();
    expect(r.headers.get('x-consul-index')).toBe('1');
    expect(r.headers.get('x-consul-knownleader')).toBe('true');
    expect(r.headers.get('x-consul-lastcontact')).toBe('12');
    expect(r.headers.get('x-consul-effective-consistency')).toBe('leader');
    expect(r.headers.get('x-consul-default-acl-policy')).toBe('allow');
  });

  it('lists a pure string prefix with ?recurse, sorted; 404 when nothing matches', async () => {
    for (const k of ['foo/b', 'food', 'foo/a', 'bar']) await put(`/v1/kv/${k}`, k);
    const r = await fetch(url('/v1/kv/foo?recurse'));
    expect(((await r.json()) as { Key: string }[]).map((e) => e.Key)).toEqual(['foo/a', 'foo/b', 'food']);
    const none = await fetch(url('/v1/kv/zzz?recurse'));
    expect(none.status).toBe(404);
    expect(await none.text()).toBe('');
    expect(none.headers.get('x-consul-index')).not.toBeNull();
    const all = await fetch(url('/v1/kv/?recurse'));
    expect(((await all.json()) as unknown[]).length).toBe(4);
  });

  it('lists keys with ?keys and ?separator (and the misspelled ?seperator)', async () => {
    for (const k of ['web/bar', 'web/foo', 'web/subdir/x', 'web/subdir/y']) await put(`/v1/kv/${k}`, 'v');
    expect(await (await fetch(url('/v1/kv/web/?keys&separator=/'))).json()).toEqual(['web/bar', 'web/foo', 'web/subdir/']);
    expect(await (await fetch(url('/v1/kv/web/?keys&seperator=/'))).json()).toEqual(['web/bar', 'web/foo', 'web/subdir/']);
    expect(await (await fetch(url('/v1/kv/web/?keys'))).json()).toHaveLength(4);
    const miss = await fetch(url('/v1/kv/nothing/?keys'));
    expect(miss.status).toBe(404);
    expect(await miss.text()).toBe('');
  });

  it('answers the root ?keys with [] when the store is empty', async () => {
    const r = await fetch(url('/v1/kv/?keys'));
    expect(r.status).toBe(200);
    expect(await r.text()).toBe('[]');
  });

  it('serves ?raw as text/plain with nosniff and sandbox headers, and ignores it with ?recurse', async () => {
    await put('/v1/kv/page', '<script>alert(1)</script>');
    const r = await fetch(url('/v1/kv/page?raw'));
    expect(await r.text()).toBe('<script>alert(1)</script>');
    expect(r.headers.get('content-type')).toBe('text/plain');
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    expect(r.headers.get('content-security-policy')).toBe('sandbox');
    expect(r.headers.get('x-consul-index')).toBe('2');
    const rec = await fetch(url('/v1/kv/page?raw&recurse'));
    expect(rec.headers.get('content-type')).toBe('application/json');
    expect(((await rec.json()) as { Key: string }[])[0]!.Key).toBe('page');
  });

  it('decodes %2F and other escapes in the key, and keeps a trailing slash', async () => {
    await put('/v1/kv/a%2Fb%20c', 'x');
    await put('/v1/kv/folder/', '');
    expect([...h.kv.entries.keys()].sort()).toEqual(['a/b c', 'folder/']);
    expect((await fetch(url('/v1/kv/a/b%20c'))).status).toBe(200);
  });

  it('refuses a path with an unprintable rune (Consul: 400, empty body) unless the filter is disabled', async () => {
    for (const bad of ['/v1/kv/bad%0Aline', '/v1/kv/tab%09key', '/v1/kv/nul%00', '/v1/kv/nbsp%C2%A0x', '/v1/status/leader%0D']) {
      const r = await put(bad, 'x');
      expect([bad, r.status, await r.text()]).toEqual([bad, 400, '']);
    }
    expect(h.kv.entries.size).toBe(0);
    // Letters, marks, symbols and the ASCII space are printable.
    expect((await put('/v1/kv/%C3%A9t%C3%A9%20%E2%82%AC%F0%9F%99%82', 'x')).status).toBe(200);
    expect([...h.kv.entries.keys()]).toEqual(['été €🙂']);
    await h.surface.stop();
    h = await startSurface({ extra: { disable_http_unprintable_char_filter: true } });
    expect((await put('/v1/kv/bad%0Aline', 'x')).status).toBe(200);
    expect([...h.kv.entries.keys()]).toEqual(['bad\nline']);
  });

  it('does check-and-set: cas=0 creates only, cas=N needs the current ModifyIndex', async () => {
    expect(await (await put('/v1/kv/c?cas=0', 'one')).text()).toBe('true');
    expect(await (await put('/v1/kv/c?cas=0', 'two')).text()).toBe('false');
    const [e] = (await (await fetch(url('/v1/kv/c'))).json()) as { ModifyIndex: number }[];
    expect(await (await put(`/v1/kv/c?cas=${e!.ModifyIndex}`, 'three')).text()).toBe('true');
    expect(await (await put(`/v1/kv/c?cas=${e!.ModifyIndex}`, 'four')).text()).toBe('false');
    expect(Buffer.from(h.kv.entries.get('c')!.value).toString()).toBe('three');
    expect(h.kv.ops.map((o) => o.verb)).toEqual(['cas', 'cas', 'cas', 'cas']);
  });

  it('deletes one key, a tree, or with cas', async () => {
    for (const k of ['t/a', 't/b', 'u']) await put(`/v1/kv/${k}`, 'v');
    expect(await (await del('/v1/kv/u')).text()).toBe('true');
    expect(await (await del('/v1/kv/missing')).text()).toBe('true');
    await put('/v1/kv/c', 'v');
    const idx = h.kv.entries.get('c')!.modifyIndex;
    expect(await (await del(`/v1/kv/c?cas=${idx + 10}`)).text()).toBe('false');
    expect(await (await del(`/v1/kv/c?cas=${idx}`)).text()).toBe('true');
    expect(await (await del('/v1/kv/t?recurse')).text()).toBe('true');
    expect([...h.kv.entries.keys()]).toEqual([]);
    expect(h.kv.ops.at(-1)).toEqual({ verb: 'delete-tree', prefix: 't' });
  });

  it('rejects conflicting flags with the encoded query', async () => {
    const a = await put('/v1/kv/k?cas=1&acquire=abc', 'v');
    expect(a.status).toBe(400);
    expect(await a.text()).toBe('Conflicting flags: acquire=abc&cas=1\n');
    const b = await del('/v1/kv/k?recurse&cas=3');
    expect(b.status).toBe(400);
    expect(await b.text()).toBe('Conflicting flags: cas=3&recurse=\n');
    expect(h.kv.ops).toEqual([]);
  });

  it('passes ?acquire / ?release to the KV service as lock / unlock with the session and flags', async () => {
    const sid = '6c6a8b3e-0000-0000-0000-000000000000';
    expect((await put(`/v1/kv/lock?acquire=${sid}&flags=7`, 'v')).status).toBe(200);
    expect((await put(`/v1/kv/lock?release=${sid}`, 'w')).status).toBe(200);
    expect(h.kv.ops.map((o) => ({ ...o, value: undefined }))).toEqual([
      { verb: 'lock', key: 'lock', flags: '7', session: sid, value: undefined },
      { verb: 'unlock', key: 'lock', flags: '0', session: sid, value: undefined },
    ]);
  });

  it('needs a key name unless recursing', async () => {
    for (const [m, p] of [['GET', '/v1/kv/'], ['PUT', '/v1/kv/'], ['DELETE', '/v1/kv/']] as const) {
      const r = await fetch(url(p), { method: m, body: m === 'PUT' ? 'x' : undefined });
      expect(r.status).toBe(400);
      expect(await r.text()).toBe('Missing key name');
    }
  });

  it('rejects non-numeric cas / flags / index and bad wait', async () => {
    const f = await put('/v1/kv/k?flags=abc', 'v');
    expect(f.status).toBe(400);
    expect(await f.text()).toBe('Invalid flags value: strconv.ParseUint: parsing "abc": invalid syntax');
    const c = await put('/v1/kv/k?cas=-1', 'v');
    expect(c.status).toBe(400);
    expect(await c.text()).toContain('Invalid cas value');
    const i = await fetch(url('/v1/kv/k?index=xyz'));
    expect(i.status).toBe(400);
    expect(await i.text()).toBe('Invalid index');
    const w = await fetch(url('/v1/kv/k?index=1&wait=10'));
    expect(w.status).toBe(400);
    expect(await w.text()).toBe('Invalid wait time');
    const s = await fetch(url('/v1/kv/k?stale&consistent'));
    expect(s.status).toBe(400);
    expect(await s.text()).toBe('Cannot specify ?stale with ?consistent, conflicting semantics.');
    expect(h.kv.ops).toEqual([]);
  });

  it('passes ?stale / ?consistent through and reports the effective consistency', async () => {
    const s = await fetch(url('/v1/kv/k?stale'));
    expect(s.headers.get('x-consul-effective-consistency')).toBe('stale');
    const c = await fetch(url('/v1/kv/k?consistent'));
    expect(c.headers.get('x-consul-effective-consistency')).toBe('consistent');
    expect(h.kv.reads.map((r) => r.consistency)).toEqual(['stale', 'consistent']);
  });

  it('clamps the wait like Consul and adds at most wait/16 jitter', async () => {
    await fetch(url('/v1/kv/k'));
    await fetch(url('/v1/kv/k?wait=20m'));
    await fetch(url('/v1/kv/k?wait=-5s'));
    await fetch(url('/v1/kv/k?wait=2s'));
    const [dflt, big, neg, two] = h.kv.reads.map((r) => r.waitMs);
    expect(dflt).toBeGreaterThanOrEqual(300_000);
    expect(dflt).toBeLessThan(300_000 + 300_000 / 16);
    expect(big).toBeGreaterThanOrEqual(600_000);
    expect(big).toBeLessThan(600_000 + 600_000 / 16);
    expect(neg).toBeGreaterThanOrEqual(300_000);
    expect(two).toBeGreaterThanOrEqual(2000);
    expect(two).toBeLessThan(2125);
  });

  it('refuses a value over limits.kv_max_value_size with 413 (declared or streamed)', async () => {
    await h.surface.stop();
    h = await startSurface({ limits: { kvMaxValueSize: 1024, txnMaxReqLen: 1024, httpMaxConnsPerClient: 200 } });
    const declared = await rawRequest('PUT', '/v1/kv/big', Buffer.alloc(2000, 1));
    expect(declared.status).toBe(413);
    expect(declared.body).toBe(
      'Request body(2000 bytes) too large, max size: 1024 bytes. See https://developer.hashicorp.com/docs/agent/config/config-files#kv_max_value_size.',
    );
    const streamed = await rawRequest('PUT', '/v1/kv/big', Buffer.alloc(300_000, 1), true);
    expect(streamed.status).toBe(413);
    expect(streamed.body).toMatch(/^Request body\(300000 bytes\) too large, max size: 1024 bytes/);
    const ok = await rawRequest('PUT', '/v1/kv/small', Buffer.alloc(1024, 1), true);
    expect(ok.body).toBe('true');
    expect(h.kv.ops.map((o) => o.verb === 'set' && o.key)).toEqual(['small']);
  });

  it('rejects another datacenter with 500 No path to datacenter', async () => {
    const r = await fetch(url('/v1/kv/k?dc=dc2'));
    expect(r.status).toBe(500);
    expect(await r.text()).toBe('No path to datacenter');
    expect((await fetch(url('/v1/kv/k?dc=dc1'))).status).toBe(404);
  });

  it('maps service errors: NO_LEADER → 500 No cluster leader; unexpected → 500, logged, still serving', async () => {
    h.kv.failNext = new SextantError(ErrorCode.NoLeader, 'raft: no leader');
    const r = await put('/v1/kv/k', 'v');
    expect(r.status).toBe(500);
    expect(await r.text()).toBe('No cluster leader');
    h.kv.failNext = new SextantError(ErrorCode.TooLarge, 'entry too large');
    expect((await put('/v1/kv/k', 'v')).status).toBe(413);
    h.kv.failNext = new TypeError('boom');
    const u = await fetch(url('/v1/kv/k'));
    expect(u.status).toBe(500);
    expect(await u.text()).toBe('boom');
    expect(h.logs.some((l) => l.includes('[ERROR]') && l.includes('Request error') && l.includes('boom'))).toBe(true);
    expect(await (await put('/v1/kv/k', 'v')).text()).toBe('true');
  });

  it('answers 405 with Allow for a wrong method, 404 text for an unknown path', async () => {
    const m = await fetch(url('/v1/kv/k'), { method: 'POST', body: 'x' });
    expect(m.status).toBe(405);
    expect(m.headers.get('allow')).toBe('GET,PUT,DELETE');
    expect(await m.text()).toBe('method POST not allowed');
    const s = await put('/v1/status/leader');
    expect(s.status).toBe(405);
    expect(s.headers.get('allow')).toBe('GET');
    const n = await fetch(url('/v1/nothing/here'));
    expect(n.status).toBe(404);
    expect(n.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await n.text()).toBe('404 page not found\n');
  });

  it('indents JSON with ?pretty', async () => {
    await put('/v1/kv/p', 'v');
    const text = await (await fetch(url('/v1/kv/p?pretty'))).text();
    expect(text).toBe(
      '[\n    {\n        "LockIndex": 0,\n        "Key": "p",\n        "Flags": 0,\n        "Value": "dg==",\n        "CreateIndex": 2,\n        "ModifyIndex": 2\n    }\n]\n',
    );
  });
});

describe('REST surface: blocking queries', () => {
  beforeEach(async () => {
    h = await startSurface();
  });
  afterEach(async () => {
    await h.surface.stop();
  });

  it('returns within 50 ms of a change, with the new index', async () => {
    await put('/v1/kv/b', 'one');
    const first = await fetch(url('/v1/kv/b'));
    const index = Number(first.headers.get('x-consul-index'));
    const parked = fetch(url(`/v1/kv/b?index=${index}&wait=5s`));
    await sleep(100);
    expect(h.kv.waiterCount()).toBe(1);
    let wroteAt = 0;
    const answered = parked.then((r) => ({ r, at: performance.now() }));
    wroteAt = performance.now();
    await put('/v1/kv/b', 'two');
    const { r, at } = await answered;
    expect(at - wroteAt).toBeLessThan(50);
    expect(Number(r.headers.get('x-consul-index'))).toBeGreaterThan(index);
    const [e] = (await r.json()) as { Value: string }[];
    expect(Buffer.from(e!.Value, 'base64').toString()).toBe('two');
  });

  it('returns at the wait (plus at most wait/16) with the same index when nothing changes', async () => {
    await put('/v1/kv/b', 'one');
    const t0 = performance.now();
    const r = await fetch(url('/v1/kv/b?index=2&wait=400ms'));
    const took = performance.now() - t0;
    expect(r.status).toBe(200);
    expect(r.headers.get('x-consul-index')).toBe('2');
    expect(took).toBeGreaterThanOrEqual(390);
    expect(took).toBeLessThan(400 + 25 + 150);
  });

  it('also blocks a 404 and answers it with headers when the wait ends', async () => {
    const r = await fetch(url('/v1/kv/none?index=1&wait=100ms'));
    expect(r.status).toBe(404);
    expect(r.headers.get('x-consul-index')).toBe('1');
  });

  it('fires the read signal when the client goes away, leaving no waiter behind', async () => {
    await put('/v1/kv/b', 'one');
    const ac = new AbortController();
    const parked = fetch(url('/v1/kv/b?index=2&wait=5m'), { signal: ac.signal }).catch(() => 'aborted');
    await sleep(100);
    const signal = h.kv.reads.at(-1)!.signal!;
    expect(signal.aborted).toBe(false);
    expect(h.kv.waiterCount()).toBe(1);
    ac.abort();
    expect(await parked).toBe('aborted');
    await sleep(50);
    expect(signal.aborted).toBe(true);
    expect(h.kv.waiterCount()).toBe(0);
  });

  it('parks and wakes a blocking read on a keep-alive connection that already served many reads', async () => {
    await put('/v1/kv/b', 'one');
    const agent = new HttpAgent({ keepAlive: true, maxSockets: 1 });
    const get = (path: string): Promise<{ status: number; index: string; reused: boolean }> =>
      new Promise((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port: h.port, path, agent }, (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, index: String(res.headers['x-consul-index']), reused: req.reusedSocket }));
        });
        req.on('error', reject);
        req.end();
      });
    try {
      const answers = [];
      for (let i = 0; i < 30; i++) answers.push(await get('/v1/kv/b'));
      expect(answers.every((a) => a.status === 200)).toBe(true);
      expect(answers.slice(1).every((a) => a.reused)).toBe(true);
      const index = answers[0]!.index;
      const parked = get(`/v1/kv/b?index=${index}&wait=5s`);
      await sleep(100);
      expect(h.kv.waiterCount()).toBe(1);
      expect(h.kv.reads.at(-1)!.signal!.aborted).toBe(false);
      await put('/v1/kv/b', 'two');
      const woken = await parked;
      expect(woken.reused).toBe(true);
      expect(Number(woken.index)).toBeGreaterThan(Number(index));
    } finally {
      agent.destroy();
    }
  });

  it('stop() ends parked blocking queries promptly and closes the listener', async () => {
    await put('/v1/kv/b', 'one');
    const parked = fetch(url('/v1/kv/b?index=2&wait=5m')).then(async (r) => ({ status: r.status, body: await r.text() }), () => 'reset');
    await sleep(100);
    const t0 = performance.now();
    await h.surface.stop();
    expect(performance.now() - t0).toBeLessThan(1000);
    const res = await parked;
    expect(res).toMatchObject({ status: 200 });
    expect(h.surface.addresses()).toEqual([]);
    await expect(fetch(url('/v1/kv/b'))).rejects.toThrow();
    await h.surface.stop(); // idempotent
  });
});

describe('REST surface: status and agent', () => {
  beforeEach(async () => {
    h = await startSurface();
  });
  afterEach(async () => {
    await h.surface.stop();
  });

  it('reports the leader and peers', async () => {
    expect(await (await fetch(url('/v1/status/leader'))).text()).toBe('"127.0.0.1:8300"');
    expect(await (await fetch(url('/v1/status/peers'))).json()).toEqual(['127.0.0.1:8300', '127.0.0.2:8300']);
    h.status.leaderAddr = '';
    expect(await (await fetch(url('/v1/status/leader'))).text()).toBe('""');
    expect((await fetch(url('/v1/status/peers?dc=other'))).status).toBe(500);
  });

  it('serves agent self and members (LAN and ?wan)', async () => {
    const self = (await (await fetch(url('/v1/agent/self'))).json()) as { Config: { NodeName: string } };
    expect(self.Config.NodeName).toBe('node-a');
    const lan = (await (await fetch(url('/v1/agent/members'))).json()) as { Name: string; Status: number }[];
    expect(lan).toMatchObject([{ Name: 'node-a', Status: 1 }]);
    const wan = (await (await fetch(url('/v1/agent/members?wan=1'))).json()) as { Name: string }[];
    expect(wan[0]!.Name).toBe('node-a.dc1');
  });

  it('reloads with PUT (empty 200) and reports a refused reload as 500 with its reason', async () => {
    const ok = await put('/v1/agent/reload');
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('');
    expect(h.agent.reloads).toBe(1);
    h.agent.reloadError = new SextantError(ErrorCode.ConfigInvalid, 'config.json: /ports/http: must be integer');
    const bad = await put('/v1/agent/reload');
    expect(bad.status).toBe(500);
    expect(await bad.text()).toBe('config.json: /ports/http: must be integer');
    expect((await fetch(url('/v1/agent/reload'))).status).toBe(405);
  });

  it('is always pretty in dev mode', async () => {
    await h.surface.stop();
    h = await startSurface({ dev: true });
    expect(await (await fetch(url('/v1/status/peers'))).text()).toBe('[\n    "127.0.0.1:8300",\n    "127.0.0.2:8300"\n]\n');
  });
});

describe('REST surface: listeners', () => {
  it('binds nothing when ports.http is -1', async () => {
    const s = await startSurface({ ports: { ...testConfig().ports, http: -1 } });
    expect(s.surface.addresses()).toEqual([]);
    await s.surface.stop();
  });

  it('binds addresses.http when set, instead of client_addr (as Consul does)', async () => {
    const s = await startSurface({ clientAddrs: ['127.0.0.1'], extra: { addresses: { http: '127.0.0.3 127.0.0.2' } } });
    try {
      expect(s.surface.addresses().map((a) => a.slice(0, a.lastIndexOf(':')))).toEqual(['127.0.0.3', '127.0.0.2']);
      const port = s.surface.addresses()[0]!.split(':')[1];
      expect((await fetch(`http://127.0.0.3:${port}/v1/status/leader`)).status).toBe(200);
    } finally {
      await s.surface.stop();
    }
  });

  it('rejects with the address when the port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as AddressInfo).port;
    const clock = new SystemClock();
    const surface = new RestSurface({
      config: testConfig({ ports: { ...testConfig().ports, http: port } }),
      kv: new FakeKv(),
      status: new FakeStatus(),
      agent: new FakeAgent(),
      logger: TextLogger.create({ level: 'error', sink: () => {}, clock }),
      clock,
      random: new SeededRandom(1),
    });
    await expect(surface.start()).rejects.toMatchObject({ code: 'LISTEN_FAILED', message: expect.stringContaining(`127.0.0.1:${port}`) });
    expect(surface.addresses()).toEqual([]);
    blocker.close();
  });

  it('logs the bound address and limits connections per client', async () => {
    h = await startSurface({ limits: { kvMaxValueSize: 1024, txnMaxReqLen: 1024, httpMaxConnsPerClient: 2 } });
    expect(h.logs.some((l) => l.includes(`HTTP API listening: address=127.0.0.1:${h.port}`))).toBe(true);
    const open = (): Promise<string> =>
      new Promise((resolve) => {
        const s = connect(h.port, '127.0.0.1');
        let got = '';
        s.on('data', (d) => (got += d.toString()));
        s.on('close', () => resolve(got));
        sockets.push(s);
      });
    const sockets: ReturnType<typeof connect>[] = [];
    void open();
    void open();
    await sleep(50);
    const third = await open();
    expect(third).toMatch(/^HTTP\/1\.1 429 Too Many Requests/);
    for (const s of sockets) s.destroy();
    await h.surface.stop();
  });
});

describe('REST surface: the consul npm client', () => {
  beforeEach(async () => {
    h = await startSurface();
  });
  afterEach(async () => {
    await h.surface.stop();
  });

  it('sets, gets, lists keys, deletes and reads the leader', async () => {
    const consul = new Consul({ host: '127.0.0.1', port: h.port });
    expect(await consul.kv.set('client/a', 'from-node-client')).toBe(true);
    expect(await consul.kv.set({ key: 'client/b', value: 'x', flags: 7 })).toBe(true);
    const got = (await consul.kv.get('client/a')) as { Key: string; Value: string; Flags: number };
    expect(got).toMatchObject({ Key: 'client/a', Value: 'from-node-client', Flags: 0 });
    expect(await consul.kv.keys('client/')).toEqual(['client/a', 'client/b']);
    const all = (await consul.kv.get({ key: 'client/', recurse: true })) as { Key: string; Flags: number }[];
    expect(all.map((e) => [e.Key, e.Flags])).toEqual([['client/a', 0], ['client/b', 7]]);
    await consul.kv.set({ key: 'client/a', value: 'y', cas: 1 }); // stale cas: refused
    expect(((await consul.kv.get('client/a')) as { Value: string }).Value).toBe('from-node-client');
    await consul.kv.del('client/a');
    expect(await consul.kv.get('client/a')).toBeUndefined();
    expect(await consul.status.leader()).toBe('127.0.0.1:8300');
    await expect(consul.kv.get({ key: 'x', index: 'abc' } as never)).rejects.toThrow(/Invalid index/);
  });
});
