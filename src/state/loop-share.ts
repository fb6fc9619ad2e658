import type { Clock } from '../../contracts/platform.js';
import { nextTurn } from './sliced-msgpack.js';

/**
 * Consecutive turns within one millisecond of the clock after which the event loop counts as
 * idle. A busy loop's turns each run some I/O (a fraction of a millisecond and up), so sixteen of
 * them in a row almost never fit in one millisecond; an idle loop's turns take microseconds.
 */
const IDLE_TURNS = 16;

/**
 * Paces a long job that runs in slices on the event loop (a snapshot's encode): while the loop is
 * busy with other work, the job gets about `share` of it; on an idle loop it runs a slice every
 * turn. Without it the job gets one slice per turn, and under load a turn holds only a few
 * requests, so a 16 KB slice took ~30% of the loop (writes fell from ~14,500/s to ~10,000/s
 * while a 500,000-key snapshot was encoded).
 *
 * Time is read on the Clock port, whose milliseconds are coarser than a slice: each slice and
 * each turn counts the clock's advance across it, which summed over many slices is an unbiased
 * estimate of the time spent.
 */
export class LoopShare {
  /** Time the job's slices took since the loop was last idle, ms. */
  private mine = 0;
  /** Time the rest of the loop took meanwhile, ms. */
  private theirs = 0;
  private sliceStart: number;

  /**
   * @param clock the time source
   * @param share the part of a busy loop the job may take (0 < share ≤ 1)
   * @param turn hands the turn back to the event loop and resumes after (default: setImmediate)
   */
  constructor(
    private readonly clock: Clock,
    private readonly share: number,
    private readonly turn: () => Promise<void> = nextTurn,
  ) {
    this.sliceStart = clock.now();
  }

  /** Ends the job's current slice; resolves when its next slice may start. */
  async yield(): Promise<void> {
    this.mine += this.clock.now() - this.sliceStart;
    let idleTurns = 0;
    for (;;) {
      const before = this.clock.now();
      await this.turn();
      const took = this.clock.now() - before;
      this.theirs += took;
      idleTurns = took === 0 ? idleTurns + 1 : 0;
      if (idleTurns >= IDLE_TURNS) {
        this.mine = 0;
        this.theirs = 0;
        break;
      }
      if (this.theirs * this.share >= this.mine * (1 - this.share)) break;
    }
    this.sliceStart = this.clock.now();
  }
}
