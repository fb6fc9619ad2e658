/**
 * The Sextant serf layer in a pool with HashiCorp's real `serf agent` (Debian package `serf`),
 * over real UDP + TCP on 127.0.0.1 ephemeral ports: tags both ways and tag updates, user events
 * both ways, queries both ways, a graceful leave seen as `left`, coordinates in acks, and
 * keyring install/use/remove both from our key manager and from `serf keys`.
 */
import { type ChildProcess, execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { MemberStatus } from '../../../contracts/ports/membership.js';
import { RawTcpConnectionTransport } from '../../../plugins/transport-tcp/raw-connection-transport.js';
import { UdpTransport } from '../../../plugins/transport-udp/udp-transport.js';
import { Keyring } from '../../../src/gossip/memberlist/keyring.js';
import { Serf, type SerfEvent } from '../../../src/gossip/serf/serf.js';
import { SystemClock } from '../../../src/platform/system-clock.js';
import { SystemRandom } from '../../../src/platform/system-random.js';
import { SilentLogger } from '../../../src/testing/silent-logger.js';
import { freePort } from '../../support/free-port.js';
import { SERF, type SerfProcess, startSerfProcess } from '../../support/serf-process.js';

const run = promisify(execFile);
const K1 = Buffer.from('sextant-gossip16').toString('base64');
const K2 = Buffer.from('sextant-gossip-key-of-32-bytes!!').toString('base64');
const K3 = Buffer.from('third-key-16byte').toString('base64');

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/**
 * serf's output without its `agent.ipc` lines: those are about serf's local RPC with its own
 * CLI (a `serf query` that exited before a late response was streamed to it logs
 * "Failed to stream response to ipc.client ... connection reset by peer"), not about gossip
 * with us.
 */
function gossipLines(output: string): string {
  return output
    .split('\n')
    .filter((l) => !l.includes('agent.ipc:'))
    .join('\n');
}

async function until(what: string, f: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await f()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function startSerfAgent(name: string, extra: string[] = []): Promise<SerfProcess> {
  return startSerfProcess(name, extra, (proc: ChildProcess) => void cleanup.push(() => void (proc.exitCode === null && proc.kill('SIGKILL'))));
}

async function serfCli(agent: SerfProcess, args: string[]): Promise<string> {
  const [cmd, ...rest] = args;
  const { stdout } = await run(SERF, [cmd!, '-rpc-addr', agent.rpc, ...rest]);
  return stdout;
}

async function serfMembers(agent: SerfProcess): Promise<Array<{ name: string; status: string; tags: Record<string, string> }>> {
  return (JSON.parse(await serfCli(agent, ['members', '-format', 'json'])) as { members: Array<{ name: string; status: string; tags: Record<string, string> }> }).members;
}

async function startSextant(name: string, tags: Record<string, string>, keyring?: Keyring, onKeyringChange?: (keys: string[]) => void): Promise<{ serf: Serf; events: SerfEvent[]; logger: SilentLogger }> {
  const port = await freePort();
  const logger = new SilentLogger(name);
  const serf = new Serf(
    { nodeName: name, tags, memberlist: { keyring }, leavePropagateDelayMs: 1000, onKeyringChange },
    {
      clock: new SystemClock(),
      random: new SystemRandom(),
      logger,
      packets: new UdpTransport({ bindAddr: '127.0.0.1', port, logger }),
      connections: new RawTcpConnectionTransport({ host: '127.0.0.1', port }),
    },
  );
  const events: SerfEvent[] = [];
  serf.onEvent((e) => events.push(e));
  await serf.start();
  cleanup.push(() => serf.shutdown());
  return { serf, events, logger };
}

describe.skipIf(!existsSync(SERF))(`the Sextant serf layer in a pool with the real serf agent (${existsSync(SERF) ? SERF : 'skipped: /usr/bin/serf is absent'})`, () => {
  it('tags both ways and a tag update; user events both ways; queries both ways; coordinates; a graceful leave is seen as left', async () => {
    const a = await startSerfAgent('serf1', ['-tag', 'role=serf', '-tag', 'dc=dc1']);
    const sx = await startSextant('sx1', { role: 'consul', dc: 'dc1' });
    expect(await sx.serf.join([`127.0.0.1:${a.port}`], false)).toBe(1);

    await until('serf sees sx1 alive with its tags', async () => {
      const me = (await serfMembers(a)).find((m) => m.name === 'sx1');
      return me?.status === 'alive' && me.tags.role === 'consul' && me.tags.dc === 'dc1';
    });
    await until('sx1 sees serf1 with its tags', () => sx.serf.members().find((m) => m.name === 'serf1')?.tags.role === 'serf');
    expect(sx.serf.members().find((m) => m.name === 'serf1')).toMatchObject({ status: MemberStatus.Alive, addr: '127.0.0.1', port: a.port, tags: { role: 'serf', dc: 'dc1' } });

    await sx.serf.setTags({ role: 'consul', dc: 'dc1', build: '9.9.9' });
    await until('serf sees the tag update', async () => (await serfMembers(a)).find((m) => m.name === 'sx1')?.tags.build === '9.9.9');
    await serfCli(a, ['tags', '-set', 'zone=z1']);
    await until('sx1 sees serf1 tag update', () => sx.serf.members().find((m) => m.name === 'serf1')?.tags.zone === 'z1');

    // serf → us: `serf event`.
    await serfCli(a, ['event', 'deploy', 'payload-from-serf']);
    await until('sx1 receives the serf user event', () =>
      sx.events.some((e) => e.kind === 'user' && e.name === 'deploy' && Buffer.from(e.payload).toString() === 'payload-from-serf'),
    );
    // us → serf: the agent logs every event it receives.
    await sx.serf.userEvent('consul:event:hello', Buffer.from('from-sextant'), false);
    await until('serf agent receives our user event', () => a.output().includes('Received event: user-event: consul:event:hello'));

    // serf → us: `serf query`, answered by our node.
    sx.serf.onEvent((e) => {
      if (e.kind === 'query' && e.name === 'ask') void e.respond(Buffer.from(`answer-to-${Buffer.from(e.payload).toString()}`));
    });
    const qout = await serfCli(a, ['query', '-timeout', '3s', '-relay-factor', '1', 'ask', 'life']);
    expect(qout).toContain("Response from 'sx1': answer-to-life");
    expect(qout).toMatch(/Total Acks:\s+2/);
    // us → serf: the serf agent acks our query (it answers only through event handlers).
    const res = await sx.serf.query('ping-all', Buffer.from('x'), { requestAck: true, relayFactor: 1, timeoutMs: 2000 });
    expect(res.acks.sort()).toEqual(['serf1', 'sx1']);
    // serf relayed its ack through us too (relay factor 1), and we forwarded it (counted once above).
    expect(sx.logger.lines.some((l) => l.includes('serf: Relaying response to addr: 127.0.0.1:'))).toBe(true);

    // Coordinates travel in acks both ways without decode errors.
    await until('sx1 has a coordinate for serf1', () => sx.serf.getCachedCoordinate('serf1') !== undefined, 10_000);
    // serf's own estimate needs our coordinate, which it learned from our acks.
    await until('serf estimates the rtt to sx1', async () => /Estimated serf1 <-> sx1 rtt: [\d.]+ ms/.test(await serfCli(a, ['rtt', 'serf1', 'sx1']).catch(() => '')), 10_000);
    expect(a.output()).not.toContain('Failed to decode coordinate');

    // Nothing we sent made serf complain.
    expect(gossipLines(a.output())).not.toMatch(/\[ERR\]|\[WARN\] serf/);

    await sx.serf.leave();
    await sx.serf.shutdown();
    await until('serf shows sx1 left', async () => (await serfMembers(a)).find((m) => m.name === 'sx1')?.status === 'left', 10_000);
  }, 90_000);

  it('encrypted pool: keyring install/use/remove from our key manager reaches the serf agents, and `serf keys -install` reaches us', async () => {
    const a = await startSerfAgent('serf1', ['-encrypt', K1]);
    const b = await startSerfAgent('serf2', ['-encrypt', K1]);
    await serfCli(b, ['join', `127.0.0.1:${a.port}`]);
    const keyring = Keyring.fromBase64(K1);
    const changes: string[][] = [];
    const sx = await startSextant('sx1', { role: 'node' }, keyring, (keys) => changes.push(keys));
    await sx.serf.join([`127.0.0.1:${a.port}`], false);
    await until('all three alive everywhere', async () => (await serfMembers(b)).filter((m) => m.status === 'alive').length === 3 && sx.serf.members().filter((m) => m.status === MemberStatus.Alive).length === 3);

    const km = sx.serf.keyManager();
    const inst = await km.installKey(K2);
    expect(inst).toMatchObject({ numNodes: 3, numResp: 3, numErr: 0 });
    let list = await km.listKeys();
    expect(list.keys).toEqual({ [K1]: 3, [K2]: 3 });
    expect(list.primaryKeys).toEqual({ [K1]: 3 });
    expect(await serfCli(a, ['keys', '-list'])).toContain(K2);

    expect((await km.useKey(K2)).numErr).toBe(0);
    expect((await km.removeKey(K1)).numErr).toBe(0);
    list = await km.listKeys();
    expect(list.keys).toEqual({ [K2]: 3 });
    expect(list.primaryKeys).toEqual({ [K2]: 3 });
    expect(keyring.getKeys().map((k) => Buffer.from(k).toString('base64'))).toEqual([K2]);
    expect(changes).toEqual([[K1, K2], [K2, K1], [K2]]);

    // From serf's side: `serf keys -install` is carried out on our node too.
    const out = await serfCli(b, ['keys', '-install', K3]);
    expect(out).toMatch(/Successfully installed key/);
    expect(keyring.getKeys().map((k) => Buffer.from(k).toString('base64'))).toContain(K3);
    const serfList = await serfCli(b, ['keys', '-list']);
    expect(serfList).toMatch(new RegExp(`${K3.replace(/[+/=]/g, '.')}\\s+\\[3/3\\]`));

    // The pool still works on the rotated key.
    await new Promise((r) => setTimeout(r, 3000));
    expect((await serfMembers(a)).filter((m) => m.status === 'alive').map((m) => m.name).sort()).toEqual(['serf1', 'serf2', 'sx1']);
    expect(gossipLines(a.output() + b.output())).not.toMatch(/\[ERR\]/);
  }, 90_000);

  it("serf agents' leave is seen as left, a kill -9 as failed (member events as serf emits them)", async () => {
    const a = await startSerfAgent('serf1');
    const b = await startSerfAgent('serf2');
    const c = await startSerfAgent('serf3');
    const sx = await startSextant('sx1', {});
    expect(await sx.serf.join([`127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`, `127.0.0.1:${c.port}`], false)).toBe(3);
    await until('sx1 sees the three agents alive', () => sx.serf.members().filter((m) => m.status === MemberStatus.Alive).length === 4);
    await serfCli(b, ['leave']);
    await until('sx1 sees serf2 left', () => sx.serf.members().find((m) => m.name === 'serf2')?.status === MemberStatus.Left, 10_000);
    c.proc.kill('SIGKILL');
    await until('sx1 sees serf3 failed', () => sx.serf.members().find((m) => m.name === 'serf3')?.status === MemberStatus.Failed, 20_000);
    const kinds = (name: string): string[] => sx.events.flatMap((e) => (e.kind === 'member' && e.members.some((m) => m.name === name) ? [e.type] : []));
    expect(kinds('serf2')).toEqual(['join', 'leave']);
    expect(kinds('serf3')).toEqual(['join', 'failed']);
    expect(kinds('serf1')).toEqual(['join']);
  }, 60_000);

  it('a Sextant node that takes the name of a serf agent loses the _serf_conflict vote (decoded from serf) and shuts down', async () => {
    const a = await startSerfAgent('serf1');
    const b = await startSerfAgent('serf2');
    await serfCli(b, ['join', `127.0.0.1:${a.port}`]);
    const dup = await startSextant('serf2', {});
    await dup.serf.join([`127.0.0.1:${a.port}`], false).catch(() => 0);
    await until('the impostor quits', () => dup.logger.lines.some((l) => l.includes('minority in name conflict resolution, quitting [0 / 1]')), 15_000);
    await expect(dup.serf.userEvent('x', new Uint8Array(0), false)).rejects.toMatchObject({ code: 'SHUTDOWN' });
    const members = await serfMembers(a);
    expect(members.find((m) => m.name === 'serf2')?.status).toBe('alive');
  }, 60_000);
});
