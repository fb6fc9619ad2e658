import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode, SextantError } from '../../../contracts/errors.js';
import { startSurface, type SurfaceHarness } from './harness.js';

let h: SurfaceHarness;
beforeEach(async () => {
  h = await startSurface();
});
afterEach(async () => {
  await h.surface.stop();
});

const req = async (method: string, path: string, body?: string): Promise<{ status: number; text: string; type: string | null }> => {
  const res = await fetch(`${h.base}${path}`, { method, ...(body !== undefined ? { body } : {}) });
  return { status: res.status, text: await res.text(), type: res.headers.get('content-type') };
};

const KEY = 'pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s=';

describe('PUT /v1/agent/join/:address', () => {
  it('joins the LAN pool through the address: 200, empty body', async () => {
    const r = await req('PUT', '/v1/agent/join/127.0.0.2:8301');
    expect(r).toMatchObject({ status: 200, text: '' });
    expect(h.agent.joins).toEqual([{ addresses: ['127.0.0.2:8301'], wan: false }]);
  });

  it('?wan=1 asks for the WAN pool; a bare ?wan does not (Consul reads Get("wan") != "")', async () => {
    await req('PUT', '/v1/agent/join/10.0.0.1?wan=1');
    await req('PUT', '/v1/agent/join/10.0.0.2?wan');
    expect(h.agent.joins.map((j) => j.wan)).toEqual([true, false]);
  });

  it('a failed join answers 500 with the error text', async () => {
    h.agent.joinError = new SextantError(ErrorCode.JoinFailed, '1 error occurred:\n\t* Failed to join 127.0.0.9:8301: connection refused\n\n');
    const r = await req('PUT', '/v1/agent/join/127.0.0.9');
    expect(r.status).toBe(500);
    expect(r.text).toBe('1 error occurred:\n\t* Failed to join 127.0.0.9:8301: connection refused\n\n');
  });

  it('GET is not allowed (405)', async () => {
    expect((await req('GET', '/v1/agent/join/127.0.0.2')).status).toBe(405);
  });
});

describe('PUT /v1/agent/leave', () => {
  it('leaves: 200, empty body', async () => {
    const r = await req('PUT', '/v1/agent/leave');
    expect(r).toMatchObject({ status: 200, text: '' });
    expect(h.agent.leaves).toBe(1);
  });
});

describe('PUT /v1/agent/force-leave/:node', () => {
  it('passes ?prune and ?wan by presence', async () => {
    expect((await req('PUT', '/v1/agent/force-leave/node-b')).status).toBe(200);
    await req('PUT', '/v1/agent/force-leave/node-c?prune');
    await req('PUT', '/v1/agent/force-leave/node-d?wan');
    expect(h.agent.forceLeaves).toEqual([
      { node: 'node-b', prune: false, wan: false },
      { node: 'node-c', prune: true, wan: false },
      { node: 'node-d', prune: false, wan: true },
    ]);
  });

  it("an unknown node: 500 with Consul's plain error, not 404", async () => {
    h.agent.forceLeaveError = new SextantError(ErrorCode.NotFound, "agent: No node found with name 'ghost'");
    const r = await req('PUT', '/v1/agent/force-leave/ghost');
    expect(r.status).toBe(500);
    expect(r.text).toBe("agent: No node found with name 'ghost'");
  });
});

describe('/v1/operator/keyring', () => {
  it("GET lists the pool's keys in Consul's shape", async () => {
    h.agent.keyringResult = { messages: {}, numNodes: 3, numResp: 3, numErr: 0, keys: { [KEY]: 3 }, primaryKeys: { [KEY]: 3 } };
    const r = await req('GET', '/v1/operator/keyring');
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text)).toEqual([
      { WAN: false, Datacenter: 'dc1', Segment: '', Keys: { [KEY]: 3 }, PrimaryKeys: { [KEY]: 3 }, NumNodes: 3 },
    ]);
    expect(h.agent.keyrings).toEqual([{ operation: 'list', key: undefined, opts: { relayFactor: 0, localOnly: false } }]);
  });

  it('POST installs, PUT uses, DELETE removes the body key (case-insensitive field): 200, empty body', async () => {
    expect(await req('POST', '/v1/operator/keyring', JSON.stringify({ Key: KEY }))).toMatchObject({ status: 200, text: '' });
    expect((await req('PUT', '/v1/operator/keyring', JSON.stringify({ key: KEY }))).status).toBe(200);
    expect((await req('DELETE', '/v1/operator/keyring?relay-factor=2', JSON.stringify({ Key: KEY }))).status).toBe(200);
    expect(h.agent.keyrings.map((k) => [k.operation, k.key, k.opts.relayFactor])).toEqual([
      ['install', KEY, 0],
      ['use', KEY, 0],
      ['remove', KEY, 2],
    ]);
  });

  it.each([
    ['GET', '/v1/operator/keyring?relay-factor=x', undefined, 'Error parsing relay factor: strconv.Atoi: parsing "x": invalid syntax'],
    ['GET', '/v1/operator/keyring?relay-factor=6', undefined, 'Invalid relay-factor: Relay factor must be in range: [0, 5]'],
    ['GET', '/v1/operator/keyring?local-only=maybe', undefined, 'Error parsing local-only: strconv.ParseBool: parsing "maybe": invalid syntax'],
    ['POST', '/v1/operator/keyring?local-only=true', JSON.stringify({ Key: KEY }), 'Invalid use of local-only: local-only can only be set for list requests'],
    ['POST', '/v1/operator/keyring', '', 'Request decode failed: EOF'],
    ['PUT', '/v1/operator/keyring', '{"Key": 5}', 'Request decode failed: json: cannot unmarshal number into Go struct field keyringArgs.Key of type string'],
  ])('%s %s → 400 %s', async (method, path, body, text) => {
    const r = await req(method, path, body);
    expect(r.status).toBe(400);
    expect(r.text).toBe(text);
    expect(h.agent.keyrings).toEqual([]);
  });

  it('local-only=true is accepted on GET', async () => {
    expect((await req('GET', '/v1/operator/keyring?local-only=true')).status).toBe(200);
    expect(h.agent.keyrings[0]?.opts).toEqual({ relayFactor: 0, localOnly: true });
  });

  it("members that failed: 500 with Consul's multierror text (pool error, then each member's message)", async () => {
    h.agent.keyringResult = { messages: { 'node-c': 'key not found', 'node-b': 'key not found' }, numNodes: 3, numResp: 3, numErr: 2, keys: {}, primaryKeys: {} };
    const r = await req('DELETE', '/v1/operator/keyring', JSON.stringify({ Key: KEY }));
    expect(r.status).toBe(500);
    expect(r.text).toBe('3 errors occurred:\n\t* dc1 (LAN) error: 2/3 nodes reported failure\n\t* node-b: key not found\n\t* node-c: key not found\n\n');
  });

  it('a pool without encryption: 500 with the reason', async () => {
    h.agent.keyringError = new SextantError(ErrorCode.NotImplemented, 'keyring is not enabled: this agent runs without a gossip pool');
    const r = await req('GET', '/v1/operator/keyring');
    expect(r.status).toBe(500);
    expect(r.text).toBe('keyring is not enabled: this agent runs without a gossip pool');
  });
});
