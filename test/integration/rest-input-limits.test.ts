import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH } from '../../contracts/limits.js';
import type { Agent } from '../../src/kernel/agent.js';
import { loadAgentConfig } from '../../src/kernel/load-agent-config.js';
import { parseAgentFlags } from '../../src/cli/agent-flags.js';
import { startInProcessAgent } from '../support/in-process-agent.js';

/**
 * What a client may send: JSON nested deeper than MAX_JSON_DEPTH is a 400 on every endpoint
 * that takes JSON (never a 500, never accepted and then failing every sync), and request
 * lines and headers up to 1 MB are served, as by Go's net/http.
 */

let agent: Agent;
let http: string;
const dir = mkdtempSync(join(tmpdir(), 'sextant-limits-'));

beforeAll(async () => {
  ({ agent, http } = await startInProcessAgent(['-dev', '-node', 'lim']));
});
afterAll(async () => {
  await agent?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** `{"a":{"a":…{}}}` nested `depth` objects deep. */
const nested = (depth: number): string => '{"a":'.repeat(depth - 1) + '{}' + '}'.repeat(depth - 1);

async function put(path: string, body: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`${http}${path}`, { method: 'PUT', body });
  return { status: res.status, text: await res.text() };
}

describe('JSON nesting limit', () => {
  it(`refuses a body nested deeper than ${MAX_JSON_DEPTH} levels with 400 on every JSON endpoint, and takes one at the limit`, async () => {
    const deepConfig = (depth: number): string => `{"Name":"px","Port":1,"Proxy":{"Config":${nested(depth - 3)}}}`;
    for (const [path, body] of [
      ['/v1/agent/service/register', deepConfig(MAX_JSON_DEPTH + 40)],
      ['/v1/agent/check/register', `{"Name":"c","TTL":"10s","Notes":"x","Definition":${nested(MAX_JSON_DEPTH + 5)}}`],
      ['/v1/catalog/register', `{"Node":"n","Address":"1.2.3.4","NodeMeta":${nested(MAX_JSON_DEPTH + 1)}}`],
      ['/v1/txn', `[${nested(MAX_JSON_DEPTH)}]`],
      ['/v1/session/create', nested(100_000)],
    ] as const) {
      const r = await put(path, body);
      expect([path, r.status, r.text]).toEqual([path, 400, expect.stringContaining(`nesting deeper than ${MAX_JSON_DEPTH} levels`)]);
    }
    // At the limit (the body itself is the first level) it is accepted and reaches the catalog.
    const ok = await put('/v1/agent/service/register', deepConfig(MAX_JSON_DEPTH));
    expect(ok).toEqual({ status: 200, text: '' });
    const entries = (await (await fetch(`${http}/v1/catalog/service/px`)).json()) as unknown[];
    expect(entries).toHaveLength(1);
    // The agent keeps answering.
    expect((await fetch(`${http}/v1/status/leader`)).status).toBe(200);
  });

  it('a config file nested too deeply is an error naming the file and the place', async () => {
    const file = join(dir, 'deep.json');
    writeFileSync(file, `{"service": {"name": "x", "meta": ${nested(MAX_JSON_DEPTH + 1)}}}`);
    const err = await loadAgentConfig({ flags: parseAgentFlags(['-dev', '-config-file', file]) }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toContain(file);
    expect(err?.message).toContain(`nesting deeper than ${MAX_JSON_DEPTH} levels`);
  });
});

describe('request line and header size', () => {
  it('serves a 17 KB KV key and 900 KB of headers; 431 beyond 1 MB', async () => {
    const key = `big/${'k'.repeat(17 * 1024)}`;
    expect((await put(`/v1/kv/${key}`, 'v')).status).toBe(200);
    const got = await fetch(`${http}/v1/kv/${key}?raw`);
    expect([got.status, await got.text()]).toEqual([200, 'v']);
    const status = (headerBytes: number): Promise<number> =>
      new Promise((resolve, reject) => {
        const u = new URL(`${http}/v1/status/leader`);
        const req = request({ host: u.hostname, port: u.port, path: u.pathname, headers: { 'X-Pad': 'p'.repeat(headerBytes) } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
    expect(await status(900 * 1024)).toBe(200);
    expect(await status(1100 * 1024)).toBe(431);
  });
});
