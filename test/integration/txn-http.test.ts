import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Consul from 'consul';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '../../src/kernel/agent.js';
import { decodeGoBase64 } from '../../plugins/surface-rest/go-base64.js';
import { startInProcessAgent } from '../support/in-process-agent.js';

/**
 * PUT /v1/txn over real HTTP on in-process agents (dev mode: Raft, state machine, anti-entropy):
 * raw fetch for Consul's exact answers, the `consul` npm client's transaction.create, and a
 * second agent with small limits for the 413s.
 */

let agent: Agent;
let http: string;
let small: Agent;
let smallHttp: string;
let dir: string;
let consul: InstanceType<typeof Consul>;
const b64 = (s: string): string => Buffer.from(s).toString('base64');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sextant-txn-'));
  const cfg = join(dir, 'limits.json');
  await writeFile(cfg, JSON.stringify({ limits: { kv_max_value_size: 100, txn_max_req_len: 2000 } }));
  [{ agent, http }, { agent: small, http: smallHttp }] = await Promise.all([
    startInProcessAgent(['-dev', '-node', 'txn-node']),
    startInProcessAgent(['-dev', '-node', 'txn-small', '-config-file', cfg]),
  ]);
  consul = new Consul({ host: '127.0.0.1', port: Number(new URL(http).port) });
});
afterAll(async () => {
  await Promise.all([agent?.stop(), small?.stop()]);
  await rm(dir, { recursive: true, force: true });
});

async function txn(body: unknown, qs = '', base = http): Promise<{ status: number; text: string; json: unknown; headers: Headers }> {
  const r = await fetch(`${base}/v1/txn${qs}`, { method: 'PUT', body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await r.text();
  let json: unknown;
  if ((r.headers.get('content-type') ?? '').startsWith('application/json')) json = JSON.parse(text);
  return { status: r.status, text, json, headers: r.headers };
}

async function modifyIndex(key: string): Promise<number> {
  const r = await fetch(`${http}/v1/kv/${key}`);
  return ((await r.json()) as { ModifyIndex: number }[])[0]!.ModifyIndex;
}

describe('PUT /v1/txn', () => {
  it('the issue\'s example body: a stale cas rolls back (409), the same body at the right index commits (200)', async () => {
    const body = '[{"KV":{"Verb":"cas","Key":"a","Value":"MQ==","Index":5}},{"KV":{"Verb":"set","Key":"b","Value":"Mg=="}}]';
    const failed = await txn(body);
    expect(failed.status).toBe(409);
    expect(failed.headers.get('content-type')).toBe('application/json');
    expect(failed.json).toEqual({ Results: null, Errors: [{ OpIndex: 0, What: 'failed to set key "a", index is stale' }] });
    expect((await fetch(`${http}/v1/kv/b`)).status).toBe(404);

    await fetch(`${http}/v1/kv/a`, { method: 'PUT', body: 'zero' });
    const idx = await modifyIndex('a');
    const done = await txn(body.replace('"Index":5', `"Index":${idx}`));
    expect(done.status).toBe(200);
    const results = (done.json as { Results: { KV: Record<string, unknown> }[]; Errors: null }).Results;
    expect((done.json as { Errors: unknown }).Errors).toBeNull();
    const at = results[0]!.KV['ModifyIndex'] as number;
    expect(at).toBeGreaterThan(idx);
    // Consul's DirEntry, Value null in write results; both writes at one index.
    expect(results).toEqual([
      { KV: { LockIndex: 0, Key: 'a', Flags: 0, Value: null, CreateIndex: idx, ModifyIndex: at } },
      { KV: { LockIndex: 0, Key: 'b', Flags: 0, Value: null, CreateIndex: at, ModifyIndex: at } },
    ]);
    const got = (await (await fetch(`${http}/v1/kv/?recurse`)).json()) as { Key: string; Value: string }[];
    expect(got.filter((e) => e.Key === 'a' || e.Key === 'b').map((e) => [e.Key, Buffer.from(e.Value, 'base64').toString()])).toEqual([
      ['a', '1'],
      ['b', '2'],
    ]);
  });

  it('field names are case-insensitive; Flags are exact uint64; get returns the value', async () => {
    const r = await txn(`[{"kv":{"verb":"set","KEY":"ci/k","value":"${b64('hi')}","flags":18446744073709551615}},{"Kv":{"Verb":"get","Key":"ci/k"}}]`);
    expect(r.status).toBe(200);
    expect(r.text).toContain('"Flags": 18446744073709551615');
    const res = (r.json as { Results: { KV: { Key: string; Value: string | null } }[] }).Results;
    expect(res.map((x) => [x.KV.Key, x.KV.Value])).toEqual([
      ['ci/k', null],
      ['ci/k', b64('hi')],
    ]);
  });

  it('a read-only transaction is served without Raft: ?stale works, Consul\'s read meta in headers and body, no index', async () => {
    await fetch(`${http}/v1/kv/ro/x`, { method: 'PUT', body: 'X' });
    const r = await txn([{ KV: { Verb: 'get', Key: 'ro/x' } }, { KV: { Verb: 'get-tree', Key: 'ro/' } }, { KV: { Verb: 'check-not-exists', Key: 'ro/none' } }], '?stale');
    expect(r.status).toBe(200);
    expect(r.headers.get('x-consul-knownleader')).toBe('true');
    expect(r.headers.get('x-consul-lastcontact')).toBe('0');
    expect(r.headers.get('x-consul-index')).toBeNull();
    const body = r.json as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(['Results', 'Errors', 'Index', 'LastContact', 'KnownLeader', 'ConsistencyLevel', 'NotModified', 'Backend', 'ResultsFilteredByACLs']);
    expect(body).toMatchObject({ Errors: null, Index: 0, LastContact: 0, KnownLeader: true });
    expect((body['Results'] as { KV: { Value: string } }[]).map((x) => Buffer.from(x.KV.Value, 'base64').toString())).toEqual(['X', 'X']);
    expect((await txn([{ KV: { Verb: 'get', Key: 'ro/x' } }], '?consistent')).status).toBe(200);
    const conflict = await txn([{ KV: { Verb: 'get', Key: 'ro/x' } }], '?stale&consistent');
    expect([conflict.status, conflict.text]).toEqual([400, 'Cannot specify ?stale with ?consistent, conflicting semantics.']);
    const miss = await txn([{ KV: { Verb: 'get', Key: 'ro/none' } }], '?stale');
    expect(miss.status).toBe(409);
    expect(miss.json).toMatchObject({ Results: null, Errors: [{ OpIndex: 0, What: 'key "ro/none" doesn\'t exist' }] });
  });

  it('a rolled-back transaction wakes no blocking query and moves no index', async () => {
    await fetch(`${http}/v1/kv/w/k`, { method: 'PUT', body: 'v' });
    const idx = await modifyIndex('w/k');
    const started = Date.now();
    const blocked = fetch(`${http}/v1/kv/w/?recurse&index=${idx}&wait=1s`);
    await new Promise((r) => setTimeout(r, 100));
    const failed = await txn([{ KV: { Verb: 'set', Key: 'w/k', Value: b64('changed') } }, { KV: { Verb: 'delete-tree', Key: 'w/' } }, { KV: { Verb: 'check-index', Key: 'w/k', Index: 1 } }]);
    expect(failed.status).toBe(409);
    const r = await blocked;
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(r.headers.get('x-consul-index')).toBe(String(idx));
    expect(await modifyIndex('w/k')).toBe(idx);
  });

  it('one transaction mixes KV and catalog ops: node, service, check and a key, all visible after', async () => {
    const r = await txn([
      { Node: { Verb: 'set', Node: { Node: 'ext-1', Address: '192.0.2.10', Meta: { zone: 'a' } } } },
      { Service: { Verb: 'set', Node: 'ext-1', Service: { Service: 'billing', Port: 9000, Tags: ['v1'] } } },
      { Check: { Verb: 'set', Check: { Node: 'ext-1', CheckID: 'billing-up', Name: 'billing up', ServiceID: 'billing', Status: 'passing' } } },
      { KV: { Verb: 'set', Key: 'svc/billing/owner', Value: b64('team-b') } },
    ]);
    expect(r.status).toBe(200);
    const res = (r.json as { Results: Record<string, Record<string, unknown>>[] }).Results;
    expect(res.map((x) => Object.keys(x)[0])).toEqual(['Node', 'Service', 'Check', 'KV']);
    const at = res[0]!['Node']!['ModifyIndex'];
    expect(res.map((x) => Object.values(x)[0]!['ModifyIndex'])).toEqual([at, at, at, at]);
    expect(res[1]!['Service']).toMatchObject({ ID: 'billing', Service: 'billing', Port: 9000, Tags: ['v1'], Weights: { Passing: 0, Warning: 0 } });
    expect(res[2]!['Check']).toMatchObject({ Node: 'ext-1', CheckID: 'billing-up', ServiceName: 'billing', ServiceTags: ['v1'], Status: 'passing' });
    const health = (await (await fetch(`${http}/v1/health/service/billing`)).json()) as { Node: { Node: string }; Checks: { CheckID: string }[] }[];
    expect(health.map((e) => [e.Node.Node, e.Checks.map((c) => c.CheckID)])).toEqual([['ext-1', ['billing-up']]]);

    // A later op that fails takes the catalog ops down with it.
    const bad = await txn([
      { Service: { Verb: 'delete', Node: 'ext-1', Service: { ID: 'billing', Service: 'billing' } } },
      { Service: { Verb: 'set', Node: 'no-such-node', Service: { Service: 'x' } } },
    ]);
    expect(bad.status).toBe(409);
    expect(bad.json).toEqual({ Results: null, Errors: [{ OpIndex: 1, What: 'Missing node registration' }] });
    expect(((await (await fetch(`${http}/v1/catalog/service/billing`)).json()) as unknown[]).length).toBe(1);
  });

  it('a check Definition with an integer past 2^53 is taken as a number, as /v1/catalog/register takes it', async () => {
    const body = '[{"Node":{"Verb":"set","Node":{"Node":"ext-big","Address":"192.0.2.11"}}},' +
      '{"Check":{"Verb":"set","Check":{"Node":"ext-big","CheckID":"big","Name":"big","Status":"passing","Definition":{"TCP":"192.0.2.11:1","IntervalDuration":18446744073709551615}}}}]';
    const r = await txn(body);
    expect(r.status, r.text).toBe(200);
    const checks = (await (await fetch(`${http}/v1/health/node/ext-big`)).json()) as { CheckID: string; Definition: Record<string, unknown> }[];
    expect(checks.map((c) => [c.CheckID, c.Definition['TCP'], c.Definition['IntervalDuration']])).toEqual([['big', '192.0.2.11:1', 18446744073709552000]]);
  });

  it('locks through a transaction with a session; check-session guards a write', async () => {
    const node = agent.config.nodeName;
    for (let i = 0; i < 100; i++) {
      const checks = (await (await fetch(`${http}/v1/health/node/${node}`)).json()) as { CheckID: string }[];
      if (checks.some((c) => c.CheckID === 'serfHealth')) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const { ID: sid } = (await (await fetch(`${http}/v1/session/create`, { method: 'PUT', body: '{"LockDelay":"0s"}' })).json()) as { ID: string };
    const lock = await txn([{ KV: { Verb: 'lock', Key: 'locks/job', Value: b64('me'), Session: sid } }, { KV: { Verb: 'check-session', Key: 'locks/job', Session: sid } }]);
    expect(lock.status).toBe(200);
    expect((lock.json as { Results: { KV: Record<string, unknown> }[] }).Results[0]!.KV).toMatchObject({ LockIndex: 1, Session: sid, Value: null });
    const other = await txn([{ KV: { Verb: 'lock', Key: 'locks/job', Session: 'deadbeef-0000-0000-0000-000000000000' } }]);
    expect(other.json).toEqual({ Results: null, Errors: [{ OpIndex: 0, What: 'invalid session "deadbeef-0000-0000-0000-000000000000"' }] });
    const unlock = await txn([{ KV: { Verb: 'unlock', Key: 'locks/job', Session: sid } }, { KV: { Verb: 'check-session', Key: 'locks/job', Session: '' } }]);
    expect(unlock.status).toBe(200);
    await fetch(`${http}/v1/session/destroy/${sid}`, { method: 'PUT' });
  });

  it('400 for bodies Consul cannot decode, with Go\'s texts; strict base64 values', async () => {
    const cases: [string, string][] = [
      ['', 'Failed to parse body: EOF'],
      ['{"KV":{}}', 'Failed to parse body: json: cannot unmarshal object into Go value of type api.TxnOps'],
      ['["x"]', 'Failed to parse body: json: cannot unmarshal string into Go value of type api.TxnOp'],
      ['[{"KV":{"Verb":"set","Key":7}}]', 'Failed to parse body: json: cannot unmarshal number into Go struct field KVTxnOp.KV.Key of type string'],
      ['[{"KV":{"Verb":"set","Key":"k","Flags":-1}}]', 'Failed to parse body: json: cannot unmarshal number -1 into Go struct field KVTxnOp.KV.Flags of type uint64'],
      ['[{"KV":{"Verb":"set","Key":"k","Value":5}}]', 'Failed to parse body: json: cannot unmarshal number into Go struct field KVTxnOp.KV.Value of type []uint8'],
      ['[{"KV":{"Verb":"set","Key":"k","Value":"MQ"}}]', 'Failed to parse body: illegal base64 data at input byte 0'],
      ['[{"KV":{"Verb":"set","Key":"k","Value":"-_8="}}]', 'Failed to parse body: illegal base64 data at input byte 0'],
      ['[{"KV":{"Verb":"set","Key":"k","Value":"MQ== "}}]', 'Failed to parse body: illegal base64 data at input byte 4'],
      ['[{"KV":{"Verb":"set","Key":"k","Value":"M Q=="}}]', 'Failed to parse body: illegal base64 data at input byte 1'],
      ['[{"Node":{"Verb":"set","Node":{"Node":"n","TaggedAddresses":[]}}}]', 'Failed to parse body: json: cannot unmarshal array into Go struct field Node.Node.Node.TaggedAddresses of type map[string]string'],
    ];
    for (const [body, text] of cases) {
      const r = await txn(body);
      expect([body, r.status, r.text]).toEqual([body, 400, text]);
    }
    // Node's Buffer would have accepted every one of those values; Go's decoder takes these.
    expect((await txn('[{"KV":{"Verb":"set","Key":"b64/ok","Value":"MQ==\\r\\n"}}]')).status).toBe(200);
    expect(Buffer.from(((await (await fetch(`${http}/v1/kv/b64/ok`)).json()) as { Value: string }[])[0]!.Value, 'base64').toString()).toBe('1');
    // An unknown verb is an operation error (409), as in Consul, not a request error.
    const unknown = await txn([{ KV: { Verb: 'set-ish', Key: 'k' } }]);
    expect([unknown.status, unknown.json]).toEqual([409, { Results: null, Errors: [{ OpIndex: 0, What: 'unknown KV verb "set-ish"' }], Index: 0, LastContact: 0, KnownLeader: true, ConsistencyLevel: '', NotModified: false, Backend: 0, ResultsFilteredByACLs: false }]);
  });

  it('413 over 64 operations, with Consul\'s text', async () => {
    const ops = Array.from({ length: 65 }, (_, i) => ({ KV: { Verb: 'set', Key: `many/${i}` } }));
    const r = await txn(ops);
    expect([r.status, r.text]).toEqual([413, 'Transaction contains too many operations (65 > 64)']);
    expect((await txn(ops.slice(0, 64))).status).toBe(200);
  });

  it('413 over txn_max_req_len (declared or streamed body) and for a value over kv_max_value_size', async () => {
    const big = JSON.stringify([{ KV: { Verb: 'set', Key: 'k', Value: b64('x'.repeat(1600)) } }]);
    const r = await txn(big, '', smallHttp);
    expect([r.status, r.text]).toEqual([413, 'Request body too large, max size: 2000 bytes']);
    // Chunked: no Content-Length to refuse early; the body is drained and refused.
    const chunked = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const u = new URL(`${smallHttp}/v1/txn`);
      const req = request({ host: u.hostname, port: u.port, path: u.pathname, method: 'PUT', headers: { 'transfer-encoding': 'chunked' } }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, text }));
      });
      req.on('error', reject);
      req.write(big.slice(0, 1000));
      req.end(big.slice(1000));
    });
    expect(chunked).toEqual({ status: 413, text: 'Request body too large, max size: 2000 bytes' });
    const value = await txn([{ KV: { Verb: 'set', Key: 'v/k', Value: b64('y'.repeat(101)) } }], '', smallHttp);
    expect([value.status, value.text]).toEqual([413, 'Value for key "v/k" is too large (101 > 100 bytes)']);
    expect((await txn([{ KV: { Verb: 'set', Key: 'v/k', Value: b64('y'.repeat(100)) } }], '', smallHttp)).status).toBe(200);
  });

  it('the consul npm client\'s transaction.create commits, and rejects with the 409 on rollback', async () => {
    // The client's JS takes create(operations) (its typings disagree) and sends them as given.
    const create = (ops: unknown[]): Promise<unknown> => (consul.transaction.create as unknown as (o: unknown[]) => Promise<unknown>).call(consul.transaction, ops);
    const ok = (await create([{ KV: { Verb: 'set', Key: 'npm/a', Value: b64('A') } }, { KV: { Verb: 'get', Key: 'npm/a' } }])) as {
      Results: { KV: { Key: string; Value: string | null } }[];
      Errors: null;
    };
    expect(ok.Errors).toBeNull();
    expect(ok.Results.map((x) => [x.KV.Key, x.KV.Value])).toEqual([
      ['npm/a', null],
      ['npm/a', b64('A')],
    ]);
    const err = (await create([{ KV: { Verb: 'check-index', Key: 'npm/a', Index: 1 } }, { KV: { Verb: 'delete', Key: 'npm/a' } }]).catch((e: unknown) => e)) as {
      response?: { statusCode: number; body: unknown };
      message: string;
    };
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toBe('conflict');
    expect(err.response?.statusCode).toBe(409);
    expect(err.response?.body).toEqual({ Results: null, Errors: [{ OpIndex: 0, What: expect.stringMatching(/^failed index check for key "npm\/a", current modify index \d+ != 1$/) }] });
    expect((await fetch(`${http}/v1/kv/npm/a`)).status).toBe(200); // rolled back: still there
  });
});

describe('decodeGoBase64 (Go\'s base64.StdEncoding)', () => {
  it('decodes what Go decodes and reports Go\'s byte offsets otherwise', () => {
    const text = (v: Uint8Array | string): string => (typeof v === 'string' ? v : Buffer.from(v).toString());
    expect(text(decodeGoBase64(''))).toBe('');
    expect(text(decodeGoBase64('aGVsbG8='))).toBe('hello');
    expect(text(decodeGoBase64('aGVs\nbG8='))).toBe('hello');
    expect(text(decodeGoBase64('aGk='))).toBe('hi');
    expect(text(decodeGoBase64('aGl='))).toBe('hi'); // non-zero trailing bits: StdEncoding is not Strict
    expect(decodeGoBase64('aGk')).toBe('illegal base64 data at input byte 0');
    expect(decodeGoBase64('aGVsbG8')).toBe('illegal base64 data at input byte 4');
    expect(decodeGoBase64('a===')).toBe('illegal base64 data at input byte 1');
    expect(decodeGoBase64('aG==x')).toBe('illegal base64 data at input byte 4');
    expect(decodeGoBase64('aG=')).toBe('illegal base64 data at input byte 3');
    expect(decodeGoBase64('aG=x')).toBe('illegal base64 data at input byte 2');
    expect(decodeGoBase64('aGk_')).toBe('illegal base64 data at input byte 3');
    expect(decodeGoBase64('é===')).toBe('illegal base64 data at input byte 0');
  });
});
