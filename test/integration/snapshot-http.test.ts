import { gunzipSync, gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { startInProcessAgent } from '../support/in-process-agent.js';
import type { Agent } from '../../src/kernel/agent.js';
import { decodeSnapshotArchive } from '../../src/snapshot/snapshot-archive.js';

// Issue 14: GET|PUT /v1/snapshot — a point-in-time archive of the whole state, restored through Raft.

const running: Agent[] = [];
afterEach(async () => {
  for (const a of running.splice(0)) await a.stop();
});

const put = (url: string, body?: unknown): Promise<Response> =>
  fetch(url, { method: 'PUT', ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}) });

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (ok(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function kvValue(http: string, key: string): Promise<string | null> {
  const r = await fetch(`${http}/v1/kv/${key}?raw`);
  return r.status === 200 ? await r.text() : null;
}

async function webNodes(http: string): Promise<string[]> {
  return ((await (await fetch(`${http}/v1/catalog/service/web`)).json()) as { Node: string }[]).map((s) => s.Node);
}

async function webChecks(http: string): Promise<string[]> {
  return ((await (await fetch(`${http}/v1/health/checks/web`)).json()) as { CheckID: string }[]).map((c) => c.CheckID);
}

async function sessionIds(http: string): Promise<string[]> {
  return ((await (await fetch(`${http}/v1/session/list`)).json()) as { ID: string }[]).map((s) => s.ID);
}

describe('/v1/snapshot', () => {
  it('saves the whole state and restores it after everything was deleted', async () => {
    const { agent, http } = await startInProcessAgent(['-dev']);
    running.push(agent);

    expect((await put(`${http}/v1/kv/a`, 'one')).status).toBe(200);
    expect((await put(`${http}/v1/kv/dir/b`, 'two')).status).toBe(200);
    const reg = await put(`${http}/v1/catalog/register`, {
      Node: 'ext', Address: '10.0.0.9',
      Service: { ID: 'web', Service: 'web', Port: 80 },
      Check: { CheckID: 'web-ok', Name: 'web ok', Status: 'passing', ServiceID: 'web' },
    });
    expect(reg.status).toBe(200);
    const created = await until(() => put(`${http}/v1/session/create`, { Name: 's1', Node: 'ext', Checks: [] }), (r) => r.status === 200);
    expect(created.status).toBe(200);
    const sessionId = ((await created.json()) as { ID: string }).ID;

    const saved = await fetch(`${http}/v1/snapshot`);
    expect(saved.status).toBe(200);
    const archive = new Uint8Array(await saved.arrayBuffer());
    const index = Number(saved.headers.get('X-Consul-Index'));
    const meta = decodeSnapshotArchive(archive).meta;
    expect(meta.Index).toBe(index);
    expect(index).toBeGreaterThan(0);

    expect((await fetch(`${http}/v1/kv/?recurse`, { method: 'DELETE' })).status).toBe(200);
    expect((await put(`${http}/v1/session/destroy/${sessionId}`)).status).toBe(200);
    expect((await put(`${http}/v1/catalog/deregister`, { Node: 'ext' })).status).toBe(200);
    expect(await kvValue(http, 'a')).toBeNull();
    expect(await webNodes(http)).toEqual([]);
    expect(await sessionIds(http)).not.toContain(sessionId);

    const restored = await fetch(`${http}/v1/snapshot`, { method: 'PUT', body: archive });
    expect(restored.status).toBe(200);

    expect(await kvValue(http, 'a')).toBe('one');
    expect(await kvValue(http, 'dir/b')).toBe('two');
    expect(await webNodes(http)).toEqual(['ext']);
    expect(await webChecks(http)).toEqual(['web-ok']);
    expect(await sessionIds(http)).toContain(sessionId);
    // Writes go on after the restore.
    expect((await put(`${http}/v1/kv/c`, 'three')).status).toBe(200);
    expect(await kvValue(http, 'c')).toBe('three');
  });

  it('refuses a corrupted archive with Consul\'s text and changes nothing', async () => {
    const { agent, http } = await startInProcessAgent(['-dev']);
    running.push(agent);
    expect((await put(`${http}/v1/kv/keep`, 'me')).status).toBe(200);
    const archive = new Uint8Array(await (await fetch(`${http}/v1/snapshot`)).arrayBuffer());
    const tar = gunzipSync(archive);
    tar[512 * 3 + 20] ^= 0xff; // inside state.bin (after meta.json's header and block, and state.bin's header)
    const res = await fetch(`${http}/v1/snapshot`, { method: 'PUT', body: gzipSync(tar) });
    expect(res.status).toBe(500);
    expect(await res.text()).toContain('failed checking integrity of snapshot: hash check failed for "state.bin"');
    expect(await kvValue(http, 'keep')).toBe('me');
  });
});
