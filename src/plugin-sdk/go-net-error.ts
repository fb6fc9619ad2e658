import { isIPv6 } from 'node:net';

/**
 * Go's net error texts, which Consul reports verbatim as check output: `dial tcp
 * 127.0.0.1:1: connect: connection refused`, `dial tcp: lookup x: no such host`,
 * `dial unix /run/x.sock: connect: no such file or directory`.
 */

const ERRNO_TEXT: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by peer',
  EHOSTUNREACH: 'no route to host',
  ENETUNREACH: 'network is unreachable',
  ETIMEDOUT: 'connection timed out',
  EADDRNOTAVAIL: 'cannot assign requested address',
  EADDRINUSE: 'address already in use',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOENT: 'no such file or directory',
  EPIPE: 'broken pipe',
  ENOTSOCK: 'socket operation on non-socket',
};

/** Go's strerror text for a Node errno code, or the error's own message. */
export function goErrnoText(err: NodeJS.ErrnoException): string {
  return (err.code && ERRNO_TEXT[err.code]) || err.message;
}

/** `host:port` with IPv6 literals bracketed, as Go's net.JoinHostPort. */
export function joinHostPort(host: string, port: number | string): string {
  return isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

/** `dial <network> <addr>: connect: <errno text>` (Go's *net.OpError for a failed connect). */
export function goDialErrorText(network: 'tcp' | 'unix', addr: string, err: NodeJS.ErrnoException): string {
  return `dial ${network} ${addr}: connect: ${goErrnoText(err)}`;
}

/** `dial tcp: lookup <host>: no such host` (Go's *net.DNSError for an unknown name). */
export function goLookupErrorText(host: string): string {
  return `dial tcp: lookup ${host}: no such host`;
}

/** `dial tcp <addr>: i/o timeout` (a connect that hit its deadline). */
export function goDialTimeoutText(addr: string): string {
  return `dial tcp ${addr}: i/o timeout`;
}
