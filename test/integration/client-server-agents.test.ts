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
 * The same HTTP API, through a server agent and through a client agent wired to it over the
 * memory transport: the client has no Raft and no store, so everything it answers came from
 * the server by RPC (and a write through one is seen through the other).
 */

interface Entry {
  Key: string;
  Value: string | null;
  ModifyIndex: number;
  Session?: string;
}

let dir: string;
let server: Agent;
let client: Agent;
const logs: string[] = [];
const agents: Record<'server' | 'client', () => Agent> = { server: () => server, client: () => client };

async function start(args: string[], servers?: () => readonly string[]): Promise<Agent> {
  const flags = parseAgentFlags(['-http-port', '0', '-dns-port', '-1', '-serf-lan-port', '0', '-config-file', join(dir, 'memory.json'), ...args]);
  const { config } = await loadAgentConfig({ flags });
  return Agent.start({ config, clock, logSink: (l) => logs.push(l), ...(servers ? { servers } : {}) });
}

const clock = new SystemClock(); // one clock: both agents sit on one memory network

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sextant-cs-'));
  writeFileSync(join(dir, 'memory.json'), JSON.stringify({ plugins: [join(packageRoot(), 'plugins', 'transport-memory', 'index.ts')], adapters: { transport: 'memory' } }));
  server = await start(['-dev', '-node', 'srv']);
  client = await start(['-node', 'cli', '-data-dir', join(dir, 'client')], () => ['srv']);
});

afterAll(async () => {
  await client?.stop();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function consulOf(agent: Agent): Consul {
  const addr = agent.httpAddress()!;
  return new Consul({ host: '127.0.0.1', port: Number(addr.slice(addr.lastIndexOf(':') + 1)) });
}

async function until<T>(what: () => Promise<T>, ok: (v: T) => boolean, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await what();
    if (ok(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('a client agent and a server agent', () => {
  it('are what they say: the client runs no Raft', async () => {
    const self = (await consulOf(client).agent.self()) as { Config: { Server: boolean }; Stats: Record<string, unknown> };
    expect(self.Config.Server).toBe(false);
    expect(self.Stats['raft']).toBeUndefined();
    expect(((await consulOf(server).agent.self()) as { Config: { Server: boolean } }).Config.Server).toBe(true);
  });

  describe.each(['server', 'client'] as const)('through the %s', (role) => {
    const other = role === 'server' ? 'client' : 'server';
    const prefix = `${role}/`;

    it('status: the leader and peers are the server', async () => {
      const c = consulOf(agents[role]());
      expect(await c.status.leader()).toBe('srv');
      expect(await c.status.peers()).toEqual(['srv']);
    });

    it('KV: set, cas, get, keys, recurse, delete; a blocking read is woken by a write through the other agent', async () => {
      const c = consulOf(agents[role]());
      expect(await c.kv.set(`${prefix}a`, 'one')).toBe(true);
      expect(await c.kv.set({ key: `${prefix}b/c`, value: 'two', flags: 7 })).toBe(true);
      expect(await c.kv.set({ key: `${prefix}a`, value: 'x', cas: 0 })).toBeFalsy();
      const a = (await c.kv.get(`${prefix}a`)) as Entry;
      expect(a.Value).toBe('one'); // the consul client decodes Value
      expect(await c.kv.set({ key: `${prefix}a`, value: 'v2', cas: a.ModifyIndex })).toBe(true);
      expect(await c.kv.keys({ key: prefix, separator: '/' })).toEqual([`${prefix}a`, `${prefix}b/`]);
      expect(((await c.kv.get({ key: prefix, recurse: true })) as Entry[]).map((e) => e.Key)).toEqual([`${prefix}a`, `${prefix}b/c`]);
      const cur = (await c.kv.get(`${prefix}a`)) as Entry;
      const parked = c.kv.get({ key: `${prefix}a`, index: cur.ModifyIndex, wait: '10s' } as never) as Promise<Entry>;
      await new Promise((r) => setTimeout(r, 100));
      expect(await consulOf(agents[other]()).kv.set(`${prefix}a`, 'from-the-other')).toBe(true);
      const woken = await parked;
      expect(woken.Value).toBe('from-the-other');
      expect(woken.ModifyIndex).toBeGreaterThan(cur.ModifyIndex);
      expect(await c.kv.del({ key: prefix, recurse: true })).toBe(true);
      expect(await c.kv.get({ key: prefix, recurse: true })).toBeUndefined();
    });

    it('KV: another datacenter is refused with 500 No path to datacenter', async () => {
      const res = await fetch(`http://${agents[role]().httpAddress()}/v1/kv/k?dc=elsewhere`);
      expect(res.status).toBe(500);
      expect(await res.text()).toBe('No path to datacenter');
      const put = await fetch(`http://${agents[role]().httpAddress()}/v1/kv/k?dc=elsewhere`, { method: 'PUT', body: 'v' });
      expect(put.status).toBe(500);
    });

    it('catalog: register, list and deregister an external node and service', async () => {
      const c = consulOf(agents[role]());
      const node = `ext-${role}`;
      await c.catalog.register({ node, address: '10.1.0.1', service: { service: `db-${role}`, port: 5432, tags: ['primary'] } } as never);
      const services = (await consulOf(agents[other]()).catalog.service.list()) as Record<string, string[]>;
      expect(services[`db-${role}`]).toEqual(['primary']);
      const nodes = ((await c.catalog.node.list()) as { Node: string }[]).map((n) => n.Node);
      expect(nodes).toEqual(expect.arrayContaining(['srv', node]));
      const inst = (await c.catalog.service.nodes(`db-${role}`)) as { Node: string; ServicePort: number }[];
      expect(inst.map((i) => [i.Node, i.ServicePort])).toEqual([[node, 5432]]);
      await c.catalog.deregister({ node } as never);
      expect(((await c.catalog.service.nodes(`db-${role}`)) as unknown[]).length).toBe(0);
    });

    it("health: an agent's own TTL check, marked passing, shows in /v1/health/service?passing through both agents", async () => {
      const c = consulOf(agents[role]());
      const name = `web-${role}`;
      await c.agent.service.register({ name, port: 80, check: { ttl: '30s' } } as never);
      await c.agent.check.pass(`service:${name}`);
      for (const via of [c, consulOf(agents[other]())]) {
        const healthy = await until(
          async () => (await via.health.service({ service: name, passing: true })) as { Node: { Node: string }; Service: { Service: string } }[],
          (v) => v.length === 1,
        );
        expect(healthy.map((e) => [e.Node.Node, e.Service.Service])).toEqual([[role === 'server' ? 'srv' : 'cli', name]]);
      }
      await c.agent.service.deregister(name);
      await until(async () => (await c.health.service(name)) as unknown[], (v) => v.length === 0);
    });

    it('sessions: create on this agent (its node by default), lock a key, release, destroy', async () => {
      const c = consulOf(agents[role]());
      const self = role === 'server' ? 'srv' : 'cli';
      await until(async () => (await c.catalog.node.list()) as { Node: string }[], (ns) => ns.some((n) => n.Node === self));
      const { ID: id } = (await c.session.create({ name: `s-${role}`, checks: [] } as never)) as { ID: string };
      const info = (await c.session.info(id)) as { Node: string; Name: string };
      expect([info.Node, info.Name]).toEqual([self, `s-${role}`]);
      expect(await c.kv.set({ key: `lock/${role}`, value: 'me', acquire: id })).toBe(true);
      expect(((await consulOf(agents[other]()).kv.get(`lock/${role}`)) as Entry).Session).toBe(id);
      expect(await c.kv.set({ key: `lock/${role}`, value: 'me', release: id })).toBe(true);
      await c.session.destroy(id);
      expect(await c.session.info(id)).toBeUndefined();
      await c.kv.del(`lock/${role}`);
    });

    it('txn: a write transaction applies whole; a read-only one answers without Raft', async () => {
      const c = consulOf(agents[role]());
      const b64 = (s: string): string => Buffer.from(s).toString('base64');
      const w = (await c.transaction.create([
        { KV: { Verb: 'set', Key: `txn/${role}/a`, Value: b64('1') } },
        { KV: { Verb: 'set', Key: `txn/${role}/b`, Value: b64('2') } },
      ] as never)) as { Results: { KV: { Key: string } }[]; Errors: unknown };
      expect(w.Errors).toBeNull();
      expect(w.Results.map((r) => r.KV.Key)).toEqual([`txn/${role}/a`, `txn/${role}/b`]);
      const r = (await c.transaction.create([{ KV: { Verb: 'get-tree', Key: `txn/${role}/` } }] as never)) as { Results: { KV: { Key: string; Value: string } }[] };
      expect(r.Results.map((x) => [x.KV.Key, Buffer.from(x.KV.Value, 'base64').toString()])).toEqual([
        [`txn/${role}/a`, '1'],
        [`txn/${role}/b`, '2'],
      ]);
      const failed = await fetch(`http://${agents[role]().httpAddress()}/v1/txn`, {
        method: 'PUT',
        body: JSON.stringify([{ KV: { Verb: 'cas', Key: `txn/${role}/a`, Value: b64('x'), Index: 1 } }, { KV: { Verb: 'set', Key: `txn/${role}/c`, Value: b64('3') } }]),
      });
      expect(failed.status).toBe(409);
      expect(await c.kv.get(`txn/${role}/c`)).toBeUndefined();
      await c.kv.del({ key: `txn/${role}/`, recurse: true });
    });

    it('events: a user event fired here goes through the server (Internal.EventFire) into its pool', async () => {
      const c = consulOf(agents[role]());
      const fired = (await c.event.fire(`ev-${role}`, 'p')) as unknown as { ID: string };
      // Until gossip, the server's pool is the server alone: it is the one that keeps the event.
      const seen = await until(
        () => consulOf(server).event.list(`ev-${role}`) as unknown as Promise<{ ID: string }[]>,
        (l) => l.length === 1,
      );
      expect(seen.map((e) => e.ID)).toEqual([fired.ID]);
    });
  });

  it('coordinates: an update sent through the client is forwarded to the server, batched, and sorts ?near answers read through the client', async () => {
    const http = (a: Agent, p: string, init?: RequestInit): Promise<Response> => fetch(`http://${a.httpAddress()}${p}`, init);
    for (const [node, addr] of [['coord-a', '10.2.0.1'], ['coord-b', '10.2.0.2']] as const) {
      expect((await http(client, '/v1/catalog/register', { method: 'PUT', body: JSON.stringify({ Node: node, Address: addr }) })).status).toBe(200);
    }
    const vec = (x: number): number[] => [x, 0, 0, 0, 0, 0, 0, 0];
    for (const [node, x] of [['coord-a', 0.03], ['coord-b', 0.001], ['srv', 0]] as const) {
      const r = await http(client, '/v1/coordinate/update', { method: 'PUT', body: JSON.stringify({ Node: node, Coord: { Vec: vec(x), Error: 0.5, Adjustment: 0, Height: 0 } }) });
      expect(r.status).toBe(200);
    }
    const listed = await until(
      async () => (await (await http(client, '/v1/coordinate/nodes')).json()) as { Node: string }[],
      (l) => l.length === 3,
      15_000,
    );
    expect(listed.map((c) => c.Node)).toEqual(['coord-a', 'coord-b', 'srv']);
    const near = (await (await http(client, '/v1/catalog/nodes?near=srv')).json()) as { Node: string }[];
    expect(near.map((n) => n.Node).filter((n) => n.startsWith('coord-') || n === 'srv')).toEqual(['srv', 'coord-b', 'coord-a']);
  }, 30_000);
});
