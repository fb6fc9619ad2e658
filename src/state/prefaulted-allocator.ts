import { Worker } from 'node:worker_threads';

/**
 * The helper thread's code: allocates the buffer asked for, writes a byte of every 4 KiB page
 * (so the kernel maps the pages on this thread) and hands the buffer over (transferred, not
 * copied).
 */
const WORKER_CODE = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', ({ id, bytes }) => {
  const buffer = new ArrayBuffer(bytes);
  const view = new Uint8Array(buffer);
  for (let i = 0; i < bytes; i += 4096) view[i] = 0;
  parentPort.postMessage({ id, buffer }, [buffer]);
});
`;

/** Below this size a buffer is allocated in place: the thread round trip would cost more than the pages. */
const MIN_BYTES = 4 * 1024 * 1024;

/**
 * Allocates large output buffers whose memory pages are already mapped. The first write to each
 * page of a fresh buffer makes the kernel map it: on this VM ~3–6 ms per MB (80 ms for a 28 MB
 * state image, ~0.5 s for 141 MB), all of it on the thread that writes first. Here a helper
 * thread (started at the first large request) allocates and touches the buffer, then transfers
 * it, so the main thread only copies into it. Any failure of the helper falls back to an
 * ordinary allocation (the same bytes, the faults back on the caller's thread).
 */
export class PrefaultedAllocator {
  private worker: Worker | undefined;
  private failed = false;
  private nextId = 0;
  private readonly pending = new Map<number, { bytes: number; resolve: (u: Uint8Array) => void }>();

  /** A buffer of exactly `bytes` bytes (contents unspecified), its pages mapped when it is large. */
  async allocate(bytes: number): Promise<Uint8Array> {
    const worker = bytes >= MIN_BYTES ? this.helper() : undefined;
    if (!worker) return plain(bytes);
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, { bytes, resolve });
      worker.ref();
      worker.postMessage({ id, bytes });
    });
  }

  /** Stops the helper thread; pending and later requests are served by ordinary allocations. */
  close(): void {
    this.failed = true;
    const w = this.worker;
    this.worker = undefined;
    this.settleAllPlain();
    if (w) void w.terminate();
  }

  private helper(): Worker | undefined {
    if (this.failed) return undefined;
    if (this.worker) return this.worker;
    try {
      const w = new Worker(WORKER_CODE, { eval: true });
      w.unref();
      w.on('message', (m: { id: number; buffer: ArrayBuffer }) => {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        if (this.pending.size === 0) w.unref();
        p.resolve(m.buffer.byteLength === p.bytes ? new Uint8Array(m.buffer) : plain(p.bytes));
      });
      const fail = (): void => {
        this.failed = true;
        this.worker = undefined;
        this.settleAllPlain();
      };
      w.on('error', fail);
      w.on('exit', fail);
      this.worker = w;
      return w;
    } catch {
      this.failed = true;
      return undefined;
    }
  }

  private settleAllPlain(): void {
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.resolve(plain(p.bytes));
    }
  }
}

function plain(bytes: number): Uint8Array {
  return new Uint8Array(Buffer.allocUnsafeSlow(bytes).buffer, 0, bytes);
}
