import type { Clock, Logger } from '../../contracts/platform.js';
import type { RuntimeConfig } from '../../contracts/runtime-config.js';
import type { AgentService } from '../../contracts/services/agent-service.js';
import { RetryJoiner } from './retry-join.js';

/**
 * Consul's startupJoin (command/agent): joins the `start_join` agents once, before the agent
 * reports itself running, printing `==> Joining cluster...` and `    Join completed. Synced with
 * N initial agents` to `out`. Rejects with the join's error (JOIN_FAILED) when none answers: the
 * agent then fails to start, as Consul's does. Nothing to do without start_join addresses.
 */
export async function startupJoin(addresses: readonly string[], agent: Pick<AgentService, 'join'>, out: (line: string) => void): Promise<void> {
  if (addresses.length === 0) return;
  out('==> Joining cluster...');
  const n = await agent.join(addresses, false);
  out(`    Join completed. Synced with ${n} initial agents`);
}

/** What startRetryJoin needs from the agent. */
export interface RetryJoinDeps {
  /** The agent's config at start: retry_join, retry_interval, retry_max. */
  config: RuntimeConfig;
  agent: Pick<AgentService, 'join'>;
  clock: Clock;
  logger: Logger;
  /** Registers a teardown step (the joiner stops with the agent). */
  onStop: (what: string, run: () => Promise<void>) => void;
  /** Called once when the attempts are exhausted, after `Retry join failed` is logged: the agent exits with status 1. */
  fail: () => void;
}

/**
 * Starts Consul's retry join of the LAN pool in the background (agent.Start's `go
 * a.retryJoinLAN()`): retry_join addresses, retried every retry_interval up to retry_max times.
 * When the attempts run out it logs `Retry join failed` with the error (`agent: max join LAN
 * retry exhausted, exiting`) and calls `fail`. Nothing happens without retry_join addresses.
 */
export function startRetryJoin(deps: RetryJoinDeps): void {
  const { config } = deps;
  if (config.retryJoin.length === 0) return;
  const joiner = new RetryJoiner({
    cluster: 'LAN',
    addresses: config.retryJoin,
    maxAttempts: config.retryMax,
    intervalMs: config.retryIntervalMs,
    join: (addrs) => deps.agent.join(addrs, false),
    clock: deps.clock,
    logger: deps.logger,
  });
  deps.onStop('retry join', async () => joiner.stop());
  joiner.run().catch((e: unknown) => {
    deps.logger.error('Retry join failed', { error: e });
    deps.fail();
  });
}
