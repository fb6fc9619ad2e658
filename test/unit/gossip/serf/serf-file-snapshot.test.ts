import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MemberStatus } from '../../../../contracts/ports/membership.js';
import { openSerfSnapshot } from '../../../../src/gossip/serf/serf-snapshotter.js';
import { SerfSim } from '../../../../src/testing/serf-sim.js';
import { SilentLogger } from '../../../../src/testing/silent-logger.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe('serf with the file-backed snapshot', () => {
  it('a node restarted from its local.snapshot restores its clocks and rejoins the pool it knew on its own; after a graceful leave it does not', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'serf-snap-'));
    dirs.push(dir);
    const path = join(dir, 'local.snapshot');
    const sim = new SerfSim(41);
    const open = (): ReturnType<typeof openSerfSnapshot> => openSerfSnapshot(path, { clock: sim.clock, logger: new SilentLogger('snap'), rejoinAfterLeave: false });
    const a = await sim.add();
    const b = await sim.add({ snapshot: await open() });
    await sim.settle(b.serf.join([a.address], false));
    await sim.until(() => a.serf.members().filter((m) => m.status === MemberStatus.Alive).length === 2);
    for (let i = 0; i < 3; i++) await a.serf.userEvent(`e${i}`, new Uint8Array(0), false);
    await sim.run(5000);
    const clocks = b.serf.clocks();
    await b.serf.shutdown(); // a crash-like stop (no leave): the snapshot is flushed and closed
    const text = await readFile(path, 'utf8');
    expect(text).toContain(`alive: node-0 ${a.address}`);

    const snap2 = await open();
    expect(snap2.recovered().aliveNodes.map((n) => n.name).sort()).toEqual(['node-0', 'node-1']);
    const b2 = await sim.add({ name: 'node-1', address: b.address, snapshot: snap2 });
    expect(b2.serf.clocks().member).toBeGreaterThanOrEqual(clocks.member);
    expect(b2.serf.clocks().event).toBeGreaterThanOrEqual(clocks.event);
    expect(await sim.until(() => b2.serf.members().some((m) => m.name === 'node-0' && m.status === MemberStatus.Alive), 30_000)).toBeLessThan(30_000);
    // Events from before the restart are not delivered again.
    await sim.run(40_000);
    expect(b2.events.filter((e) => e.kind === 'user')).toEqual([]);

    await sim.settle(b2.serf.leave());
    await b2.serf.shutdown();
    const snap3 = await open();
    expect(snap3.recovered()).toMatchObject({ leftBefore: true, aliveNodes: [] });
    await snap3.close();
    await a.serf.shutdown();
  }, 60_000);
});
