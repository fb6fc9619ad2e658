import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sqlite3 from 'sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteRaftStorage } from '../../plugins/log-store-sqlite/sqlite-raft-storage.js';
import { SeededRandom } from '../../src/testing/seeded-random.js';
import { entry } from '../conformance/log-store-entries.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const fixture = join(here, 'fixtures', 'log-store-writer.ts');

/** Kill rounds per lane (4 × 13 = 52 kills; LOG_STORE_CRASH_ROUNDS for more); lanes run in parallel, each on its own database file. */
const LANES = 4;
const ROUNDS_PER_LANE = Number(process.env.LOG_STORE_CRASH_ROUNDS ?? 13);

/** What the parent knows is durable, from the child's acknowledgements. */
interface Acked {
  /** Every index in [firstMax, last] must be present. */
  last: number;
  /** The highest index the log may start at (an unfinished compaction may have moved it). */
  firstMax: number;
  /** The lowest index the log may start at (finished compactions). */
  firstMin: number;
  /** Hard state term acknowledged. */
  term: number;
  lines: number;
}

/** A writer child started ahead of time: its modules load while the parent verifies the previous crash. */
interface Writer {
  /** Opens the database, writes, is SIGKILLed `killAfterMs` after it is ready; resolves with what it acknowledged. */
  run(killAfterMs: number, known: Acked): Promise<Acked>;
  /** Kills a writer that was never run. */
  kill(): Promise<void>;
}

/** Children still alive, killed after the test whatever its outcome. */
const alive = new Set<ChildProcess>();

function startWriter(file: string, seed: number, segmentBytes: number | undefined): Writer {
  const args = [fixture, file, String(seed), ...(segmentBytes ? [String(segmentBytes)] : [])];
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
    cwd: root,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  alive.add(child);
  child.on('exit', () => alive.delete(child));
  child.stdin.on('error', () => undefined); // the child may die before it reads 'go'
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  // 'close', not 'exit': after 'exit' the pipe may still hold the child's last acknowledgements
  // (seen under load as a compaction the parent never heard of).
  const exited = new Promise<string>((resolve) => child.on('close', (code, signal) => resolve(signal ?? `code ${code}`)));
  return {
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
    run: (killAfterMs, known) =>
      new Promise((resolve, reject) => {
        const acked = { ...known, lines: 0 };
        let buf = '';
        child.stdout.on('data', (d: Buffer) => {
          buf += d.toString();
          const lines = buf.split('\n');
          buf = lines.pop()!;
          for (const line of lines) {
            const [kind, arg] = line.split(' ');
            const v = Number(arg);
            acked.lines++;
            if (kind === 'loaded') child.stdin.write('go\n');
            else if (kind === 'ready') setTimeout(() => child.kill('SIGKILL'), killAfterMs);
            else if (kind === 'h') acked.term = v;
            else if (kind === 'a') acked.last = v;
            else if (kind === 'T') acked.last = Math.min(acked.last, v - 1);
            else if (kind === 't') acked.last = v;
            else if (kind === 'C') acked.firstMax = Math.max(acked.firstMax, v + 1);
            else if (kind === 'c') {
              acked.firstMin = v;
              acked.firstMax = v;
            }
          }
        });
        child.on('error', reject);
        void exited.then((how) => {
          if (how !== 'SIGKILL') reject(new Error(`writer exited with ${how} before it was killed:\n${stderr}`));
          else resolve(acked);
        });
      }),
  };
}

function integrityCheck(file: string): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(file, sqlite3.OPEN_READONLY, (err) => {
      if (err) return reject(err);
      db.all('PRAGMA integrity_check', (e, rows) => db.close(() => (e ? reject(e) : resolve(rows))));
    });
  });
}

/** Reopens the store after a crash and checks it against what was acknowledged. */
async function verify(file: string, acked: Acked, label: string): Promise<void> {
  expect(await integrityCheck(file), label).toEqual([{ integrity_check: 'ok' }]);
  const s = await SqliteRaftStorage.open(file);
  try {
    const first = await s.log.firstIndex();
    const last = await s.log.lastIndex();
    expect(last, `${label}: acknowledged entries lost`).toBeGreaterThanOrEqual(acked.last);
    if (acked.last >= acked.firstMax) {
      expect(first, `${label}: acknowledged entries lost at the start`).toBeLessThanOrEqual(acked.firstMax);
    }
    if (last > 0) expect(first, `${label}: compacted entries came back`).toBeGreaterThanOrEqual(acked.firstMin);
    const log = await s.log.getLogs(first, last);
    expect(log.length, `${label}: log not contiguous`).toBe(last === 0 ? 0 : last - first + 1);
    let prevTerm = 0;
    for (const [i, e] of log.entries()) {
      if (e.index !== first + i) throw new Error(`${label}: index ${e.index} at position ${i}`);
      if (e.term < prevTerm) throw new Error(`${label}: term goes down at ${e.index}`);
      if (Buffer.compare(Buffer.from(e.data), Buffer.from(entry(e.index, e.term, 0, 256).data)) !== 0) {
        throw new Error(`${label}: payload of entry ${e.index} is damaged`);
      }
      prevTerm = e.term;
    }
    expect((await s.stable.getHardState()).currentTerm, `${label}: hard state lost`).toBeGreaterThanOrEqual(acked.term);
  } finally {
    await s.close();
  }
}

describe('Raft storage (SQLite and log segments) survives kill -9', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-log-crash-'));
  afterAll(() => {
    for (const child of alive) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it(`keeps every acknowledged entry across ${LANES * ROUNDS_PER_LANE} SIGKILLs at random moments`, { timeout: 90_000 }, async () => {
    const seed = Number(process.env.LOG_STORE_CRASH_SEED ?? Date.now() % 1_000_000);
    console.log(`log-store crash test seed ${seed} (LOG_STORE_CRASH_SEED=${seed} to replay the kill timings)`);
    let totalAcks = 0;
    await Promise.all(
      [...Array(LANES).keys()].map(async (lane) => {
        const random = new SeededRandom(seed * 31 + lane);
        const file = join(dir, `lane-${lane}`, 'raft.db');
        let acked: Acked = { last: 0, firstMax: 1, firstMin: 0, term: 0, lines: 0 };
        // Half the lanes use 16 KB log segments, so crashes also cut new files, removals and floor renames.
        const segmentBytes = lane % 2 === 1 ? 16 * 1024 : undefined;
        let writer = startWriter(file, seed + lane * 1000, segmentBytes);
        for (let round = 0; round < ROUNDS_PER_LANE; round++) {
          acked = await writer.run(5 + random.int(120), acked);
          writer = startWriter(file, seed + lane * 1000 + round + 1, segmentBytes);
          totalAcks += acked.lines;
          await verify(file, acked, `seed ${seed} lane ${lane} round ${round}`);
        }
        await writer.kill();
        expect(acked.last, `lane ${lane} made progress`).toBeGreaterThan(0);
      }),
    );
    expect(totalAcks).toBeGreaterThan(LANES * ROUNDS_PER_LANE);
  });
});
