import { request } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Command } from '../../src/cli/command.js';
import { infoCommand, monitorCommand } from '../../src/cli/commands/index.js';
import type { Agent } from '../../src/kernel/agent.js';
import { startInProcessAgent } from '../support/in-process-agent.js';
import { runCommand } from '../support/run-command.js';

const dir = mkdtempSync(join(tmpdir(), 'sextant-telemetry-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let running: Agent | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

async function start(telemetry?: Record<string, unknown>) {
  const args = ['-dev'];
  if (telemetry) {
    const file = join(dir, `t-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(file, JSON.stringify({ telemetry }));
    args.push('-config-file', file);
  }
  const a = await startInProcessAgent(args);
  running = a.agent;
  return a;
}

/** Opens a streaming GET and collects its body as it arrives. */
function stream(url: string): { chunks: string[]; status: Promise<number>; close: () => void } {
  const chunks: string[] = [];
  let close = (): void => {};
  const status = new Promise<number>((resolve, reject) => {
    const req = request(url, (res) => {
      res.setEncoding('utf8');
      res.on('data', (c: string) => chunks.push(c));
      res.on('error', () => {});
      resolve(res.statusCode ?? 0);
    });
    req.on('error', (e) => (req.destroyed ? undefined : reject(e)));
    req.end();
    close = () => req.destroy();
  });
  return { chunks, status, close };
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('/v1/agent/monitor', () => {
  it('streams log lines as they happen at the requested level, text or JSON, and stops when the client goes', async () => {
    const { http, logs } = await start();
    const info = stream(`${http}/v1/agent/monitor?loglevel=info`);
    const debug = stream(`${http}/v1/agent/monitor?loglevel=debug`);
    const json = stream(`${http}/v1/agent/monitor?loglevel=INFO&logjson`);
    expect(await info.status).toBe(200);
    expect(await debug.status).toBe(200);
    expect(await json.status).toBe(200);
    expect((await fetch(`${http}/v1/agent/reload`, { method: 'PUT' })).status).toBe(200);
    await until(() => info.chunks.join('').includes('reload complete'), 'the info monitor');
    await until(() => json.chunks.join('').includes('reload complete'), 'the json monitor');
    await until(() => debug.chunks.join('').includes('Request finished'), 'the debug monitor');
    expect(info.chunks.join('')).toMatch(/^\S+ \[INFO\]  agent: reload complete$/m);
    expect(info.chunks.join('')).not.toContain('[DEBUG]'); // the PUT's "Request finished" is debug
    const jsonLines = json.chunks.join('').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(jsonLines).toContainEqual(expect.objectContaining({ '@level': 'info', '@module': 'agent', '@message': 'reload complete' }));
    info.close();
    debug.close();
    json.close();
    await until(() => logs.filter((l) => l.includes('Dropped logs during monitor request')).length === 3, 'the monitors to end');
  });

  it('refuses an unknown log level as Consul does', async () => {
    const { http } = await start();
    const res = await fetch(`${http}/v1/agent/monitor?loglevel=loud`);
    expect(res.status).toBe(400);
    expect(await res.text()).toBe('Unknown log level: loud');
  });
});

describe('/v1/agent/metrics', () => {
  it("answers go-metrics' JSON shape with Consul's names", async () => {
    const { http } = await start({ disable_hostname: true });
    for (let i = 0; i < 3; i++) expect((await fetch(`${http}/v1/kv/m${i}`, { method: 'PUT', body: 'x' })).status).toBe(200);
    const res = await fetch(`${http}/v1/agent/metrics`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['Counters', 'Gauges', 'Points', 'Samples', 'Timestamp']);
    expect(body['Timestamp']).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+0000 UTC$/);
    const gauges = body['Gauges'] as { Name: string; Value: number; Labels: object }[];
    expect(gauges.find((g) => g.Name === 'consul.runtime.alloc_bytes')?.Value).toBeGreaterThan(0);
    for (const s of [...(body['Samples'] as object[]), ...(body['Counters'] as object[])]) {
      expect(Object.keys(s).sort()).toEqual(['Count', 'Labels', 'Max', 'Mean', 'Min', 'Name', 'Rate', 'Stddev', 'Sum']);
    }
  });

  it('says Prometheus is off unless prometheus_retention_time is positive', async () => {
    const { http } = await start();
    const res = await fetch(`${http}/v1/agent/metrics?format=prometheus`);
    expect(res.status).toBe(415);
    expect(await res.text()).toBe('Prometheus is not enabled since its retention time is not positive');
  });

  it('is scraped as Prometheus text whose counters move with KV writes', async () => {
    const { http } = await start({ prometheus_retention_time: '60s', disable_hostname: true });
    const scrape = async () => {
      const res = await fetch(`${http}/v1/agent/metrics?format=prometheus`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const families = parsePrometheusTextFormat(await res.text());
      const num = (name: string, field: 'value' | 'count'): number =>
        families.filter((f) => f.name === name).flatMap((f) => f.metrics).reduce((n, m) => n + Number(m[field] ?? 0), 0);
      return {
        raftApply: num('consul_raft_apply', 'value'),
        kvsApply: num('consul_kvs_apply', 'count'),
        commitTime: num('consul_raft_commitTime', 'count'),
        httpPut: num('consul_http_PUT_v1_kv__', 'count'),
        gauges: families.filter((f) => f.type === 'GAUGE').map((f) => f.name),
      };
    };
    const before = await scrape();
    for (let i = 0; i < 5; i++) expect((await fetch(`${http}/v1/kv/p${i}`, { method: 'PUT', body: 'x' })).status).toBe(200);
    const after = await scrape();
    expect(after.raftApply - before.raftApply).toBeGreaterThanOrEqual(5);
    expect(after.kvsApply - before.kvsApply).toBe(5);
    expect(after.commitTime - before.commitTime).toBeGreaterThanOrEqual(5);
    expect(after.httpPut - before.httpPut).toBe(5);
    expect(after.gauges).toEqual(expect.arrayContaining(['consul_runtime_alloc_bytes', 'consul_runtime_num_goroutines']));
  });
});

function run(cmd: Command, args: string[], http: string) {
  return runCommand(cmd, args, { SEXTANT_HTTP_ADDR: http });
}

describe('sextant info', () => {
  it("prints Consul's sections with the real Raft figures", async () => {
    const { http } = await start();
    expect((await fetch(`${http}/v1/kv/info-key`, { method: 'PUT', body: 'x' })).status).toBe(200);
    const { code, stdout, stderr } = await run(infoCommand, [], http);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const sections = stdout.split('\n').filter((l) => /^\S.*:$/.test(l));
    expect(sections).toEqual(['agent:', 'build:', 'consul:', 'raft:', 'runtime:', 'serf_lan:']);
    const value = (k: string): string | undefined => new RegExp(`^\\t${k} = (.*)$`, 'm').exec(stdout)?.[1];
    expect(value('state')).toBe('Leader');
    expect(Number(value('term'))).toBeGreaterThanOrEqual(1);
    expect(Number(value('commit_index'))).toBeGreaterThanOrEqual(2);
    expect(value('applied_index')).toBe(value('commit_index'));
    expect(Number(value('last_log_index'))).toBeGreaterThanOrEqual(Number(value('commit_index')));
    expect(value('last_snapshot_index')).toMatch(/^\d+$/);
    expect(value('num_peers')).toBe('0');
    expect(value('last_contact')).toBe('0');
    expect(value('leader')).toBe('true');
    expect(value('members')).toBe('1');
    expect(stdout).toMatch(/^agent:\n\tcheck_monitors = 0\n/);
  });

  it('fails with Consul\'s text when the agent cannot be reached', async () => {
    const { code, stderr } = await run(infoCommand, [], 'http://127.0.0.1:1');
    expect(code).toBe(1);
    expect(stderr).toMatch(/^Error querying agent: /);
  });
});

describe('sextant monitor', () => {
  it('prints the agent\'s lines at -log-level as they happen until interrupted', async () => {
    const { http } = await start();
    let stdout = '';
    let stderr = '';
    const done = monitorCommand.run(['-log-level', 'debug', '-log-json'], {
      stdout: { write: (t: string) => (stdout += t) },
      stderr: { write: (t: string) => (stderr += t) },
      stdin: (async function* () {})(),
      env: { SEXTANT_HTTP_ADDR: http },
    });
    // The monitor is attached once its own request shows up in the log it streams.
    for (let i = 0; i < 200 && !stdout.includes('reload complete'); i++) {
      await fetch(`${http}/v1/agent/reload`, { method: 'PUT' });
      await new Promise((r) => setTimeout(r, 25));
    }
    const lines = stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toContainEqual(expect.objectContaining({ '@level': 'info', '@message': 'reload complete' }));
    expect(lines).toContainEqual(expect.objectContaining({ '@level': 'debug', '@message': 'Request finished' }));
    process.emit('SIGINT');
    expect(await done).toBe(0);
    expect(stderr).toBe('');
  });

  it('says why it cannot start', async () => {
    const { http } = await start();
    const { code, stderr } = await run(monitorCommand, ['-log-level', 'loud'], http);
    expect(code).toBe(1);
    expect(stderr).toBe('Error starting monitor: Unexpected response code: 400 (Unknown log level: loud)\n');
  });
});
