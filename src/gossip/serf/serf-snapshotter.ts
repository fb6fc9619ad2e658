/**
 * serf's snapshotter (serf/snapshot.go), file-backed: an append-only text file
 * (`data_dir/serf/local.snapshot`) of member and clock changes, replayed on open so a restarted
 * agent rejoins the members it knew and does not replay old events.
 *
 * The format is serf's, line for line, so a file written by HashiCorp's `serf agent -snapshot`
 * replays here and a file written here replays in serf:
 *
 *     alive: <name> <host:port>
 *     not-alive: <name>
 *     clock: <n>
 *     event-clock: <n>
 *     query-clock: <n>
 *     leave
 *     # a comment
 *
 * Replay (snapshot.go replay): `alive:` records a member (the address is after the last space),
 * `not-alive:` forgets it, the clock lines set the last clocks, a `leave` forgets every member
 * and zeroes the clocks (unless rejoin-after-leave, when it is ignored), `coordinate:` lines of old
 * snapshots, comments and blank lines are skipped, anything else is logged and skipped.
 *
 * Writing (snapshot.go stream/appendLine): lines go to a buffer that is written out when more
 * than flushInterval (500 ms) passed since the last write, when it reaches bufio's 4 KiB, on a
 * leave (written and fsync'd) and on close (written and fsync'd). The member clock is batched:
 * `updateClock` only notes the clock, and a `clock:` line is appended every clockUpdateInterval
 * (500 ms, on the Clock port) and after each member change, only when the clock moved. Once the
 * file exceeds max(128 B × 2 per alive member, snapshotSizeLimit 128 KiB) it is compacted: the
 * alive members and the three clocks are written to `<path>.compact`, fsync'd and renamed over
 * the file. A write error is logged, never thrown, and recovered from by a compaction at most
 * every 30 s (snapshotErrorRecoveryInterval).
 *
 * Where this differs from serf, on purpose:
 * - a last line without its newline (a crash mid-write) is cut off the file on open, so the next
 *   line appended does not run into it (serf would glue them into one corrupt line);
 * - the periodic clock tick also writes out a buffer older than flushInterval (serf waits for the
 *   next line, so its last lines may sit in memory until a leave or a shutdown);
 * - a compaction after a leave keeps the `leave` line (before the clocks), so `leftBefore`
 *   survives it;
 * - files are created 0600 and the parent directory 0700 (serf: 0644/0755);
 * - `recovered().aliveNodes` keeps file order; serf shuffles it (the caller shuffles with its
 *   Random port).
 */
import { type FileHandle, mkdir, open, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ErrorCode, SextantError } from '../../../contracts/errors.js';
import type { Clock, Logger, TimerHandle } from '../../../contracts/platform.js';
import { syncDirectory } from '../../platform/durable-file.js';
import type { SerfSnapshot, SerfSnapshotState } from './serf-snapshot.js';

/** serf.go snapshotSizeLimit: the smallest size at which the snapshot is compacted (128 KiB). */
export const SNAPSHOT_SIZE_LIMIT = 128 * 1024;
/** snapshot.go flushInterval: buffered lines are written out at most this long after the last write. */
export const SNAPSHOT_FLUSH_INTERVAL_MS = 500;
/** snapshot.go clockUpdateInterval: how often a moved member clock is recorded. */
export const SNAPSHOT_CLOCK_UPDATE_INTERVAL_MS = 500;
/** snapshot.go snapshotErrorRecoveryInterval: the least time between two compactions tried after write errors. */
export const SNAPSHOT_ERROR_RECOVERY_INTERVAL_MS = 30_000;
/** snapshot.go snapshotBytesPerNode × snapshotCompactionThreshold: the compaction threshold per alive member. */
const BYTES_PER_NODE = 128;
const COMPACTION_THRESHOLD = 2;
/** bufio.Writer's default size: a fuller buffer is written out at once. */
const BUFFER_SIZE = 4096;
/** snapshot.go tmpExt. */
const TMP_EXT = '.compact';

const FILE_MODE = 0o600;
const DIR_MODE = 0o700;

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** What replaying snapshot lines yields. */
export interface Replayed {
  alive: Map<string, string>;
  lastClock: number;
  lastEventClock: number;
  lastQueryClock: number;
  leftBefore: boolean;
}

/** A clock line's number as Go's strconv.ParseUint reads it (decimal digits only), or undefined. */
function parseClock(s: string): number | undefined {
  if (!/^[0-9]+$/.test(s)) return undefined;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** Replays complete snapshot lines (snapshot.go replay), logging the ones it skips. */
export function replaySnapshotLines(lines: readonly string[], rejoinAfterLeave: boolean, logger: Logger): Replayed {
  const r: Replayed = { alive: new Map(), lastClock: 0, lastEventClock: 0, lastQueryClock: 0, leftBefore: false };
  const clockLine = (line: string, prefix: string, what: string): number | undefined => {
    const n = parseClock(line.slice(prefix.length));
    if (n === undefined) logger.warn(`serf: Failed to convert ${what} time`, { line });
    return n;
  };
  for (const line of lines) {
    if (line.startsWith('alive: ')) {
      const info = line.slice('alive: '.length);
      const i = info.lastIndexOf(' ');
      if (i < 0) {
        logger.warn('serf: Failed to parse address', { line });
        continue;
      }
      r.alive.set(info.slice(0, i), info.slice(i + 1));
      r.leftBefore = false;
    } else if (line.startsWith('not-alive: ')) {
      r.alive.delete(line.slice('not-alive: '.length));
    } else if (line.startsWith('clock: ')) {
      const n = clockLine(line, 'clock: ', 'clock');
      if (n !== undefined) r.lastClock = n;
    } else if (line.startsWith('event-clock: ')) {
      const n = clockLine(line, 'event-clock: ', 'event clock');
      if (n !== undefined) r.lastEventClock = n;
    } else if (line.startsWith('query-clock: ')) {
      const n = clockLine(line, 'query-clock: ', 'query clock');
      if (n !== undefined) r.lastQueryClock = n;
    } else if (line.startsWith('coordinate: ')) {
      // Old snapshots persisted coordinates; serf ignores them and re-converges.
    } else if (line === 'leave') {
      r.leftBefore = true;
      if (rejoinAfterLeave) {
        logger.info('serf: Ignoring previous leave in snapshot');
        continue;
      }
      r.alive.clear();
      r.lastClock = 0;
      r.lastEventClock = 0;
      r.lastQueryClock = 0;
    } else if (line.startsWith('#') || line === '') {
      // Comment (or an empty line, which serf reports as unrecognized; it carries nothing).
    } else {
      logger.warn('serf: Unrecognized snapshot line', { line });
    }
  }
  return r;
}

/** Dependencies of the file-backed snapshotter. */
export interface SerfSnapshotDeps {
  /** Drives the periodic clock record and the flush cadence. */
  readonly clock: Clock;
  /** Receives the replay warnings and every write error. */
  readonly logger: Logger;
  /** Consul's `rejoin_after_leave` / `-rejoin`: a recorded leave neither forgets the members nor is honoured on replay. */
  readonly rejoinAfterLeave: boolean;
  /** The compaction floor in bytes; serf's snapshotSizeLimit (128 KiB) unless given. */
  readonly minCompactSize?: number;
}

/** The snapshotter over an open file. Built by {@link openSerfSnapshot}. */
export class FileSerfSnapshot implements SerfSnapshot {
  private readonly alive: Map<string, string>;
  private lastClock: number;
  private lastEventClock: number;
  private lastQueryClock: number;
  /** The member clock as last told by updateClock (serf reads its LamportClock.Time()). */
  private clockTime = 0;
  private leaving = false;
  private closed: Promise<void> | undefined;
  private readonly ticker: TimerHandle;

  private buffer: string[] = [];
  private bufferBytes = 0;
  /** Bytes in the file plus the buffer (serf's offset). */
  private offset: number;
  private lastFlush = Number.NEGATIVE_INFINITY;
  private lastAttemptedCompaction = Number.NEGATIVE_INFINITY;
  private compacting = false;
  /** Every file operation runs on this chain, in order. */
  private chain: Promise<void> = Promise.resolve();
  private fh: FileHandle | undefined;

  constructor(
    private readonly path: string,
    fh: FileHandle,
    size: number,
    private readonly state: SerfSnapshotState,
    replayed: Replayed,
    private readonly deps: SerfSnapshotDeps,
  ) {
    this.fh = fh;
    this.offset = size;
    this.alive = new Map(replayed.alive);
    this.lastClock = replayed.lastClock;
    this.lastEventClock = replayed.lastEventClock;
    this.lastQueryClock = replayed.lastQueryClock;
    this.ticker = deps.clock.setInterval(() => this.tick(), SNAPSHOT_CLOCK_UPDATE_INTERVAL_MS);
  }

  /** The state replayed from the file when it was opened. */
  recovered(): SerfSnapshotState {
    return this.state;
  }

  /** Records `name` alive at `addr` (`host:port`), then the member clock if it moved. Ignored after a leave. */
  memberAlive(name: string, addr: string): void {
    if (this.leaving || this.closed) return;
    this.alive.set(name, addr);
    this.append(`alive: ${name} ${addr}\n`);
    this.recordClock();
  }

  /** Records `name` gone (failed, left or reaped), then the member clock if it moved. Ignored after a leave. */
  memberNotAlive(name: string): void {
    if (this.leaving || this.closed) return;
    this.alive.delete(name);
    this.append(`not-alive: ${name}\n`);
    this.recordClock();
  }

  /**
   * Notes that the member clock now reads `ltime` (LamportClock.Time()). As serf does, the line
   * is written by the next periodic tick or member change, and records `ltime - 1`, the last time
   * seen (what the restarted agent witnesses).
   */
  updateClock(ltime: number): void {
    if (ltime > this.clockTime) this.clockTime = ltime;
  }

  /** Records a user event's Lamport time when newer than the last recorded one. Ignored after a leave. */
  updateEventClock(ltime: number): void {
    if (this.leaving || this.closed || ltime <= this.lastEventClock) return;
    this.lastEventClock = ltime;
    this.append(`event-clock: ${ltime}\n`);
  }

  /** Records a query's Lamport time when newer than the last recorded one. Ignored after a leave. */
  updateQueryClock(ltime: number): void {
    if (this.leaving || this.closed || ltime <= this.lastQueryClock) return;
    this.lastQueryClock = ltime;
    this.append(`query-clock: ${ltime}\n`);
  }

  /**
   * Records a graceful leave, written and fsync'd at once: the members are forgotten (kept with
   * rejoin-after-leave) and no member or event change is recorded any more. Idempotent.
   */
  leave(): void {
    if (this.leaving || this.closed) return;
    this.leaving = true;
    if (!this.deps.rejoinAfterLeave) this.alive.clear();
    this.append('leave\n');
    this.flush({ sync: true, what: 'leave' });
  }

  /** Records the member clock if it moved, writes out and fsyncs the buffer, and closes the file. Never rejects. */
  close(): Promise<void> {
    if (!this.closed) {
      this.ticker.cancel();
      this.recordClock();
      this.flush({ sync: true, what: 'snapshot' });
      this.closed = this.enqueue(async () => {
        const fh = this.fh;
        this.fh = undefined;
        await fh?.close();
      }, 'failed to close snapshot');
    }
    return this.closed;
  }

  /** Resolves once no file operation is pending (tests; callers wanting lines on disk call close). Lines not yet due for writing stay buffered. */
  async idle(): Promise<void> {
    // A step may queue another (a compaction after a write error): wait until none is left.
    for (let c = this.chain; ; c = this.chain) {
      await c;
      if (c === this.chain) return;
    }
  }

  private tick(): void {
    if (this.closed) return;
    this.recordClock();
    if (this.bufferBytes > 0 && this.deps.clock.now() - this.lastFlush >= SNAPSHOT_FLUSH_INTERVAL_MS) this.flush();
  }

  /** snapshot.go updateClock. */
  private recordClock(): void {
    const lastSeen = this.clockTime - 1;
    if (lastSeen > this.lastClock) {
      this.lastClock = lastSeen;
      this.append(`clock: ${lastSeen}\n`);
    }
  }

  /** snapshot.go appendLine: buffer, write out when due, compact when too large. */
  private append(line: string): void {
    const n = Buffer.byteLength(line);
    this.buffer.push(line);
    this.bufferBytes += n;
    this.offset += n;
    const now = this.deps.clock.now();
    if (now - this.lastFlush > SNAPSHOT_FLUSH_INTERVAL_MS || this.bufferBytes >= BUFFER_SIZE) this.flush();
    if (this.offset > this.maxSize() && !this.compacting) this.compact();
  }

  /** snapshot.go snapshotMaxSize. */
  private maxSize(): number {
    return Math.max(this.alive.size * BYTES_PER_NODE * COMPACTION_THRESHOLD, this.deps.minCompactSize ?? SNAPSHOT_SIZE_LIMIT);
  }

  /** Queues the buffered lines for writing (and an fsync). */
  private flush(opts: { sync?: boolean; what?: string } = {}): void {
    this.lastFlush = this.deps.clock.now();
    const data = this.takeBuffer();
    this.chain = this.chain.then(async () => {
      try {
        const fh = this.requireFile();
        if (data) await fh.appendFile(data, 'utf8');
      } catch (e) {
        this.writeFailed(e);
        return;
      }
      if (opts.sync) {
        try {
          await this.fh?.sync();
        } catch (e) {
          this.deps.logger.error(`serf: failed to sync ${opts.what ?? 'snapshot'} to snapshot`, { path: this.path, error: errText(e) });
        }
      }
    });
  }

  private takeBuffer(): string {
    const data = this.buffer.join('');
    this.buffer = [];
    this.bufferBytes = 0;
    return data;
  }

  private requireFile(): FileHandle {
    if (!this.fh) throw new Error(`snapshot ${this.path} is not open`);
    return this.fh;
  }

  /** snapshot.go tryAppend's error path: log, and try a compaction at most every 30 s to recover. */
  private writeFailed(e: unknown): void {
    this.deps.logger.error('serf: Failed to update snapshot', { path: this.path, error: errText(e) });
    const now = this.deps.clock.now();
    // Once closing, the file is closed next: a compaction would reopen it for nobody.
    if (this.closed) return;
    if (now - this.lastAttemptedCompaction > SNAPSHOT_ERROR_RECOVERY_INTERVAL_MS && !this.compacting) {
      this.lastAttemptedCompaction = now;
      this.deps.logger.info('serf: Attempting compaction to recover from error...');
      this.compact(true);
    }
  }

  /**
   * snapshot.go compact: the alive members and the clocks (and, unlike serf, a leave) go to
   * `<path>.compact`, fsync'd, renamed over the file, which is reopened for appending. Lines
   * buffered before are written to the old file first, so a failed compaction loses nothing.
   */
  private compact(recovering = false): void {
    this.compacting = true;
    const lines: string[] = [];
    for (const [name, addr] of this.alive) lines.push(`alive: ${name} ${addr}\n`);
    if (this.leaving) lines.push('leave\n');
    lines.push(`clock: ${this.lastClock}\n`, `event-clock: ${this.lastEventClock}\n`, `query-clock: ${this.lastQueryClock}\n`);
    const content = lines.join('');
    const size = Buffer.byteLength(content);
    const before = this.takeBuffer();
    const grownBy = this.offset - size;
    this.offset = size;
    this.lastFlush = this.deps.clock.now();
    const run = async (): Promise<void> => {
      if (before && this.fh) await this.fh.appendFile(before, 'utf8').catch(() => undefined);
      const tmp = this.path + TMP_EXT;
      const out = await open(tmp, 'w', FILE_MODE).catch((e: unknown) => {
        throw new Error(`failed to open new snapshot: ${errText(e)}`);
      });
      try {
        await out.writeFile(content, 'utf8');
        await out.sync();
      } finally {
        await out.close();
      }
      await rename(tmp, this.path).catch((e: unknown) => {
        throw new Error(`failed to install new snapshot: ${errText(e)}`);
      });
      const old = this.fh;
      this.fh = undefined;
      await old?.close().catch(() => undefined);
      this.fh = await open(this.path, 'a', FILE_MODE).catch((e: unknown) => {
        throw new Error(`failed to open snapshot: ${errText(e)}`);
      });
      await syncDirectory(dirname(this.path)).catch(() => undefined);
    };
    this.chain = this.chain.then(async () => {
      try {
        await run();
        if (recovering) this.deps.logger.info('serf: Finished compaction, successfully recovered from error state');
      } catch (e) {
        // The old file (if still open) keeps its lines; the next line past the limit tries again.
        this.offset += grownBy;
        if (!this.fh) this.fh = await open(this.path, 'a', FILE_MODE).catch(() => undefined);
        if (recovering) {
          this.deps.logger.error(`serf: Compaction failed, will reattempt after ${SNAPSHOT_ERROR_RECOVERY_INTERVAL_MS / 1000}s`, { path: this.path, error: errText(e) });
        } else {
          this.deps.logger.error('serf: Failed to update snapshot', { path: this.path, error: errText(e) });
        }
      } finally {
        this.compacting = false;
      }
    });
  }

  private enqueue(fn: () => Promise<void>, what: string): Promise<void> {
    this.chain = this.chain.then(fn).catch((e: unknown) => {
      this.deps.logger.error(`serf: ${what}`, { path: this.path, error: errText(e) });
    });
    return this.chain;
  }
}

/** Reads every byte of an open file from the start. */
async function readAll(fh: FileHandle): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let pos = 0;
  for (;;) {
    const buf = Buffer.alloc(64 * 1024);
    const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
    if (bytesRead === 0) break;
    chunks.push(buf.subarray(0, bytesRead));
    pos += bytesRead;
  }
  return Buffer.concat(chunks);
}

/**
 * Opens (creating it, and its directory, 0600/0700) the snapshot at `path`, replays it, and
 * starts recording. A last line cut short by a crash is dropped from the file. Rejects with
 * STORAGE_FAILED naming the path when the file cannot be created, opened or read.
 */
export async function openSerfSnapshot(path: string, deps: SerfSnapshotDeps): Promise<FileSerfSnapshot> {
  const fail = (e: unknown): SextantError =>
    new SextantError(ErrorCode.StorageFailed, `Failed to setup snapshot: failed to open snapshot ${path}: ${errText(e)}`, { path }, { cause: e });
  let fh: FileHandle;
  try {
    await mkdir(dirname(path), { recursive: true, mode: DIR_MODE });
    fh = await open(path, 'a+', FILE_MODE);
  } catch (e) {
    throw fail(e);
  }
  try {
    const raw = await readAll(fh);
    const size = raw.lastIndexOf(0x0a) + 1;
    if (size < raw.length) {
      deps.logger.warn('serf: Dropping an incomplete last line from the snapshot', { path, line: raw.subarray(size).toString('utf8') });
      await fh.truncate(size);
    }
    const lines = raw.subarray(0, size).toString('utf8').split('\n');
    lines.pop(); // the empty string after the last newline
    const replayed = replaySnapshotLines(lines, deps.rejoinAfterLeave, deps.logger);
    const state: SerfSnapshotState = {
      aliveNodes: [...replayed.alive].map(([name, addr]) => ({ name, addr })),
      lastClock: replayed.lastClock,
      lastEventClock: replayed.lastEventClock,
      lastQueryClock: replayed.lastQueryClock,
      leftBefore: replayed.leftBefore,
    };
    return new FileSerfSnapshot(path, fh, size, state, replayed, deps);
  } catch (e) {
    await fh.close().catch(() => undefined);
    throw fail(e);
  }
}
