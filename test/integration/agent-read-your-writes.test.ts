import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Consul from 'consul';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAgentFlags } from '../../src/cli/agent-flags.js';
import { Agent } from '../../src/kernel/agent.js';
import { loadAgentConfig } from '../../src/kernel/load-agent-config.js';
import { packageRoot } from '../../src/kernel/package-root.js';
import { SystemClock } from '../../src/platform/system-clock.js';

/**
 * Read-your-writes on the agent API (Consul's syncChanges): every agent write endpoint answers
 * only once its change is in the catalog, so a client that reads /v1/health and /v1/catalog right
 * after its write never sees a stale answer, on a server agent and on a client agent (whose sync
 * goes to the server by RPC), with a CPU burner beside it. The `consul` npm client drives it.
 */

let dir: string;
let server: Agent;
let client: Agent;
let burner: ChildProcess | undefined;
const logs: string[] = [];
const clock = new SystemClock();

async function start(args: string[], servers?: () => readonly string[]): Promise<Agent> {
  const flags = parseAgentFlags(['-http-port', '0', '-dns-port', '-1', '-serf-lan-port', '0', '-config-file', join(dir, 'memory.json'), ...args]);
  const { config } = await loadAgentConfig({ flags });
  return Agent.start({ config, clock, logSink: (l) => logs.push(l), ...(servers ? { servers } : {}) });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sextant-ryw-'));
  writeFileSync(join(dir, 'memory.json'), JSON.stringify({ plugins: [join(packageRoot(), 'plugins', 'transport-memory', 'index.ts')], adapters: { transport: 'memory' } }));
  server = await start(['-dev', '-node', 'srv']);
  client = await start(['-node', 'cli', '-data-dir', join(dir, 'client')], () => ['srv']);
  // The machine loaded: a process spinning beside the agents (it exits by itself when this
  // process is gone, and after 2 minutes at most, so a crashed run leaves nothing spinning).
  const spin = `const end = Date.now() + 120000; let next = 0;
    for (;;) { const now = Date.now(); if (now > end) process.exit(0);
      if (now > next) { next = now + 250; try { process.kill(${process.pid}, 0); } catch { process.exit(0); } } }`;
  burner = spawn(process.execPath, ['-e', spin], { stdio: 'ignore' });
});

afterAll(async () => {
  burner?.kill('SIGKILL');
  await client?.stop();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function consulOf(agent: Agent): Consul {
  const addr = agent.httpAddress()!;
  return new Consul({ host: '127.0.0.1', port: Number(addr.slice(addr.lastIndexOf(':') + 1)) });
}

interface HealthEntry {
  Service: { ID: string };
  Checks: { CheckID: string; Status: string }[];
}

const ROUNDS = 8;

describe.each(['server', 'client'] as const)('read-your-writes through the %s agent (CPU burner beside it)', (role) => {
  const agentOf = (): Agent => (role === 'server' ? server : client);
  const node = role === 'server' ? 'srv' : 'cli';

  it(`every agent write is seen by the very next /v1/health and /v1/catalog read, ${ROUNDS} rounds`, async () => {
    const c = consulOf(agentOf());
    const viaServer = consulOf(server);
    const http = `http://${agentOf().httpAddress()}`;
    const name = `ryw-${role}`;
    let reads = 0;
    const instances = async (via: Consul, passing = false): Promise<HealthEntry[]> => {
      reads++;
      return (await via.health.service({ service: name, ...(passing ? { passing: true } : {}) })) as HealthEntry[];
    };
    // Read through this agent and through the server: both must show the write already.
    const statusOf = async (id: string, checkId: string): Promise<string | undefined> => {
      const [here, there] = await Promise.all([instances(c), instances(viaServer)]);
      const pick = (es: HealthEntry[]): string | undefined => es.find((e) => e.Service.ID === id)?.Checks.find((k) => k.CheckID === checkId)?.Status;
      expect(pick(there)).toBe(pick(here));
      return pick(here);
    };
    const nodeChecks = async (): Promise<string[]> => {
      reads++;
      return ((await c.health.node(node)) as { CheckID: string }[]).map((k) => k.CheckID);
    };

    for (let i = 0; i < ROUNDS; i++) {
      const id = `${name}-${i}`;
      const check = `service:${id}`;
      await c.agent.service.register({ name, id, port: 8000 + i, check: { ttl: '5m' } } as never);
      reads++;
      expect(((await c.catalog.service.nodes(name)) as { ServiceID: string }[]).map((s) => s.ServiceID)).toContain(id);
      expect((await instances(viaServer)).map((e) => e.Service.ID)).toContain(id);
      expect(await statusOf(id, check)).toBe('critical');

      await c.agent.check.pass(check);
      expect((await instances(c, true)).map((e) => e.Service.ID)).toContain(id);
      await c.agent.check.warn(check);
      expect(await statusOf(id, check)).toBe('warning');
      const upd = await fetch(`${http}/v1/agent/check/update/${encodeURIComponent(check)}`, { method: 'PUT', body: JSON.stringify({ Status: 'passing', Output: `round ${i}` }) });
      expect(upd.status).toBe(200);
      expect(await statusOf(id, check)).toBe('passing');
      await c.agent.check.fail(check);
      expect((await instances(c, true)).map((e) => e.Service.ID)).not.toContain(id);

      await c.agent.service.maintenance({ id, enable: true, reason: 'ryw' } as never);
      expect(await statusOf(id, `_service_maintenance:${id}`)).toBe('critical');
      await c.agent.service.maintenance({ id, enable: false } as never);
      expect(await statusOf(id, `_service_maintenance:${id}`)).toBeUndefined();

      await c.agent.check.register({ name: `extra-${role}`, ttl: '5m' } as never);
      expect(await nodeChecks()).toContain(`extra-${role}`);
      await c.agent.check.deregister(`extra-${role}`);
      expect(await nodeChecks()).not.toContain(`extra-${role}`);

      if (i % 5 === 0) {
        await c.agent.maintenance({ enable: true, reason: 'ryw' } as never);
        expect(await nodeChecks()).toContain('_node_maintenance');
        await c.agent.maintenance({ enable: false } as never);
        expect(await nodeChecks()).not.toContain('_node_maintenance');
      }

      await c.agent.service.deregister(id);
      reads++;
      expect(((await c.catalog.service.nodes(name)) as { ServiceID: string }[]).map((s) => s.ServiceID)).not.toContain(id);
      expect((await instances(c)).map((e) => e.Service.ID)).not.toContain(id);
    }
    expect(reads).toBeGreaterThanOrEqual(ROUNDS * 18);
    // Consul's log lines for what was synced.
    expect(logs.some((l) => l.includes(`agent: Synced service: service=${name}-0`))).toBe(true);
    expect(logs.some((l) => l.includes(`agent: Synced check: check=service:${name}-0`))).toBe(true);
    expect(logs.some((l) => l.includes(`agent: Deregistered service: service=${name}-0`))).toBe(true);
    expect(logs.some((l) => l.includes(`agent: Deregistered check: check=extra-${role}`))).toBe(true);
  }, 60_000);
});

/** `{"a": {"a": … {}}}` nested `levels` deep. */
function nested(levels: number): Record<string, unknown> {
  let v: Record<string, unknown> = {};
  for (let i = 1; i < levels; i++) v = { a: v };
  return v;
}

describe('what the catalog would refuse is refused at the agent endpoint, with the same limit', () => {
  it('a Proxy.Config nested 100 levels is a 400 at /v1/agent/service/register and at /v1/catalog/register; health keeps flowing', async () => {
    const http = `http://${server.httpAddress()}`;
    const deep = { Name: 'deep', Kind: 'connect-proxy', Port: 21000, Proxy: { DestinationServiceName: 'web', Config: nested(100) } };
    const res = await fetch(`${http}/v1/agent/service/register`, { method: 'PUT', body: JSON.stringify(deep) });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('nesting deeper than 64 levels');
    const local = (await (await fetch(`${http}/v1/agent/services`)).json()) as Record<string, unknown>;
    expect(local['deep']).toBeUndefined();
    const cat = await fetch(`${http}/v1/catalog/register`, { method: 'PUT', body: JSON.stringify({ Node: 'ext', Address: '10.0.0.1', Service: { Service: 'deep', Proxy: { Config: nested(100) } } }) });
    expect(cat.status).toBe(400);
    expect(await cat.text()).toContain('nesting deeper than 64 levels');
    // A service address the catalog refuses is refused here too, with the catalog's text.
    const any = await fetch(`${http}/v1/agent/service/register`, { method: 'PUT', body: JSON.stringify({ Name: 'any', Address: '0.0.0.0' }) });
    expect(any.status).toBe(400);
    expect(await any.text()).toContain('Invalid service address');
    // A proxy nested within the limit is taken and synced.
    const ok = await fetch(`${http}/v1/agent/service/register`, { method: 'PUT', body: JSON.stringify({ ...deep, Name: 'shallow', Proxy: { DestinationServiceName: 'web', Config: nested(20) } }) });
    expect(ok.status).toBe(200);
    const c = consulOf(server);
    expect(((await c.catalog.service.nodes('shallow')) as unknown[]).length).toBe(1);
    await c.agent.service.deregister('shallow');
    expect(logs.some((l) => l.includes('Syncing service failed.'))).toBe(false);
  });
});
