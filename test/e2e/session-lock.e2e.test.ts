import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startAgent } from '../support/agent-process.js';
import type { AgentProcess } from '../support/agent-process.js';

/**
 * A real agent process and a real client process: the client creates a TTL session (10 s, the
 * minimum), takes a lock with it and keeps renewing; it is then killed with SIGKILL, so it can
 * neither release nor destroy. The leader must invalidate the session — and release the lock —
 * within 2 × TTL of the last renew, and not before the TTL ran out.
 */

let agent: AgentProcess | undefined;
let client: ReturnType<typeof spawn> | undefined;
let dataDir: string | undefined;
afterEach(async () => {
  client?.kill('SIGKILL');
  client = undefined;
  await agent?.stop();
  agent = undefined;
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  dataDir = undefined;
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The lock holder: create session, acquire, print, renew every second until killed. */
const HOLDER = `
const base = process.argv[1];
const put = (p, body) => fetch(base + p, { method: 'PUT', body });
const main = async () => {
  const r = await put('/v1/session/create', JSON.stringify({ Name: 'holder', TTL: '10s', LockDelay: '1s' }));
  if (r.status !== 200) throw new Error('create: ' + r.status + ' ' + (await r.text()));
  const { ID } = await r.json();
  const ok = (await (await put('/v1/kv/locks/e2e?acquire=' + ID, 'holder')).text()).trim();
  if (ok !== 'true') throw new Error('acquire answered ' + ok);
  const renew = async () => {
    const res = await put('/v1/session/renew/' + ID);
    process.stdout.write('RENEWED ' + res.status + ' ' + Date.now() + '\\n');
  };
  await renew();
  process.stdout.write('HOLDING ' + ID + '\\n');
  setInterval(() => void renew(), 1000);
};
main().catch((e) => { console.error(e); process.exit(2); });
`;

async function waitForSerfHealth(http: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const self = (await (await fetch(`${http}/v1/agent/self`)).json()) as { Config: { NodeName: string } };
    const checks = (await (await fetch(`${http}/v1/health/node/${self.Config.NodeName}`)).json()) as { CheckID: string }[];
    if (checks.some((c) => c.CheckID === 'serfHealth')) return;
    await sleep(50);
  }
  throw new Error('the agent never registered its serfHealth check');
}

describe('a killed session holder loses its lock within 2 × TTL', () => {
  it('releases the lock after the TTL runs out twice, and a contender takes it', async () => {
    agent = await startAgent(['-dev', '-http-port', '0', '-dns-port', '-1', '-server-port', '0']);
    const http = agent.httpAddr;
    await waitForSerfHealth(http);

    client = spawn(process.execPath, ['-e', HOLDER, http], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    client.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    client.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    for (let i = 0; i < 200 && !/HOLDING/.test(out); i++) await sleep(50);
    expect(out, err).toMatch(/HOLDING ([0-9a-f-]{36})/);
    const session = /HOLDING ([0-9a-f-]{36})/.exec(out)![1]!;
    await sleep(1500); // let it renew once more on its own
    expect(out).toMatch(/RENEWED 200 \d+\n[\s\S]*RENEWED 200/);

    const exited = new Promise((r) => client!.once('exit', r));
    client.kill('SIGKILL');
    await exited;
    client = undefined;
    const renews = [...out.matchAll(/RENEWED 200 (\d+)/g)].map((m) => Number(m[1]));
    const lastRenew = Math.max(...renews);

    // Park on the key with blocking reads until its Session is gone.
    const [first] = (await (await fetch(`${http}/v1/kv/locks/e2e`)).json()) as { Session?: string }[];
    expect(first!.Session).toBe(session);
    let index = 0;
    let releasedAt = 0;
    while (releasedAt === 0 && Date.now() - lastRenew < 30_000) {
      const r = await fetch(`${http}/v1/kv/locks/e2e?index=${index}&wait=5s`);
      index = Number(r.headers.get('x-consul-index'));
      const [entry] = (await r.json()) as { Session?: string; LockIndex: number }[];
      if (entry!.Session === undefined) {
        releasedAt = Date.now();
        expect(entry!.LockIndex).toBe(1);
      }
    }
    const afterRenew = releasedAt - lastRenew;
    expect(releasedAt, 'the lock was released').toBeGreaterThan(0);
    // Never before the TTL (10 s) ran out, always within 2 × TTL (+ scheduling slack).
    expect(afterRenew).toBeGreaterThan(10_000);
    expect(afterRenew).toBeLessThan(20_000 + 1500);
    expect(await (await fetch(`${http}/v1/session/info/${session}`)).json()).toEqual([]);

    // A contender takes the lock once the 1 s lock-delay has passed.
    const created = await fetch(`${http}/v1/session/create`, { method: 'PUT', body: '{"LockDelay":"1s"}' });
    const { ID: contender } = (await created.json()) as { ID: string };
    await sleep(1100);
    const took = await fetch(`${http}/v1/kv/locks/e2e?acquire=${contender}`, { method: 'PUT', body: 'contender' });
    expect((await took.text()).trim()).toBe('true');
  }, 45_000);
});

describe('TTL deadlines survive a restart of the server without being extended', () => {
  it('a TTL session whose server was kill -9ed and restarted (-data-dir) is invalidated at its original deadline', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'sextant-session-restart-'));
    const args = ['-dev', '-data-dir', join(dataDir, 'data'), '-http-port', '0', '-dns-port', '-1', '-server-port', '0', '-log-level', 'warn'];
    agent = await startAgent(args);
    await waitForSerfHealth(agent.httpAddr);

    // Created between `before` and `after`: its deadline is creation + 2 × TTL = 20 s.
    const before = Date.now();
    const created = await fetch(`${agent.httpAddr}/v1/session/create`, { method: 'PUT', body: JSON.stringify({ TTL: '10s', LockDelay: '0s' }) });
    expect(created.status).toBe(200);
    const { ID: session } = (await created.json()) as { ID: string };
    const after = Date.now();
    const took = await fetch(`${agent.httpAddr}/v1/kv/locks/restart?acquire=${session}`, { method: 'PUT', body: 'holder' });
    expect((await took.text()).trim()).toBe('true');

    // Down hard (no clean shutdown) for a few seconds, then back on the same data directory.
    await sleep(2000);
    await agent.kill9();
    await sleep(3000);
    agent = await startAgent(args);
    const http = agent.httpAddr;
    const restartedAt = Date.now();
    // The session came back from the log: a restart is not an invalidation.
    expect(((await (await fetch(`${http}/v1/session/info/${session}`)).json()) as { ID: string }[]).map((s) => s.ID)).toEqual([session]);

    // Park on the key until its Session is gone.
    let index = 0;
    let releasedAt = 0;
    while (releasedAt === 0 && Date.now() - after < 40_000) {
      const r = await fetch(`${http}/v1/kv/locks/restart?index=${index}&wait=5s`);
      index = Number(r.headers.get('x-consul-index'));
      const [entry] = (await r.json()) as { Session?: string; LockIndex: number }[];
      if (entry!.Session === undefined) {
        releasedAt = Date.now();
        expect(entry!.LockIndex).toBe(1); // behavior release: the key stays, unlocked
      }
    }
    expect(releasedAt, 'the lock was released').toBeGreaterThan(0);
    // Not before the original deadline…
    expect(releasedAt - before).toBeGreaterThanOrEqual(20_000 - 50);
    // …and not re-armed for a fresh 2 × TTL by the restart (that would be ≥ restart + 20 s).
    expect(releasedAt - after).toBeLessThan(20_000 + 2000);
    expect(releasedAt - restartedAt).toBeLessThan(20_000);
    expect(await (await fetch(`${http}/v1/session/info/${session}`)).json()).toEqual([]);
  }, 60_000);
});
