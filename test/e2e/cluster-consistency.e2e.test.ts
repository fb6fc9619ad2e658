import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startAgent } from '../support/agent-process.js';
import { getJson, putKv, waitFor } from '../support/agent-http.js';
import type { AgentProcess } from '../support/agent-process.js';

/**
 * Consistency modes across a real cluster: 3 `sextant agent -server -bootstrap-expect 3`
 * processes and 1 client agent on 127.0.21.1-4. ?stale on a follower reports X-Consul-KnownLeader
 * and a growing X-Consul-LastContact while the leader is SIGSTOPped; ?max_stale re-does a catalog
 * read on the leader ('No cluster leader' when there is none, as Consul); the stopped-then-resumed
 * old leader never answers a default or ?consistent read with the value it had before it was
 * deposed; a client agent's reads and writes ride through a kill -9 of the leader within
 * rpc_hold_timeout.
 */

const IPS = ['127.0.21.1', '127.0.21.2', '127.0.21.3', '127.0.21.4'] as const;
const HOLD_MS = 7_000;

interface Member {
  Name: string;
  Port: number;
  Tags: Record<string, string>;
}

interface Answer {
  status: number;
  body: string;
  knownLeader: string | null;
  lastContact: number;
  effective: string | null;
  ms: number;
}

async function get(a: AgentProcess, path: string): Promise<Answer> {
  const t0 = Date.now();
  const res = await fetch(`${a.httpAddr}${path}`);
  const body = await res.text();
  return {
    status: res.status,
    body,
    knownLeader: res.headers.get('x-consul-knownleader'),
    lastContact: Number(res.headers.get('x-consul-lastcontact') ?? NaN),
    effective: res.headers.get('x-consul-effective-consistency'),
    ms: Date.now() - t0,
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('consistency modes on a real 3-server cluster with a client agent', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-consistency-'));
  const started: AgentProcess[] = [];
  const stopped = new Set<AgentProcess>();
  afterAll(async () => {
    for (const a of stopped) a.proc.kill('SIGCONT');
    for (const a of started) if (a.proc.exitCode === null && a.proc.signalCode === null) await a.kill9();
    rmSync(dir, { recursive: true, force: true });
  });
  const perf = join(dir, 'perf.json');
  writeFileSync(perf, JSON.stringify({ performance: { raft_multiplier: 1 } }));

  const start = async (i: number, extra: string[]): Promise<AgentProcess> => {
    const a = await startAgent(
      ['-node', i < 3 ? `s${i + 1}` : 'c1', '-bind', IPS[i]!, '-data-dir', join(dir, `n${i + 1}`), '-http-port', '0', '-dns-port', '-1', '-log-level', 'info', '-config-file', perf, ...extra],
      { timeoutMs: 30_000 },
    );
    started.push(a);
    return a;
  };
  const sigstop = (a: AgentProcess): void => {
    a.proc.kill('SIGSTOP');
    stopped.add(a);
  };
  const sigcont = (a: AgentProcess): void => {
    a.proc.kill('SIGCONT');
    stopped.delete(a);
  };

  it('stale/default/consistent/max_stale as Consul, through SIGSTOP and kill -9 of the leader', async () => {
    const servers: AgentProcess[] = [];
    servers[0] = await start(0, ['-server', '-bootstrap-expect', '3', '-server-port', '0']);
    const s1 = (await getJson<Member[]>(servers[0], '/v1/agent/members')).find((m) => m.Name === 's1')!;
    const join1 = `${IPS[0]}:${s1.Port}`;
    const joinArgs = ['-retry-join', join1, '-retry-interval', '1s'];
    [servers[1], servers[2]] = await Promise.all([1, 2].map((i) => start(i, ['-server', '-bootstrap-expect', '3', '-server-port', '0', ...joinArgs])));
    const client = await start(3, joinArgs);

    const leaderOf = async (among: AgentProcess[]): Promise<AgentProcess> =>
      waitFor('one leader known to all', 20_000, async () => {
        const ls = await Promise.all(among.map((a) => getJson<string>(a, '/v1/status/leader')));
        if (ls[0] === '' || !ls.every((l) => l === ls[0])) return undefined;
        return servers[IPS.indexOf(ls[0]!.split(':')[0] as (typeof IPS)[number])];
      });
    const L = await leaderOf(servers);
    const [F, G] = servers.filter((s) => s !== L) as [AgentProcess, AgentProcess];
    await waitFor('a write through the client agent', 20_000, async () => ((await putKv(client, 'k', 'v1')) ? true : undefined));

    // 1. ?stale on a follower: its own state, a known leader, a small LastContact.
    const fresh = await waitFor('the follower has applied v1', 5_000, async () => {
      const r = await get(F, '/v1/kv/k?raw&stale');
      return r.body === 'v1' ? r : undefined;
    });
    expect(fresh.status).toBe(200);
    expect(fresh.knownLeader).toBe('true');
    expect(fresh.effective).toBe('stale');
    expect(fresh.lastContact).toBeLessThan(1_000);
    expect((await get(L, '/v1/kv/k?raw&stale')).lastContact).toBe(0);

    // 2. SIGSTOP the leader and the other follower: F can never elect a leader. Its stale reads
    // keep answering, LastContact grows, and once its election starts KnownLeader is false.
    sigstop(L);
    sigstop(G);
    const seen: Answer[] = [];
    await waitFor('KnownLeader false on the follower (its election started)', 6_000, async () => {
      const r = await get(F, '/v1/kv/k?raw&stale');
      seen.push(r);
      return r.knownLeader === 'false' ? true : undefined;
    });
    await sleep(300);
    const later = await get(F, '/v1/kv/k?raw&stale');
    seen.push(later);
    expect(seen.every((r) => r.status === 200 && r.body === 'v1')).toBe(true);
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.lastContact).toBeGreaterThanOrEqual(seen[i - 1]!.lastContact);
    expect(later.knownLeader).toBe('false');
    expect(later.lastContact).toBeGreaterThan(1_000);

    // 3. With no leader: ?max_stale shorter than LastContact re-does a catalog read on the leader,
    // and that answers Consul's 'No cluster leader' after rpc_hold_timeout; KV takes ?max_stale as
    // plain ?stale (Consul re-does only catalog/health reads); a default read is held the same.
    const [redo, kvStale, dflt] = await Promise.all([
      get(F, '/v1/catalog/nodes?max_stale=500ms'),
      get(F, '/v1/kv/k?raw&max_stale=500ms'),
      get(F, '/v1/kv/k?raw'),
    ]);
    expect(redo.status).toBe(500);
    expect(redo.body.trim()).toBe('No cluster leader');
    expect(redo.ms).toBeGreaterThanOrEqual(HOLD_MS - 500);
    expect(kvStale.status).toBe(200);
    expect(kvStale.body).toBe('v1');
    expect(kvStale.effective).toBe('stale');
    expect(dflt.status).toBe(500);
    expect(dflt.body.trim()).toBe('No cluster leader');

    // 4. Resume G only: F and G elect a new leader without L, and v2 is written there.
    sigcont(G);
    await waitFor('a leader among F and G', 15_000, async () => {
      const r = await get(F, '/v1/kv/k?raw&stale');
      return r.knownLeader === 'true' ? true : undefined;
    });
    expect(await putKv(F, 'k', 'v2')).toBe(true);

    // 5. Reads sent to the stopped old leader wait in its sockets beside the new leader's frames;
    // on resume it still believes it leads, but its lease ran out on the clock while it was
    // stopped, so neither a default nor a ?consistent read may answer v1 from its old state.
    const afterResumeP = Promise.all([
      get(L, '/v1/kv/k?raw&consistent'),
      get(L, '/v1/kv/k?raw'),
      get(L, '/v1/kv/k?raw&consistent'),
      get(L, '/v1/kv/k?raw'),
    ]);
    await sleep(200);
    sigcont(L);
    const afterResume = await afterResumeP;
    for (const r of afterResume) {
      expect(r.body).not.toBe('v1');
      expect(r.status).toBe(200);
      expect(r.body).toBe('v2');
    }

    // 6. With a leader, ?max_stale shorter than a follower's LastContact is answered by the leader.
    const newLeader = await leaderOf(servers);
    const follower = servers.find((s) => s !== newLeader)!;
    const byLeader = await waitFor('a max_stale catalog read re-done on the leader', 5_000, async () => {
      const r = await get(follower, '/v1/catalog/nodes?max_stale=1ms');
      return r.status === 200 && r.effective === 'leader' ? r : undefined;
    });
    expect(byLeader.lastContact).toBe(0);
    expect(byLeader.knownLeader).toBe('true');
    const staleEnough = await get(follower, '/v1/catalog/nodes?max_stale=1h');
    expect(staleEnough.effective).toBe('stale');

    // 7. kill -9 the leader: the client agent's writes and reads, sent right after, succeed within rpc_hold_timeout.
    await newLeader.kill9();
    const t0 = Date.now();
    const put = await fetch(`${client.httpAddr}/v1/kv/through-kill`, { method: 'PUT', body: 'ok' });
    expect(put.status, await put.clone().text()).toBe(200);
    expect((await put.text()).trim()).toBe('true');
    const readBack = await get(client, '/v1/kv/through-kill?raw');
    const readConsistent = await get(client, '/v1/kv/k?raw&consistent');
    expect(readBack.status).toBe(200);
    expect(readBack.body).toBe('ok');
    expect(readConsistent.body).toBe('v2');
    expect(Date.now() - t0).toBeLessThan(2 * HOLD_MS);
  }, 90_000);
});
