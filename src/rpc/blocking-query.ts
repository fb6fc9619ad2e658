import type { QueryOptions, QueryResult } from '../../contracts/model/query.js';
import type { Clock, TimerHandle } from '../../contracts/platform.js';
import type { RaftApi } from '../consensus/raft-api.js';
import type { WakeReason, WatchHandle } from '../state/watch-registry.js';

/** What a blocking read needs from its surroundings. */
export interface BlockingQueryDeps {
  raft: Pick<RaftApi, 'readBarrier' | 'leader' | 'lastContactMs'>;
  clock: Clock;
}

/** One blocking read: how to run it and how to watch exactly the data it reads. */
export interface BlockingQuerySpec<T> {
  /** Runs the read against the local state; synchronous, so it and the watch that follows see one state. */
  run(): { value: T; index: number };
  /** Parks a one-shot watcher on what run() read. */
  watch(wake: (reason: WakeReason) => void): WatchHandle;
}

/**
 * Serves one read with Consul's blocking-query loop (agent/blockingquery): waits for the
 * consistency barrier ('stale': none; 'default': once; 'consistent': before every run), runs
 * the query and, when `opts.minIndex` > 0 and the result's index is ≤ it, parks on the query's
 * watch until a change, `opts.waitMs` on the clock, or `opts.signal` aborting. A woken query
 * re-runs and keeps waiting if its index still did not move (wake-ups do not guarantee change),
 * except after a snapshot restore, when it returns at once so the client can reset. On timeout
 * or abort it returns the last result: same data, same index. The watcher, timer and abort
 * listener are always released. Meta: index never 0, knownLeader and lastContactMs from Raft.
 */
export async function blockingQuery<T>(deps: BlockingQueryDeps, opts: QueryOptions, spec: BlockingQuerySpec<T>): Promise<QueryResult<T>> {
  const { raft, clock } = deps;
  if (opts.consistency !== 'stale') await raft.readBarrier(opts.consistency);
  let result = spec.run();
  const meta = (): QueryResult<T> => ({
    value: result.value,
    meta: { index: Math.max(1, result.index), knownLeader: raft.leader() !== undefined, lastContactMs: raft.lastContactMs() },
  });
  const signal = opts.signal;
  if (!(opts.minIndex > 0) || result.index > opts.minIndex || signal?.aborted) return meta();

  let timedOut = false;
  let aborted = false;
  let interrupt: (() => void) | undefined;
  let timer: TimerHandle | undefined;
  let handle: WatchHandle | undefined;
  const onAbort = (): void => {
    aborted = true;
    interrupt?.();
  };
  try {
    timer = clock.setTimeout(() => {
      timedOut = true;
      interrupt?.();
    }, opts.waitMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    for (;;) {
      let woken: WakeReason | undefined;
      await new Promise<void>((resolve) => {
        interrupt = resolve;
        handle = spec.watch((reason) => {
          woken = reason;
          resolve();
        });
      });
      interrupt = undefined;
      handle?.cancel();
      handle = undefined;
      if (woken !== undefined) {
        if (opts.consistency === 'consistent' && !timedOut && !aborted) await raft.readBarrier('consistent');
        result = spec.run();
      }
      if (timedOut || aborted || woken === 'reset' || result.index > opts.minIndex) return meta();
    }
  } finally {
    interrupt = undefined;
    timer?.cancel();
    handle?.cancel();
    signal?.removeEventListener('abort', onAbort);
  }
}
