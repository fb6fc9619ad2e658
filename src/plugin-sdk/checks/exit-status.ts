import type { CheckResult } from '../../../contracts/ports/check-runner.js';

/** Consul's exit-code mapping for script and docker checks: 0 passing, 1 warning, else critical. */
export function statusForExitCode(code: number | null): CheckResult['status'] {
  if (code === 0) return 'passing';
  if (code === 1) return 'warning';
  return 'critical';
}
