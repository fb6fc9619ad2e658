import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli, startAgent } from '../support/agent-process.js';
import type { AgentProcess } from '../support/agent-process.js';

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('the sextant CLI against a running agent', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-cli-'));
  const conf = join(dir, 'conf.d');
  let agent: AgentProcess;
  let env: Record<string, string>;

  beforeAll(async () => {
    mkdirSync(conf);
    writeFileSync(join(conf, 'agent.json'), JSON.stringify({ node_name: 'cli-node', log_level: 'info' }));
    writeFileSync(join(conf, 'README.txt'), 'not config: ignored');
    agent = await startAgent(['-dev', '-config-dir', conf, '-http-port', '0', '-dns-port', '-1', '-server-port', '0']);
    env = { SEXTANT_HTTP_ADDR: agent.httpAddr };
  });
  afterAll(async () => {
    if (agent?.proc.exitCode === null) await agent.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reloads on SIGHUP and on `sextant reload`, and refuses a broken file', async () => {
    writeFileSync(join(conf, 'agent.json'), JSON.stringify({ node_name: 'cli-node', log_level: 'debug' }));
    agent.proc.kill('SIGHUP');
    await until(() => agent.output().includes('reload complete'));
    const reload = await runCli(['reload'], env);
    expect(reload.code).toBe(0);
    expect(reload.stdout.trim()).toBe('Configuration reload triggered');

    writeFileSync(join(conf, 'broken.json'), '{ "datacenter": ');
    const refused = await runCli(['reload'], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('broken.json');
    agent.proc.kill('SIGHUP');
    await until(() => (agent.output().match(/reload refused/g) ?? []).length >= 2);
    rmSync(join(conf, 'broken.json'));
    const put = await runCli(['kv', 'put', 'after/reload', 'ok'], env);
    expect(put.code).toBe(0);
  });

  it('exports and imports KV data as base64 JSON', async () => {
    await runCli(['kv', 'put', '-flags', '7', 'exp/one', 'first'], env);
    await runCli(['kv', 'put', 'exp/two', 'second'], env);
    const exported = await runCli(['kv', 'export', 'exp/'], env);
    expect(exported.code).toBe(0);
    const data = JSON.parse(exported.stdout) as { key: string; flags: number; value: string }[];
    expect(data).toEqual([
      { key: 'exp/one', flags: 7, value: Buffer.from('first').toString('base64') },
      { key: 'exp/two', flags: 0, value: Buffer.from('second').toString('base64') },
    ]);
    const del = await runCli(['kv', 'delete', '-recurse', 'exp/'], env);
    expect(del.stdout.trim()).toBe('Success! Deleted keys with prefix: exp/');
    const imported = await runCli(['kv', 'import', '-'], env, exported.stdout);
    expect(imported.code).toBe(0);
    const detailed = await runCli(['kv', 'get', '-detailed', 'exp/one'], env);
    expect(detailed.stdout).toMatch(/Flags\s+7/);
    expect(detailed.stdout).toMatch(/Value\s+first/);
  });

  it('reports a missing key and CAS failures the way consul does', async () => {
    const miss = await runCli(['kv', 'get', 'nope/nothing'], env);
    expect(miss.code).toBe(1);
    expect(miss.stderr.trim()).toBe('Error! No key exists at: nope/nothing');
    const cas = await runCli(['kv', 'put', '-cas', '-modify-index', '1', 'exp/one', 'x'], env);
    expect(cas.code).toBe(1);
    expect(cas.stderr.trim()).toBe('Error! Did not write to exp/one: CAS failed');
  });

  it('validates config directories without starting anything', async () => {
    const good = await runCli(['validate', conf]);
    expect(good.code).toBe(0);
    expect(good.stdout.trim()).toBe('Configuration is valid!');
    const badDir = join(dir, 'bad.d');
    mkdirSync(badDir);
    writeFileSync(join(badDir, 'a.json'), JSON.stringify({ ports: { http: 'x' }, no_such_key: 1 }));
    const bad = await runCli(['validate', badDir]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('a.json: /ports/http: must be integer');
    expect(bad.stderr).toContain('no_such_key');
    // What the agent would refuse at start is refused here too: plugin_config against the plugin's schema.
    const pluginDir = join(dir, 'plugin.d');
    mkdirSync(pluginDir);
    writeFileSync(
      join(pluginDir, 'agent.json'),
      JSON.stringify({ data_dir: join(dir, 'data'), plugins: [join(REPO_ROOT, 'examples', 'plugins', 'kv-change-counter')], plugin_config: { 'kv-change-counter': { port: 'eighty' } } }),
    );
    const badPlugin = await runCli(['validate', pluginDir]);
    expect(badPlugin.code).toBe(1);
    expect(badPlugin.stderr).toContain('agent.json: plugin kv-change-counter: plugin_config.kv-change-counter.port: must be integer');
  });

  it('shuts down cleanly on SIGINT (Ctrl-C) with exit code 0', async () => {
    agent.proc.kill('SIGINT');
    expect(await agent.exited).toBe(0);
    expect(agent.output()).toMatch(/caught signal SIGINT, shutting down[\s\S]*agent stopped/);
  });

  it('prints its version and refuses an unknown agent flag like Go flag does', async () => {
    const v = await runCli(['version']);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/^Sextant v\d+\.\d+\.\d+/);
    const bad = await runCli(['agent', '-no-such-flag']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('flag provided but not defined: -no-such-flag');
    // A stray word ends Go flag parsing; the flags after it must not be dropped silently. (The
    // missing config file makes a regression fail fast instead of starting an agent.)
    const extra = await runCli(['agent', '-dev', '-config-file', join(dir, 'absent.json'), 'extra', '-http-port', '0']);
    expect(extra.code).toBe(1);
    expect(extra.stderr.trim()).toBe('==> Unexpected extra arguments: [extra -http-port 0]');
  });
});
