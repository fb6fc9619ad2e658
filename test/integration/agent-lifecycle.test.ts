import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/agent-process.js';
import { startInProcessAgent } from '../support/in-process-agent.js';
import { Agent } from '../../src/kernel/agent.js';
import { parseAgentFlags } from '../../src/cli/agent-flags.js';
import { loadAgentConfig } from '../../src/kernel/load-agent-config.js';
import { ManualClock } from '../../src/testing/manual-clock.js';
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

  it('reports live agent and raft counters in /v1/agent/self Stats (what `consul info` prints)', async () => {
    const { agent, http } = await start(['-dev', '-node', 'stats-node']);
    type Self = { Config: { NodeID: string }; Stats: Record<string, Record<string, string>> };
    const self = async (): Promise<Self> => (await (await fetch(`${http}/v1/agent/self`)).json()) as Self;
    const before = await self();
    expect(before.Stats['agent']).toEqual({ check_monitors: '0', check_ttls: '0', checks: '0', services: '0' });
    const reg = await fetch(`${http}/v1/agent/service/register`, { method: 'PUT', body: JSON.stringify({ Name: 'web', Port: 80, Checks: [{ TTL: '30s' }, { TTL: '1m' }] }) });
    expect(reg.status).toBe(200);
    await fetch(`${http}/v1/agent/check/register`, { method: 'PUT', body: JSON.stringify({ Name: 'mem', TTL: '10s' }) });
    for (let i = 0; i < 5; i++) expect(await put(http, `stats/${i}`, 'x')).toBe('true');

    const after = await self();
    expect(after.Stats['agent']).toEqual({ check_monitors: '0', check_ttls: '3', checks: '3', services: '1' });
    const leader = JSON.parse(await (await fetch(`${http}/v1/status/leader`)).text()) as string;
    expect(after.Stats['consul']).toMatchObject({ leader: 'true', leader_addr: leader, server: 'true' });
    const raft = after.Stats['raft']!;
    expect(raft).toMatchObject({
      state: 'Leader',
      num_peers: '0',
      last_contact: '0',
      latest_configuration: `[{Suffrage:Voter ID:${after.Config.NodeID} Address:${leader}}]`,
      latest_configuration_index: '1',
      protocol_version: '3',
    });
    expect(Number(raft['term'])).toBeGreaterThanOrEqual(2);
    // Five KV writes (and the catalog syncs) went through the log: the counters moved together.
    expect(Number(raft['applied_index'])).toBeGreaterThanOrEqual(Number(before.Stats['raft']!['applied_index']) + 5);
    // (anti-entropy may have an entry in flight: applied ≤ commit ≤ last log, not equal)
    expect(Number(raft['commit_index'])).toBeGreaterThanOrEqual(Number(raft['applied_index']));
    expect(Number(raft['last_log_index'])).toBeGreaterThanOrEqual(Number(raft['commit_index']));
    expect(raft['last_log_term']).toBe(raft['term']);
    await agent.stop();
    running.splice(running.indexOf(agent), 1);
  });

  it('restores snapshot plus log tail after a restart, with the log compacted', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'raft.json'), JSON.stringify({ raft_snapshot_threshold: 50, raft_snapshot_interval: "100ms", raft_trailing_logs: 10 }));
    const args = ['-dev', '-data-dir', join(dir, 'data'), '-config-file', join(dir, 'raft.json')];
    const first = await start(args);
    for (let i = 0; i < 180; i++) expect(await put(first.http, `snap/${String(i).padStart(3, '0')}`, `v${i}`)).toBe('true');
    const before = await (await fetch(`${first.http}/v1/kv/snap/?recurse`)).json();
    // Snapshots are checked once per raft_snapshot_interval (as hashicorp/raft does) and taken once 50
    // entries were applied since the last one; after 180 writes the last one is therefore past index
    // 130 (where exactly depends on when the checks fell): wait for it.
    const lastSnapshot = async (): Promise<number> =>
      Number(((await (await fetch(`${first.http}/v1/agent/self`)).json()) as { Stats: { raft: Record<string, string> } }).Stats.raft['last_snapshot_index']);
    await expect.poll(lastSnapshot, { timeout: 20_000, interval: 100 }).toBeGreaterThan(130);
    await first.agent.stop();
    running.splice(running.indexOf(first.agent), 1);
    expect(first.logs.some((l) => l.includes('snapshot complete'))).toBe(true);
    const storage = await SqliteRaftStorage.open(join(dir, 'data', 'raft', 'raft.db'));
    const firstIndex = await storage.log.firstIndex();
    const snapshot = await storage.snapshots.latestSnapshot();
    await storage.close();
    expect(snapshot!.meta.lastIndex).toBeGreaterThan(130);
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

  it('a reload that turns script checks on and adds one is refused with why: the switch takes effect at the next start', async () => {
    const dir = tempDir();
    const conf = join(dir, 'conf.d');
    await import('node:fs/promises').then((fs) => fs.mkdir(conf, { recursive: true }));
    writeFileSync(join(conf, 'agent.json'), JSON.stringify({ node_name: 'scripts' }));
    const { http } = await start(['-dev', '-config-dir', conf]);
    writeFileSync(join(conf, 'scripts.json'), JSON.stringify({ enable_local_script_checks: true, service: { name: 's', check: { args: ['true'], interval: '10s' } } }));
    const refused = await fetch(`${http}/v1/agent/reload`, { method: 'PUT' });
    expect(refused.status).toBe(500);
    expect(await refused.text()).toMatch(/Scripts are disabled on this agent.*\(enable_local_script_checks is set in the new configuration, but it takes effect at the next start: restart the agent to run script checks\)/);
    // A fresh start with the same files runs the check.
    const { http: freshHttp } = await start(['-dev', '-config-dir', conf]);
    expect(Object.keys((await (await fetch(`${freshHttp}/v1/agent/checks`)).json()) as object)).toEqual(['service:s']);
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

  it('reaps KV tombstones 15 minutes after the delete (on its clock), so deleted keys do not pile up', async () => {
    const flags = parseAgentFlags(['-dev', '-http-port', '0', '-dns-port', '-1', '-server-port', '0', '-serf-lan-port', '0']);
    const { config } = await loadAgentConfig({ flags });
    const clock = new ManualClock(1_700_000_000_000);
    const agent = await Agent.start({ config, clock, logSink: () => {} });
    running.push(agent);
    const http = `http://${agent.httpAddress()}`;
    expect(await put(http, 'gone/keep', 'x')).toBe('true');
    expect(await put(http, 'gone/drop', 'x')).toBe('true');
    await fetch(`${http}/v1/kv/gone/drop`, { method: 'DELETE' });
    const prefixIndex = async (): Promise<number> => Number((await fetch(`${http}/v1/kv/gone/?recurse`)).headers.get('x-consul-index'));
    const withTombstone = await prefixIndex(); // the delete's index: the tombstone keeps it
    const advance = async (minutes: number): Promise<void> => {
      for (let s = 0; s < minutes * 60; s++) {
        clock.advance(1000);
        await new Promise((r) => setImmediate(r));
      }
    };
    await advance(14);
    expect(await prefixIndex(), 'kept for 15 minutes').toBe(withTombstone);
    await advance(2);
    // Reaped: the prefix index falls back to its live key's (Consul's documented index reset).
    expect(await prefixIndex()).toBeLessThan(withTombstone);
  }, 60_000);
});
