import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteRaftStorage } from '../../plugins/log-store-sqlite/sqlite-raft-storage.js';
import { snapshotData } from './fixtures/snapshot-data.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const fixture = join(here, 'fixtures', 'snapshot-writer.ts');
const dirs: string[] = [];

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDb(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-snapcrash-'));
  dirs.push(dir);
  return join(dir, 'raft.db');
}

/** Runs the writer until it has acknowledged `minSaves` more saves, then SIGKILLs it `extraMs` later; returns the highest acknowledged index. */
function runAndKill(file: string, extraMs: number, minSaves: number): Promise<{ ready: number; acked: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, file], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let buf = '';
    let ready = -1;
    let acked = 0;
    let saves = 0;
    let armed = false;
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const [kind, n] = buf.slice(0, nl).split(' ');
        buf = buf.slice(nl + 1);
        if (kind === 'ready') ready = Number(n);
        if (kind === 's') {
          acked = Math.max(acked, Number(n));
          saves++;
        }
      }
      if (!armed && saves >= minSaves) {
        armed = true;
        setTimeout(() => child.kill('SIGKILL'), extraMs);
      }
    });
    child.on('close', (_code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`writer exited without being killed: ${stderr}`));
      else resolve({ ready, acked });
    });
  });
}

/** The files in the snapshot directory beside `file`. */
function snapshotFiles(file: string): string[] {
  return readdirSync(join(dirname(file), 'snapshots')).sort();
}

describe('Snapshot files across kill -9', () => {
  it('a save interrupted at any moment leaves the previous complete snapshot readable, and the partial files are pruned', async () => {
    const file = tempDb();
    let acked = 0;
    for (let round = 0; round < 8; round++) {
      // Kill at varied moments after at least one save of this round, most of them mid-save.
      const r = await runAndKill(file, 5 + ((round * 37) % 60), 1);
      if (round > 0) expect(r.ready).toBeGreaterThanOrEqual(acked);
      acked = Math.max(acked, r.acked);
      const s = await SqliteRaftStorage.open(file);
      try {
        const latest = await s.snapshots.latestSnapshot();
        expect(latest).toBeDefined();
        const at = latest!.meta.lastIndex;
        // Never older than what was acknowledged, never one whose save had not started.
        expect(at).toBeGreaterThanOrEqual(acked);
        expect(at).toBeLessThanOrEqual(acked + 1);
        expect(latest!.meta.configuration).toEqual(Uint8Array.of(at & 0xff));
        expect(Buffer.from(latest!.data).equals(Buffer.from(snapshotData(at)))).toBe(true);
        acked = at;
      } finally {
        await s.close();
      }
    }
    // A clean save after the crashes deletes the partial file of an interrupted save and keeps the newest two.
    const s = await SqliteRaftStorage.open(file);
    await s.snapshots.saveSnapshot({ meta: { lastIndex: 1000, lastTerm: 2, configuration: Uint8Array.of(1) }, data: snapshotData(1000) });
    await s.close();
    expect(snapshotFiles(file)).toEqual([`${String(acked).padStart(20, '0')}-1.snap`, `${String(1000).padStart(20, '0')}-2.snap`]);
  }, 120_000);
});
