import type { Random } from '../../contracts/platform.js';

/** The two server settings that bound a blocking query's wait. */
export interface BlockingWaitConfig {
  /** Wait used when the client gives none or ≤ 0 (Consul default_query_time, 300 s). */
  defaultQueryTimeMs: number;
  /** Longest wait a client may ask for (Consul max_query_time, 600 s). */
  maxQueryTimeMs: number;
}

/**
 * How long a blocking query parks, as Consul's Server.blockingQuery decides: the client's
 * `?wait` in ms, or the default when absent or ≤ 0, capped at the max, plus a random jitter in
 * [0, wait/16) (lib.RandomStagger(wait / JitterFraction)). Returns whole milliseconds.
 */
export function blockingWaitMs(waitParamMs: number | undefined, config: BlockingWaitConfig, random: Random): number {
  let wait: number;
  if (waitParamMs === undefined || !(waitParamMs > 0)) wait = config.defaultQueryTimeMs;
  else if (waitParamMs > config.maxQueryTimeMs) wait = config.maxQueryTimeMs;
  else wait = waitParamMs;
  const span = Math.floor(wait / 16);
  return Math.floor(wait) + (span >= 1 ? random.int(span) : 0);
}
