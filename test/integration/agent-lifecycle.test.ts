import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/agent-process.js';
import { startInProcessAgent } from '../support/in-process-agent.js';
import type { Agent } from '../../src/kernel/agent.js';
import { ErrorCode, isSextantError } from '../../contracts/errors.js';
import { SqliteRaftStorage } from '../../plugins/log-store-sqlite/sqlite-raft-storage.js';

const running: Agent[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const a of running.splice(0)) await a.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'sextant-agent-'));
  dirs.push(d);
  return d;
}

async function start(args: string[]): Promise<Awaited<ReturnType<typeof startInProcessAgent>>> {
  const started = await startInProcessAgent(args);
  running.push(started.agent);
  return started;
}

async function put(http: string, key: string, value: string): Promise<string> {
  return (await (await fetch(`${http}/v1/kv/${key}`, { method: 'PUT', body: value })).text()).trim();
}

describe('agent lifecycle', () => {
  it('loads the example third-party plugin from a config directory and feeds it KV changes', async () => {
    const dir = tempDir();
    // Copy the example so the plugin path is resolved relative to the config file, wherever it is.
    cpSync(join(REPO_ROOT, 'examples'), join(dir, 'examples'), { recursive: true });
    const { agent, http } = await start(['-dev', '-config-dir', join(dir, 'examples', 'third-party-plugin')]);
    const counter = agent.apiSurfaces().find((s) => s.name === 'kv-change-counter');
    expect(counter, 'the plugin surface is started').toBeDefined();
    expect(await put(http, 'a', '1')).toBe('true');
    expect(await put(http, 'b', '2')).toBe('true');
    expect(await put(http, 'b', '2')).toBe('true'); // identical rewrite: no change
    await fetch(`${http}/v1/kv/?recurse`, { method: 'DELETE' });
    const metrics = await (await fetch(`http://${counter!.addresses()[0]}/metrics`)).text();
    expect(metrics).toContain('sextant_kv_changes_total 3');
    expect(metrics).toContain('sextant_kv_keys_changed_total 4');
  });

  it('fails fast with the config file and plugin named when a plugin config is invalid', async () => {
    const dir = tempDir();
    cpSync(join(REPO_ROOT, 'examples'), join(dir, 'examples'), { recursive: true });
    const conf = join(dir, 'examples', 'third-party-plugin');
    writeFileSync(join(conf, 'zz-bad.json'), JSON.stringify({ plugin_config: { 'kv-change-counter': { port: 'eighty' } } }));
    const err = await start(['-dev', '-config-dir', conf]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isSextantError(err, ErrorCode.PluginConfigInvalid)).toBe(true);
    // Named: the files that set plugin_config.kv-change-counter (agent.json sets port 0, zz-bad.json the bad value).
    expect((err as Error).message).toBe(
      `${join(conf, 'agent.json')}, ${join(conf, 'zz-bad.json')}: plugin kv-change-counter: plugin_config.kv-change-counter.port: must be integer`,
    );
  });

  it("refuses a reload whose plugin_config fails the plugin's schema, keeping the running config", async () => {
    const dir = tempDir();
    cpSync(join(REPO_ROOT, 'examples'), join(dir, 'examples'), { recursive: true });
    const conf = join(dir, 'examples', 'third-party-plugin');
    const { agent, http, logs } = await start(['-dev', '-config-dir', conf]);
    writeFileSync(join(conf, 'zz-bad.json'), JSON.stringify({ plugin_config: { 'kv-change-counter': { port: 'eighty' } } }));
    const refused = await fetch(`${http}/v1/agent/reload`, { method: 'PUT' });
    expect(refused.status).toBe(500);
    expect(await refused.text()).toContain('plugin kv-change-counter: plugin_config.kv-change-counter.port: must be integer');
    expect(agent.config.pluginConfig).toEqual({ 'kv-change-counter': { port: 0 } });
    expect(logs.some((l) => l.includes('reload refused'))).toBe(true);
  });

  it('restores snapshot plus log tail after a restart, with the log compacted', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'raft.json'), JSON.stringify({ raft_snapshot_threshold: 50, raft_trailing_logs: 10 }));
    const args = ['-dev', '-data-dir', join(dir, 'data'), '-config-file', join(dir, 'raft.json')];
    const first = await start(args);
    for (let i = 0; i < 180; i++) expect(await put(first.http, `snap/${String(i).padStart(3, '0')}`, `v${i}`)).toBe('true');
    const before = await (await fetch(`${first.http}/v1/kv/snap/?recurse`)).json();
    await first.agent.stop();
    running.splice(running.indexOf(first.agent), 1);
    expect(first.logs.some((l) => l.includes('snapshot complete'))).toBe(true);
    const storage = await SqliteRaftStorage.open(join(dir, 'data', 'raft', 'raft.db'));
    const firstIndex = await storage.log.firstIndex();
    const snapshot = await storage.snapshots.latestSnapshot();
    await storage.close();
    expect(snapshot!.meta.lastIndex).toBeGreaterThanOrEqual(150);
    expect(firstIndex, 'log compacted behind the snapshot').toBeGreaterThan(100);

    const second = await start(args);
    const after = await (await fetch(`${second.http}/v1/kv/snap/?recurse`)).json();
    expect(after).toEqual(before);
    expect(second.logs.some((l) => l.includes('restored state from snapshot'))).toBe(true);
    expect(await put(second.http, 'snap/after', 'x')).toBe('true');
  });

  it('reloads: applies a new log level, refuses a broken config and keeps running', async () => {
    const dir = tempDir();
    const conf = join(dir, 'conf.d');
    const file = join(conf, 'agent.json');
    rmSync(conf, { recursive: true, force: true });
    await import('node:fs/promises').then((fs) => fs.mkdir(conf, { recursive: true }));
    writeFileSync(file, JSON.stringify({ log_level: 'info' }));
    const { agent, logs, http } = await start(['-dev', '-config-dir', conf]);
    expect(agent.config.logLevel).toBe('info');

    writeFileSync(file, JSON.stringify({ log_level: 'debug' }));
    const ok = await fetch(`${http}/v1/agent/reload`, { method: 'PUT' });
    expect(ok.status).toBe(200);
    expect(agent.config.logLevel).toBe('debug');

    writeFileSync(file, '{ "log_level": "warn", "ports": { "http": "eighty" } }');
    const refused = await fetch(`${http}/v1/agent/reload`, { method: 'PUT' });
    expect(refused.status).toBe(500);
    expect(await refused.text()).toContain('/ports/http: must be integer');
    expect(agent.config.logLevel).toBe('debug');
    expect(logs.some((l) => l.includes('reload refused'))).toBe(true);
    expect(await put(http, 'still', 'alive')).toBe('true');
  });

  it('creates missing parent directories of the data dir and pid file, and removes the pid file on stop', async () => {
    const dir = tempDir();
    const pidFile = join(dir, 'run', 'deep', 'sextant.pid');
    const { agent } = await start(['-dev', '-data-dir', join(dir, 'a', 'b', 'data'), '-pid-file', pidFile]);
    expect(readFileSync(pidFile, 'utf8')).toBe(String(process.pid));
    expect(existsSync(join(dir, 'a', 'b', 'data', 'node-id'))).toBe(true);
    await agent.stop();
    running.splice(running.indexOf(agent), 1);
    expect(existsSync(pidFile)).toBe(false);
  });
});
