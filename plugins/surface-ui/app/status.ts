import type { HealthCheck } from './model.js';

/** How many checks are in each state. */
export interface StatusCounts {
  passing: number;
  warning: number;
  critical: number;
}

/** The worst status first, as Consul orders them. */
const RANK: Record<string, number> = { critical: 3, maintenance: 3, warning: 2, passing: 1 };

/** Counts `checks` by status (maintenance counts as critical, as Consul's UI shows it). */
export function countStatuses(checks: readonly HealthCheck[]): StatusCounts {
  const c: StatusCounts = { passing: 0, warning: 0, critical: 0 };
  for (const ch of checks) {
    if (ch.Status === 'passing') c.passing++;
    else if (ch.Status === 'warning') c.warning++;
    else c.critical++;
  }
  return c;
}

/** The aggregated status of `checks`: the worst one; `passing` when there are none. */
export function worstStatus(checks: readonly { Status: string }[]): 'passing' | 'warning' | 'critical' {
  let worst = 1;
  for (const ch of checks) worst = Math.max(worst, RANK[ch.Status] ?? 3);
  return worst >= 3 ? 'critical' : worst === 2 ? 'warning' : 'passing';
}
