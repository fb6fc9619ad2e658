import { ErrorCode, isSextantError } from '../../contracts/errors.js';

/** How one error code is answered over HTTP: the status, and a fixed body when Consul's text is fixed. */
export interface HttpErrorAnswer {
  readonly status: number;
  /** When set, the body clients see regardless of the error's message (Consul's exact text). */
  readonly body?: string;
}

/**
 * The one mapping from error codes to HTTP status for the REST surface. Codes not listed are
 * answered 500 with the error's message (as Consul answers any RPC error).
 */
export const ERROR_STATUS: Readonly<Partial<Record<ErrorCode, HttpErrorAnswer>>> = {
  [ErrorCode.BadRequest]: { status: 400 },
  [ErrorCode.MissingKey]: { status: 400 },
  [ErrorCode.ConflictingFlags]: { status: 400 },
  [ErrorCode.ConflictingConsistency]: { status: 400 },
  [ErrorCode.InvalidIndex]: { status: 400 },
  [ErrorCode.InvalidWait]: { status: 400 },
  [ErrorCode.DurationInvalid]: { status: 400 },
  [ErrorCode.CommandInvalid]: { status: 400 },
  [ErrorCode.NotFound]: { status: 404 },
  [ErrorCode.MethodNotAllowed]: { status: 405 },
  [ErrorCode.TooLarge]: { status: 413 },
  [ErrorCode.NotImplemented]: { status: 500 },
  [ErrorCode.EventRejected]: { status: 500 },
  [ErrorCode.CoordinateRejected]: { status: 500 },
  [ErrorCode.NoLeader]: { status: 500, body: 'No cluster leader' },
  [ErrorCode.NoPathToDatacenter]: { status: 500, body: 'No path to datacenter' },
  [ErrorCode.NoServers]: { status: 500, body: 'No known Consul servers' },
  [ErrorCode.NotLeader]: { status: 500 },
  [ErrorCode.LeadershipLost]: { status: 500 },
  [ErrorCode.Timeout]: { status: 500 },
  [ErrorCode.Shutdown]: { status: 500 },
  [ErrorCode.ConfigInvalid]: { status: 500 },
  [ErrorCode.ConfigParse]: { status: 500 },
};

/** The HTTP answer for any thrown value; `expected` is false for non-SextantErrors (log them). */
export function httpErrorFor(e: unknown): { status: number; body: string; expected: boolean } {
  if (isSextantError(e)) {
    const a = ERROR_STATUS[e.code];
    return { status: a?.status ?? 500, body: a?.body ?? e.message, expected: true };
  }
  return { status: 500, body: e instanceof Error ? e.message : String(e), expected: false };
}
