import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, startAgent } from '../support/agent-process.js';
import type { AgentProcess } from '../support/agent-process.js';

/**
 * examples/leader-election run as a user runs it: copies of the script against a real agent.
 * Two copies elect one leader; the leader is SIGKILLed (no release, no destroy) and the other
 * takes over once the agent invalidates the dead leader's session — within TTL × 2 (Consul's
 * grace) plus the 1 s lock-delay. A leader stopped with SIGTERM hands over at once.
 */

const SCRIPT = join(REPO_ROOT, 'examples', 'leader-election', 'leader-election.js');
const TTL_MS = 10_000;
const LOCK_DELAY_MS = 1_000;

let agent: AgentProcess;
const procs: ChildProcess[] = [];
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Copy {
  id: string;
  proc: ChildProcess;
  out(): string;
  exited: Promise<number | null>;
}

function startCopy(id: string): Copy {
  const proc = spawn(process.execPath, [SCRIPT, '--addr', agent.httpAddr, '--id', id, '--service', 'web', '--ttl', '10s', '--lock-delay', '1s'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  procs.push(proc);
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return { id, proc, out: () => out, exited: new Promise((r) => proc.once('exit', (c) => r(c))) };
}

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

const leads = (c: Copy): boolean => c.out().includes('I am the leader');

beforeAll(async () => {
  agent = await startAgent(['-dev', '-http-port', '0', '-dns-port', '-1', '-server-port', '0']);
  const self = (await (await fetch(`${agent.httpAddr}/v1/agent/self`)).json()) as { Config: { NodeName: string } };
  for (let i = 0; i < 400; i++) {
    const checks = (await (await fetch(`${agent.httpAddr}/v1/health/node/${self.Config.NodeName}`)).json()) as { CheckID: string }[];
    if (checks.some((c) => c.CheckID === 'serfHealth')) break;
    await sleep(25);
  }
}, 30_000);

afterAll(async () => {
  for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  await agent?.stop();
});

describe('examples/leader-election', () => {
  it('elects one leader; a killed leader is replaced within TTL × 2, a stopped one at once', async () => {
    const a = startCopy('node-a');
    const b = startCopy('node-b');
    await until(() => (leads(a) || leads(b)) && (a.out().includes('following') || b.out().includes('following')), 10_000, 'an election');
    const [leader, follower] = leads(a) ? [a, b] : [b, a];
    expect(leads(follower)).toBe(false);
    expect(follower.out()).toContain(`following ${leader.id}\n`);
    const [entry] = (await (await fetch(`${agent.httpAddr}/v1/kv/service/web/leader`)).json()) as { Value: string; Session: string }[];
    expect(Buffer.from(entry!.Value, 'base64').toString()).toBe(leader.id);

    // SIGKILL: the leader can neither release nor destroy; only its TTL ends its session.
    const killedAt = Date.now();
    leader.proc.kill('SIGKILL');
    await leader.exited;
    await until(() => leads(follower), 2 * TTL_MS + LOCK_DELAY_MS + 3000, 'the follower to take over');
    const takeover = Date.now() - killedAt;
    expect(takeover).toBeLessThan(2 * TTL_MS + LOCK_DELAY_MS + 3000);
    const [after] = (await (await fetch(`${agent.httpAddr}/v1/kv/service/web/leader`)).json()) as { Value: string }[];
    expect(Buffer.from(after!.Value, 'base64').toString()).toBe(follower.id);

    // A third copy follows; SIGTERM on the leader releases the key: the third takes over at once.
    const c = startCopy('node-c');
    await until(() => c.out().includes(`following ${follower.id}`), 10_000, 'node-c to follow');
    const stoppedAt = Date.now();
    follower.proc.kill('SIGTERM');
    expect(await follower.exited).toBe(0);
    await until(() => leads(c), 5000, 'node-c to take over');
    expect(Date.now() - stoppedAt).toBeLessThan(3000);
  }, 60_000);
});
