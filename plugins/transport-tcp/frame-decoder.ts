import { ErrorCode, SextantError } from '../../contracts/errors.js';
import { type Frame, FRAME_HEADER_BYTES, isFrameKind } from './frame.js';

/**
 * Incremental decoder for the transport-tcp framing (see frame.ts): feed it socket chunks in
 * order, get complete frames back. Chunks are only concatenated once a whole frame is present,
 * so a large frame costs one copy. Invalid input throws, and the decoder must then be
 * discarded together with its connection:
 * - TOO_LARGE when a length prefix announces a payload above `maxPayloadBytes` (thrown as soon
 *   as the 4-byte prefix arrives, before any of the payload is buffered);
 * - TRANSPORT_FAILED ("malformed frame") for a length below the 5-byte minimum or an unknown kind.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Length field of the frame being assembled, or -1 while its header is incomplete. */
  private frameLen = -1;

  constructor(private readonly maxPayloadBytes: number) {}

  /** Bytes received but not yet returned as part of a frame. */
  get pendingBytes(): number {
    return this.buffered;
  }

  /** Appends `chunk` and returns every frame it completes (possibly none). Throws on invalid input. */
  push(chunk: Buffer): Frame[] {
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    const out: Frame[] = [];
    for (;;) {
      if (this.frameLen < 0) {
        if (this.buffered < 4) break;
        const head = this.peek(Math.min(5, this.buffered));
        const len = head.readUInt32BE(0);
        if (len < 5) throw new SextantError(ErrorCode.TransportFailed, `malformed frame: length ${len} is below the minimum of 5`);
        if (len - 5 > this.maxPayloadBytes) {
          throw new SextantError(
            ErrorCode.TooLarge,
            `frame of ${len - 5} bytes exceeds the maximum of ${this.maxPayloadBytes} bytes`,
            { bytes: len - 5, max: this.maxPayloadBytes },
          );
        }
        if (head.length < 5) break;
        const kind = head[4]!;
        if (!isFrameKind(kind)) throw new SextantError(ErrorCode.TransportFailed, `malformed frame: unknown kind ${kind}`);
        this.frameLen = len;
      }
      if (this.buffered < 4 + this.frameLen) break;
      const buf = this.take(4 + this.frameLen);
      const kind = buf[4]!;
      if (!isFrameKind(kind)) throw new SextantError(ErrorCode.TransportFailed, `malformed frame: unknown kind ${kind}`);
      out.push({
        kind,
        id: buf.readUInt32BE(5),
        payload: new Uint8Array(buf.buffer, buf.byteOffset + FRAME_HEADER_BYTES, this.frameLen - 5),
      });
      this.frameLen = -1;
    }
    return out;
  }

  /** The first `n` buffered bytes without consuming them (merges leading chunks if needed). */
  private peek(n: number): Buffer {
    if (this.chunks[0]!.length < n) {
      const merged = Buffer.concat(this.chunks);
      this.chunks = [merged];
    }
    return this.chunks[0]!.subarray(0, n);
  }

  /** Removes and returns the first `n` buffered bytes (n ≤ buffered). */
  private take(n: number): Buffer {
    this.buffered -= n;
    const first = this.chunks[0]!;
    if (first.length >= n) {
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let off = 0;
    while (off < n) {
      const c = this.chunks[0]!;
      const want = n - off;
      if (c.length <= want) {
        c.copy(out, off);
        off += c.length;
        this.chunks.shift();
      } else {
        c.copy(out, off, 0, want);
        off += want;
        this.chunks[0] = c.subarray(want);
      }
    }
    return out;
  }
}
