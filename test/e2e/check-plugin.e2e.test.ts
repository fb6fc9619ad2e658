import { cpSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startAgent } from '../support/agent-process.js';
import type { AgentProcess } from '../support/agent-process.js';

// Issue 3: a third-party check kind from examples/ (check-file-exists), loaded from the config
// directory's `plugins` by the built CLI, validated with its own schema fragment (plugin_config
// and its `file_exists` check field), and running: critical while the file is missing, passing
// once it exists, critical again after it is removed.

interface AgentCheck {
  CheckID: string;
  Status: string;
  Output: string;
  ServiceName: string;
  Type: string;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`${what}: not reached within ${ms} ms${last ? ` (last error: ${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('a third-party check kind loaded from the config directory (built CLI)', () => {
  const tmp = realpathSync(mkdtempSync(join(tmpdir(), 'sextant-check-plugin-')));
  const conf = join(tmp, 'examples'); // a copy of examples/: conf/plugins/check-file-exists
  const run = join(tmp, 'run');
  const ready = join(run, 'ready');
  let agent: AgentProcess;

  const checks = async (): Promise<Record<string, AgentCheck>> => {
    const res = await fetch(`${agent.httpAddr}/v1/agent/checks`);
    expect(res.status).toBe(200);
    return (await res.json()) as Record<string, AgentCheck>;
  };
  /** Waits for a probed result (a check starts critical with no output before its first run). */
  const checkStatus = (id: string, status: string): Promise<AgentCheck> =>
    until(`check ${id} ${status}`, async () => {
      const c = (await checks())[id];
      return c?.Status === status && c.Output !== '' ? c : undefined;
    });
  const passingInstances = async (): Promise<number> => {
    const res = await fetch(`${agent.httpAddr}/v1/health/service/app?passing`);
    expect(res.status).toBe(200);
    return ((await res.json()) as unknown[]).length;
  };

  beforeAll(async () => {
    cpSync(resolve('examples'), conf, { recursive: true });
    mkdirSync(run);
    writeFileSync(
      join(conf, 'agent.json'),
      JSON.stringify({
        plugins: ['./plugins/check-file-exists'],
        plugin_config: { 'check-file-exists': { allowed_roots: [tmp] } },
        service: { name: 'app', port: 8080, check: { file_exists: ready, interval: '1s' } },
      }),
    );
    agent = await startAgent(['-dev', '-config-dir', conf, '-http-port', '0', '-dns-port', '-1', '-server-port', '0']);
  });
  afterAll(async () => {
    if (agent?.proc.exitCode === null) await agent.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('a config-file check: critical while the file is missing, passing once it exists, critical after it is removed', async () => {
    const missing = await checkStatus('service:app', 'critical');
    expect(missing).toMatchObject({ ServiceName: 'app', Type: 'file_exists' });
    expect(missing.Output).toBe(`File ${ready} does not exist`);
    expect(await passingInstances()).toBe(0);

    writeFileSync(ready, 'ok\n');
    const present = await checkStatus('service:app', 'passing');
    expect(present.Output).toBe(`File ${ready} exists (3 bytes)`);
    await until('app passing in /v1/health/service', async () => ((await passingInstances()) === 1 ? true : undefined));

    rmSync(ready);
    await checkStatus('service:app', 'critical');
    await until('app no longer passing in /v1/health/service', async () => ((await passingInstances()) === 0 ? true : undefined));
  });

  it('an HTTP API registration with the plugin field ("FileExists", folded to file_exists)', async () => {
    const flag = join(run, 'flag');
    const register = (body: unknown): Promise<Response> =>
      fetch(`${agent.httpAddr}/v1/agent/check/register`, { method: 'PUT', body: JSON.stringify(body) });

    const ok = await register({ Name: 'f', FileExists: flag, Interval: '1s' });
    expect(ok.status).toBe(200);
    expect(await checkStatus('f', 'critical')).toMatchObject({ Type: 'file_exists', Output: `File ${flag} does not exist` });
    writeFileSync(flag, '');
    await checkStatus('f', 'passing');

    // The plugin's check-field schema and its runner's own validation both answer 400.
    const relative = await register({ Name: 'g', FileExists: 'run/flag', Interval: '1s' });
    expect(relative.status).toBe(400);
    expect(await relative.text()).toContain('Invalid check: file_exists must match pattern "^/"');
    const outside = await register({ Name: 'h', FileExists: '/etc/hostname', Interval: '1s' });
    expect(outside.status).toBe(400);
    expect(await outside.text()).toContain('is outside the allowed roots');
    expect(Object.keys(await checks()).sort()).toEqual(['f', 'service:app']);
  });

  it('`sextant validate` accepts the plugin field and reports a typo in it by file and JSON pointer', async () => {
    const good = await runCli(['validate', conf]);
    expect(good.stderr).toBe('');
    expect(good.stdout.trim()).toBe('Configuration is valid!');
    expect(good.code).toBe(0);

    const bad = join(tmp, 'bad.d');
    mkdirSync(bad);
    const file = join(bad, 'agent.json');
    writeFileSync(
      file,
      JSON.stringify({
        plugins: ['../examples/plugins/check-file-exists'],
        service: { name: 'app', checks: [{ file_exist: ready, interval: '1s' }, { file_exists: 'relative', interval: '1s' }] },
      }),
    );
    const res = await runCli(['validate', bad]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`${file}: /service/checks/0/file_exist: unknown key (did you mean "file_exists"?)`);
    expect(res.stderr).toContain(`${file}: /service/checks/1/file_exists: must match pattern "^/"`);
  });
});
