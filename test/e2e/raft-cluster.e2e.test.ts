import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, startAgent } from '../support/agent-process.js';
import { getJson, getKv, putKv, waitFor } from '../support/agent-http.js';
import type { AgentProcess } from '../support/agent-process.js';

/**
 * Three real `sextant agent -server -bootstrap-expect 3` processes on 127.0.14.1-3 (ephemeral
 * HTTP, server and serf ports) find each other through the LAN pool (-retry-join), bootstrap
 * one Raft cluster, elect one leader, forward writes and default reads to it, survive kill -9
 * of the leader, and take the killed server back (it catches up from the new leader).
 */

const IPS = ['127.0.14.1', '127.0.14.2', '127.0.14.3', '127.0.14.4'] as const;
const FAILOVER_BOUND_MS = 15_000;

interface Member {
  Name: string;
  Addr: string;
  Port: number;
  Status: number;
  Tags: Record<string, string>;
}

describe('a 3-server Raft cluster of real agent processes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-raft-cluster-'));
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
        '-http-port', '0', '-dns-port', '-1', '-log-level', 'info', '-config-file', perf, ...extra,
      ],
      { timeoutMs: 30_000 },
    );
    started.push(a);
    return a;
  };
  /** This agent's own member: its serf port and server port tag. */
  const self = async (a: AgentProcess, name: string): Promise<Member> => {
    const ms = await getJson<Member[]>(a, '/v1/agent/members');
    const m = ms.find((x) => x.Name === name);
    if (!m) throw new Error(`${name} is not in its own members`);
    return m;
  };

  it('bootstraps from the pool, elects one leader, forwards, fails over on kill -9 and takes the killed server back', async () => {
    const agents: AgentProcess[] = [];
    agents[0] = await start(0, ['-server-port', '0']);
    const s1 = await self(agents[0], 's1');
    const join1 = `${IPS[0]}:${s1.Port}`;
    agents[1] = await start(1, ['-server-port', '0', '-retry-join', join1, '-retry-interval', '1s']);
    agents[2] = await start(2, ['-server-port', '0', '-retry-join', join1, '-retry-interval', '1s']);

    // One leader, the same on every server; every server lists the 3 voters.
    const leader = await waitFor('one leader known to all three', 30_000, async () => {
      const leaders = await Promise.all(agents.map((a) => getJson<string>(a, '/v1/status/leader')));
      return leaders[0] !== '' && leaders.every((l) => l === leaders[0]) ? leaders[0] : undefined;
    });
    const serverAddrs = await Promise.all(agents.map(async (a, i) => `${IPS[i]}:${(await self(a, `s${i + 1}`)).Tags['port']}`));
    expect(serverAddrs).toContain(leader);
    // At least one bootstrapped; one that asks after another already did stands down (Consul's race, harmless).
    expect(agents.filter((a) => a.output().includes('Found expected number of peers, attempting bootstrap')).length).toBeGreaterThan(0);
    await waitFor('3 peers on every server', 10_000, async () => {
      const peers = await Promise.all(agents.map((a) => getJson<string[]>(a, '/v1/status/peers')));
      return peers.every((p) => p.length === 3 && [...p].sort().join() === [...serverAddrs].sort().join()) ? true : undefined;
    });

    // A write through any server is readable through every server (default consistency: forwarded to the leader).
    for (let i = 0; i < 3; i++) expect(await waitFor(`put through s${i + 1}`, 10_000, async () => ((await putKv(agents[i]!, `k${i}`, `v${i}`)) ? true : undefined))).toBe(true);
    for (const a of agents) for (let i = 0; i < 3; i++) expect(await getKv(a, `k${i}`)).toBe(`v${i}`);

    // operator raft list-peers: Consul's table, three voters, one leader.
    const list = await runCli(['operator', 'raft', 'list-peers', '-http-addr', agents[1]!.httpAddr]);
    expect(list.code, list.stderr).toBe(0);
    const rows = list.stdout.trim().split('\n');
    expect(rows[0]).toMatch(/^Node\s+ID\s+Address\s+State\s+Voter\s+RaftProtocol\s+Commit Index\s+Trails Leader By$/);
    expect(rows.slice(1).map((r) => r.split(/\s+/)[0]).sort()).toEqual(['s1', 's2', 's3']);
    expect(rows.filter((r) => /\sleader\s/.test(r))).toHaveLength(1);
    expect(rows.slice(1).every((r) => /\strue\s+3\s/.test(r))).toBe(true);
    const conf = await getJson<{ Servers: { Node: string; Address: string; Leader: boolean; Voter: boolean }[]; Index: number }>(agents[2]!, '/v1/operator/raft/configuration');
    expect(conf.Servers.find((s) => s.Leader)?.Address).toBe(leader);
    expect(conf.Index).toBeGreaterThan(0);

    // kill -9 the leader: a new leader within the bound, and writes succeed again.
    const li = serverAddrs.indexOf(leader);
    const leaderPort = leader.split(':')[1]!;
    const killed = agents[li]!;
    // Its gossip port too: restarted on another one, the pool would hold two incarnations of the
    // name and serf's conflict resolution could shut the new one down (then autopilot removes it).
    const killedSerfPort = (await self(killed, `s${li + 1}`)).Port;
    const survivors = agents.filter((_, i) => i !== li);
    await killed.kill9();
    const t0 = Date.now();
    const newLeader = await waitFor('a new leader', FAILOVER_BOUND_MS, async () => {
      const ls = await Promise.all(survivors.map((a) => getJson<string>(a, '/v1/status/leader')));
      return ls[0] !== '' && ls[0] !== leader && ls.every((l) => l === ls[0]) ? ls[0] : undefined;
    });
    expect(newLeader).not.toBe(leader);
    await waitFor('a write after failover', FAILOVER_BOUND_MS, async () => ((await putKv(survivors[0]!, 'after', 'failover')) ? true : undefined));
    const failoverMs = Date.now() - t0;
    expect(failoverMs).toBeLessThan(FAILOVER_BOUND_MS);
    console.log(`failover (kill -9 of the leader until a write succeeds): ${failoverMs} ms`);
    for (let n = 0; n < 20; n++) expect(await putKv(survivors[n % 2]!, `down/${n}`, `${n}`)).toBe(true);
    for (const a of survivors) expect(await getKv(a, 'after')).toBe('failover');

    // The killed server, restarted on its data dir and server port, rejoins and catches up.
    const survivorSelf = await self(survivors[0]!, `s${agents.indexOf(survivors[0]!) + 1}`);
    const back = await start(li, ['-server-port', leaderPort, '-serf-lan-port', String(killedSerfPort), '-retry-join', `${survivorSelf.Addr}:${survivorSelf.Port}`, '-retry-interval', '1s']);
    agents[li] = back;
    await waitFor('the restarted server catches up (stale read of its own state)', 20_000, async () =>
      (await getKv(back, 'down/19', '&stale')) === '19' && (await getKv(back, 'after', '&stale')) === 'failover' ? true : undefined,
    );
    expect(await getKv(back, 'k0')).toBe('v0');
    expect(await getJson<string>(back, '/v1/status/leader')).toBe(newLeader);
    expect((await getJson<string[]>(back, '/v1/status/peers')).sort()).toEqual([...serverAddrs].sort());
    expect(await putKv(back, 'through/restarted', 'yes')).toBe(true);
    for (const a of agents) expect(await waitFor('the write on every server', 5_000, async () => ((await getKv(a, 'through/restarted', '&stale')) === 'yes' ? true : undefined))).toBe(true);

    // A fourth server joining the running cluster finds existing peers (no bootstrap); the leader
    // adds it as a non-voter and promotes it after server_stabilization_time (10 s); once it
    // leaves gracefully the leader removes it again.
    const fourth = await start(3, ['-server-port', '0', '-retry-join', `${survivorSelf.Addr}:${survivorSelf.Port}`, '-retry-interval', '1s']);
    const fourthAddr = `${IPS[3]}:${(await self(fourth, 's4')).Tags['port']}`;
    const asNonvoter = await waitFor('the leader adds the fourth server as a non-voter', 20_000, async () => {
      const c = await getJson<{ Servers: { Address: string; Voter: boolean }[] }>(agents[0]!, '/v1/operator/raft/configuration');
      return c.Servers.find((x) => x.Address === fourthAddr);
    });
    expect(asNonvoter.Voter).toBe(false);
    // Promotion waits for 10 s of continuous health (last contact within 200 ms + a heartbeat):
    // on a loaded machine a late heartbeat restarts that count, so this allows several tries.
    await waitFor('the leader adds the fourth server (a non-voter at first: /v1/status/peers lists every server, as Consul)', 30_000, async () => {
      const peers = await getJson<string[]>(agents[0]!, '/v1/status/peers');
      return peers.length === 4 && peers.includes(fourthAddr) ? true : undefined;
    });
    await waitFor('the leader promotes the fourth server', 75_000, async () => {
      const cfg = await getJson<{ Servers: { Address: string; Voter: boolean }[] }>(agents[0]!, '/v1/operator/raft/configuration');
      return cfg.Servers.length === 4 && cfg.Servers.every((s) => s.Voter) && cfg.Servers.some((s) => s.Address === fourthAddr) ? true : undefined;
    }).catch((e: unknown) => {
      throw new Error(`${(e as Error).message}\n${[...agents, fourth].map((a) => a.output().split('\n').filter((l) => /raft|s4|leader|server/i.test(l)).slice(-15).join('\n')).join('\n----\n')}`);
    });
    expect(fourth.output()).not.toContain('Found expected number of peers, attempting bootstrap');
    expect(await waitFor('the fourth server replicates', 10_000, async () => ((await getKv(fourth, 'k1', '&stale')) === 'v1' ? true : undefined))).toBe(true);
    const leave = await fetch(`${fourth.httpAddr}/v1/agent/leave`, { method: 'PUT' });
    expect(leave.status).toBe(200);
    await fourth.exited;
    await waitFor('the leader removes the server that left', 20_000, async () => {
      const peers = await getJson<string[]>(agents[0]!, '/v1/status/peers');
      return peers.length === 3 && !peers.includes(fourthAddr) ? true : undefined;
    }).catch((e: unknown) => {
      throw new Error(`${(e as Error).message}\n${agents.map((a) => a.output().split('\n').slice(-25).join('\n')).join('\n----\n')}`);
    });
  }, 200_000);
});
