import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, startAgent } from '../support/agent-process.js';
import type { AgentProcess } from '../support/agent-process.js';

/**
 * Leaving the pool as a user of a real `sextant agent` process sees it: `sextant leave` ends the
 * agent, SIGINT/SIGTERM leave gracefully first as Consul's defaults per mode say, and a failed
 * -join / exhausted -retry-join ends the agent with status 1.
 */

const dirs: string[] = [];
const procs: AgentProcess[] = [];
afterAll(async () => {
  for (const p of procs) if (p.proc.exitCode === null && p.proc.signalCode === null) await p.kill9();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const PORTS = ['-http-port', '0', '-dns-port', '-1', '-server-port', '0', '-serf-lan-port', '0'];

async function agent(args: string[]): Promise<AgentProcess> {
  const p = await startAgent([...PORTS, ...args]);
  procs.push(p);
  return p;
}

function clientArgs(): string[] {
  const d = mkdtempSync(join(tmpdir(), 'sextant-leave-'));
  dirs.push(d);
  return ['-data-dir', d, '-node', 'client-1'];
}

describe('leaving the pool (agent processes)', () => {
  it('`sextant leave`: "Graceful leave complete", and the agent process exits 0', async () => {
    const a = await agent(['-dev']);
    const r = await runCli(['leave'], { SEXTANT_HTTP_ADDR: a.httpAddr });
    expect(r).toMatchObject({ code: 0, stdout: 'Graceful leave complete\n' });
    expect(await a.exited).toBe(0);
    expect(a.output()).toContain('Requesting shutdown');
  });

  it('a client leaves gracefully on SIGTERM (leave_on_terminate defaults to true on clients)', async () => {
    const a = await agent(clientArgs());
    a.proc.kill('SIGTERM');
    expect(await a.exited).toBe(0);
    expect(a.output()).toMatch(/caught signal SIGTERM, shutting down[\s\S]*Gracefully shutting down agent\.\.\.[\s\S]*Graceful exit completed[\s\S]*agent stopped/);
  });

  it('a client leaves gracefully on SIGINT (skip_leave_on_interrupt defaults to false on clients)', async () => {
    const a = await agent(clientArgs());
    a.proc.kill('SIGINT');
    expect(await a.exited).toBe(0);
    expect(a.output()).toMatch(/Gracefully shutting down agent\.\.\.[\s\S]*Graceful exit completed/);
  });

  it('a server does not leave on SIGTERM or SIGINT by default: "Graceful shutdown disabled. Exiting"', async () => {
    const a = await agent(['-dev']);
    a.proc.kill('SIGTERM');
    expect(await a.exited).toBe(0);
    expect(a.output()).toContain('Graceful shutdown disabled. Exiting');
    expect(a.output()).not.toContain('Gracefully shutting down agent...');
    const b = await agent(['-dev']);
    b.proc.kill('SIGINT');
    expect(await b.exited).toBe(0);
    expect(b.output()).toContain('Graceful shutdown disabled. Exiting');
  });

  it('-join to an address nobody answers: the agent does not start (exit 1, the join error)', async () => {
    const failed = await agent(['-dev', '-join', '127.0.0.1:1']).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(failed?.message).toMatch(/exited with 1 before it started/);
    expect(failed?.message).toContain('==> Joining cluster...');
    expect(failed?.message).toContain('127.0.0.1:1');
  });

  it('-retry-join exhausted (-retry-max 1): "Retry join failed" and exit 1', async () => {
    const a = await agent(['-dev', '-retry-join', '127.0.0.1:1', '-retry-max', '1', '-retry-interval', '100ms']);
    expect(await a.exited).toBe(1);
    expect(a.output()).toContain('Join cluster failed, will retry');
    expect(a.output()).toContain('agent: max join LAN retry exhausted, exiting');
  });
});
