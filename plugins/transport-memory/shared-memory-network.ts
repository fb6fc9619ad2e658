import type { Clock, Random } from '../../contracts/platform.js';
import { MemoryNetwork } from './memory-network.js';

const networks = new WeakMap<Clock, MemoryNetwork>();

/** The process-wide MemoryNetwork for agents sharing `clock` (created on first use with `random`). */
export function sharedMemoryNetwork(clock: Clock, random: Random): MemoryNetwork {
  let n = networks.get(clock);
  if (!n) {
    n = new MemoryNetwork(clock, random);
    networks.set(clock, n);
  }
  return n;
}
