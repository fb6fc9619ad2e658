import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startInProcessAgent } from '../support/in-process-agent.js';
import type { Agent } from '../../src/kernel/agent.js';

// Issue 3, reload: a config-directory service or check the agent refuses (a kind's rule, not the
// schema's) is reported by file and JSON pointer, at start and on reload, and a refused reload
// leaves every running check as it was.

const running: Agent[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const a of running.splice(0)) await a.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function confDir(files: Record<string, unknown>): string {
  const d = mkdtempSync(join(tmpdir(), 'sextant-conf-'));
  dirs.push(d);
  for (const [name, body] of Object.entries(files)) writeFileSync(join(d, name), JSON.stringify(body));
  return d;
}

interface AgentCheck {
  Status: string;
  Output: string;
}

describe('config-directory services: problems named by file and JSON pointer', () => {
  it('refuses to start on a check no runner accepts as written, naming the file and the check', async () => {
    const dir = confDir({
      'a.json': { service: { name: 'ok', check: { ttl: '10s' } } },
      'b.json': { services: [{ name: 'fine' }, { name: 'api', checks: [{ ttl: '10s' }, { http: 'http://127.0.0.1:1/' }] }] },
    });
    await expect(startInProcessAgent(['-dev', '-config-dir', dir])).rejects.toThrow(
      `${join(dir, 'b.json')}: /services/1/checks/1: Invalid check: interval is required for http checks (and must be > 0)`,
    );
  });

  it('a refused reload names the file and pointer and leaves running checks untouched', async () => {
    const dir = confDir({ 'web.json': { service: { name: 'web', port: 80, check: { ttl: '10m' } } } });
    const { agent, http } = await startInProcessAgent(['-dev', '-config-dir', dir]);
    running.push(agent);
    expect((await fetch(`${http}/v1/agent/check/pass/service:web?note=fine`, { method: 'PUT' })).status).toBe(200);
    const checks = async (): Promise<Record<string, AgentCheck>> => (await (await fetch(`${http}/v1/agent/checks`)).json()) as Record<string, AgentCheck>;

    // A top-level check bound to a service nobody registered.
    writeFileSync(join(dir, 'x.json'), JSON.stringify({ check: { name: 'orphan', ttl: '10s', service_id: 'ghost' } }));
    await expect(agent.reload()).rejects.toThrow(`${join(dir, 'x.json')}: /check/service_id: service_id "ghost" does not name a registered service`);
    unlinkSync(join(dir, 'x.json'));

    // A service whose single embedded check is refused by its runner.
    writeFileSync(join(dir, 'y.json'), JSON.stringify({ service: { name: 'api', check: { tcp: 'localhost', interval: '5s' } } }));
    await expect(agent.reload()).rejects.toThrow(`${join(dir, 'y.json')}: /service/check: tcp: address localhost: missing port in address`);
    expect(Object.keys(await checks())).toEqual(['service:web']);
    expect((await checks())['service:web']).toMatchObject({ Status: 'passing', Output: 'fine' });

    // Fixed: the reload goes through, the unchanged check keeps its state.
    writeFileSync(join(dir, 'y.json'), JSON.stringify({ service: { name: 'api', check: { ttl: '1m' } } }));
    await agent.reload();
    expect(Object.keys(await checks()).sort()).toEqual(['service:api', 'service:web']);
    expect((await checks())['service:web']).toMatchObject({ Status: 'passing', Output: 'fine' });
  });
});
