import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startInProcessAgent } from '../support/in-process-agent.js';
import type { Agent } from '../../src/kernel/agent.js';

// Issue 3: the agent-wide check settings Consul has (check_output_max_size,
// check_update_interval, discard_check_output) are read from the config directory and act.

const running: Agent[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const a of running.splice(0)) await a.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function agentWith(config: Record<string, unknown>): Promise<{ agent: Agent; http: string; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-check-settings-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'agent.json'), JSON.stringify({ service: { name: 'app', check: { ttl: '10m' } }, ...config }));
  const { agent, http } = await startInProcessAgent(['-dev', '-config-dir', dir]);
  running.push(agent);
  return { agent, http, dir };
}

const put = (url: string, body?: unknown): Promise<Response> => fetch(url, { method: 'PUT', ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });

async function catalogOutput(http: string): Promise<string> {
  const checks = (await (await fetch(`${http}/v1/health/checks/app`)).json()) as { Output: string }[];
  return checks[0]!.Output;
}

async function until(what: string, cond: () => Promise<boolean>, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('agent-wide check output settings', () => {
  it('check_output_max_size caps outputs; check_update_interval "0s" syncs output-only changes at once', async () => {
    const { http } = await agentWith({ check_output_max_size: 10, check_update_interval: '0s' });
    expect((await put(`${http}/v1/agent/check/update/service:app`, { Status: 'passing', Output: 'abcdefghijklmnopqrst' })).status).toBe(200);
    const capped = 'abcdefghij ... (captured 10 of 20 bytes)';
    await until('the capped output in the catalog', async () => (await catalogOutput(http)) === capped);
    // Output only (status unchanged): with check_update_interval 0s it is not deferred.
    expect((await put(`${http}/v1/agent/check/pass/service:app?note=second`)).status).toBe(200);
    await until('the new output in the catalog', async () => (await catalogOutput(http)) === 'second');
  });

  it('discard_check_output stores no output, and is reloadable', async () => {
    const { agent, http, dir } = await agentWith({ discard_check_output: true });
    await put(`${http}/v1/agent/check/pass/service:app?note=volatile`);
    const local = async (): Promise<{ Status: string; Output: string }> =>
      ((await (await fetch(`${http}/v1/agent/checks`)).json()) as Record<string, { Status: string; Output: string }>)['service:app']!;
    expect(await local()).toMatchObject({ Status: 'passing', Output: '' });
    writeFileSync(join(dir, 'agent.json'), JSON.stringify({ service: { name: 'app', check: { ttl: '10m' } } }));
    await agent.reload();
    await put(`${http}/v1/agent/check/warn/service:app?note=kept`);
    expect(await local()).toMatchObject({ Status: 'warning', Output: 'kept' });
  });
});
