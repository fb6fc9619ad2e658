import { isIPv6 } from 'node:net';

/** A parsed `host:port` address. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** Formats `host:port`, bracketing IPv6 literals (`[::1]:8300`). */
export function formatHostPort(host: string, port: number): string {
  return isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Parses `host:port` or `[ipv6]:port`; undefined when the text is not an address with a port
 * in 1..65535 (port 0 cannot be dialled).
 */
export function parseHostPort(addr: string): HostPort | undefined {
  let host: string;
  let portText: string;
  if (addr.startsWith('[')) {
    const end = addr.indexOf(']:');
    if (end < 0) return undefined;
    host = addr.slice(1, end);
    portText = addr.slice(end + 2);
  } else {
    const colon = addr.lastIndexOf(':');
    if (colon <= 0) return undefined;
    host = addr.slice(0, colon);
    portText = addr.slice(colon + 1);
    if (host.includes(':')) return undefined; // unbracketed IPv6 is ambiguous
  }
  if (!/^[0-9]{1,5}$/.test(portText)) return undefined;
  const port = Number(portText);
  if (port < 1 || port > 65535 || host === '') return undefined;
  return { host, port };
}
