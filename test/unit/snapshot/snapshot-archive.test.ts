import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeSnapshotArchive, encodeSnapshotArchive } from '../../../src/snapshot/snapshot-archive.js';

const state = new Uint8Array(Array.from({ length: 1500 }, (_, i) => i % 251));
const meta = { Version: 1, ID: '2-17-1700000000000', Index: 17, Term: 2 };

/** The tar entries of an archive, as a reader of Consul's layout sees them. */
function entries(archive: Uint8Array): { name: string; body: Buffer }[] {
  const tar = gunzipSync(archive);
  const out: { name: string; body: Buffer }[] = [];
  for (let off = 0; off + 512 <= tar.length; ) {
    const h = tar.subarray(off, off + 512);
    if (h.every((b) => b === 0)) break;
    const name = h.toString('utf8', 0, 100).replace(/\0.*$/s, '');
    const size = parseInt(h.toString('ascii', 124, 135), 8);
    out.push({ name, body: tar.subarray(off + 512, off + 512 + size) });
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

describe('snapshot archive', () => {
  it('round-trips the meta and the state image', () => {
    const a = decodeSnapshotArchive(encodeSnapshotArchive(meta, state));
    expect(a.meta).toEqual({ ...meta, Size: state.byteLength });
    expect(Buffer.from(a.state).equals(Buffer.from(state))).toBe(true);
  });

  it("is Consul's layout: gzip'd tar of meta.json, state.bin and SHA256SUMS", () => {
    const files = entries(encodeSnapshotArchive(meta, state));
    expect(files.map((f) => f.name)).toEqual(['meta.json', 'state.bin', 'SHA256SUMS']);
    expect(JSON.parse(files[0]!.body.toString())).toEqual({ Version: 1, ID: meta.ID, Index: 17, Term: 2, Size: 1500 });
    const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
    expect(files[2]!.body.toString()).toBe(`${sha(files[0]!.body)}  meta.json\n${sha(state)}  state.bin\n`);
  });

  it('refuses a state image changed after it was written (checksum mismatch)', () => {
    const tar = gunzipSync(encodeSnapshotArchive(meta, state));
    const at = tar.indexOf(Buffer.from(state.subarray(0, 64)));
    tar[at + 10] ^= 0xff;
    expect(() => decodeSnapshotArchive(gzipSync(tar))).toThrow('failed checking integrity of snapshot: hash check failed for "state.bin"');
  });

  it('refuses a truncated or non-gzip archive', () => {
    const good = encodeSnapshotArchive(meta, state);
    expect(() => decodeSnapshotArchive(good.subarray(0, good.byteLength - 40))).toThrow(/failed to decompress snapshot/);
    expect(() => decodeSnapshotArchive(new TextEncoder().encode('not a snapshot'))).toThrow(/failed to decompress snapshot/);
  });

  it('refuses an archive without SHA256SUMS', () => {
    const files = entries(encodeSnapshotArchive(meta, state));
    // A tar with only the first two entries: cut the gunzipped tar right before the SHA256SUMS header.
    const tar = gunzipSync(encodeSnapshotArchive(meta, state));
    const cut = 512 + Math.ceil(files[0]!.body.length / 512) * 512 + 512 + Math.ceil(1500 / 512) * 512;
    const short = Buffer.concat([tar.subarray(0, cut), Buffer.alloc(1024)]);
    expect(() => decodeSnapshotArchive(gzipSync(short))).toThrow('failed checking integrity of snapshot: file missing for "SHA256SUMS"');
  });
});
