import { describe, expect, it } from 'vitest';
import type { RaftStorage, Snapshot } from '../../../contracts/ports/log-store.js';
import { RaftServer } from '../../../src/consensus/raft-server.js';
import type { RaftServerOptions } from '../../../src/consensus/raft-server-options.js';
import { ManualClock } from '../../../src/testing/manual-clock.js';
import { SeededRandom } from '../../../src/testing/seeded-random.js';
import { SimStorage } from '../../../src/testing/sim-storage.js';
import { ListStateMachine, listCommand } from '../../../src/testing/list-state-machine.js';
import { SilentLogger } from '../../../src/testing/silent-logger.js';
import { MemoryNetwork } from '../../../plugins/transport-memory/memory-network.js';
import { MemoryTransport } from '../../../plugins/transport-memory/memory-transport.js';

const flush = async (): Promise<void> => {
  for (let i = 0; i < 3; i++) await new Promise<void>((r) => setImmediate(r));
};

/** Advances the manual clock 1 ms at a time until `p` settles. */
async function pump<T>(clock: ManualClock, p: Promise<T>): Promise<T> {
  let done = false;
  p.then(
    () => (done = true),
    () => (done = true),
  );
  for (let i = 0; i < 10_000 && !done; i++) {
    await flush();
    if (!done) clock.advance(1);
  }
  return p;
}

/** Flushes until `cond` holds (or gives up after many turns). */
async function until(clock: ManualClock, cond: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 2000 && !(await cond()); i++) {
    await flush();
    clock.advance(1);
  }
}

/**
 * SimStorage seen through a wrapper that can hold snapshot saves at a gate and records, for
 * every log deletion, the newest snapshot index durably saved when the deletion was asked for.
 */
class GatedStorage implements RaftStorage {
  readonly log: RaftStorage['log'];
  readonly stable: RaftStorage['stable'];
  readonly snapshots: RaftStorage['snapshots'];
  /** lastIndex of every save started, in order. */
  readonly saveStarted: number[] = [];
  /** Every snapshot whose save resolved, in order. */
  readonly savedSnapshots: Snapshot[] = [];
  /** The newest snapshot index whose save resolved. */
  saved = 0;
  /** Every deleteRange call: its range and `saved` at the call. */
  readonly deletions: { min: number; max: number; covered: number }[] = [];
  private gate: Promise<void> | undefined;
  private openGate: (() => void) | undefined;

  constructor(readonly inner: SimStorage) {
    this.stable = inner.stable;
    this.log = {
      ...inner.log,
      deleteRange: (min, max) => {
        this.deletions.push({ min, max, covered: this.saved });
        return inner.log.deleteRange(min, max);
      },
    };
    this.snapshots = {
      saveSnapshot: async (s: Snapshot) => {
        this.saveStarted.push(s.meta.lastIndex);
        await this.gate;
        await inner.snapshots.saveSnapshot(s);
        this.saved = Math.max(this.saved, s.meta.lastIndex);
        this.savedSnapshots.push(s);
      },
      latestSnapshot: () => inner.snapshots.latestSnapshot(),
      close: () => inner.snapshots.close(),
    };
  }

  /** Holds every save started from now on until open(). */
  hold(): void {
    this.gate = new Promise((resolve) => (this.openGate = resolve));
  }

  /** Lets held saves go on. */
  open(): void {
    this.openGate?.();
    this.gate = undefined;
  }

  async close(): Promise<void> {}
}

async function devServer(clock: ManualClock, storage: RaftStorage, options: RaftServerOptions): Promise<{ server: RaftServer; sm: ListStateMachine }> {
  const sm = new ListStateMachine();
  const transport = new MemoryTransport(new MemoryNetwork(clock, new SeededRandom(2)), '127.0.0.1:8300');
  await transport.start();
  const server = new RaftServer({
    id: 'dev',
    address: '127.0.0.1:8300',
    bootstrap: [{ id: 'dev', address: '127.0.0.1:8300', voter: true }],
    storage,
    stateMachine: sm,
    transport,
    clock,
    random: new SeededRandom(1),
    logger: new SilentLogger(),
    options,
  });
  await pump(clock, server.start());
  await flush();
  return { server, sm };
}

describe('RaftServer snapshots off the write path', () => {
  it('keeps committing and applying writes while a snapshot is being saved, and the image is the state at its index', async () => {
    const clock = new ManualClock();
    const storage = new GatedStorage(new SimStorage(clock, 0));
    storage.hold();
    const dev = await devServer(clock, storage, { snapshotThreshold: 10, trailingLogs: 0 });
    for (let i = 0; i < 15; i++) await pump(clock, dev.server.propose(listCommand(`a${i}`)));
    expect(storage.saveStarted).toHaveLength(1);
    const at = storage.saveStarted[0]!;

    // The save is held: writes still commit and apply, and nothing is compacted.
    const more = Array.from({ length: 40 }, (_, i) => dev.server.propose(listCommand(`b${i}`)));
    await pump(clock, Promise.all(more));
    expect(dev.sm.items).toHaveLength(55);
    expect(storage.saveStarted).toHaveLength(1);
    expect(await storage.inner.snapshots.latestSnapshot()).toBeUndefined();
    expect(storage.deletions).toEqual([]);
    expect(await storage.log.firstIndex()).toBe(1);

    storage.open();
    await until(clock, () => dev.server.stats().snapshotIndex >= at);
    const snap = storage.savedSnapshots[0]!;
    expect(snap.meta.lastIndex).toBe(at);
    const image = JSON.parse(new TextDecoder().decode(snap.data)) as { last: number; items: string[] };
    // Exactly the commands up to the snapshot's index: none of those applied while it was saved.
    expect(image.last).toBeLessThanOrEqual(at);
    expect(image.items).toEqual(dev.sm.items.slice(0, image.items.length));
    expect(image.items.length).toBeGreaterThanOrEqual(8); // entries 1 and 2 are the configuration and the no-op
    expect(image.items.length).toBeLessThan(15);
    await until(clock, async () => (await storage.log.getLog(at)) === undefined);
    expect(await storage.log.getLogs(1, at)).toEqual([]);
    for (const d of storage.deletions) expect(d.max).toBeLessThanOrEqual(d.covered);
    await dev.server.stop();
  });

  it('compacts the log only behind a saved snapshot, in chunks, over many snapshots', async () => {
    const clock = new ManualClock();
    const storage = new GatedStorage(new SimStorage(clock, 1));
    const dev = await devServer(clock, storage, { snapshotThreshold: 20, trailingLogs: 5, compactionChunk: 4 });
    await until(clock, () => dev.server.isLeader());
    for (let g = 0; g < 30; g++) {
      await pump(clock, Promise.all(Array.from({ length: 10 }, (_, i) => dev.server.propose(listCommand(`v${g}.${i}`)))));
    }
    // The last snapshot is taken once the previous one is done, with no further write to prompt it.
    await until(clock, () => dev.server.stats().snapshotIndex === dev.server.stats().appliedIndex);
    expect(dev.server.stats().snapshotIndex).toBe(dev.server.stats().appliedIndex);
    expect(storage.saveStarted.length).toBeGreaterThanOrEqual(3);
    expect(storage.deletions.length).toBeGreaterThan(0);
    for (const d of storage.deletions) {
      expect(d.max).toBeLessThanOrEqual(d.covered);
      expect(d.max - d.min).toBeLessThan(4);
    }
    const first = await storage.log.firstIndex();
    const snap = (await storage.inner.snapshots.latestSnapshot())!;
    expect(first).toBeLessThanOrEqual(snap.meta.lastIndex + 1);
    await pump(clock, dev.server.stop());
  });

  it('recovers from a crash in the middle of a snapshot with the previous snapshot and the log tail', async () => {
    const clock = new ManualClock();
    const sim = new SimStorage(clock, 0);
    const storage = new GatedStorage(sim);
    const opts = { snapshotThreshold: 10, trailingLogs: 0 };
    const dev = await devServer(clock, storage, opts);
    for (let i = 0; i < 15; i++) await pump(clock, dev.server.propose(listCommand(`a${i}`)));
    await until(clock, () => dev.server.stats().snapshotIndex > 0);
    const previous = (await sim.snapshots.latestSnapshot())!.meta.lastIndex;

    storage.hold(); // the next snapshot never finishes: the process dies while it is written
    for (let i = 0; i < 20; i++) await pump(clock, dev.server.propose(listCommand(`b${i}`)));
    expect(storage.saveStarted.length).toBe(2);
    const acked = [...dev.sm.items];
    sim.crash();

    // A new process on the same disk (the old one is abandoned, as after kill -9).
    const again = await devServer(clock, sim, { ...opts, snapshotThreshold: 1000 });
    await until(clock, () => again.server.isLeader() && again.sm.items.length >= acked.length);
    expect((await sim.snapshots.latestSnapshot())!.meta.lastIndex).toBe(previous);
    expect(again.sm.items).toEqual(acked);
    await pump(clock, again.server.propose(listCommand('after')));
    expect(again.sm.items).toEqual([...acked, 'after']);
    await again.server.stop();
  });

  it('with snapshotIntervalMs, checks the threshold only once per interval (as raft_snapshot_interval)', async () => {
    const clock = new ManualClock();
    const storage = new GatedStorage(new SimStorage(clock, 0));
    const dev = await devServer(clock, storage, { snapshotThreshold: 10, trailingLogs: 0, snapshotIntervalMs: 1000, electionMs: 100_000, heartbeatMs: 10_000 });
    for (let i = 0; i < 30; i++) await dev.server.propose(listCommand(`v${i}`));
    await flush();
    expect(storage.saveStarted).toEqual([]);
    clock.advance(2001);
    await dev.server.propose(listCommand('late'));
    await until(clock, () => storage.saveStarted.length > 0);
    expect(storage.saveStarted).toHaveLength(1);
    await pump(clock, dev.server.stop());
  });

  it('with snapshotIntervalMs, spreads the log compaction over half the interval instead of one burst', async () => {
    const clock = new ManualClock();
    const storage = new GatedStorage(new SimStorage(clock, 0));
    const dev = await devServer(clock, storage, { snapshotThreshold: 10, trailingLogs: 0, snapshotIntervalMs: 1000, compactionChunk: 10, electionMs: 100_000, heartbeatMs: 10_000 });
    for (let i = 0; i < 100; i++) await dev.server.propose(listCommand(`v${i}`));
    await flush();
    clock.advance(2001);
    await dev.server.propose(listCommand('late'));
    await until(clock, () => storage.deletions.length > 0);
    const at = storage.saveStarted[0]!;
    expect(at).toBeGreaterThan(100);
    // ~10 chunks over 500 ms: one every ~50 ms, not all at once.
    const startedAt = clock.now();
    await flush();
    expect(storage.deletions).toHaveLength(1);
    await until(clock, () => storage.deletions.length === 2);
    expect(clock.now() - startedAt).toBeGreaterThanOrEqual(40);
    await until(clock, async () => (await storage.log.firstIndex()) > at);
    expect(clock.now() - startedAt).toBeGreaterThanOrEqual(400);
    expect(clock.now() - startedAt).toBeLessThan(1000);
    expect(storage.deletions.every((d) => d.max <= d.covered)).toBe(true);
    expect(await storage.log.firstIndex()).toBe(at + 1);
    await pump(clock, dev.server.stop());
  });

  it('takes no snapshot when the threshold is Infinity', async () => {
    const clock = new ManualClock();
    const storage = new GatedStorage(new SimStorage(clock, 0));
    const dev = await devServer(clock, storage, { snapshotThreshold: Infinity, trailingLogs: 0 });
    for (let i = 0; i < 50; i++) await pump(clock, dev.server.propose(listCommand(`v${i}`)));
    await flush();
    expect(storage.saveStarted).toEqual([]);
    expect(await storage.log.firstIndex()).toBe(1);
    await dev.server.stop();
  });
});
