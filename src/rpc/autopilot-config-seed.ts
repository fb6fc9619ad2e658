import { ErrorCode, isSextantError } from '../../contracts/errors.js';
import type { Clock, Logger, TimerHandle } from '../../contracts/platform.js';
import type { AutopilotSettings } from '../../contracts/services/operator-service.js';
import type { RaftApi } from '../consensus/raft-api.js';
import type { LeaderJob } from '../kernel/leadership.js';
import type { AutopilotConfigReader } from '../state/autopilot-config-table.js';
import { encodeCommand } from '../state/command-codec.js';

/** How soon a failed seeding write is tried again. */
export const AUTOPILOT_SEED_RETRY_MS = 1_000;

/** What AutopilotConfigSeed is built from. */
export interface AutopilotConfigSeedDeps {
  store: { readonly autopilot: AutopilotConfigReader };
  raft: Pick<RaftApi, 'propose'>;
  /** The agent's `autopilot { … }` settings (live). */
  configured: () => AutopilotSettings;
  clock: Clock;
  logger: Logger;
}

/**
 * Consul's getOrCreateAutopilotConfig at establishLeadership: when the replicated state holds no
 * autopilot configuration yet, the new leader stores its own config file's settings (a CAS on
 * index 0 would fail on an empty table, so it writes unconditionally, as Consul). Later leaders
 * find it stored and leave it: from then on only PUT /v1/operator/autopilot/configuration changes
 * it. Retried every AUTOPILOT_SEED_RETRY_MS while leading if the write fails.
 */
export class AutopilotConfigSeed implements LeaderJob {
  readonly name = 'autopilot configuration';
  private leading = false;
  private retry: TimerHandle | undefined;

  constructor(private readonly deps: AutopilotConfigSeedDeps) {}

  /** This server leads: stores the configured settings unless some are stored (in the background). */
  establish(): void {
    if (this.leading) return;
    this.leading = true;
    void this.seed();
  }

  /** Leadership ended: stops retrying. Idempotent. */
  revoke(): void {
    this.leading = false;
    this.retry?.cancel();
    this.retry = undefined;
  }

  private async seed(): Promise<void> {
    if (!this.leading || this.deps.store.autopilot.get()) return;
    try {
      await this.deps.raft.propose(encodeCommand({ type: 'autopilot.set-config', settings: { ...this.deps.configured() } }));
      this.deps.logger.debug('stored the configured autopilot settings');
    } catch (e) {
      if (!this.leading || isSextantError(e, ErrorCode.Shutdown)) return;
      this.deps.logger.warn('failed to store the autopilot configuration, will retry', { error: e instanceof Error ? e.message : String(e) });
      this.retry = this.deps.clock.setTimeout(() => {
        this.retry = undefined;
        void this.seed();
      }, AUTOPILOT_SEED_RETRY_MS);
    }
  }
}
