import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, REPO_ROOT, runCli, startAgent } from '../support/agent-process.js';
import type { AgentProcess } from '../support/agent-process.js';

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const lines = (file: string): string[] => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l !== '') : []);
const value = (line: string): string | null => {
  const p = JSON.parse(line) as { Value: string } | null;
  return p === null ? null : Buffer.from(p.Value, 'base64').toString();
};

describe('sextant watch and config watches against a real agent', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-watch-'));
  const conf = join(dir, 'conf.d');
  const scriptOut = join(dir, 'script.out');
  const addedOut = join(dir, 'added.out');
  const eventCfgOut = join(dir, 'event-config.out');
  const posts: { method: string; headers: IncomingHttpHeaders; body: string }[] = [];
  let server: Server;
  let agent: AgentProcess;
  let env: Record<string, string>;
  const put = async (key: string, body: string): Promise<void> => {
    expect(await (await fetch(`${agent.httpAddr}/v1/kv/${key}`, { method: 'PUT', body })).text()).toContain('true');
  };
  const hup = async (): Promise<void> => {
    const before = agent.output().split('reload complete').length;
    agent.proc.kill('SIGHUP');
    await until(() => agent.output().split('reload complete').length > before);
  };

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        posts.push({ method: req.method ?? '', headers: req.headers, body });
        res.end('ok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    mkdirSync(conf);
    writeFileSync(join(conf, 'agent.json'), JSON.stringify({ node_name: 'watch-node', log_level: 'info' }));
    writeFileSync(join(conf, 'watch-script.json'), JSON.stringify({ watches: [{ type: 'key', key: 'cfg/k', args: ['sh', '-c', `cat >> '${scriptOut}'`] }] }));
    writeFileSync(join(conf, 'watch-event.json'), JSON.stringify({ watches: [{ type: 'event', name: 'deploy', args: ['sh', '-c', `cat >> '${eventCfgOut}'`] }] }));
    writeFileSync(
      join(conf, 'watch-http.json'),
      JSON.stringify({
        watches: [{ type: 'keyprefix', prefix: 'hook/', handler_type: 'http', http_handler_config: { path: `http://127.0.0.1:${port}/hook`, method: 'PUT', header: { 'X-Test': ['yes'] }, timeout: '5s' } }],
      }),
    );
    agent = await startAgent(['-dev', '-config-dir', conf, '-http-port', '0', '-dns-port', '-1', '-server-port', '0']);
    env = { SEXTANT_HTTP_ADDR: agent.httpAddr };
  });
  afterAll(async () => {
    if (agent?.proc.exitCode === null) await agent.stop();
    await new Promise((r) => server?.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it('without a handler prints the result once as Consul does and exits 0; bad parameters are refused', async () => {
    await put('cli/k', 'hello');
    const r = await runCli(['watch', '-type=key', '-key=cli/k'], env);
    expect(r.code).toBe(0);
    const pair = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(Object.keys(pair)).toEqual(['Key', 'CreateIndex', 'ModifyIndex', 'LockIndex', 'Flags', 'Value', 'Session']);
    expect(Buffer.from(pair['Value'] as string, 'base64').toString()).toBe('hello');
    expect(r.stdout).toContain('\n    "Key": "cli/k",\n');
    expect(await runCli(['watch', '-type=key', '-key=cli/absent'], env)).toMatchObject({ code: 0, stdout: 'null\n' });
    const services = await runCli(['watch', '-type=services'], env);
    expect(JSON.parse(services.stdout)).toHaveProperty('consul');

    expect(await runCli(['watch', '-type=key'], env)).toMatchObject({ code: 1, stderr: 'Must specify a single key to watch\n' });
    expect((await runCli(['watch'], env)).stderr).toMatch(/^Watch type must be specified\n/);
    expect(await runCli(['watch', '-type=event', '-name=deploy'], env)).toMatchObject({ code: 0, stdout: '[]\n' }); // no event yet
  });

  it('an event watch hands the child the current list, then only each newly fired event of its name', async () => {
    const out = join(dir, 'events.out');
    const p = spawn(process.execPath, [BIN, 'watch', '-type=event', '-name=deploy', `cat >> '${out}'`], { env: { ...process.env, ...env }, cwd: REPO_ROOT });
    try {
      await until(() => lines(out).length === 1);
      expect(JSON.parse(lines(out)[0]!)).toEqual([]);
      const first = (await (await fetch(`${agent.httpAddr}/v1/event/fire/deploy`, { method: 'PUT', body: 'one' })).json()) as { ID: string };
      await until(() => lines(out).length === 2);
      expect((await fetch(`${agent.httpAddr}/v1/event/fire/other`, { method: 'PUT' })).status).toBe(200); // another name: no run
      const cli = await runCli(['event', '-name', 'deploy', 'two'], env);
      expect(cli.code).toBe(0);
      const second = /Event ID: (\S+)/.exec(cli.stdout)![1]!;
      await until(() => lines(out).length === 3);
      await sleep(300);
      const batches = lines(out).map((l) => JSON.parse(l) as Record<string, unknown>[]);
      expect(batches.map((b) => b.map((e) => [e['ID'], e['Name'], e['Payload']]))).toEqual([[], [[first.ID, 'deploy', 'b25l']], [[second, 'deploy', 'dHdv']]]);
      expect(Object.keys(batches[1]![0]!)).toEqual(['ID', 'Name', 'Payload', 'NodeFilter', 'ServiceFilter', 'TagFilter', 'Version', 'LTime']);

      // Without a child: the whole current list, once, in Go's indented JSON.
      const once = await runCli(['watch', '-type=event', '-name=deploy'], env);
      expect(once.code).toBe(0);
      expect((JSON.parse(once.stdout) as { ID: string }[]).map((e) => e.ID)).toEqual([first.ID, second]);
      expect(once.stdout).toContain('\n        "Payload": "b25l",\n');
    } finally {
      p.kill('SIGTERM');
    }
    expect(await new Promise((r) => p.on('exit', (code) => r(code)))).toBe(0);
  });

  it('a config event watch fires on its first list and then on each new event, with that event only', async () => {
    await until(() => lines(eventCfgOut).length >= 1);
    expect(JSON.parse(lines(eventCfgOut)[0]!)).toEqual([]);
    const fired = (await (await fetch(`${agent.httpAddr}/v1/event/fire/deploy`, { method: 'PUT', body: 'three' })).json()) as { ID: string };
    await until(() => lines(eventCfgOut).some((l) => l.includes(fired.ID)));
    const batches = lines(eventCfgOut).slice(1).map((l) => (JSON.parse(l) as { ID: string; Payload: string }[]).map((e) => e.ID));
    expect(batches.every((b) => b.length === 1)).toBe(true);
    expect(new Set(batches.flat()).size).toBe(batches.length);
    expect(batches[batches.length - 1]).toEqual([fired.ID]);
  });

  it('with a handler runs it through the shell with the JSON on stdin on the first result and every change; a failing handler does not end it', async () => {
    const out = join(dir, 'cli.out');
    await put('cli/h', 'v1');
    const p = spawn(process.execPath, [BIN, 'watch', '-type=key', '-key=cli/h', `cat >> '${out}'; test "$CONSUL_INDEX" -gt 0 && grep -q v3never '${out}'`], {
      env: { ...process.env, ...env },
      cwd: REPO_ROOT,
    });
    let stderr = '';
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      await until(() => lines(out).length === 1);
      expect(value(lines(out)[0]!)).toBe('v1');
      await put('cli/h', 'v2');
      await until(() => lines(out).length === 2);
      await put('cli/other', 'x'); // another key: no run
      await put('cli/h', 'v3');
      await until(() => lines(out).length === 3);
      expect(lines(out).map(value)).toEqual(['v1', 'v2', 'v3']);
      expect(stderr).toContain('Error executing handler: exit status 1');
    } finally {
      p.kill('SIGTERM');
    }
    expect(await new Promise((r) => p.on('exit', (code) => r(code)))).toBe(0);
  });

  it('runs config watches, does not fire an unchanged one on SIGHUP, starts an added one and stops a removed one', async () => {
    await until(() => lines(scriptOut).length === 1);
    expect(lines(scriptOut)).toEqual(['null']); // first result: the key does not exist
    await put('cfg/k', 'one');
    await until(() => lines(scriptOut).length === 2);
    expect(value(lines(scriptOut)[1]!)).toBe('one');

    await hup();
    await sleep(700);
    expect(lines(scriptOut)).toHaveLength(2);

    writeFileSync(join(conf, 'watch-added.json'), JSON.stringify({ watches: [{ type: 'key', key: 'cfg/k', handler: `cat >> '${addedOut}'` }] }));
    await hup();
    await until(() => lines(addedOut).length === 1);
    expect(value(lines(addedOut)[0]!)).toBe('one');
    expect(lines(scriptOut)).toHaveLength(2);

    unlinkSync(join(conf, 'watch-script.json'));
    await hup();
    await put('cfg/k', 'two');
    await until(() => lines(addedOut).length === 2);
    await sleep(500);
    expect(lines(scriptOut)).toHaveLength(2);
    expect(value(lines(addedOut)[1]!)).toBe('two');
  });

  it('an http handler receives the JSON with the configured method and headers', async () => {
    await until(() => posts.length >= 1);
    expect(posts[0]).toMatchObject({ method: 'PUT', body: 'null\n' });
    expect(posts[0]!.headers['x-test']).toBe('yes');
    expect(posts[0]!.headers['content-type']).toBe('application/json');
    await put('hook/a', 'A');
    await until(() => posts.length >= 2);
    const pairs = JSON.parse(posts[1]!.body) as { Key: string }[];
    expect(pairs.map((p) => p.Key)).toEqual(['hook/a']);
    expect(Number(posts[1]!.headers['x-consul-index'])).toBeGreaterThan(0);
  });

  it('refuses a bad watch in the config at load, naming it', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ watches: [{ type: 'key', args: ['true'] }] }));
    const r = await runCli(['validate', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr + r.stdout).toContain('watches[0]: Must specify a single key to watch');
  });
});
