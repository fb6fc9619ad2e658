/**
 * The Sextant memberlist engine in a pool with HashiCorp's real `serf` agent (Debian package
 * `serf`), over real UDP + TCP on 127.0.0.1 ephemeral ports: it joins the serf agent (push/pull),
 * `serf members` lists it alive with its tags (meta encoded as serf tags), it sees the serf agent
 * alive, and after kill -9 of the serf agent it marks it suspect then dead.
 */
import { type ChildProcess, execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { RawTcpConnectionTransport } from '../../../plugins/transport-tcp/raw-connection-transport.js';
import { UdpTransport } from '../../../plugins/transport-udp/udp-transport.js';
import { Keyring } from '../../../src/gossip/memberlist/keyring.js';
import { Memberlist } from '../../../src/gossip/memberlist/memberlist.js';
import { NodeStateType } from '../../../src/gossip/memberlist/messages.js';
import { MsgpackWriter } from '../../../src/gossip/memberlist/msgpack.js';
import { SystemClock } from '../../../src/platform/system-clock.js';
import { SystemRandom } from '../../../src/platform/system-random.js';
import { SilentLogger } from '../../../src/testing/silent-logger.js';
import { freePort } from '../../support/free-port.js';
import { SERF, startSerfProcess } from '../../support/serf-process.js';

const run = promisify(execFile);
const KEY = Buffer.from('sextant-gossip16');

function serfTags(tags: Record<string, string>): Uint8Array {
  const w = new MsgpackWriter().byte(255).map(Object.keys(tags).length);
  for (const [k, v] of Object.entries(tags)) w.str(k).str(v);
  return w.finish();
}

const cleanup: Array<() => Promise<void> | void> = [];
const killAfter = (proc: ChildProcess): void => void cleanup.push(() => void (proc.exitCode === null && proc.kill('SIGKILL')));
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function until(what: string, f: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await f()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe.skipIf(!existsSync(SERF))(`Sextant memberlist engine in a pool with the real serf agent (${existsSync(SERF) ? SERF : 'skipped: /usr/bin/serf is absent; install the Debian package "serf"'})`, () => {
  for (const encrypt of [false, true]) {
    it(`${encrypt ? 'encrypted' : 'plain'}: join, both sides see each other alive, kill -9 of serf is detected`, async () => {
      const args = ['-tag', 'role=serf', ...(encrypt ? ['-encrypt', KEY.toString('base64')] : [])];
      const { port: serfPort, rpc, proc } = await startSerfProcess('serf1', args, killAfter);

      const port = await freePort();
      const logger = new SilentLogger('sx1');
      const list = new Memberlist(
        { name: 'sx1', keyring: encrypt ? new Keyring(new Uint8Array(KEY)) : undefined, vsn: Uint8Array.from([1, 5, 2, 2, 5, 4]) },
        {
          clock: new SystemClock(),
          random: new SystemRandom(),
          logger,
          packets: new UdpTransport({ bindAddr: '127.0.0.1', port, logger }),
          connections: new RawTcpConnectionTransport({ host: '127.0.0.1', port }),
          delegate: { nodeMeta: () => serfTags({ role: 'sextant', dc: 'dc1' }) },
        },
      );
      await list.start();
      cleanup.push(() => list.shutdown());

      expect(await list.join([`127.0.0.1:${serfPort}`])).toBe(1);
      expect(list.members().find((m) => m.name === 'serf1')?.state).toBe(NodeStateType.Alive);

      await until('serf members shows sx1 alive with its tags', async () => {
        const { stdout } = await run(SERF, ['members', '-rpc-addr', rpc, '-format', 'json']);
        const members = (JSON.parse(stdout) as { members: Array<{ name: string; status: string; tags: Record<string, string> }> }).members;
        const me = members.find((m) => m.name === 'sx1');
        return me?.status === 'alive' && me.tags.role === 'sextant' && me.tags.dc === 'dc1';
      });
      // Several probe rounds both ways: still alive on both sides.
      await new Promise((r) => setTimeout(r, 4000));
      const { stdout } = await run(SERF, ['members', '-rpc-addr', rpc, '-status', 'alive']);
      expect(stdout).toMatch(/sx1\s+127\.0\.0\.1:\d+\s+alive/);
      expect(list.members().find((m) => m.name === 'serf1')?.state).toBe(NodeStateType.Alive);

      proc.kill('SIGKILL');
      await until('sx1 marks serf1 suspect', () => list.members().find((m) => m.name === 'serf1')?.state !== NodeStateType.Alive, 10_000);
      // Suspicion timeout with 2 members: 4 × max(1, log10(2)) × 1s = 4s (no confirmations expected).
      await until('sx1 marks serf1 dead', () => list.members().find((m) => m.name === 'serf1')?.state === NodeStateType.Dead, 15_000);
    }, 60_000);
  }

  it('a crashed Sextant node (no leave) is marked failed by serf; a memberlist-level leave (dead about itself) is taken at once', async () => {
    const { port: serfPort, rpc } = await startSerfProcess('serf1', [], killAfter);
    const status = async (name: string): Promise<string | undefined> => {
      const { stdout } = await run(SERF, ['members', '-rpc-addr', rpc, '-format', 'json']);
      return (JSON.parse(stdout) as { members: Array<{ name: string; status: string }> }).members.find((m) => m.name === name)?.status;
    };
    const start = async (name: string): Promise<Memberlist> => {
      const port = await freePort();
      const logger = new SilentLogger(name);
      const list = new Memberlist(
        { name, vsn: Uint8Array.from([1, 5, 2, 2, 5, 4]) },
        {
          clock: new SystemClock(),
          random: new SystemRandom(),
          logger,
          packets: new UdpTransport({ bindAddr: '127.0.0.1', port, logger }),
          connections: new RawTcpConnectionTransport({ host: '127.0.0.1', port }),
          delegate: { nodeMeta: () => serfTags({ role: 'sextant' }) },
        },
      );
      await list.start();
      cleanup.push(() => list.shutdown());
      await list.join([`127.0.0.1:${serfPort}`]);
      return list;
    };
    const crashing = await start('sx-crash');
    const leaving = await start('sx-leave');
    await until('serf sees both alive', async () => (await status('sx-crash')) === 'alive' && (await status('sx-leave')) === 'alive');
    await crashing.shutdown();
    await leaving.leave(3000);
    await leaving.shutdown();
    // Serf shows "left" only after its own leave intent (the serf layer, not memberlist); the
    // memberlist leave alone makes serf's handleNodeLeave see an alive member go: "failed",
    // without waiting for a suspicion timeout.
    const leftAt = Date.now();
    await until('serf marks sx-leave gone', async () => (await status('sx-leave')) === 'failed', 10_000);
    expect(Date.now() - leftAt).toBeLessThan(3000);
    await until('serf marks sx-crash failed', async () => (await status('sx-crash')) === 'failed', 20_000);
  }, 60_000);
});
