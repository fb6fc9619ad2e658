/**
 * Demultiplexes the Docker Engine's attach/exec stream for a non-TTY exec: frames of an 8-byte
 * header `[stream, 0, 0, 0, size (uint32 big-endian)]` followed by `size` payload bytes, where
 * stream is 0 stdin, 1 stdout, 2 stderr, 3 systemerr. Frames may be split across chunks
 * arbitrarily. If the first header is not a valid frame header the stream is treated as raw
 * (TTY) output.
 */
export class DockerStreamDemuxer {
  private pending: Buffer = Buffer.alloc(0);
  private mode: 'unknown' | 'framed' | 'raw' = 'unknown';

  /** `onPayload` receives each frame's payload (stdout, stderr and stdin alike) in order. */
  constructor(private readonly onPayload: (stream: number, payload: Buffer) => void) {}

  /** Feeds the next chunk of the response body. */
  push(chunk: Buffer): void {
    if (this.mode === 'raw') {
      this.onPayload(1, chunk);
      return;
    }
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    while (this.pending.length >= 8) {
      const h = this.pending;
      if (h[0]! > 3 || h[1] !== 0 || h[2] !== 0 || h[3] !== 0) {
        if (this.mode === 'unknown') {
          this.mode = 'raw';
          this.pending = Buffer.alloc(0);
          this.onPayload(1, h);
          return;
        }
        throw new Error(`malformed docker stream frame header ${h.subarray(0, 8).toString('hex')}`);
      }
      this.mode = 'framed';
      const size = h.readUInt32BE(4);
      if (h.length < 8 + size) return;
      this.onPayload(h[0]!, h.subarray(8, 8 + size));
      this.pending = h.subarray(8 + size);
    }
  }

  /** Bytes of an incomplete trailing frame (0 after a clean end of stream). */
  end(): number {
    if (this.mode !== 'framed' && this.pending.length > 0) {
      this.onPayload(1, this.pending);
      this.pending = Buffer.alloc(0);
    }
    return this.pending.length;
  }
}
