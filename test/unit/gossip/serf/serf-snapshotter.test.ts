/**
 * The file-backed serf snapshotter on real files in a temp dir, driven by a manual clock: serf's
 * line format both ways (files written by HashiCorp's own `serf agent -snapshot` replay here, and
 * a file written here makes a real serf agent rejoin), leave semantics with and without
 * rejoin-after-leave, the batched clock and the flush cadence, compaction at serf's 128 KiB, a
 * crash mid-line, and write errors that are logged, never thrown.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode, SextantError } from '../../../../contracts/errors.js';
import { openSerfSnapshot, SNAPSHOT_SIZE_LIMIT, type SerfSnapshotDeps } from '../../../../src/gossip/serf/serf-snapshotter.js';
import { ManualClock } from '../../../../src/testing/manual-clock.js';
import { SilentLogger } from '../../../../src/testing/silent-logger.js';
import { freePort } from '../../../support/free-port.js';
import { until } from '../../../support/socket-test-helpers.js';

const SERF = '/usr/bin/serf';
const run = promisify(execFile);

let dir: string;
let clock: ManualClock;
let logger: SilentLogger;
const toClose: Array<{ close(): Promise<void> }> = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'serf-snap-'));
  clock = new ManualClock();
  logger = new SilentLogger();
});
afterEach(async () => {
  for (const s of toClose.splice(0)) await s.close();
  await rm(dir, { recursive: true, force: true });
});

function deps(rejoinAfterLeave = false, extra: Partial<SerfSnapshotDeps> = {}): SerfSnapshotDeps {
  return { clock, logger, rejoinAfterLeave, ...extra };
}
async function openSnap(path: string, rejoinAfterLeave = false, extra: Partial<SerfSnapshotDeps> = {}) {
  const s = await openSerfSnapshot(path, deps(rejoinAfterLeave, extra));
  toClose.push(s);
  return s;
}
const text = (path: string): Promise<string> => readFile(path, 'utf8');
const names = (s: { recovered(): { aliveNodes: ReadonlyArray<{ name: string; addr: string }> } }): Record<string, string> =>
  Object.fromEntries(s.recovered().aliveNodes.map((n) => [n.name, n.addr]));

describe('serf snapshotter: replay', () => {
  it('replays alive, not-alive, the three clocks, skips comments, coordinates and unknown lines, and logs what it skips', async () => {
    const path = join(dir, 'local.snapshot');
    await writeFile(
      path,
      [
        '# written by hand',
        'alive: web-1 10.0.0.1:8301',
        'alive: db 1 10.0.0.2:8301', // a name with a space: the address is after the last one
        'alive: gone 10.0.0.3:8301',
        'coordinate: {"Vec":[0,0]}',
        'not-alive: gone',
        'clock: 17',
        'event-clock: 4',
        'query-clock: 9',
        'clock: nope',
        'alive: noaddress',
        'something new',
        '',
      ].join('\n'),
    );
    const s = await openSnap(path);
    expect(s.recovered()).toEqual({
      aliveNodes: [
        { name: 'web-1', addr: '10.0.0.1:8301' },
        { name: 'db 1', addr: '10.0.0.2:8301' },
      ],
      lastClock: 17,
      lastEventClock: 4,
      lastQueryClock: 9,
      leftBefore: false,
    });
    const warnings = logger.lines.filter((l) => l.startsWith('WARN'));
    expect(warnings).toHaveLength(3);
    expect(warnings.join('\n')).toContain('clock: nope');
    expect(warnings.join('\n')).toContain('alive: noaddress');
    expect(warnings.join('\n')).toContain('something new');
  });

  it('a leave forgets the members and zeroes the clocks; a later alive counts again', async () => {
    const path = join(dir, 'local.snapshot');
    await writeFile(path, 'alive: a 10.0.0.1:8301\nalive: b 10.0.0.2:8301\nclock: 5\nevent-clock: 3\nquery-clock: 2\nleave\nclock: 6\n');
    let s = await openSnap(path);
    expect(s.recovered()).toEqual({ aliveNodes: [], lastClock: 6, lastEventClock: 0, lastQueryClock: 0, leftBefore: true });
    await s.close();

    await writeFile(path, 'alive: a 10.0.0.1:8301\nleave\nalive: c 10.0.0.3:8301\n');
    s = await openSnap(path);
    expect(s.recovered().aliveNodes).toEqual([{ name: 'c', addr: '10.0.0.3:8301' }]);
    expect(s.recovered().leftBefore).toBe(false);
  });

  it('with rejoin-after-leave a recorded leave is ignored: members and clocks are kept', async () => {
    const path = join(dir, 'local.snapshot');
    await writeFile(path, 'alive: a 10.0.0.1:8301\nalive: b 10.0.0.2:8301\nclock: 5\nevent-clock: 3\nquery-clock: 2\nleave\n');
    const s = await openSnap(path, true);
    expect(s.recovered()).toEqual({
      aliveNodes: [
        { name: 'a', addr: '10.0.0.1:8301' },
        { name: 'b', addr: '10.0.0.2:8301' },
      ],
      lastClock: 5,
      lastEventClock: 3,
      lastQueryClock: 2,
      leftBefore: true,
    });
    expect(logger.lines.join('\n')).toContain('Ignoring previous leave in snapshot');
  });

  it('a crash mid-write (a last line without its newline) replays what precedes it, and the next line starts clean', async () => {
    const path = join(dir, 'local.snapshot');
    await writeFile(path, 'alive: a 10.0.0.1:8301\nalive: b 10.0.0.2:8301\nclock: 5\nalive: c 10.0.0.3:83');
    let s = await openSnap(path);
    expect(names(s)).toEqual({ a: '10.0.0.1:8301', b: '10.0.0.2:8301' });
    expect(s.recovered().lastClock).toBe(5);
    s.memberAlive('d', '10.0.0.4:8301');
    await s.close();
    expect(await text(path)).toBe('alive: a 10.0.0.1:8301\nalive: b 10.0.0.2:8301\nclock: 5\nalive: d 10.0.0.4:8301\n');
    s = await openSnap(path);
    expect(names(s)).toEqual({ a: '10.0.0.1:8301', b: '10.0.0.2:8301', d: '10.0.0.4:8301' });
  });

  it('creates the file 0600 in a new 0700 directory (data_dir/serf)', async () => {
    const path = join(dir, 'data', 'serf', 'local.snapshot');
    const s = await openSnap(path);
    expect(s.recovered()).toEqual({ aliveNodes: [], lastClock: 0, lastEventClock: 0, lastQueryClock: 0, leftBefore: false });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'data', 'serf'))).mode & 0o777).toBe(0o700);
  });

  it('fails with STORAGE_FAILED naming the path when the file cannot be opened', async () => {
    await writeFile(join(dir, 'file'), 'x');
    const bad = join(dir, 'file', 'serf', 'local.snapshot'); // a regular file where a directory must be
    const err = await openSerfSnapshot(bad, deps()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SextantError);
    expect((err as SextantError).code).toBe(ErrorCode.StorageFailed);
    expect((err as SextantError).message).toContain(bad);

    const isDir = join(dir, 'adir');
    await mkdir(isDir);
    const err2 = await openSerfSnapshot(isDir, deps()).catch((e: unknown) => e);
    expect((err2 as SextantError).code).toBe(ErrorCode.StorageFailed);
    expect((err2 as SextantError).message).toContain(isDir);
  });
});

describe('serf snapshotter: recording', () => {
  it('writes serf lines; a leave is written and synced at once and then nothing but clocks is recorded', async () => {
    const path = join(dir, 'local.snapshot');
    const s = await openSnap(path);
    s.memberAlive('a', '10.0.0.1:8301');
    s.memberAlive('b', '[::1]:8301');
    s.memberNotAlive('a');
    s.updateEventClock(3);
    s.updateEventClock(2); // older: ignored
    s.updateQueryClock(5);
    s.leave();
    await s.idle();
    expect(await text(path)).toBe('alive: a 10.0.0.1:8301\nalive: b [::1]:8301\nnot-alive: a\nevent-clock: 3\nquery-clock: 5\nleave\n');
    s.memberAlive('c', '10.0.0.3:8301');
    s.updateEventClock(9);
    s.updateClock(8);
    await s.close();
    expect(await text(path)).toBe('alive: a 10.0.0.1:8301\nalive: b [::1]:8301\nnot-alive: a\nevent-clock: 3\nquery-clock: 5\nleave\nclock: 7\n');
    await s.close(); // idempotent

    const again = await openSnap(path);
    expect(again.recovered()).toEqual({ aliveNodes: [], lastClock: 7, lastEventClock: 0, lastQueryClock: 0, leftBefore: true });
  });

  it('with rejoin-after-leave a leave keeps the members for the next start', async () => {
    const path = join(dir, 'local.snapshot');
    const s = await openSnap(path, true);
    s.memberAlive('a', '10.0.0.1:8301');
    s.updateClock(4);
    s.leave();
    await s.close();
    expect(await text(path)).toBe('alive: a 10.0.0.1:8301\nleave\nclock: 3\n');
    const again = await openSnap(path, true);
    expect(again.recovered()).toEqual({ aliveNodes: [{ name: 'a', addr: '10.0.0.1:8301' }], lastClock: 3, lastEventClock: 0, lastQueryClock: 0, leftBefore: true });
  });

  it('the member clock is written by the 500 ms tick or a member change, as ltime-1, only when it moved', async () => {
    const path = join(dir, 'local.snapshot');
    const s = await openSnap(path);
    s.memberAlive('a', '10.0.0.1:8301'); // first line: written at once
    await s.idle();
    s.updateClock(6);
    clock.advance(499);
    await s.idle();
    expect(await text(path)).toBe('alive: a 10.0.0.1:8301\n');
    clock.advance(1); // the tick records the clock and writes out the buffer (>500 ms since the last write)
    await s.idle();
    expect(await text(path)).toBe('alive: a 10.0.0.1:8301\nclock: 5\n');
    s.updateClock(6);
    s.updateClock(3);
    clock.advance(2000);
    s.updateClock(9);
    s.memberNotAlive('a'); // a member change records the moved clock right after it
    await s.close();
    expect(await text(path)).toBe('alive: a 10.0.0.1:8301\nclock: 5\nnot-alive: a\nclock: 8\n');
  });

  it('lines within 500 ms of the last write stay buffered until the next tick (flushInterval)', async () => {
    const path = join(dir, 'local.snapshot');
    const s = await openSnap(path);
    s.memberAlive('a', '10.0.0.1:8301');
    clock.advance(100);
    s.memberAlive('b', '10.0.0.2:8301');
    await s.idle();
    expect(await text(path)).toBe('alive: a 10.0.0.1:8301\n');
    clock.advance(500);
    await s.idle();
    expect(await text(path)).toBe('alive: a 10.0.0.1:8301\nalive: b 10.0.0.2:8301\n');
    clock.advance(1000);
    s.memberAlive('c', '10.0.0.3:8301'); // >500 ms since the last write: written at once
    await s.idle();
    expect(await text(path)).toContain('alive: c 10.0.0.3:8301\n');
  });

  it('past 128 KiB the file is compacted to exactly the alive set and the clocks, via <path>.compact', async () => {
    const path = join(dir, 'local.snapshot');
    const s = await openSnap(path);
    const alive = new Map<string, string>();
    for (let i = 0; i < 20; i++) {
      alive.set(`node-${i}`, `10.0.1.${i}:8301`);
      s.memberAlive(`node-${i}`, `10.0.1.${i}:8301`);
    }
    s.updateClock(43);
    s.updateEventClock(12);
    s.updateQueryClock(7);
    // Serf compacts on the append that takes the file past the limit: churn one member up to it.
    const lineBytes = (l: string): number => Buffer.byteLength(l);
    const before = [...alive].map(([n, a]) => `alive: ${n} ${a}\n`).concat('clock: 42\n', 'event-clock: 12\n', 'query-clock: 7\n');
    let written = before.reduce((acc, l) => acc + lineBytes(l), 0);
    let i = 0;
    while (written <= SNAPSHOT_SIZE_LIMIT) {
      const line = i % 2 === 0 ? 'alive: churn 10.0.9.9:8301\n' : 'not-alive: churn\n';
      if (i % 2 === 0) s.memberAlive('churn', '10.0.9.9:8301');
      else s.memberNotAlive('churn');
      written += lineBytes(line);
      i++;
    }
    if (i % 2 === 1) alive.set('churn', '10.0.9.9:8301');
    await s.idle();
    const lines = (await text(path)).split('\n').filter((l) => l !== '');
    const expected = [...alive].map(([n, a]) => `alive: ${n} ${a}`);
    expect(lines.filter((l) => l.startsWith('alive: ')).sort()).toEqual(expected.sort());
    expect(lines.filter((l) => !l.startsWith('alive: '))).toEqual(['clock: 42', 'event-clock: 12', 'query-clock: 7']);
    expect(await readdir(dir)).toEqual(['local.snapshot']);
    expect((await stat(path)).mode & 0o777).toBe(0o600);

    // Recording goes on in the new file, and a restart sees the same members and clocks.
    s.memberNotAlive('node-0');
    await s.close();
    alive.delete('node-0');
    const again = await openSnap(path);
    expect(names(again)).toEqual(Object.fromEntries(alive));
    expect(again.recovered()).toMatchObject({ lastClock: 42, lastEventClock: 12, lastQueryClock: 7, leftBefore: false });
  });

  it('a compaction after a leave keeps the leave, so a restart still knows it left', async () => {
    const path = join(dir, 'local.snapshot');
    const s = await openSnap(path, false, { minCompactSize: 100 });
    s.memberAlive('a', '10.0.0.1:8301');
    s.leave();
    for (let t = 2; t < 40; t++) {
      s.updateClock(t);
      clock.advance(500); // each tick records the moved clock, until the file passes 100 bytes
      await s.idle();
    }
    await s.close();
    const lines = (await text(path)).split('\n').filter((l) => l !== '');
    expect(lines.length).toBeLessThan(20); // compacted
    expect(lines[0]).toBe('leave');
    const again = await openSnap(path);
    expect(again.recovered()).toMatchObject({ aliveNodes: [], leftBefore: true, lastClock: 38 });
  });

  it('a write error is logged, never thrown; lines stay in the old file and a later compaction recovers', async () => {
    const path = join(dir, 'local.snapshot');
    const s = await openSnap(path, false, { minCompactSize: 200 });
    await mkdir(`${path}.compact`); // the compaction cannot create its temp file
    // Two members stay; a third comes and goes until the file is past max(2 × 256 B, 200 B).
    s.memberAlive('n0', '10.0.0.1:8301');
    s.memberAlive('n1', '10.0.0.2:8301');
    for (let i = 0; i < 40; i++) {
      expect(() => (i % 2 === 0 ? s.memberAlive('x', '10.0.0.3:8301') : s.memberNotAlive('x'))).not.toThrow();
    }
    await s.idle();
    expect(logger.lines.some((l) => l.startsWith('ERROR') && l.includes('Failed to update snapshot') && l.includes('failed to open new snapshot'))).toBe(true);
    clock.advance(500); // the tick writes out what is buffered
    await s.idle();
    const kept = (await text(path)).split('\n').filter((l) => l !== '');
    expect(kept).toHaveLength(42); // nothing was lost to the failed compactions

    await rm(`${path}.compact`, { recursive: true });
    s.memberNotAlive('n0'); // past the limit again: this compaction succeeds
    await s.close();
    expect((await text(path)).split('\n').filter((l) => l !== '')).toEqual(['alive: n1 10.0.0.2:8301', 'clock: 0', 'event-clock: 0', 'query-clock: 0']);
  });
});

describe('serf snapshotter: interop with HashiCorp serf', () => {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });

  async function startSerf(name: string, snapshot: string, extra: string[] = []) {
    const port = await freePort();
    const rpc = `127.0.0.1:${await freePort()}`;
    const proc = spawn(SERF, ['agent', '-node', name, '-bind', `127.0.0.1:${port}`, '-rpc-addr', rpc, '-snapshot', snapshot, ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(proc);
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    await until(() => out.includes('Serf agent running') || proc.exitCode !== null, 10_000);
    if (!out.includes('Serf agent running')) throw new Error(`serf did not start:\n${out}`);
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    return { port, rpc, proc, exited, log: () => out };
  }

  it('replays the snapshots two real serf agents wrote (one left gracefully, one stopped)', async () => {
    const aPath = join(dir, 'a.snapshot');
    const bPath = join(dir, 'b.snapshot');
    const a = await startSerf('a', aPath);
    const b = await startSerf('b', bPath);
    await run(SERF, ['join', '-rpc-addr', b.rpc, `127.0.0.1:${a.port}`]);
    await run(SERF, ['event', '-rpc-addr', a.rpc, 'deploy', 'v1']);
    await until(() => b.log().includes('user-event: deploy'), 10_000);
    await run(SERF, ['leave', '-rpc-addr', b.rpc]);
    await b.exited;
    await until(() => a.log().includes('EventMemberLeave: b'), 10_000);
    a.proc.kill('SIGTERM'); // serf's default: shut down without leaving, flushing the snapshot
    await a.exited;

    // a: saw b leave; its own alive line stays (serf skips itself when rejoining).
    const sa = await openSnap(aPath);
    expect(names(sa)).toEqual({ a: `127.0.0.1:${a.port}` });
    expect(sa.recovered().lastEventClock).toBe(1);
    expect(sa.recovered().lastClock).toBeGreaterThanOrEqual(1);
    expect(sa.recovered().leftBefore).toBe(false);

    // b: left gracefully.
    const sb = await openSnap(bPath);
    expect(sb.recovered()).toMatchObject({ aliveNodes: [], leftBefore: true });
    const sbRejoin = await openSnap(bPath, true);
    expect(names(sbRejoin)).toEqual({ a: `127.0.0.1:${a.port}`, b: `127.0.0.1:${b.port}` });
    expect(sbRejoin.recovered().lastEventClock).toBe(1);
    expect(logger.lines.filter((l) => l.startsWith('WARN') || l.startsWith('ERROR'))).toEqual([]);
  });

  it('a snapshot written here makes a real serf agent rejoin the member it names', async () => {
    const a = await startSerf('a', join(dir, 'a.snapshot'));
    const path = join(dir, 'c.snapshot');
    const s = await openSerfSnapshot(path, deps());
    s.memberAlive('a', `127.0.0.1:${a.port}`);
    s.updateClock(3);
    s.updateEventClock(2);
    await s.close();
    const c = await startSerf('c', path);
    await until(() => c.log().includes('Re-joined to previously known node'), 10_000);
    const { stdout } = await run(SERF, ['members', '-rpc-addr', a.rpc]);
    expect(stdout).toMatch(/^c\s+127\.0\.0\.1:\d+\s+alive/m);
    expect(c.log()).not.toContain('Unrecognized snapshot line');
  });
});
