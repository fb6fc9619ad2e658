import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/agent-process.js';

/**
 * `npm start &` as the README has it (with ephemeral ports and a temporary data directory
 * passed after `--`): the PID the shell gives is npm's. SIGTERM and SIGINT on it reach the agent
 * (the script execs it), and when npm dies on a signal it does not forward (SIGHUP) the agent
 * shuts down instead of staying behind holding its ports.
 */

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Started {
  npm: ChildProcess;
  agentPid: number;
  output: () => string;
}

async function npmStart(): Promise<Started> {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-npm-start-'));
  dirs.push(dir);
  const pidFile = join(dir, 'agent.pid');
  const npm = spawn('npm', ['start', '--', '-http-port', '0', '-dns-port', '-1', '-server-port', '0', '-serf-lan-port', '0', '-data-dir', join(dir, 'data'), '-pid-file', pidFile], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  npm.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  npm.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  await expect.poll(() => /HTTP API listening/.test(out) && existsSync(pidFile), { timeout: 30_000, interval: 100 }).toBe(true);
  return { npm, agentPid: Number(readFileSync(pidFile, 'utf8').trim()), output: () => out };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('npm start and signals', () => {
  it('SIGTERM on the PID npm start gives stops the agent cleanly', async () => {
    const s = await npmStart();
    expect(s.agentPid).not.toBe(s.npm.pid);
    s.npm.kill('SIGTERM');
    await expect.poll(() => alive(s.agentPid), { timeout: 15_000, interval: 100 }).toBe(false);
    expect(s.output()).toContain('agent stopped');
  }, 60_000);

  it('SIGHUP on npm (which npm dies of without forwarding it) leaves no agent behind', async () => {
    const s = await npmStart();
    s.npm.kill('SIGHUP');
    await expect.poll(() => alive(s.agentPid), { timeout: 15_000, interval: 100 }).toBe(false);
  }, 60_000);
});
