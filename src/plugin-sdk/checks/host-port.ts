/**
 * Splits `host:port` the way Go's net.SplitHostPort does (IPv6 literals in brackets). Returns
 * the Go-style error text (`address x: missing port in address`) instead of throwing.
 */
export function splitHostPort(addr: string): { host: string; port: string } | { error: string } {
  const missing = { error: `address ${addr}: missing port in address` };
  const i = addr.lastIndexOf(':');
  if (i < 0) return missing;
  let host: string;
  if (addr.startsWith('[')) {
    const end = addr.indexOf(']');
    if (end < 0) return { error: `address ${addr}: missing ']' in address` };
    if (end + 1 === addr.length) return missing;
    if (end + 1 !== i) return { error: `address ${addr}: missing port in address` };
    host = addr.slice(1, end);
  } else {
    host = addr.slice(0, i);
    if (host.includes(':')) return { error: `address ${addr}: too many colons in address` };
  }
  return { host, port: addr.slice(i + 1) };
}

/** The port as a number when it is a decimal in 0..65535, else undefined. */
export function parsePort(port: string): number | undefined {
  if (!/^[0-9]{1,5}$/.test(port)) return undefined;
  const n = Number(port);
  return n <= 65535 ? n : undefined;
}
