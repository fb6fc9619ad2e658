import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BIN, REPO_ROOT, runCli, startAgent } from '../support/agent-process.js';
import type { AgentProcess } from '../support/agent-process.js';
import { exitWithOutput } from '../support/exit-with-output.js';

/**
 * `sextant lock` as users run it: the built CLI as real processes against a real agent, children
 * run through `sh -c`. Every test ends with no session left on the agent (the lock command
 * destroys its session on every exit path).
 */

const LOCK_FLAGS = '3304740253564472344'; // Consul's api.LockFlagValue, 0x2ddccbc058a50c18

let agent: AgentProcess;
let http: string;
let dir: string;
const running: ChildProcess[] = [];

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitFor(cond: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

/** A `sextant lock …` process running in the background. */
interface LockProc {
  proc: ChildProcess;
  out(): string;
  err(): string;
  exited: Promise<number | null>;
}

function startLock(args: string[]): LockProc {
  const proc = spawn(process.execPath, [BIN, 'lock', ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, SEXTANT_HTTP_ADDR: http, SHELL: '/bin/sh' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.push(proc);
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = exitWithOutput(proc);
  return { proc, out: () => out, err: () => err, exited };
}

const lockCli = (args: string[]): ReturnType<typeof runCli> => runCli(['lock', ...args], { SEXTANT_HTTP_ADDR: http, SHELL: '/bin/sh' });

async function sessions(): Promise<{ ID: string; Name: string }[]> {
  return (await (await fetch(`${http}/v1/session/list`)).json()) as { ID: string; Name: string }[];
}

/** A child that appends `start <tag> <ms>` and `stop <tag> <ms>` lines to `file` around a sleep. */
const timedChild = (file: string, tag: string, secs: number): string =>
  `echo start ${tag} $(date +%s%3N) $CONSUL_LOCK_HELD $SEXTANT_LOCK_HELD >> ${file}; sleep ${secs}; echo stop ${tag} $(date +%s%3N) >> ${file}`;

/** [start, stop] per tag from a timedChild log. */
function intervals(file: string): Map<string, { start: number; stop: number; env: string }> {
  const m = new Map<string, { start: number; stop: number; env: string }>();
  for (const line of readFileSync(file, 'utf8').trim().split('\n')) {
    const [what, tag, at, ...env] = line.split(' ');
    const e = m.get(tag!) ?? { start: 0, stop: 0, env: '' };
    if (what === 'start') {
      e.start = Number(at);
      e.env = env.join(' ');
    } else e.stop = Number(at);
    m.set(tag!, e);
  }
  return m;
}

/** The largest number of intervals open at one moment. */
function maxOverlap(iv: Iterable<{ start: number; stop: number }>): number {
  const events: [number, number][] = [];
  for (const { start, stop } of iv) events.push([start, 1], [stop, -1]);
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]); // at equal times, a stop before a start
  let open = 0;
  let max = 0;
  for (const [, d] of events) max = Math.max(max, (open += d));
  return max;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sextant-lock-e2e-'));
  agent = await startAgent(['-dev', '-http-port', '0', '-dns-port', '-1', '-server-port', '0']);
  http = agent.httpAddr;
  // Sessions default to the serfHealth check: wait until the agent registered it.
  const self = (await (await fetch(`${http}/v1/agent/self`)).json()) as { Config: { NodeName: string } };
  await waitFor(
    async () => ((await (await fetch(`${http}/v1/health/node/${self.Config.NodeName}`)).json()) as { CheckID: string }[]).some((c) => c.CheckID === 'serfHealth'),
    10_000,
    'serfHealth',
  );
}, 30_000);

afterEach(async () => {
  for (const p of running.splice(0)) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
});

afterAll(async () => {
  await agent?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('sextant lock (one holder)', () => {
  it('runs the child with CONSUL_LOCK_HELD, one holder at a time, and destroys its session on exit', async () => {
    const log = join(dir, 'mutex.log');
    const a = startLock(['locks/mutex', timedChild(log, 'a', 1)]);
    const b = startLock(['locks/mutex', timedChild(log, 'b', 1)]);
    expect([await a.exited, await b.exited]).toEqual([0, 0]);
    const iv = intervals(log);
    expect([...iv.keys()].sort()).toEqual(['a', 'b']);
    for (const e of iv.values()) {
      expect(e.env).toBe('true true');
      expect(e.stop - e.start).toBeGreaterThanOrEqual(900);
    }
    expect(maxOverlap(iv.values())).toBe(1);
    // The second child started once the first stopped (released, no lock-delay), not 15 s later.
    const [first, second] = [...iv.values()].sort((x, y) => x.start - y.start);
    expect(second!.start).toBeGreaterThanOrEqual(first!.stop);
    expect(second!.start - first!.stop).toBeLessThan(2000);
    expect(await sessions()).toEqual([]);
    const left = await fetch(`${http}/v1/kv/locks/mutex?recurse`);
    expect(left.status).toBe(404); // the last holder cleaned the .lock key up
  }, 20_000);

  it('SIGTERMs the child when the lock is lost (its session destroyed) and exits 0', async () => {
    const marker = join(dir, 'term.txt');
    const started = join(dir, 'started.txt');
    const p = startLock(['-verbose', 'locks/lost', `trap 'echo TERM > ${marker}; exit 0' TERM; touch ${started}; while :; do sleep 0.05; done`]);
    await waitFor(() => existsSync(started), 10_000, 'the child to start');
    const [s] = await sessions();
    expect(s!.Name).toMatch(/^Sextant lock for '.*' at 'locks\/lost'$/);
    const t0 = Date.now();
    await fetch(`${http}/v1/session/destroy/${s!.ID}`, { method: 'PUT' });
    expect(await p.exited).toBe(0);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(readFileSync(marker, 'utf8').trim()).toBe('TERM');
    expect(p.out()).toContain('Lock lost, killing child');
    expect(p.out()).toMatch(/Terminating child pid \d+\nChild terminated\n/);
    expect(await sessions()).toEqual([]);
  }, 20_000);

  it('-timeout gives up on a held lock with Consul message and exit 1, leaving no session behind', async () => {
    const created = await fetch(`${http}/v1/session/create`, { method: 'PUT', body: '{"Name":"holder"}' });
    const { ID: holder } = (await created.json()) as { ID: string };
    const took = await fetch(`${http}/v1/kv/locks/timeout/.lock?acquire=${holder}&flags=${LOCK_FLAGS}`, { method: 'PUT' });
    expect((await took.text()).trim()).toBe('true');
    const t0 = Date.now();
    const r = await lockCli(['-timeout', '1s', 'locks/timeout', 'echo never']);
    const took2 = Date.now() - t0;
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('Shutdown triggered or timeout during lock acquisition\n');
    expect(r.stdout).not.toContain('never');
    expect(took2).toBeGreaterThanOrEqual(1000);
    expect(took2).toBeLessThan(4000);
    expect((await sessions()).map((s) => s.ID)).toEqual([holder]);
    await fetch(`${http}/v1/session/destroy/${holder}`, { method: 'PUT' });
  }, 20_000);

  it('a key used for something else is a conflict', async () => {
    await fetch(`${http}/v1/kv/locks/other/.lock`, { method: 'PUT', body: 'x' });
    const r = await lockCli(['locks/other', 'true']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('Lock acquisition failed: Existing key does not match lock use\n');
    expect(await sessions()).toEqual([]);
  }, 20_000);

  it('-child-exit-code exits 2 when the child failed; without it the child error is only reported', async () => {
    const withFlag = await lockCli(['-child-exit-code', 'locks/code', 'exit 3']);
    expect(withFlag.code).toBe(2);
    expect(withFlag.stderr).toBe('Error running handler: exit status 3\n');
    const without = await lockCli(['locks/code', 'exit 3']);
    expect(without.code).toBe(0);
    expect(without.stderr).toBe('Error running handler: exit status 3\n');
    const ok = await lockCli(['-child-exit-code', 'locks/code', 'echo fine']);
    expect([ok.code, ok.stdout]).toEqual([0, 'fine\n']);
    expect(await sessions()).toEqual([]);
  }, 20_000);

  it('SIGTERM to the command stops the child and releases; SIGINT while waiting gives up cleanly', async () => {
    const started = join(dir, 'sig-started.txt');
    const holder = startLock(['-verbose', 'locks/sig', `touch ${started}; exec sleep 30`]);
    await waitFor(() => existsSync(started), 10_000, 'the child to start');
    const waiter = startLock(['locks/sig', 'echo never']);
    await waitFor(async () => (await sessions()).length === 2, 10_000, 'the waiter to create its session');
    await sleep(200); // parked in its blocking read
    waiter.proc.kill('SIGINT');
    expect(await waiter.exited).toBe(1);
    expect(waiter.err()).toBe('Shutdown triggered or timeout during lock acquisition\n');
    expect(waiter.out()).toBe('');
    const t0 = Date.now();
    holder.proc.kill('SIGTERM');
    expect(await holder.exited).toBe(0);
    expect(Date.now() - t0).toBeLessThan(3000); // `sleep` honours SIGTERM: no 5 s grace needed
    expect(holder.out()).toContain('Shutdown triggered, killing child');
    expect(await sessions()).toEqual([]);
    expect((await fetch(`${http}/v1/kv/locks/sig?recurse`)).status).toBe(404);
  }, 20_000);
});

describe('sextant lock -n (semaphore)', () => {
  it('lets at most two of three contenders run at once, and all three run', async () => {
    const log = join(dir, 'sem.log');
    const procs = ['a', 'b', 'c'].map((t) => startLock(['-n', '2', 'locks/sem', timedChild(log, t, 1)]));
    expect(await Promise.all(procs.map((p) => p.exited))).toEqual([0, 0, 0]);
    const iv = intervals(log);
    expect([...iv.keys()].sort()).toEqual(['a', 'b', 'c']);
    expect(maxOverlap(iv.values())).toBe(2);
    for (const e of iv.values()) expect(e.env).toBe('true true');
    // The third started after one of the first two stopped.
    const sorted = [...iv.values()].sort((x, y) => x.start - y.start);
    expect(sorted[2]!.start).toBeGreaterThanOrEqual(Math.min(sorted[0]!.stop, sorted[1]!.stop));
    expect(await sessions()).toEqual([]);
    expect((await fetch(`${http}/v1/kv/locks/sem?recurse`)).status).toBe(404);
  }, 20_000);

  it('a contender with another limit is refused', async () => {
    const started = join(dir, 'sem2-started.txt');
    const holder = startLock(['-n', '2', 'locks/sem2', `touch ${started}; exec sleep 30`]);
    await waitFor(() => existsSync(started), 10_000, 'the holder to start');
    const r = await lockCli(['-n', '3', 'locks/sem2', 'true']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('Lock acquisition failed: semaphore limit conflict (lock: 2, local: 3)\n');
    const lock = await lockCli(['locks/sem2', 'true']);
    expect(lock.stderr).toBe('Lock acquisition failed: Existing key does not match lock use\n');
    holder.proc.kill('SIGINT');
    expect(await holder.exited).toBe(0);
    expect(await sessions()).toEqual([]);
  }, 20_000);
});
