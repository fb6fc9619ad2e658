import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import type { Random } from '../../contracts/platform.js';

/** Cryptographically strong randomness from node:crypto (the production Random). */
export class SystemRandom implements Random {
  next(): number {
    return randomInt(0, 2 ** 48) / 2 ** 48;
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
