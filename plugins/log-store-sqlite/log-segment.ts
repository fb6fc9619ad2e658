import { close, fdatasync, ftruncate, open, read, rename, writeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ErrorCode, SextantError } from '../../contracts/errors.js';
import type { LogEntry } from '../../contracts/ports/log-store.js';
import { decodeRecord } from './segment-record.js';

const openP = promisify(open);
const closeP = promisify(close);
const readP = promisify(read);
const fdatasyncP = promisify(fdatasync);
const ftruncateP = promisify(ftruncate);
const renameP = promisify(rename);

/**
 * Bytes of zeros written ahead of the records. An fdatasync of a write that grows the file must
 * also commit its new size (a journal commit on ext4): with three writers on this machine's disk
 * that cost ~40 µs per flush, so the file grows a megabyte at a time instead.
 */
export const PREALLOCATE_BYTES = 1024 * 1024;

const ZEROS = Buffer.alloc(PREALLOCATE_BYTES);

/** A segment's file name: its floor, 20 digits, so names sort by index. */
export const SEGMENT_NAME = /^(\d{20})\.seg$/;

/** The file name of a segment whose lowest visible index is `floor`. */
export function segmentName(floor: number): string {
  return `${String(floor).padStart(20, '0')}.seg`;
}

/**
 * One segment file of the log: records (segment-record.ts) of consecutive indexes from `base`,
 * appended at `size`. Its name holds its floor, the lowest index it shows: a compaction that
 * ends inside a segment renames it rather than rewriting it, and the records below the floor
 * stay in the file unseen. The file descriptor stays open for appends and reads; a segment
 * that is deleted while reads are in flight closes it after the last one (see retire).
 */
export class LogSegment {
  /** Byte offset of each record: record k holds index base + k. */
  readonly offsets: number[] = [];
  /** False until the directory entry of a new file has been fsync'd. */
  dirSynced = true;
  /** The file's length: `size` plus the zeros written ahead (see PREALLOCATE_BYTES). */
  private length: number;
  private pins = 0;
  private retired = false;

  private constructor(
    private readonly dir: string,
    public floor: number,
    public base: number,
    public size: number,
    readonly fd: number,
  ) {
    this.length = size;
  }

  /** Creates an empty segment file whose first record will have index `index`. */
  static async create(dir: string, index: number): Promise<LogSegment> {
    const fd = await openP(join(dir, segmentName(index)), 'w+');
    const seg = new LogSegment(dir, index, index, 0, fd);
    seg.dirSynced = false;
    return seg;
  }

  /**
   * Opens the segment file `name` in `dir` and reads its records up to the first that is not
   * whole and intact. `torn` is the byte offset of that record, or undefined when the file ends
   * with a whole record.
   */
  static async scan(dir: string, name: string): Promise<{ segment: LogSegment; torn: number | undefined }> {
    const m = SEGMENT_NAME.exec(name);
    if (!m) throw new SextantError(ErrorCode.StorageCorrupt, `${join(dir, name)}: not a log segment name`);
    const path = join(dir, name);
    const buf = await readFile(path);
    const fd = await openP(path, 'r+');
    const first = decodeRecord(buf, 0, buf.length);
    const seg = new LogSegment(dir, Number(m[1]), first?.entry.index ?? Number(m[1]), 0, fd);
    let at = 0;
    for (let r = first; r; r = decodeRecord(buf, at, buf.length, seg.base + seg.offsets.length)) {
      seg.offsets.push(at);
      at = r.end;
    }
    seg.size = at;
    seg.length = buf.length;
    return { segment: seg, torn: at < buf.length ? at : undefined };
  }

  /** The file's path. */
  get path(): string {
    return join(this.dir, segmentName(this.floor));
  }

  /** The lowest index the segment shows (0 when it holds no record at or above its floor). */
  get first(): number {
    return this.last >= Math.max(this.floor, this.base) ? Math.max(this.floor, this.base) : 0;
  }

  /** The index of its last record (base − 1 when it holds none). */
  get last(): number {
    return this.base + this.offsets.length - 1;
  }

  /** True when the segment shows no record. */
  get empty(): boolean {
    return this.first === 0;
  }

  /**
   * Writes `buf` (whole records) at the end with one synchronous write(2) to the page cache,
   * first growing the file by zeros when it has no room (not flushed: see {@link flush}).
   */
  append(buf: Buffer): void {
    if (this.size + buf.length > this.length) {
      const grow = Math.ceil((this.size + buf.length - this.length) / PREALLOCATE_BYTES) * PREALLOCATE_BYTES;
      for (let done = 0; done < grow; ) done += writeSync(this.fd, ZEROS, 0, Math.min(ZEROS.length, grow - done), this.length + done);
      this.length += grow;
    }
    for (let at = 0; at < buf.length; ) at += writeSync(this.fd, buf, at, buf.length - at, this.size + at);
    this.size += buf.length;
  }

  /** Flushes the file's data (and length) to the disk. */
  async flush(): Promise<void> {
    await fdatasyncP(this.fd);
  }

  /**
   * Cuts the file before the record of `index` (when given) or else after its last whole record
   * (a torn tail found by scan, or the zeros ahead of a file that is full), and flushes it.
   */
  async truncate(index?: number): Promise<void> {
    if (index !== undefined && index <= this.last) {
      const keep = Math.max(0, index - this.base);
      this.size = this.offsets[keep]!;
      this.offsets.length = keep;
    }
    await ftruncateP(this.fd, this.size);
    this.length = this.size;
    await fdatasyncP(this.fd);
  }

  /** Raises the floor to `floor` by renaming the file (the caller fsyncs the directory). */
  async raiseFloor(floor: number): Promise<void> {
    const from = this.path;
    this.floor = floor;
    await renameP(from, this.path);
  }

  /** Reads the entries lo..hi (all within first..last); the payloads are fresh copies. */
  async read(lo: number, hi: number): Promise<LogEntry[]> {
    const start = this.offsets[lo - this.base]!;
    const end = this.offsets[hi - this.base + 1] ?? this.size;
    const buf = Buffer.allocUnsafe(end - start);
    this.pins += 1;
    try {
      let got = 0;
      while (got < buf.length) {
        const { bytesRead: n } = await readP(this.fd, buf, got, buf.length - got, start + got);
        if (n === 0) break;
        got += n;
      }
      const out: LogEntry[] = [];
      let at = 0;
      for (let i = lo; i <= hi; i++) {
        const r = decodeRecord(buf, at, got, i);
        if (!r) throw new SextantError(ErrorCode.StorageCorrupt, `${this.path}: the record of index ${i} at byte ${start + at} is damaged`);
        out.push(r.entry);
        at = r.end;
      }
      return out;
    } finally {
      this.pins -= 1;
      if (this.retired && this.pins === 0) await this.closeFd();
    }
  }

  /** Closes the file once no read is in flight (the caller has deleted it or is shutting down). */
  async retire(): Promise<void> {
    if (this.retired) return;
    this.retired = true;
    if (this.pins === 0) await this.closeFd();
  }

  private async closeFd(): Promise<void> {
    await closeP(this.fd).catch(() => undefined);
  }
}
