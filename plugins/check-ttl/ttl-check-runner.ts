import type { Logger } from '../../contracts/platform.js';
import type { CheckDefinition, CheckOrigin, CheckResult, PassiveCheckRunner } from '../../contracts/ports/check-runner.js';
import { DEFAULT_OUTPUT_MAX_SIZE, durationMs, outputMaxSize, validateDurationField, validateOutputMaxSize } from 'sextant/plugin-sdk';

/** Consul's text for a TTL check that was not refreshed in time. */
export const TTL_EXPIRED = 'TTL expired';

export interface TtlCheckRunnerOptions {
  readonly logger: Logger;
  /** The agent-wide output cap in bytes (Consul's check_output_max_size); default 4096. */
  readonly checkOutputMaxSize?: number;
}

/**
 * The `ttl` check kind (Consul's CheckTTL). Passive: it is never probed; the check supervisor
 * drives it through the PassiveCheckRunner capability (see contracts/ports/check-runner.ts).
 */
export class TtlCheckRunner implements PassiveCheckRunner {
  readonly kind = 'ttl';
  readonly passive = true as const;

  constructor(private readonly opts: TtlCheckRunnerOptions) {}

  /** True for a definition that has a `ttl` field. */
  accepts(def: CheckDefinition): boolean {
    return def.ttl !== undefined && def.ttl !== null && def.ttl !== '';
  }

  /** Refuses a `ttl` that is not a positive Go duration (Consul: "TTL must be > 0 for TTL checks"). */
  validate(def: CheckDefinition, _origin: CheckOrigin): string | undefined {
    const bad = validateDurationField(def, 'ttl');
    if (bad) return bad;
    if (this.safeTtlMs(def) <= 0) return 'ttl: TTL must be > 0 for TTL checks';
    return validateOutputMaxSize(def);
  }

  /** The TTL in milliseconds; throws SextantError DURATION_INVALID on a definition validate refused. */
  ttlMs(def: CheckDefinition): number {
    const v = def.ttl;
    return typeof v === 'number' ? v / 1e6 : durationMs(String(v));
  }

  /**
   * Consul's CheckTTL.SetStatus truncation: keeps the first `output_max_size` bytes (default
   * 4096) and appends ` ... (captured N of M bytes)`; shorter outputs are returned unchanged.
   */
  capOutput(def: CheckDefinition, output: string): string {
    const max = outputMaxSize(def, this.opts.checkOutputMaxSize ?? DEFAULT_OUTPUT_MAX_SIZE);
    const bytes = Buffer.from(output, 'utf8');
    if (bytes.length <= max) return output;
    // Cut on a character boundary so the kept prefix stays valid UTF-8.
    let end = max;
    while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
    return `${bytes.subarray(0, end).toString('utf8')} ... (captured ${max} of ${bytes.length} bytes)`;
  }

  /** `TTL expired`, or `TTL expired (last output before timeout follows): <lastOutput>`. */
  expiredOutput(lastOutput: string): string {
    return lastOutput === '' ? TTL_EXPIRED : `${TTL_EXPIRED} (last output before timeout follows): ${lastOutput}`;
  }

  /**
   * TTL checks are never probed; a supervisor honoring `passive` does not call this. If called,
   * it reports what an unrefreshed TTL check is: critical, `TTL expired`.
   */
  async probe(_def: CheckDefinition, _signal: AbortSignal): Promise<CheckResult> {
    return { status: 'critical', output: TTL_EXPIRED };
  }

  /** Nothing to release: timers belong to the supervisor. */
  async close(): Promise<void> {}

  private safeTtlMs(def: CheckDefinition): number {
    try {
      return this.ttlMs(def);
    } catch {
      return 0;
    }
  }
}
