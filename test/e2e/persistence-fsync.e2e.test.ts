import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { idFileName } from '../../src/agent/local-persistence.js';
import { startAgent } from '../support/agent-process.js';
import type { AgentProcess } from '../support/agent-process.js';

/** True when strace can trace a child here (installed, and ptrace allowed). */
function straceWorks(): boolean {
  try {
    execFileSync('strace', ['-qq', '-o', '/dev/null', 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * kill -9 cannot tell a written file from a durable one (the page cache outlives the process);
 * power loss can. So this watches the real agent's system calls with strace: an acknowledged
 * registration's file is written to a temp file that is fsync'd, renamed over the target, and
 * the directory is fsync'd (a rename is durable only then) before the 200; new directories are
 * made durable in their parent; removals fsync the directory; an unchanged re-registration
 * costs no fsync at all. Skipped where strace is missing or ptrace is not allowed (the property
 * is then covered only by review of src/platform/durable-file.ts).
 */
describe.skipIf(!straceWorks())('persisted registrations reach the disk (strace)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-fsync-'));
  const dataDir = join(dir, 'data');
  const trace = join(dir, 'trace.txt');
  const pidFile = join(dir, 'agent.pid');
  let agent: AgentProcess | undefined;
  afterAll(async () => {
    if (agent && agent.proc.exitCode === null) {
      try {
        process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL');
      } catch {
        agent.proc.kill('SIGKILL');
      }
      await agent.exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  /** Traced calls on the agent's own files (Raft's SQLite files left out). */
  const calls = (): string[] =>
    readFileSync(trace, 'utf8')
      .split('\n')
      .filter((l) => l.includes(dataDir) && !l.includes(join(dataDir, 'raft')));

  const fsyncOf = (path: string): RegExp => new RegExp(`fsync\\(\\d+<${escape(path)}>`);
  const renameOf = (from: RegExp, to: string): RegExp => new RegExp(`rename(?:at2?)?\\((?:AT_FDCWD, )?"${from.source}", (?:AT_FDCWD, )?"${escape(to)}"`);
  const unlinkOf = (path: string): RegExp => new RegExp(`unlink(?:at)?\\((?:AT_FDCWD, )?"${escape(path)}"`);

  /** Waits (strace writes as calls return) until `patterns` match lines in this order, from line `from`; returns the index after the last. */
  async function inOrder(patterns: RegExp[], from = 0): Promise<number> {
    const deadline = Date.now() + 5000;
    for (;;) {
      const lines = calls();
      let at = from;
      let found = 0;
      for (const p of patterns) {
        const i = lines.findIndex((l, k) => k >= at && p.test(l));
        if (i < 0) break;
        at = i + 1;
        found++;
      }
      if (found === patterns.length) return at;
      if (Date.now() > deadline) throw new Error(`not found in order from line ${from}: ${patterns[found]!.source}\n${lines.slice(from).join('\n')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** temp file fsync'd, renamed over `file`, directory fsync'd: the durable write of `file`. */
  const durableWrite = (file: string): RegExp[] => {
    const tmp = new RegExp(`${escape(file)}\\.[0-9a-f]+\\.tmp`);
    return [new RegExp(`fsync\\(\\d+<${tmp.source}>`), renameOf(tmp, file), fsyncOf(file.slice(0, file.lastIndexOf('/')))];
  };

  it('fsyncs file and directory before acknowledging, and skips unchanged content', async () => {
    agent = await startAgent(['-dev', '-data-dir', dataDir, '-pid-file', pidFile, '-http-port', '0', '-dns-port', '-1', '-server-port', '0'], {
      wrap: ['strace', '-f', '-qq', '-y', '-e', 'trace=fsync,fdatasync,rename,renameat,renameat2,unlink,unlinkat', '-o', trace],
    });
    const base = agent.httpAddr;
    // The node id, written at the first start.
    const started = await inOrder(durableWrite(join(dataDir, 'node-id')));

    const put = async (path: string, body?: unknown): Promise<number> => (await fetch(`${base}${path}`, { method: 'PUT', ...(body ? { body: JSON.stringify(body) } : {}) })).status;
    const def = { Name: 'cache', Port: 6379, Check: { TTL: '1m' } };
    expect(await put('/v1/agent/service/register', def)).toBe(200);
    const svcFile = join(dataDir, 'services', `${idFileName('cache')}.json`);
    const checkFile = join(dataDir, 'checks', `${idFileName('service:cache')}.json`);
    // The new services/ and checks/ directories are made durable in the data directory.
    await inOrder([fsyncOf(dataDir), ...durableWrite(checkFile)], started);
    let end = await inOrder(durableWrite(svcFile));

    // Re-registering the same definition writes nothing; a TTL pass writes its state durably.
    const before = calls().filter((l) => l.includes('/services/') || l.includes(`${checkFile}`)).length;
    expect(await put('/v1/agent/service/register', def)).toBe(200);
    expect(await put('/v1/agent/check/pass/service:cache?note=warm')).toBe(200);
    end = await inOrder(durableWrite(join(dataDir, 'checks', 'state', `${idFileName('service:cache')}.json`)), end);
    expect(calls().filter((l) => l.includes('/services/') || l.includes(`${checkFile}`)).length).toBe(before);

    // A deregistration removes the files and fsyncs their directories.
    expect(await put('/v1/agent/service/deregister/cache')).toBe(200);
    await inOrder([unlinkOf(svcFile), fsyncOf(join(dataDir, 'services')), unlinkOf(checkFile), fsyncOf(join(dataDir, 'checks'))], end);

    process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGTERM');
    expect(await agent.exited).toBe(0);
  });
});
