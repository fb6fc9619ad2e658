import type { Clock } from '../../contracts/platform.js';
import type {
  HardState,
  LogEntry,
  LogStore,
  RaftStorage,
  Snapshot,
  SnapshotStore,
  StableStore,
} from '../../contracts/ports/log-store.js';
import { ErrorCode, SextantError } from '../../contracts/errors.js';

interface State {
  log: Map<number, LogEntry>;
  hard: HardState;
  kv: Map<string, Uint8Array>;
  snapshot: Snapshot | undefined;
}

function cloneState(s: State): State {
  return { log: new Map(s.log), hard: { ...s.hard }, kv: new Map(s.kv), snapshot: s.snapshot };
}

interface PendingOp {
  apply: (s: State) => void;
  resolve: () => void;
  reject: (e: Error) => void;
}

/**
 * An in-memory, crashable RaftStorage for deterministic simulations. Every write is applied at
 * once to the *current* view (what reads see) and becomes *durable* only when its "fsync"
 * completes `latencyMs` later on the clock (in call order), which is when its promise resolves.
 * `crash()` throws away writes that are not durable yet (their promises reject with
 * STORAGE_FAILED) and resets the current view to the durable one, like kill -9 before fsync.
 */
export class SimStorage implements RaftStorage {
  private durable: State = { log: new Map(), hard: { currentTerm: 0, votedFor: '' }, kv: new Map(), snapshot: undefined };
  private current: State = cloneState(this.durable);
  private pending: PendingOp[] = [];
  private epoch = 0;
  /** While true, no write becomes durable (a stalled disk); release() lets them finish. */
  private held = false;
  /** Number of storeLogs calls made (for group-commit assertions). */
  storeLogsCalls = 0;
  readonly log: LogStore;
  readonly stable: StableStore;
  readonly snapshots: SnapshotStore;

  /** `clock` schedules fsync completion; with latencyMs 0 writes complete on a later microtask. */
  constructor(
    private readonly clock: Clock,
    private readonly latencyMs = 0,
  ) {
    const self = this;
    this.log = {
      firstIndex: async () => (self.current.log.size === 0 ? 0 : Math.min(...self.current.log.keys())),
      lastIndex: async () => (self.current.log.size === 0 ? 0 : Math.max(...self.current.log.keys())),
      getLog: async (i) => self.current.log.get(i),
      getLogs: async (lo, hi) => {
        const out: LogEntry[] = [];
        const keys = [...self.current.log.keys()].filter((k) => k >= lo && k <= hi).sort((a, b) => a - b);
        for (const k of keys) out.push(self.current.log.get(k)!);
        return out;
      },
      storeLogs: (entries) => {
        self.storeLogsCalls++;
        const copy = entries.map((e) => ({ ...e, data: e.data.slice() }));
        return self.write((s) => {
          for (const e of copy) s.log.set(e.index, e);
        });
      },
      deleteRange: (min, max) =>
        self.write((s) => {
          for (const k of [...s.log.keys()]) if (k >= min && k <= max) s.log.delete(k);
        }),
      close: async () => {},
    };
    this.stable = {
      getHardState: async () => ({ ...self.current.hard }),
      setHardState: (h) => {
        const copy = { ...h };
        return self.write((s) => {
          s.hard = copy;
        });
      },
      get: async (k) => self.current.kv.get(k),
      set: (k, v) => {
        const copy = v.slice();
        return self.write((s) => {
          s.kv.set(k, copy);
        });
      },
      close: async () => {},
    };
    this.snapshots = {
      saveSnapshot: (snap) =>
        self.write((s) => {
          s.snapshot = snap;
        }),
      latestSnapshot: async () => self.current.snapshot,
      close: async () => {},
    };
  }

  /** Loses every write that is not durable yet (rejecting its promise) and resets reads to the durable state. */
  crash(): void {
    this.epoch++;
    const lost = this.pending;
    this.pending = [];
    this.current = cloneState(this.durable);
    for (const op of lost) op.reject(new SextantError(ErrorCode.StorageFailed, 'simulated crash before fsync'));
  }

  /** Stalls the disk: from now on no write becomes durable (nor resolves) until release(). */
  hold(): void {
    this.held = true;
  }

  /** Ends hold(): every write waiting on it becomes durable now, in call order. */
  release(): void {
    this.held = false;
    this.completeUpTo(this.pending[this.pending.length - 1]);
  }

  /** Durable log entries in index order (for checkers). */
  durableLog(): LogEntry[] {
    return [...this.durable.log.values()].sort((a, b) => a.index - b.index);
  }

  /** The durable hard state. */
  durableHardState(): HardState {
    return { ...this.durable.hard };
  }

  /** Number of writes not yet durable. */
  pendingWrites(): number {
    return this.pending.length;
  }

  /** No-op: the simulated disk outlives its users. */
  async close(): Promise<void> {}

  private write(apply: (s: State) => void): Promise<void> {
    apply(this.current);
    const epoch = this.epoch;
    return new Promise<void>((resolve, reject) => {
      const op: PendingOp = { apply, resolve, reject };
      this.pending.push(op);
      const complete = (): void => {
        if (epoch !== this.epoch || this.held) return;
        this.completeUpTo(op);
      };
      if (this.latencyMs > 0) this.clock.setTimeout(complete, this.latencyMs);
      else queueMicrotask(complete);
    });
  }

  /** Makes every pending write up to and including `op` durable, in call order (nothing when `op` is not pending). */
  private completeUpTo(op: PendingOp | undefined): void {
    if (!op || !this.pending.includes(op)) return;
    while (this.pending.length > 0) {
      const head = this.pending.shift()!;
      head.apply(this.durable);
      head.resolve();
      if (head === op) break;
    }
  }
}
