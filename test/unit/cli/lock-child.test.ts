import { describe, expect, it } from 'vitest';
import { LockChild, goExitText } from '../../../src/cli/lock/lock-child.js';
import { SystemClock } from '../../../src/platform/system-clock.js';

function sink() {
  let text = '';
  return { write: (t: string) => (text += t), text: () => text };
}

const clock = new SystemClock();
const spec = (script: string, out = sink()) => ({
  args: [script],
  shell: true,
  shellPath: '/bin/sh',
  env: { PATH: process.env['PATH'] },
  stdio: { stdout: out, stderr: out },
});

describe('LockChild', () => {
  it('runs through sh -c with CONSUL_LOCK_HELD and SEXTANT_LOCK_HELD, and reports Go exit texts', async () => {
    const out = sink();
    const c = LockChild.start(clock, spec('echo $CONSUL_LOCK_HELD $SEXTANT_LOCK_HELD; exit 3', out));
    const x = await c.exited;
    expect(out.text()).toBe('true true\n');
    expect([x.code, x.error]).toEqual([3, 'exit status 3']);
    expect(goExitText(null, 'SIGTERM')).toBe('signal: terminated');
    expect(goExitText(0, null)).toBeUndefined();
  });

  it('without a shell, execs the words directly and reports a missing executable', async () => {
    const out = sink();
    const ok = LockChild.start(clock, { ...spec('', out), shell: false, args: ['echo', 'a  b', '$HOME'] });
    expect((await ok.exited).code).toBe(0);
    expect(out.text()).toBe('a  b $HOME\n');
    const bad = LockChild.start(clock, { ...spec(''), shell: false, args: ['/nonexistent/sextant-child'] });
    const x = await bad.exited;
    expect(x.startFailed).toBe(true);
    expect(x.error).toBe('exec: "/nonexistent/sextant-child": executable file not found in $PATH');
  });

  it('terminate: SIGTERM ends a cooperative child within the grace period', async () => {
    const c = LockChild.start(clock, spec('exec sleep 30'));
    await new Promise((r) => setTimeout(r, 100));
    const t0 = Date.now();
    expect(await c.terminate(2_000)).toBe('SIGTERM');
    expect(Date.now() - t0).toBeLessThan(1_500);
    expect((await c.exited).error).toBe('signal: terminated');
  });

  it('terminate: a child that ignores SIGTERM is SIGKILLed after the grace period', async () => {
    const out = sink();
    const c = LockChild.start(clock, spec(`trap 'echo got-term' TERM; echo ready; while :; do sleep 0.05; done`, out));
    for (let i = 0; i < 100 && !out.text().includes('ready'); i++) await new Promise((r) => setTimeout(r, 20));
    const steps: string[] = [];
    const t0 = Date.now();
    expect(await c.terminate(400, (s) => steps.push(s))).toBe('SIGKILL');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(380);
    expect(steps).toEqual(['term', 'grace-expired', 'kill']);
    expect(out.text()).toContain('got-term');
    expect((await c.exited).signal).toBe('SIGKILL');
  });
});
