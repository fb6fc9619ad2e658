import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, startAgent } from '../support/agent-process.js';
import type { AgentProcess } from '../support/agent-process.js';
import { exitWithOutput } from '../support/exit-with-output.js';

/**
 * Patroni (Debian's patroni with python3-consul, installed by .ci/run) using a real agent as
 * its DCS: test/e2e/clients/patroni-dcs.py runs Patroni's own Consul class through cluster
 * initialization, members, the leader race, a watched hand-over, a destroyed session and CAS.
 */
describe('Patroni against the agent', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-patroni-'));
  let agent: AgentProcess;

  beforeAll(async () => {
    agent = await startAgent(['-dev', '-data-dir', join(dir, 'data'), '-http-port', '0', '-dns-port', '-1', '-server-port', '0', '-log-level', 'warn']);
  });
  afterAll(async () => {
    if (agent?.proc.exitCode === null) await agent.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("runs Patroni's Consul DCS end to end: initialize, members, leader lock, watch, hand-over, lost session, CAS", async () => {
    const script = join(REPO_ROOT, 'test', 'e2e', 'clients', 'patroni-dcs.py');
    const proc = spawn('/usr/bin/python3', [script, new URL(agent.httpAddr).host], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await exitWithOutput(proc);
    expect(stdout, stderr).not.toContain('FAILED');
    expect(code, `${stdout}\n${stderr}`).toBe(0);
    const steps = stdout.split('\n').filter((l) => l.startsWith('ok '));
    expect(steps).toHaveLength(27);
    expect(stdout.trim().split('\n').pop()).toBe('done');
    // The one retry Patroni logs when its session was destroyed behind its back.
    expect(stderr).toContain('Our session disappeared from Consul');
  }, 60_000);
});
