import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { CommandIo } from '../../../src/cli/command.js';
import { createLockCommand } from '../../../src/cli/commands/lock.js';
import type { ShutdownSignals } from '../../../src/cli/lock/shutdown-signals.js';
import { COMMANDS } from '../../../src/cli/main.js';
import { SystemClock } from '../../../src/platform/system-clock.js';
import { FakeLockApi } from './lock-fake-api.js';

/** `sextant lock` in-process: flag checks, messages and the flow against an in-memory agent. */

function fakeSignals() {
  const subs = new Set<(s: NodeJS.Signals) => void>();
  const signals: ShutdownSignals = {
    subscribe(fn) {
      subs.add(fn);
      return () => subs.delete(fn);
    },
  };
  return { signals, send: (s: NodeJS.Signals) => [...subs].forEach((f) => f(s)), count: () => subs.size };
}

async function run(args: string[], api?: FakeLockApi, signals = fakeSignals().signals, env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const io: CommandIo = {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    stdin: (async function* () {})(),
    env: { PATH: process.env['PATH'], SEXTANT_HTTP_ADDR: 'http://127.0.0.1:1', ...env },
  };
  const cmd = createLockCommand({ clock: new SystemClock(), signals, killGraceMs: 300, ...(api ? { api: () => api } : {}) });
  const code = await cmd.run(args, io);
  return { code, stdout, stderr };
}

describe('sextant lock: arguments', () => {
  it('is registered in the CLI', () => {
    expect(COMMANDS.get('lock')?.synopsis).toBe('Execute a command holding a lock');
  });

  it.each([
    [['-n', '0', 'p', 'true'], 'Lock holder limit must be positive\n'],
    [['p'], 'Key prefix and child command must be specified\n'],
    [[], 'Key prefix and child command must be specified\n'],
    [['-timeout', '-1s', 'p', 'true'], 'Timeout must be positive\n'],
    [['-monitor-retry', '-1', 'p', 'true'], "Number for 'monitor-retry' must be >= 0\n"],
  ])('%j ⇒ exit 1 with Consul text', async (args, text) => {
    const r = await run(args);
    expect(r).toEqual({ code: 1, stdout: '', stderr: text });
  });

  it('an unreachable agent is reported before anything else', async () => {
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as { port: number }).port;
    await new Promise((r) => srv.close(r));
    const r = await run(['p', 'true'], undefined, fakeSignals().signals, { SEXTANT_HTTP_ADDR: `http://127.0.0.1:${port}` });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`Error querying Sextant agent: Get "http://127.0.0.1:${port}/v1/agent/self": dial tcp 127.0.0.1:${port}: connect: connection refused\n`);
  });
});

describe('sextant lock: flow against an in-memory agent', () => {
  it('verbose run: lock at <prefix>/.lock, child output, release, cleanup, no session left', async () => {
    const api = new FakeLockApi(new SystemClock());
    const r = await run(['-verbose', '/jobs/a', 'echo', 'hi'], api);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      ['Setting up lock at path: jobs/a/.lock', 'Attempting lock acquisition', 'Starting handler', 'hi', 'Child terminated, releasing lock', 'Cleanup succeeded', ''].join('\n'),
    );
    expect(api.sessions.size).toBe(0);
    expect(api.kv.size).toBe(0);
  });

  it('a lost lock SIGTERMs the child, then SIGKILLs it after the grace period', async () => {
    const api = new FakeLockApi(new SystemClock());
    const p = run(['-verbose', 'jobs/b', `trap 'echo term' TERM; echo up; while :; do sleep 0.05; done`], api);
    for (let i = 0; i < 200 && api.kv.get('jobs/b/.lock')?.session === undefined; i++) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 150));
    await api.destroySession(api.kv.get('jobs/b/.lock')!.session);
    const r = await p;
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Lock lost, killing child\nTerminating child pid (\d+)\nterm\nChild did not exit after grace period of 300ms\nKilling child pid \1\n/);
    expect(api.sessions.size).toBe(0);
  });

  it('a shutdown signal while the child runs is forwarded, and the lock released', async () => {
    const api = new FakeLockApi(new SystemClock());
    const sig = fakeSignals();
    const p = run(['-semaphore-less', 'x'], api, sig.signals); // flag error: no subscription
    expect((await p).code).toBe(1);
    const q = run(['-n', '2', 'jobs/c', 'exec sleep 30'], api, sig.signals);
    for (let i = 0; i < 200 && api.kv.get('jobs/c/.lock') === undefined; i++) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 100));
    expect(sig.count()).toBe(1);
    sig.send('SIGINT');
    const r = await q;
    expect(r.code).toBe(0);
    expect(sig.count()).toBe(0);
    expect(api.sessions.size).toBe(0);
    expect(api.kv.size).toBe(0);
  });
});
