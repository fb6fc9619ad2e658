import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScriptCheckRunner } from '../../plugins/check-script/script-check-runner.js';
import { SCRIPTS_DISABLED_LOCAL, SCRIPTS_DISABLED_REMOTE } from '../../src/plugin-sdk/checks/script-policy.js';
import { SystemClock } from '../../src/platform/system-clock.js';
import { ManualClock } from '../../src/testing/manual-clock.js';
import { SilentLogger } from '../../src/testing/silent-logger.js';
import type { CheckDefinition } from '../../contracts/ports/check-runner.js';

const node = process.execPath;
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function runner(opts: Partial<ConstructorParameters<typeof ScriptCheckRunner>[0]> = {}): ScriptCheckRunner {
  return new ScriptCheckRunner({
    enableScriptChecks: true,
    enableLocalScriptChecks: false,
    clock: new SystemClock(),
    logger: new SilentLogger(),
    ...opts,
  });
}

function def(fields: Record<string, unknown>): CheckDefinition {
  return { id: 'c1', name: 'c1', ...fields };
}

const never = new AbortController().signal;

/** True while `pid` exists and is not a zombie. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

async function waitGone(pids: number[], ms = 3000): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (pids.every((p) => !alive(p))) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return pids.every((p) => !alive(p));
}

async function readPid(file: string): Promise<number> {
  const until = Date.now() + 3000;
  while (Date.now() < until) {
    if (existsSync(file)) {
      const t = readFileSync(file, 'utf8').trim();
      if (t !== '') return Number(t);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`no pid in ${file}`);
}

describe('script check: exit codes and output', () => {
  it('exit 0 is passing with stdout and stderr combined', async () => {
    const r = await runner().probe(def({ args: [node, '-e', "process.stdout.write('out\\n'); process.stderr.write('err\\n')"] }), never);
    expect(r.status).toBe('passing');
    expect(r.output).toContain('out\n');
    expect(r.output).toContain('err\n');
    expect(r.output.length).toBe(8);
  });

  it('exit 1 is warning, exit 2 critical, death by signal critical', async () => {
    const rr = runner();
    expect(await rr.probe(def({ args: ['sh', '-c', 'echo slow; exit 1'] }), never)).toEqual({ status: 'warning', output: 'slow\n' });
    expect(await rr.probe(def({ args: ['sh', '-c', 'echo down; exit 2'] }), never)).toEqual({ status: 'critical', output: 'down\n' });
    expect((await rr.probe(def({ args: ['sh', '-c', 'kill -9 $$'] }), never)).status).toBe('critical');
  });

  it('args are passed without a shell (no word splitting or expansion)', async () => {
    const r = await runner().probe(def({ args: ['echo', '$HOME', 'a  b'] }), never);
    expect(r).toEqual({ status: 'passing', output: '$HOME a  b\n' });
  });

  it('a legacy `script` runs through $SHELL -c', async () => {
    const r = await runner({ env: { ...process.env, SHELL: '/bin/sh' } }).probe(def({ script: 'echo "via $0"; exit 1' }), never);
    expect(r).toEqual({ status: 'warning', output: 'via /bin/sh\n' });
  });

  it('a program that cannot start is critical with Go exec error text', async () => {
    const rr = runner();
    expect(await rr.probe(def({ args: ['sextant-no-such-program'] }), never)).toEqual({
      status: 'critical',
      output: 'exec: "sextant-no-such-program": executable file not found in $PATH',
    });
    expect(await rr.probe(def({ args: ['/nonexistent/dir/prog', 'x'] }), never)).toEqual({
      status: 'critical',
      output: 'fork/exec /nonexistent/dir/prog: no such file or directory',
    });
  });
});

describe('script check: output cap (Consul circbuf format)', () => {
  const big = (n: number) => def({ args: [node, '-e', `process.stdout.write('a'.repeat(${n}) + 'END')`] });

  it('keeps the last 4096 bytes with the "Captured N of M bytes" prefix', async () => {
    const r = await runner().probe(big(5000), never);
    expect(r.status).toBe('passing');
    expect(r.output.startsWith('Captured 4096 of 5003 bytes\n...\n')).toBe(true);
    const kept = r.output.slice('Captured 4096 of 5003 bytes\n...\n'.length);
    expect(kept.length).toBe(4096);
    expect(kept.endsWith('aaaEND')).toBe(true);
  });

  it('output exactly at the limit is not truncated', async () => {
    const r = await runner().probe(big(4093), never);
    expect(r.output.length).toBe(4096);
    expect(r.output.startsWith('Captured')).toBe(false);
  });

  it('output_max_size lowers the cap; it cannot raise it above the agent cap', async () => {
    const r = await runner().probe({ ...big(1000), output_max_size: 100 }, never);
    expect(r.output).toBe(`Captured 100 of 1003 bytes\n...\n${'a'.repeat(97)}END`);
    const r2 = await runner().probe({ ...big(5000), output_max_size: 10_000 }, never);
    expect(r2.output.startsWith('Captured 4096 of 5003 bytes\n...\n')).toBe(true);
  });
});

describe('script check: timeouts kill the process tree', () => {
  it('on timeout the child and its grandchild are killed and the output says so', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'check-script-'));
    dirs.push(dir);
    const parentPid = join(dir, 'parent.pid');
    const childPid = join(dir, 'child.pid');
    const script = `echo $$ > ${parentPid}; sleep 30 & echo $! > ${childPid}; echo started; wait`;
    const started = Date.now();
    const p = runner().probe(def({ args: ['sh', '-c', script], timeout: '700ms' }), never);
    const pids = [await readPid(parentPid), await readPid(childPid)];
    expect(pids.every(alive)).toBe(true);
    const r = await p;
    expect(Date.now() - started).toBeLessThan(5000);
    expect(r).toEqual({ status: 'critical', output: 'Timed out (700ms) running check\n\nstarted\n' });
    expect(await waitGone(pids)).toBe(true);
  });

  it('the default timeout is 30s (on the injected clock)', async () => {
    const clock = new ManualClock();
    let settled = false;
    const p = runner({ clock })
      .probe(def({ args: ['sleep', '60'] }), never)
      .finally(() => (settled = true));
    await new Promise((r) => setTimeout(r, 100));
    clock.advance(29_999);
    await new Promise((r) => setTimeout(r, 100));
    expect(settled).toBe(false);
    clock.advance(1);
    expect(await p).toEqual({ status: 'critical', output: 'Timed out (30s) running check' });
  });

  it('aborting the probe kills the tree and resolves critical', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'check-script-'));
    dirs.push(dir);
    const childPid = join(dir, 'child.pid');
    const ac = new AbortController();
    const p = runner().probe(def({ args: ['sh', '-c', `sleep 30 & echo $! > ${childPid}; wait`] }), ac.signal);
    const pid = await readPid(childPid);
    ac.abort();
    const r = await p;
    expect(r.status).toBe('critical');
    expect(r.output).toBe('Check canceled');
    expect(await waitGone([pid])).toBe(true);
  });

  it('close() kills running probes', async () => {
    const rr = runner();
    const p = rr.probe(def({ args: ['sleep', '30'] }), never);
    await new Promise((r) => setTimeout(r, 100));
    await rr.close();
    expect((await p).status).toBe('critical');
  });
});

describe('script check: accepts and validate', () => {
  it('accepts args or script, but not docker checks or other kinds', () => {
    const rr = runner();
    expect(rr.accepts(def({ args: ['true'] }))).toBe(true);
    expect(rr.accepts(def({ script: 'true' }))).toBe(true);
    expect(rr.accepts(def({ args: ['true'], docker_container_id: 'abc' }))).toBe(false);
    expect(rr.accepts(def({ http: 'http://x' }))).toBe(false);
    expect(rr.accepts(def({ args: [] }))).toBe(false);
  });

  it('refuses scripts per origin with Consul texts', () => {
    const d = def({ args: ['true'] });
    const none = runner({ enableScriptChecks: false, enableLocalScriptChecks: false });
    expect(none.validate(d, 'config')).toBe(SCRIPTS_DISABLED_LOCAL);
    expect(none.validate(d, 'api')).toBe(SCRIPTS_DISABLED_REMOTE);
    expect(SCRIPTS_DISABLED_LOCAL).toBe(
      "Scripts are disabled on this agent; to enable, configure 'enable_script_checks' or 'enable_local_script_checks' to true",
    );
    const local = runner({ enableScriptChecks: false, enableLocalScriptChecks: true });
    expect(local.validate(d, 'config')).toBeUndefined();
    expect(local.validate(d, 'api')).toBe(SCRIPTS_DISABLED_REMOTE);
    const all = runner({ enableScriptChecks: true, enableLocalScriptChecks: false });
    expect(all.validate(d, 'config')).toBeUndefined();
    expect(all.validate(d, 'api')).toBeUndefined();
  });

  it('names the bad field', () => {
    const rr = runner();
    expect(rr.validate(def({ args: ['x', 1] }), 'api')).toBe('args: must be a list of strings');
    expect(rr.validate(def({ args: ['x'], timeout: 'soon' }), 'api')).toBe('timeout: time: invalid duration "soon"');
    expect(rr.validate(def({ args: ['x'], timeout: '-1s' }), 'api')).toBe('timeout: must not be negative, got "-1s"');
    expect(rr.validate(def({ args: ['x'], output_max_size: -1 }), 'api')).toBe('output_max_size: must not be negative');
    expect(rr.validate(def({ args: ['x'], timeout: '5s', output_max_size: 10 }), 'api')).toBeUndefined();
  });
});
