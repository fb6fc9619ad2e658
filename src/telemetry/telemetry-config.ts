import { hostname } from 'node:os';
import { ErrorCode, SextantError } from '../../contracts/errors.js';
import type { RuntimeConfig } from '../../contracts/runtime-config.js';
import { durationMs } from '../config/go-duration.js';

/** The `telemetry` block as the metrics sink uses it. */
export interface TelemetrySettings {
  /** The gauge-name host part ('' with disable_hostname). */
  readonly hostname: string;
  /** prometheus_retention_time in ms (0: Prometheus output disabled, Consul's default). */
  readonly prometheusRetentionMs: number;
}

/** Reads `telemetry { disable_hostname, prometheus_retention_time }` (Go durations); CONFIG_INVALID when malformed. */
export function telemetrySettings(config: RuntimeConfig): TelemetrySettings {
  const t = (config.extra['telemetry'] ?? {}) as Record<string, unknown>;
  const disable = t['disable_hostname'];
  if (disable !== undefined && typeof disable !== 'boolean') {
    throw new SextantError(ErrorCode.ConfigInvalid, 'telemetry.disable_hostname: must be a boolean');
  }
  const raw = t['prometheus_retention_time'];
  let retention = 0;
  if (raw !== undefined) {
    try {
      if (typeof raw !== 'string') throw new Error('must be a duration string such as "60s"');
      retention = durationMs(raw);
    } catch (e) {
      throw new SextantError(ErrorCode.ConfigInvalid, `telemetry.prometheus_retention_time: ${(e as Error).message}`);
    }
  }
  return { hostname: disable === true ? '' : hostname(), prometheusRetentionMs: retention };
}
