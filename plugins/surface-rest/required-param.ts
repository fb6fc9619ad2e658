import { ErrorCode, SextantError } from '../../contracts/errors.js';
import type { RequestScope } from './request-scope.js';

/** A required path parameter; 400 `Missing <what>` when empty. */
export function requiredParam(scope: RequestScope, name: string, what: string): string {
  const v = scope.params[name] ?? '';
  if (v === '') throw new SextantError(ErrorCode.BadRequest, `Missing ${what}`);
  return v;
}
