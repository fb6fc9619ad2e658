import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { goErrnoText } from 'sextant/plugin-sdk';

/** grpc-go's names of the status codes (codes.Code.String()). */
const GO_CODE_NAMES: Readonly<Record<number, string>> = {
  [GrpcStatus.OK]: 'OK',
  [GrpcStatus.CANCELLED]: 'Canceled',
  [GrpcStatus.UNKNOWN]: 'Unknown',
  [GrpcStatus.INVALID_ARGUMENT]: 'InvalidArgument',
  [GrpcStatus.DEADLINE_EXCEEDED]: 'DeadlineExceeded',
  [GrpcStatus.NOT_FOUND]: 'NotFound',
  [GrpcStatus.ALREADY_EXISTS]: 'AlreadyExists',
  [GrpcStatus.PERMISSION_DENIED]: 'PermissionDenied',
  [GrpcStatus.RESOURCE_EXHAUSTED]: 'ResourceExhausted',
  [GrpcStatus.FAILED_PRECONDITION]: 'FailedPrecondition',
  [GrpcStatus.ABORTED]: 'Aborted',
  [GrpcStatus.OUT_OF_RANGE]: 'OutOfRange',
  [GrpcStatus.UNIMPLEMENTED]: 'Unimplemented',
  [GrpcStatus.INTERNAL]: 'Internal',
  [GrpcStatus.UNAVAILABLE]: 'Unavailable',
  [GrpcStatus.DATA_LOSS]: 'DataLoss',
  [GrpcStatus.UNAUTHENTICATED]: 'Unauthenticated',
};

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
  if (err.code !== GrpcStatus.UNAVAILABLE) return err.details;
  const m = /connect (E[A-Z]+) (\S+?)\.?(?:\s|$)/.exec(err.details);
  if (!m) return err.details;
  const errno = { code: m[1], message: m[1] } as NodeJS.ErrnoException;
  const addr = m[2]!.replace(/^\[?([^\]]*:[^\]]*)\]?:(\d+)$/, '[$1]:$2');
  return `connection error: desc = "transport: Error while dialing: dial tcp ${addr}: connect: ${goErrnoText(errno)}"`;
}
