import type { Random } from '../../contracts/platform.js';

/**
 * A fast PRNG (sfc32) seeded once from the agent's Random, for shuffling answers on every query:
 * drawing from node:crypto for each swap would cost more than answering. Deterministic under a
 * seeded Random, like everything else.
 */
export class FastShuffle {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(random: Random) {
    const seed = random.bytes(16);
    const view = new DataView(seed.buffer, seed.byteOffset, 16);
    this.a = view.getUint32(0);
    this.b = view.getUint32(4);
    this.c = view.getUint32(8);
    this.d = view.getUint32(12) | 1;
    for (let i = 0; i < 12; i++) this.u32();
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return n <= 1 ? 0 : this.u32() % n;
  }

  /** Shuffles `list` in place (Fisher–Yates) and returns it. */
  shuffle<T>(list: T[]): T[] {
    for (let i = list.length - 1; i > 0; i--) {
      const j = this.u32() % (i + 1);
      const t = list[i]!;
      list[i] = list[j]!;
      list[j] = t;
    }
    return list;
  }

  private u32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }
}
