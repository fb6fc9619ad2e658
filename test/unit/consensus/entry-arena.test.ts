import { describe, expect, it } from 'vitest';
import { LogEntryType, type LogEntry } from '../../../contracts/ports/log-store.js';
import { EntryArena } from '../../../src/consensus/entry-arena.js';
import { RaftLog } from '../../../src/consensus/raft-log.js';

const entry = (index: number, bytes: number, fill = index): LogEntry => ({ index, term: 1, type: LogEntryType.Command, data: new Uint8Array(bytes).fill(fill & 0xff) });

describe('EntryArena', () => {
  it('moves mid-sized payloads into shared slabs with their bytes intact, a new slab when one is full', () => {
    const arena = new EntryArena(1000, 400);
    const a = arena.own(entry(1, 300));
    const b = arena.own(entry(2, 300));
    const c = arena.own(entry(3, 300));
    const d = arena.own(entry(4, 300)); // 1,200 > 1,000: a new slab
    expect(a.data.buffer).toBe(b.data.buffer);
    expect(b.data.buffer).toBe(c.data.buffer);
    expect(d.data.buffer).not.toBe(a.data.buffer);
    for (const e of [a, b, c, d]) expect(e.data).toEqual(new Uint8Array(300).fill(e.index));
  });

  it('leaves tiny payloads (on the V8 heap already) and large ones (own buffer) where they are', () => {
    const arena = new EntryArena(1000, 400);
    const tiny = entry(1, 64);
    const large = entry(2, 401);
    const [t, l] = [tiny.data, large.data];
    expect(arena.own(tiny).data).toBe(t);
    expect(arena.own(large).data).toBe(l);
  });

  it('a RaftLog keeps what it was given through appends, a truncation and compaction', () => {
    const log = new RaftLog(0, 0, [entry(1, 200), entry(2, 10)], 0);
    log.append([entry(3, 5000), entry(4, 200)]);
    log.appendFromLeader(4, [entry(5, 300), entry(6, 300)]);
    log.truncateAfter(5);
    log.append([entry(6, 250, 99)]);
    log.commitTo(6);
    log.applied = 6;
    log.compactTo(2);
    expect(log.slice(3, 6).map((e) => [e.index, e.data.byteLength, e.data[0]])).toEqual([
      [3, 5000, 3],
      [4, 200, 4],
      [5, 300, 5],
      [6, 250, 99],
    ]);
  });
});
