// Append throughput of the Raft log store in a temp dir, for each place the log-store-sqlite
// plugin can keep entries: segment files (the default) and the SQLite table (WAL + synchronous=FULL).
//   npm run bench:log-store            (LOG_STORE_BENCH_SECONDS=2 per phase by default;
//                                       LOG_STORE_BENCH_MODES=segments,sqlite)
// Targets from libraries.md §4 on the CI VM: ≥ 1k single commits/s, ≥ 20k entries/s batched.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { LogEntry } from '../../contracts/ports/log-store.js';
import { SqliteRaftStorage } from '../../plugins/log-store-sqlite/sqlite-raft-storage.js';

const MODES = (process.env.LOG_STORE_BENCH_MODES ?? 'segments,sqlite').split(',') as ('segments' | 'sqlite')[];

const SECONDS = Number(process.env.LOG_STORE_BENCH_SECONDS ?? 2);
const ENTRY_BYTES = 256;
const BATCH = 64;
const payload = new Uint8Array(ENTRY_BYTES).map((_, i) => i & 0xff);

function batch(from: number, n: number): LogEntry[] {
  const out: LogEntry[] = [];
  for (let i = 0; i < n; i++) out.push({ index: from + i, term: 1, type: 0, data: payload });
  return out;
}

/** Runs `step` (which appends and returns how many entries it wrote) for SECONDS; returns [commits/s, entries/s]. */
async function measure(step: () => Promise<number>): Promise<[number, number]> {
  const start = performance.now();
  const until = start + SECONDS * 1000;
  let commits = 0;
  let written = 0;
  while (performance.now() < until) {
    written += await step();
    commits++;
  }
  const secs = (performance.now() - start) / 1000;
  return [commits / secs, written / secs];
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

for (const mode of MODES) {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-log-bench-'));
  try {
    const s = await SqliteRaftStorage.open(join(dir, 'raft.db'), { log: mode });
    let next = 1;
    const how = mode === 'segments' ? 'segment files, one fdatasync per batch' : 'SQLite table, WAL + synchronous=FULL';
    console.log(`\nlog-store-sqlite bench, log in ${how}: ${ENTRY_BYTES}-byte entries, ${SECONDS}s per phase, UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE ?? '4 (default)'}`);

    const [single] = await measure(async () => {
      await s.log.storeLogs(batch(next, 1));
      next += 1;
      return 1;
    });
    console.log(`single entry, one call at a time:   ${fmt(single)} commits/s   (target ≥ 1,000)`);

    const [batchCommits, batched] = await measure(async () => {
      await s.log.storeLogs(batch(next, BATCH));
      next += BATCH;
      return BATCH;
    });
    console.log(`batch of ${BATCH} in one call:           ${fmt(batched)} entries/s   (${fmt(batchCommits)} commits/s; target ≥ 20,000 entries/s)`);

    const [groupCommits, grouped] = await measure(async () => {
      const calls: Promise<void>[] = [];
      for (let i = 0; i < BATCH; i++) calls.push(s.log.storeLogs(batch(next + i, 1)));
      next += BATCH;
      await Promise.all(calls);
      return BATCH;
    });
    console.log(`${BATCH} single-entry calls per turn:     ${fmt(grouped)} entries/s   (${fmt(groupCommits)} group commits/s)`);

    const last = await s.log.lastIndex();
    const [reads] = await measure(async () => {
      const lo = 1 + Math.floor(Math.random() * (last - BATCH));
      await s.log.getLogs(lo, lo + BATCH - 1);
      return BATCH;
    });
    console.log(`getLogs of ${BATCH} entries:                ${fmt(reads)} reads/s`);
    await s.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
