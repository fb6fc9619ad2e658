import { isDeepStrictEqual } from 'node:util';
import type { Clock, Logger } from '../../contracts/platform.js';
import { HttpClient } from '../cli/http-client.js';
import { parseWatchDefinition } from './watch-config.js';
import { httpWatchFetch } from './watch-http-fetch.js';
import { httpWatchHandler, scriptWatchHandler } from './watch-handler.js';
import { WatchPlan } from './watch-plan.js';

export interface AgentWatchesOptions {
  readonly clock: Clock;
  readonly logger: Logger;
  /** The agent's own HTTP address (`host:port`), undefined when it serves no HTTP. */
  readonly httpAddr: () => string | undefined;
  /** Environment for script handlers. */
  readonly env: Readonly<Record<string, string | undefined>>;
}

interface Running {
  readonly raw: unknown;
  readonly plan: WatchPlan;
}

/**
 * The config's `watches`, run by the agent against its own HTTP API. apply() diffs the new list
 * against the running one by definition, as reload does for checks: an entry equal to a running
 * one keeps running (it is not restarted and does not fire again), a removed one stops, a new one
 * starts (and fires on its first result).
 */
export class AgentWatches {
  private running: Running[] = [];

  constructor(private readonly o: AgentWatchesOptions) {}

  /** Makes the running watches match `list` (entries already validated at config load). */
  apply(list: readonly unknown[]): void {
    const keep: Running[] = [];
    const unmatched = [...this.running];
    const fresh: unknown[] = [];
    for (const raw of list) {
      const i = unmatched.findIndex((r) => isDeepStrictEqual(r.raw, raw));
      if (i >= 0) keep.push(...unmatched.splice(i, 1));
      else fresh.push(raw);
    }
    for (const r of unmatched) {
      this.o.logger.info('stopping watch', { type: typeOf(r.raw) });
      r.plan.stop();
    }
    this.running = keep;
    for (const raw of fresh) {
      const r = this.start(raw);
      if (r) this.running.push(r);
    }
  }

  /** How many watches run. */
  get size(): number {
    return this.running.length;
  }

  /**
   * Stops every watch: reads in flight are aborted and no handler starts again. A handler
   * already running is not awaited (a hung script must not hold the agent's shutdown).
   */
  stop(): Promise<void> {
    const all = this.running;
    this.running = [];
    for (const r of all) r.plan.stop();
    return Promise.resolve();
  }

  private start(raw: unknown): Running | undefined {
    const log = this.o.logger;
    let def;
    try {
      def = parseWatchDefinition(raw as Record<string, unknown>);
    } catch (e) {
      log.error('Failed to parse watch', { error: (e as Error).message });
      return undefined;
    }
    const addr = this.o.httpAddr();
    if (addr === undefined) {
      log.error('Failed to run watch', { error: 'watch plans require an HTTP or HTTPS endpoint' });
      return undefined;
    }
    const client = new HttpClient({ addr, ...(def.spec.token ? { token: def.spec.token } : {}) });
    const h = def.handler;
    const plan = new WatchPlan({
      type: def.spec.type,
      fetch: httpWatchFetch(client, def.spec),
      orderedIndex: def.spec.type !== 'event',
      clock: this.o.clock,
      logger: log,
      handler:
        h.kind === 'http'
          ? httpWatchHandler(h.config, this.o.clock, log)
          : scriptWatchHandler({ ...(h.args ? { args: h.args } : { shell: h.shell ?? '' }), env: this.o.env, output: 'log', logger: log }),
    });
    log.info('starting watch', { type: def.spec.type });
    void plan.run();
    return { raw, plan };
  }
}

function typeOf(raw: unknown): string {
  return typeof raw === 'object' && raw !== null ? String((raw as Record<string, unknown>)['type']) : '?';
}
