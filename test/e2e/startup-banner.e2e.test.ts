import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, REPO_ROOT } from '../support/agent-process.js';
import { exitWithOutput } from '../support/exit-with-output.js';

/**
 * What an operator sees in a terminal (stdout and stderr on one file, as `2>&1` gives): like
 * Consul, "Starting" first, then the banner, then the log lines written while starting.
 */
describe('agent start-up output', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-banner-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Runs the agent with both streams on one file until `done` holds for its text (or it exits). */
  let runs = 0;
  async function run(args: string[], done: (text: string) => boolean): Promise<string> {
    const file = join(dir, `out-${++runs}.txt`);
    const fd = openSync(file, 'w');
    const proc = spawn(process.execPath, [BIN, 'agent', ...args], { cwd: REPO_ROOT, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    const exited = exitWithOutput(proc);
    let gone = false;
    void exited.then(() => (gone = true));
    const end = Date.now() + 20_000;
    while (!gone && !done(readFileSync(file, 'utf8')) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    if (!gone) proc.kill('SIGTERM');
    await exited;
    return readFileSync(file, 'utf8');
  }

  it('prints the banner before the log lines of the start, which are not lost', async () => {
    const text = await run(
      ['-dev', '-data-dir', join(dir, 'data'), '-http-port', '0', '-dns-port', '-1', '-server-port', '0', '-serf-lan-port', '0', '-log-level', 'debug'],
      (t) => t.includes('cluster leadership acquired'),
    );
    const lines = text.split('\n');
    const starting = lines.indexOf('==> Starting Sextant agent...');
    const streaming = lines.indexOf('==> Log data will now stream in as it occurs:');
    const firstLog = lines.findIndex((l) => /^\d{4}-\d\d-\d\dT.* \[(DEBUG|INFO|WARN)/.test(l));
    expect(starting).toBeGreaterThanOrEqual(0);
    expect(lines.slice(0, starting).every((l) => l.startsWith('==> WARNING: '))).toBe(true);
    expect(streaming).toBeGreaterThan(starting);
    expect(firstLog).toBeGreaterThan(streaming);
    // The lines logged while starting come after the banner, in order, none dropped.
    const plugin = lines.findIndex((l) => l.includes('plugin loaded: plugin=log-store-sqlite'));
    const http = lines.findIndex((l) => l.includes('HTTP API listening'));
    expect(plugin).toBeGreaterThan(streaming);
    expect(http).toBeGreaterThan(plugin);
  });

  it('on a failed start prints what was logged before the failure, then the error', async () => {
    const blocker = await new Promise<net.Server>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => resolve(s));
    });
    const port = (blocker.address() as AddressInfo).port;
    try {
      const text = await run(['-dev', '-http-port', String(port), '-dns-port', '-1', '-server-port', '0', '-serf-lan-port', '0', '-log-level', 'info'], () => false);
      expect(text).not.toContain('Log data will now stream');
      expect(text).toMatch(/\[INFO\] {2}agent: raft storage ready[\s\S]*==> Failed to listen on 127\.0\.0\.1:\d+: listen EADDRINUSE/);
    } finally {
      blocker.close();
    }
  });
});
