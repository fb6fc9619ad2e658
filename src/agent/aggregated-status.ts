import type { HealthStatus } from '../../contracts/model/health.js';
import { isMaintenanceCheckId } from './maintenance.js';

/**
 * Consul's api.HealthChecks.AggregatedStatus: `maintenance` when any maintenance check is
 * present, else the worst of critical > warning > passing; no checks at all is passing.
 */
export function aggregatedStatus(checks: readonly { CheckID: string; Status: string }[]): HealthStatus {
  let warning = false;
  let critical = false;
  let maintenance = false;
  for (const c of checks) {
    if (isMaintenanceCheckId(c.CheckID)) maintenance = true;
    else if (c.Status === 'critical') critical = true;
    else if (c.Status === 'warning') warning = true;
  }
  if (maintenance) return 'maintenance';
  if (critical) return 'critical';
  if (warning) return 'warning';
  return 'passing';
}

/** /v1/agent/health/service/*: 200 passing, 429 warning, 503 critical or maintenance. */
export function aggregatedHttpStatus(status: HealthStatus): number {
  if (status === 'passing') return 200;
  if (status === 'warning') return 429;
  return 503;
}
