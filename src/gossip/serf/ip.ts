/** IP bytes as memberlist and serf carry them (net.IP), to and from text. */

/** `a.b.c.d` for 4 bytes or an IPv4-mapped 16-byte address, else the IPv6 text; '' for none. */
export function ipToString(ip: Uint8Array | null): string {
  if (!ip || ip.length === 0) return '';
  const v4 = ip.length === 16 && ip.slice(0, 10).every((b) => b === 0) && ip[10] === 0xff && ip[11] === 0xff ? ip.slice(12) : ip;
  if (v4.length === 4) return v4.join('.');
  const parts: string[] = [];
  for (let i = 0; i + 1 < ip.length; i += 2) parts.push(((ip[i]! << 8) | ip[i + 1]!).toString(16));
  return parts.join(':');
}

/** `host:port` for dialing (IPv6 in brackets). */
export function joinHostPort(ip: Uint8Array | null, port: number): string {
  const host = ipToString(ip);
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
