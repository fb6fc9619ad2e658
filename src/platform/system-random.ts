import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import type { Random } from '../../contracts/platform.js';

/** Cryptographically strong randomness from node:crypto (the production Random). */
export class SystemRandom implements Random {
  /** A uniform float in [0, 1) with 48 random bits (6 bytes; randomInt's range stops short of 2^48). */
  next(): number {
    return randomBytes(6).readUIntBE(0, 6) / 2 ** 48;
  }

  int(maxExclusive: number): number {
    return maxExclusive <= 1 ? 0 : randomInt(0, maxExclusive);
  }

  bytes(n: number): Uint8Array {
    return new Uint8Array(randomBytes(n));
  }

  uuid(): string {
    return randomUUID();
  }
}
