import { spawn, type ChildProcess } from 'node:child_process';
import Consul from 'consul';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent, type AgentProcess } from '../support/agent-process.js';

/**
 * Consul's agent write endpoints sync the change to the catalog before they answer
 * (syncChanges), and clients rely on reading their own write: a real agent process, the
 * `consul` npm client, and a CPU burner beside them so the agent is slow. Every agent write
 * endpoint is driven hundreds of times and the catalog/health read right after it answered must
 * already show the change.
 */

const ROUNDS = 120;
let agent: AgentProcess;
let consul: Consul;
const burners: ChildProcess[] = [];

beforeAll(async () => {
  agent = await startAgent(['-dev', '-node', 'ryw', '-http-port', '0', '-dns-port', '-1']);
  const url = new URL(agent.httpAddr);
  consul = new Consul({ host: url.hostname, port: Number(url.port) });
  // Two busy children on a 2-core machine: the agent competes for CPU the whole time.
  for (let i = 0; i < 2; i++) burners.push(spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }));
});
afterAll(async () => {
  for (const b of burners) b.kill('SIGKILL');
  await agent?.stop();
});

interface Entry {
  Service: { ID: string };
  Checks: { CheckID: string; Status: string; Output: string }[];
}
const health = (name: string, passing = false): Promise<Entry[]> => consul.health.service({ service: name, passing }) as Promise<Entry[]>;
const catalogIds = async (name: string): Promise<string[]> => ((await consul.catalog.service.nodes(name)) as { ServiceID: string }[]).map((s) => s.ServiceID);
const put = async (path: string): Promise<void> => {
  const res = await fetch(`${agent.httpAddr}${path}`, { method: 'PUT' });
  expect(res.status, path).toBe(200);
};

describe('read-your-writes on the agent API, with the machine loaded', () => {
  it(`register, TTL pass/warn/fail/update, check register/deregister, maintenance, deregister: ${ROUNDS} rounds, never stale`, async () => {
    const stale: string[] = [];
    const expectNow = (ok: boolean, what: string): void => {
      if (!ok) stale.push(what);
    };
    for (let i = 0; i < ROUNDS; i++) {
      const id = `web-${i % 3}`;
      await consul.agent.service.register({ name: 'web', id, port: 8000 + i, check: { ttl: '30s' } as never });
      expectNow((await catalogIds('web')).includes(id), `${i}: register → catalog`);
      await consul.agent.check.pass({ id: `service:${id}`, note: `pass ${i}` });
      expectNow((await health('web', true)).some((e) => e.Service.ID === id), `${i}: pass → ?passing`);
      await consul.agent.check.warn(`service:${id}`);
      expectNow((await health('web')).find((e) => e.Service.ID === id)?.Checks.some((c) => c.CheckID === `service:${id}` && c.Status === 'warning') === true, `${i}: warn`);
      await consul.agent.check.fail(`service:${id}`);
      expectNow(!(await health('web', true)).some((e) => e.Service.ID === id), `${i}: fail → not ?passing`);
      const res = await fetch(`${agent.httpAddr}/v1/agent/check/update/service:${id}`, { method: 'PUT', body: JSON.stringify({ Status: 'passing', Output: `up ${i}` }) });
      expect(res.status).toBe(200);
      expectNow((await health('web', true)).some((e) => e.Service.ID === id), `${i}: update → ?passing`);
      if (i % 4 === 0) {
        await consul.agent.check.register({ name: 'disk', id: `disk-${i}`, ttl: '30s' } as never);
        expectNow(((await consul.health.node('ryw')) as { CheckID: string }[]).some((c) => c.CheckID === `disk-${i}`), `${i}: check register`);
        await consul.agent.check.deregister(`disk-${i}`);
        expectNow(!((await consul.health.node('ryw')) as { CheckID: string }[]).some((c) => c.CheckID === `disk-${i}`), `${i}: check deregister`);
        await put(`/v1/agent/service/maintenance/${id}?enable=true&reason=r`);
        expectNow(!(await health('web', true)).some((e) => e.Service.ID === id), `${i}: service maintenance on`);
        await put(`/v1/agent/service/maintenance/${id}?enable=false`);
        expectNow((await health('web', true)).some((e) => e.Service.ID === id), `${i}: service maintenance off`);
        await put('/v1/agent/maintenance?enable=true');
        expectNow((await health('web', true)).length === 0, `${i}: node maintenance on`);
        await put('/v1/agent/maintenance?enable=false');
        expectNow((await health('web', true)).some((e) => e.Service.ID === id), `${i}: node maintenance off`);
      }
      if (i % 3 === 2) {
        await consul.agent.service.deregister(id);
        expectNow(!(await catalogIds('web')).includes(id), `${i}: deregister → catalog`);
      }
    }
    expect(stale).toEqual([]);
    expect(agent.output()).toMatch(/\[INFO\] +agent: Synced service: service=web-0/);
    expect(agent.output()).toMatch(/\[INFO\] +agent: Synced check: check=service:web-0/);
    expect(agent.output()).toMatch(/\[INFO\] +agent: Deregistered service: service=web-2/);
  }, 300_000);
});
