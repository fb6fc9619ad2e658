import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, startAgent } from '../support/agent-process.js';
import { getJson, waitFor } from '../support/agent-http.js';
import type { AgentProcess } from '../support/agent-process.js';

/**
 * Issue 14: `sextant snapshot save` from one agent, `snapshot restore` into a fresh 3-server
 * cluster of real processes (through a follower): every server then has every key, service,
 * check and session (read with ?stale from each, so each server's own state is checked).
 */

const IPS = ['127.0.114.1', '127.0.114.2', '127.0.114.3'] as const;

const put = (a: AgentProcess, path: string, body: string): Promise<Response> => fetch(`${a.httpAddr}${path}`, { method: 'PUT', body });

describe('snapshot save and restore into a fresh 3-server cluster', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-snapshot-cluster-'));
  const started: AgentProcess[] = [];
  afterAll(async () => {
    for (const a of started) if (a.proc.exitCode === null && a.proc.signalCode === null) await a.kill9();
    rmSync(dir, { recursive: true, force: true });
  });
  const perf = join(dir, 'perf.json');
  writeFileSync(perf, JSON.stringify({ performance: { raft_multiplier: 1 } }));

  it('gives back every key, service, check and session on every server', async () => {
    // The source: one dev agent with KV keys, an external service with a check, and a session.
    const src = await startAgent(['-dev', '-node', 'src', '-bind', '127.0.114.9', '-http-port', '0', '-dns-port', '-1', '-server-port', '0'], { timeoutMs: 30_000 });
    started.push(src);
    for (const [k, v] of [['app/a', 'one'], ['app/b', 'two']]) expect((await put(src, `/v1/kv/${k}`, v!)).status).toBe(200);
    const reg = await put(src, '/v1/catalog/register', JSON.stringify({
      Node: 'ext', Address: '10.0.0.9', Service: { ID: 'web', Service: 'web', Port: 80 },
      Check: { CheckID: 'web-ok', Name: 'web ok', Status: 'passing', ServiceID: 'web' },
    }));
    expect(reg.status).toBe(200);
    const created = await put(src, '/v1/session/create', JSON.stringify({ Name: 's1', Node: 'ext', Checks: [] }));
    expect(created.status).toBe(200);
    const sessionId = ((await created.json()) as { ID: string }).ID;
    const file = join(dir, 'backup.snap');
    const saved = await runCli(['snapshot', 'save', '-http-addr', src.httpAddr, file]);
    expect(saved.code, saved.stderr).toBe(0);
    expect(saved.stdout).toMatch(/^Saved and verified snapshot to index \d+\n$/);
    const inspected = await runCli(['snapshot', 'inspect', file]);
    expect(inspected.code, inspected.stderr).toBe(0);
    expect(inspected.stdout).toMatch(/^ID\s+\S+\nSize\s+\d+\nIndex\s+\d+\nTerm\s+\d+\nVersion\s+1\n$/);

    // A fresh cluster of three servers.
    const agents: AgentProcess[] = [];
    const start = async (i: number, extra: string[]): Promise<AgentProcess> => {
      const a = await startAgent(
        ['-server', '-bootstrap-expect', '3', '-node', `s${i + 1}`, '-bind', IPS[i]!, '-data-dir', join(dir, `s${i + 1}`),
          '-http-port', '0', '-dns-port', '-1', '-server-port', '0', '-log-level', 'info', '-config-file', perf, ...extra],
        { timeoutMs: 30_000 },
      );
      started.push(a);
      return a;
    };
    agents[0] = await start(0, []);
    const s1 = (await getJson<{ Name: string; Port: number }[]>(agents[0], '/v1/agent/members')).find((m) => m.Name === 's1')!;
    const join1 = `${IPS[0]}:${s1.Port}`;
    agents[1] = await start(1, ['-retry-join', join1, '-retry-interval', '1s']);
    agents[2] = await start(2, ['-retry-join', join1, '-retry-interval', '1s']);
    await waitFor('one leader known to all three', 30_000, async () => {
      const leaders = await Promise.all(agents.map((a) => getJson<string>(a, '/v1/status/leader')));
      return leaders[0] !== '' && leaders.every((l) => l === leaders[0]) ? true : undefined;
    });
    expect(await (await fetch(`${agents[0].httpAddr}/v1/kv/app/a`)).status).toBe(404);

    // Restore through every server in turn until one answers (a follower forwards to the leader).
    const restored = await waitFor('a restore', 15_000, async () => {
      const r = await runCli(['snapshot', 'restore', '-http-addr', agents[1]!.httpAddr, file]);
      return r.code === 0 ? r : undefined;
    });
    expect(restored.stdout).toBe('Restored snapshot\n');

    for (const a of agents) {
      await waitFor(`the restored state on ${a.httpAddr}`, 10_000, async () => {
        const r = await fetch(`${a.httpAddr}/v1/kv/app/a?raw&stale`);
        return r.status === 200 && (await r.text()) === 'one' ? true : undefined;
      });
      expect(await (await fetch(`${a.httpAddr}/v1/kv/app/b?raw&stale`)).text()).toBe('two');
      const svc = await getJson<{ Node: string; ServiceID: string }[]>(a, '/v1/catalog/service/web?stale');
      expect(svc.map((s) => [s.Node, s.ServiceID])).toEqual([['ext', 'web']]);
      const checks = await getJson<{ CheckID: string; Status: string }[]>(a, '/v1/health/checks/web?stale');
      expect(checks.map((c) => [c.CheckID, c.Status])).toEqual([['web-ok', 'passing']]);
      const sessions = await getJson<{ ID: string }[]>(a, `/v1/session/info/${sessionId}?stale`);
      expect(sessions.map((s) => s.ID)).toEqual([sessionId]);
    }
    // The cluster keeps taking writes after the restore.
    expect((await put(agents[2], '/v1/kv/after', 'restore')).status).toBe(200);
  }, 120_000);
});
