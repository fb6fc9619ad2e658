import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerCheckRunner } from '../../plugins/check-docker/docker-check-runner.js';
import { SCRIPTS_DISABLED_LOCAL, SCRIPTS_DISABLED_REMOTE } from '../../src/plugin-sdk/checks/script-policy.js';
import { SystemClock } from '../../src/platform/system-clock.js';
import { SilentLogger } from '../../src/testing/silent-logger.js';
import type { CheckDefinition } from '../../contracts/ports/check-runner.js';
import { FakeDockerEngine } from '../support/fake-docker-engine.js';

let engine: FakeDockerEngine;
const never = new AbortController().signal;

beforeAll(async () => {
  engine = await FakeDockerEngine.start();
  engine.addContainer('web', (cmd) => {
    const line = cmd.join(' ');
    if (line === 'check ok') return { exitCode: 0, output: [{ stream: 'stdout', data: 'ok\n' }, { stream: 'stderr', data: 'note\n' }] };
    if (line === 'check warn') return { exitCode: 1, output: [{ stream: 'stdout', data: 'degraded\n' }] };
    if (line === 'check down') return { exitCode: 3, output: [{ stream: 'stderr', data: 'down\n' }] };
    if (line === 'check big')
      return {
        exitCode: 0,
        output: [
          { stream: 'stdout', data: 'a'.repeat(3000) },
          { stream: 'stderr', data: 'b'.repeat(2000) },
          { stream: 'stdout', data: 'END' },
        ],
      };
    if (line === 'check huge') return { exitCode: 0, output: [{ stream: 'stdout', data: Buffer.alloc(100_000, 0x78) }] };
    if (line === 'check racy') return { exitCode: 1, output: [{ stream: 'stdout', data: 'late\n' }], runningInspects: 3 };
    if (line === 'check hang') return { exitCode: 0, output: [{ stream: 'stdout', data: 'begun\n' }], delayMs: 3000 };
    return { exitCode: 0, output: [{ stream: 'stdout', data: `ran: ${JSON.stringify(cmd)}` }] };
  });
  engine.addContainer('sleepy', () => ({ exitCode: 0 }), 'paused');
});

afterAll(async () => {
  await engine.close();
});

function runner(overrides: Partial<ConstructorParameters<typeof DockerCheckRunner>[0]> = {}): DockerCheckRunner {
  return new DockerCheckRunner({
    enableScriptChecks: true,
    enableLocalScriptChecks: false,
    clock: new SystemClock(),
    logger: new SilentLogger(),
    dockerHost: engine.dockerHost,
    defaultShell: '/bin/sh',
    ...overrides,
  });
}

function def(fields: Record<string, unknown>): CheckDefinition {
  return { id: 'd', name: 'd', docker_container_id: 'web', ...fields };
}

describe('docker check against a fake Engine API on a unix socket', () => {
  it('exec create → start → inspect; exit 0 is passing with stdout and stderr demultiplexed', async () => {
    const before = engine.requests.length;
    expect(await runner().probe(def({ args: ['check', 'ok'] }), never)).toEqual({ status: 'passing', output: 'ok\nnote\n' });
    const reqs = engine.requests.slice(before);
    expect(reqs.map((r) => `${r.method} ${r.path.replace(/[0-9a-f]{64}/, '<id>')}`)).toEqual([
      'POST /containers/web/exec',
      'POST /exec/<id>/start',
      'GET /exec/<id>/json',
    ]);
    expect(reqs[0]!.body).toEqual({ AttachStdin: false, AttachStdout: true, AttachStderr: true, Tty: false, Cmd: ['check', 'ok'] });
    expect(reqs[1]!.body).toEqual({ Detach: false, Tty: false });
    expect(reqs[0]!.headers['content-type']).toBe('application/json');
  });

  it('exit 1 is warning, other codes critical', async () => {
    expect(await runner().probe(def({ args: ['check', 'warn'] }), never)).toEqual({ status: 'warning', output: 'degraded\n' });
    expect(await runner().probe(def({ args: ['check', 'down'] }), never)).toEqual({ status: 'critical', output: 'down\n' });
  });

  it('a legacy script runs as [shell, "-c", script], shell from the definition or the default', async () => {
    expect((await runner().probe(def({ script: 'curl -f localhost' }), never)).output).toBe('ran: ["/bin/sh","-c","curl -f localhost"]');
    expect((await runner().probe(def({ script: 'true', shell: '/bin/bash' }), never)).output).toBe('ran: ["/bin/bash","-c","true"]');
  });

  it('caps output at 4096 bytes keeping the end, with the Captured prefix', async () => {
    const r = await runner().probe(def({ args: ['check', 'big'] }), never);
    expect(r.status).toBe('passing');
    expect(r.output).toBe(`Captured 4096 of 5003 bytes\n...\n${'a'.repeat(2093)}${'b'.repeat(2000)}END`);
    const small = await runner().probe(def({ args: ['check', 'big'], output_max_size: 5 }), never);
    expect(small.output).toBe('Captured 5 of 5003 bytes\n...\nbbEND');
  });

  it('demultiplexes a frame larger than one socket read', async () => {
    const r = await runner().probe(def({ args: ['check', 'huge'], output_max_size: 200 }), never);
    expect(r.output).toBe(`Captured 200 of 100000 bytes\n...\n${'x'.repeat(200)}`);
  });

  it('re-inspects while the engine still reports the exec as running', async () => {
    expect(await runner().probe(def({ args: ['check', 'racy'] }), never)).toEqual({ status: 'warning', output: 'late\n' });
  });

  it('an unknown container is critical with Consul text (404)', async () => {
    expect(await runner().probe(def({ docker_container_id: 'nope', args: ['x'] }), never)).toEqual({
      status: 'critical',
      output: 'create exec failed for unknown container nope',
    });
  });

  it('a paused container is critical with Consul text (409)', async () => {
    expect(await runner().probe(def({ docker_container_id: 'sleepy', args: ['x'] }), never)).toEqual({
      status: 'critical',
      output: 'create exec failed since container sleepy is paused or stopped',
    });
  });

  it('a missing engine socket is critical with Go dial error text', async () => {
    const r = await runner({ dockerHost: 'unix:///nonexistent/docker.sock' }).probe(def({ args: ['check', 'ok'] }), never);
    expect(r).toEqual({
      status: 'critical',
      output: 'create exec failed for container web: Post "http://unix/containers/web/exec": dial unix /nonexistent/docker.sock: connect: no such file or directory',
    });
  });

  it('times out with the partial output', async () => {
    const t0 = Date.now();
    const r = await runner().probe(def({ args: ['check', 'hang'], timeout: '400ms' }), never);
    expect(Date.now() - t0).toBeLessThan(2500);
    expect(r).toEqual({ status: 'critical', output: 'Timed out (400ms) running check\n\nbegun\n' });
  });

  it('accepts docker_container_id definitions; validates like a script check', () => {
    const r = runner({ enableScriptChecks: false, enableLocalScriptChecks: false });
    expect(r.accepts(def({ args: ['x'] }))).toBe(true);
    expect(r.accepts({ id: 'x', name: 'x', args: ['x'] })).toBe(false);
    expect(r.validate(def({ args: ['x'] }), 'config')).toBe(SCRIPTS_DISABLED_LOCAL);
    expect(r.validate(def({ args: ['x'] }), 'api')).toBe(SCRIPTS_DISABLED_REMOTE);
    expect(runner().validate(def({}), 'api')).toBe('docker_container_id: a docker check needs args (or script) to run in the container');
    expect(runner().validate(def({ args: ['x'], shell: 3 }), 'api')).toBe('shell: must be a string');
    expect(runner().validate(def({ args: ['x'] }), 'api')).toBeUndefined();
  });
});
