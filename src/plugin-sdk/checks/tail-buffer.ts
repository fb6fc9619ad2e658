/**
 * A fixed-capacity byte buffer that keeps the LAST `capacity` bytes written to it while counting
 * every byte (Consul's circbuf.Buffer). Check runners capture process and HTTP output with it.
 */
export class TailBuffer {
  private readonly buf: Buffer;
  /** Index of the oldest kept byte. */
  private start = 0;
  private length = 0;
  private written = 0;

  /** `capacity` must be ≥ 1. */
  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    this.buf = Buffer.alloc(capacity);
  }

  /** Appends `chunk`; when full, the oldest bytes are overwritten. */
  write(chunk: Uint8Array): void {
    this.written += chunk.length;
    const cap = this.capacity;
    if (chunk.length >= cap) {
      this.buf.set(chunk.subarray(chunk.length - cap));
      this.start = 0;
      this.length = cap;
      return;
    }
    let end = (this.start + this.length) % cap;
    let src = chunk;
    while (src.length > 0) {
      const n = Math.min(src.length, cap - end);
      this.buf.set(src.subarray(0, n), end);
      src = src.subarray(n);
      end = (end + n) % cap;
    }
    const total = this.length + chunk.length;
    if (total > cap) {
      this.start = (this.start + (total - cap)) % cap;
      this.length = cap;
    } else {
      this.length = total;
    }
  }

  /** Every byte ever written, including those no longer kept. */
  get totalWritten(): number {
    return this.written;
  }

  /** True when bytes were dropped. */
  get truncated(): boolean {
    return this.written > this.length;
  }

  /** The kept bytes, oldest first. */
  bytes(): Buffer {
    const first = this.buf.subarray(this.start, Math.min(this.start + this.length, this.capacity));
    const wrapped = this.start + this.length - this.capacity;
    return wrapped > 0 ? Buffer.concat([first, this.buf.subarray(0, wrapped)]) : Buffer.from(first);
  }

  /** The kept bytes decoded as UTF-8 (a character cut at the start becomes U+FFFD). */
  text(): string {
    return this.bytes().toString('utf8');
  }

  /**
   * The kept text as Consul's script and docker checks report it: unchanged when nothing was
   * dropped, else prefixed `Captured <kept> of <total> bytes\n...\n`.
   */
  capturedText(): string {
    const text = this.text();
    return this.truncated ? `Captured ${this.length} of ${this.written} bytes\n...\n${text}` : text;
  }
}
