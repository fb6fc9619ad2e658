import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, startAgent } from '../support/agent-process.js';
import { getJson, putKv, waitFor } from '../support/agent-http.js';
import type { AgentProcess } from '../support/agent-process.js';

/**
 * Consul's Server.Leave across real processes: four `sextant agent -server` processes on
 * 127.0.24.1-4 (three bootstrap, the fourth is added and promoted). `sextant leave` on a
 * follower: the leader takes it out of the Raft configuration before it shuts down (3 peers
 * left). `sextant leave` on the leader: it removes itself first, and the remaining two elect a
 * new leader and list 2 peers; writes go on. Before that, `sextant operator raft transfer-leader
 * -id` moves leadership to the named server.
 */

const IPS = ['127.0.24.1', '127.0.24.2', '127.0.24.3', '127.0.24.4'] as const;

interface Member {
  Name: string;
  Addr: string;
  Port: number;
  Tags: Record<string, string>;
}

describe('graceful leave of a server (Consul Server.Leave) in a real cluster', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-server-leave-'));
  const started: AgentProcess[] = [];
  afterAll(async () => {
    for (const a of started) if (a.proc.exitCode === null && a.proc.signalCode === null) await a.kill9();
    rmSync(dir, { recursive: true, force: true });
  });
  const perf = join(dir, 'perf.json');
  writeFileSync(perf, JSON.stringify({ performance: { raft_multiplier: 1 } }));

  const start = async (i: number, extra: string[]): Promise<AgentProcess> => {
    const a = await startAgent(
      [
        '-server', '-bootstrap-expect', '3', '-node', `s${i + 1}`, '-bind', IPS[i]!, '-data-dir', join(dir, `s${i + 1}`),
        '-http-port', '0', '-dns-port', '-1', '-server-port', '0', '-log-level', 'info', '-config-file', perf, ...extra,
      ],
      { timeoutMs: 30_000 },
    );
    started.push(a);
    return a;
  };
  const self = async (a: AgentProcess, name: string): Promise<Member> => {
    const m = (await getJson<Member[]>(a, '/v1/agent/members')).find((x) => x.Name === name);
    if (!m) throw new Error(`${name} is not in its own members`);
    return m;
  };
  const peersOf = async (a: AgentProcess): Promise<string[]> => [...(await getJson<string[]>(a, '/v1/status/peers'))].sort();
  /** The voters of the Raft configuration (/v1/status/peers lists non-voters too, as Consul's). */
  const votersOf = async (a: AgentProcess): Promise<number> =>
    (await getJson<{ Servers: { Voter: boolean }[] }>(a, '/v1/operator/raft/configuration')).Servers.filter((s) => s.Voter).length;
  const tails = (as: AgentProcess[]): string => as.map((a) => a.output().split('\n').slice(-30).join('\n')).join('\n----\n');

  it('a follower is removed before it shuts down; a leader removes itself and the other two elect a leader', async () => {
    const agents: AgentProcess[] = [];
    agents[0] = await start(0, []);
    const s1 = await self(agents[0], 's1');
    const join1 = `${IPS[0]}:${s1.Port}`;
    agents[1] = await start(1, ['-retry-join', join1, '-retry-interval', '1s']);
    agents[2] = await start(2, ['-retry-join', join1, '-retry-interval', '1s']);
    await waitFor('3 peers on every server', 30_000, async () => ((await Promise.all(agents.map(peersOf))).every((p) => p.length === 3) ? true : undefined));
    agents[3] = await start(3, ['-retry-join', join1, '-retry-interval', '1s']);
    const addrs = await Promise.all(agents.map(async (a, i) => `${IPS[i]}:${(await self(a, `s${i + 1}`)).Tags['port']}`));
    await waitFor('the fourth server promoted (4 voters)', 40_000, async () => ((await votersOf(agents[0]!)) === 4 ? true : undefined)).catch((e: unknown) => {
      throw new Error(`${(e as Error).message}\n${tails(agents)}`);
    });

    // operator raft transfer-leader -id: leadership moves to the named voter.
    const before = await getJson<string>(agents[0]!, '/v1/status/leader');
    const conf = await getJson<{ Servers: { ID: string; Address: string }[] }>(agents[0]!, '/v1/operator/raft/configuration');
    const target = conf.Servers.find((s) => s.Address !== before)!;
    const moved = await runCli(['operator', 'raft', 'transfer-leader', '-id', target.ID, '-http-addr', agents[0]!.httpAddr]);
    expect(moved.code, moved.stderr).toBe(0);
    expect(moved.stdout.trim()).toBe('Success');
    await waitFor('every server follows the new leader', 10_000, async () =>
      (await Promise.all(agents.map((a) => getJson<string>(a, '/v1/status/leader')))).every((l) => l === target.Address) ? true : undefined,
    );

    // A follower leaves: the leader removes it while it waits, so it never times out.
    const leader = await getJson<string>(agents[0]!, '/v1/status/leader');
    expect(leader).toBe(target.Address);
    const fi = addrs.findIndex((a) => a !== leader);
    const follower = agents[fi]!;
    const out = await runCli(['leave', '-http-addr', follower.httpAddr]);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toContain('Graceful leave complete');
    expect(await follower.exited).toBe(0);
    expect(follower.output()).toContain('server starting leave');
    expect(follower.output()).not.toContain('failed to leave raft configuration gracefully');
    let rest = agents.filter((a) => a !== follower);
    const three = addrs.filter((a) => a !== addrs[fi]).sort();
    await waitFor('3 peers without the follower on every remaining server', 10_000, async () =>
      (await Promise.all(rest.map(peersOf))).every((p) => p.join() === three.join()) ? true : undefined,
    );

    // The leader leaves: it takes itself out of the configuration first; the other two elect a leader.
    const li = addrs.indexOf(leader);
    const leaving = agents[li]!;
    const out2 = await runCli(['leave', '-http-addr', leaving.httpAddr]);
    expect(out2.code, out2.stderr).toBe(0);
    expect(await leaving.exited).toBe(0);
    expect(leaving.output()).not.toContain('failed to remove ourself as a Raft peer');
    rest = rest.filter((a) => a !== leaving);
    const two = three.filter((a) => a !== leader);
    const newLeader = await waitFor('the remaining two agree on a new leader and list 2 peers', 20_000, async () => {
      const ls = await Promise.all(rest.map((a) => getJson<string>(a, '/v1/status/leader')));
      const ps = await Promise.all(rest.map(peersOf));
      return ls[0] !== '' && ls.every((l) => l === ls[0]) && ps.every((p) => p.join() === two.join()) ? ls[0] : undefined;
    }).catch((e: unknown) => {
      throw new Error(`${(e as Error).message}\n${tails([...rest, leaving])}`);
    });
    expect(two).toContain(newLeader);
    expect(await waitFor('a write on the two-server cluster', 10_000, async () => ((await putKv(rest[0]!, 'after/leave', 'yes')) ? true : undefined))).toBe(true);
  }, 150_000);
});
