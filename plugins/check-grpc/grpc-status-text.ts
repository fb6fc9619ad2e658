import type { ServiceError } from '@grpc/grpc-js';
import { goErrnoText } from 'sextant/plugin-sdk';

/**
 * grpc-go's names of the status codes (codes.Code.String()), indexed by the code (the numbers
 * are the gRPC protocol's, so grpc-js need not be loaded to read them).
 */
const GO_CODE_NAMES: readonly string[] = [
  'OK', 'Canceled', 'Unknown', 'InvalidArgument', 'DeadlineExceeded', 'NotFound', 'AlreadyExists',
  'PermissionDenied', 'ResourceExhausted', 'FailedPrecondition', 'Aborted', 'OutOfRange',
  'Unimplemented', 'Internal', 'Unavailable', 'DataLoss', 'Unauthenticated',
];
/** UNAVAILABLE. */
const UNAVAILABLE = 14;

/**
 * The text grpc-go's status error prints (`rpc error: code = NotFound desc = unknown service`),
 * which Consul reports verbatim. A connection grpc-js could not open is described as grpc-go
 * does: `connection error: desc = "transport: Error while dialing: dial tcp <addr>: connect:
 * connection refused"`.
 */
export function goGrpcErrorText(err: ServiceError): string {
  const name = GO_CODE_NAMES[err.code] ?? `Code(${err.code})`;
  return `rpc error: code = ${name} desc = ${describe(err)}`;
}

function describe(err: ServiceError): string {
  if (err.code !== UNAVAILABLE) return err.details;
  const m = /connect (E[A-Z]+) (\S+?)\.?(?:\s|$)/.exec(err.details);
  if (!m) return err.details;
  const errno = { code: m[1], message: m[1] } as NodeJS.ErrnoException;
  const addr = m[2]!.replace(/^\[?([^\]]*:[^\]]*)\]?:(\d+)$/, '[$1]:$2');
  return `connection error: desc = "transport: Error while dialing: dial tcp ${addr}: connect: ${goErrnoText(errno)}"`;
}
