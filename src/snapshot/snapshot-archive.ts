import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { ErrorCode, SextantError } from '../../contracts/errors.js';

/**
 * The metadata of a snapshot archive (meta.json): Consul's raft.SnapshotMeta fields that its
 * `snapshot inspect` prints. `Size` is the byte length of state.bin.
 */
export interface SnapshotMeta {
  Version: number;
  ID: string;
  Index: number;
  Term: number;
  Size: number;
}

/** A decoded and verified archive: its metadata and the state image (state.bin). */
export interface SnapshotArchive {
  meta: SnapshotMeta;
  state: Uint8Array;
}

const BLOCK = 512;
const META = 'meta.json';
const STATE = 'state.bin';
const SUMS = 'SHA256SUMS';

function sha256Hex(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

function octal(buf: Buffer, off: number, len: number, value: number): void {
  buf.write(value.toString(8).padStart(len - 1, '0') + '\0', off, len, 'ascii');
}

/** One ustar header block for a regular file `name` of `size` bytes (mode 0600, as Consul writes them). */
function tarHeader(name: string, size: number, mtimeSec: number): Buffer {
  const h = Buffer.alloc(BLOCK);
  h.write(name, 0, 100, 'utf8');
  octal(h, 100, 8, 0o600);
  octal(h, 108, 8, 0);
  octal(h, 116, 8, 0);
  octal(h, 124, 12, size);
  octal(h, 136, 12, mtimeSec);
  h.fill(0x20, 148, 156); // checksum field counts as spaces while summing
  h.write('0', 156, 1, 'ascii');
  h.write('ustar\0', 257, 6, 'ascii');
  h.write('00', 263, 2, 'ascii');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'ascii');
  return h;
}

function tarFile(parts: Buffer[], name: string, body: Uint8Array, mtimeSec: number): void {
  parts.push(tarHeader(name, body.byteLength, mtimeSec), Buffer.from(body.buffer, body.byteOffset, body.byteLength));
  const pad = (BLOCK - (body.byteLength % BLOCK)) % BLOCK;
  if (pad > 0) parts.push(Buffer.alloc(pad));
}

/**
 * Writes Consul's snapshot archive (snapshot/archive.go): a gzip'd tar of meta.json (the
 * metadata as JSON), state.bin (the state image) and SHA256SUMS (`<hex>  <name>` lines for the
 * other two). `mtimeSec` stamps the tar headers.
 */
export function encodeSnapshotArchive(meta: Omit<SnapshotMeta, 'Size'>, state: Uint8Array, mtimeSec = 0): Uint8Array {
  const full: SnapshotMeta = { Version: meta.Version, ID: meta.ID, Index: meta.Index, Term: meta.Term, Size: state.byteLength };
  const metaJson = Buffer.from(JSON.stringify(full), 'utf8');
  const sums = Buffer.from(`${sha256Hex(metaJson)}  ${META}\n${sha256Hex(state)}  ${STATE}\n`, 'utf8');
  const parts: Buffer[] = [];
  tarFile(parts, META, metaJson, mtimeSec);
  tarFile(parts, STATE, state, mtimeSec);
  tarFile(parts, SUMS, sums, mtimeSec);
  parts.push(Buffer.alloc(BLOCK * 2));
  return new Uint8Array(gzipSync(Buffer.concat(parts)));
}

function corrupt(message: string): SextantError {
  return new SextantError(ErrorCode.StorageCorrupt, message);
}

function readOctal(h: Buffer, off: number, len: number): number {
  const s = h.toString('ascii', off, off + len).replace(/\0.*$/s, '').trim();
  if (!/^[0-7]+$/.test(s)) throw corrupt('failed to read snapshot file: archive/tar: invalid tar header');
  return parseInt(s, 8);
}

/** The files of an (uncompressed) tar, in order; throws on a malformed header. */
function untar(tar: Buffer): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  let off = 0;
  while (off + BLOCK <= tar.length) {
    const h = tar.subarray(off, off + BLOCK);
    if (h.every((b) => b === 0)) break;
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i]!;
    if (readOctal(h, 148, 8) !== sum) throw corrupt('failed to read snapshot file: archive/tar: invalid tar header');
    const name = h.toString('utf8', 0, 100).replace(/\0.*$/s, '');
    const size = readOctal(h, 124, 12);
    const start = off + BLOCK;
    if (start + size > tar.length) throw corrupt('failed to read snapshot file: unexpected EOF');
    const type = h.toString('ascii', 156, 157);
    if (type === '0' || type === '\0') {
      if (name !== META && name !== STATE && name !== SUMS) throw corrupt(`failed to read snapshot file: unexpected file "${name}" in snapshot`);
      files.set(name, tar.subarray(start, start + size));
    }
    off = start + Math.ceil(size / BLOCK) * BLOCK;
  }
  return files;
}

/** Checks SHA256SUMS against the files, with Consul's hashList.DecodeAndVerify messages. */
function verifySums(sums: Buffer, files: Map<string, Buffer>): void {
  const seen = new Set<string>();
  for (const line of sums.toString('utf8').split('\n')) {
    if (line === '') continue;
    const m = /^([0-9a-f]+) {2}(\S+)$/.exec(line);
    if (!m) throw new Error('unexpected EOF');
    const [, sum, file] = m as unknown as [string, string, string];
    const body = files.get(file);
    if (body === undefined || file === SUMS) throw new Error(`list missing hash for "${file}"`);
    if (sha256Hex(body) !== sum) throw new Error(`hash check failed for "${file}"`);
    seen.add(file);
  }
  for (const file of [META, STATE]) if (!seen.has(file)) throw new Error(`file missing for "${file}"`);
}

function isMeta(v: unknown): v is SnapshotMeta {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  return typeof r.ID === 'string' && [r.Version, r.Index, r.Term, r.Size].every((n) => Number.isSafeInteger(n));
}

/**
 * Reads and verifies an archive from encodeSnapshotArchive (or Consul's layout): gunzip, untar,
 * check every SHA256SUMS line. Throws STORAGE_CORRUPT (HTTP 500, as Consul answers) with Consul's texts — `failed to decompress
 * snapshot: …`, `failed to read snapshot file: …`, `failed checking integrity of snapshot: hash
 * check failed for "state.bin"` — for anything corrupt, truncated or tampered with.
 */
export function decodeSnapshotArchive(archive: Uint8Array): SnapshotArchive {
  let tar: Buffer;
  try {
    tar = gunzipSync(archive);
  } catch (e) {
    throw corrupt(`failed to decompress snapshot: ${(e as Error).message}`);
  }
  const files = untar(tar);
  const sums = files.get(SUMS);
  try {
    if (sums === undefined) throw new Error(`file missing for "${SUMS}"`);
    verifySums(sums, files);
  } catch (e) {
    throw corrupt(`failed checking integrity of snapshot: ${(e as Error).message}`);
  }
  let meta: unknown;
  try {
    meta = JSON.parse(files.get(META)!.toString('utf8'));
  } catch (e) {
    throw corrupt(`failed to read snapshot file: failed to decode metadata: ${(e as Error).message}`);
  }
  if (!isMeta(meta)) throw corrupt('failed to read snapshot file: failed to decode metadata: missing fields');
  const state = new Uint8Array(files.get(STATE)!);
  return { meta: { Version: meta.Version, ID: meta.ID, Index: meta.Index, Term: meta.Term, Size: meta.Size }, state };
}
