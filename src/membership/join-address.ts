/**
 * A join address as memberlist resolves it (resolveAddr): `host`, `host:port`, `ipv6`,
 * `[ipv6]` or `[ipv6]:port`; without a port, `defaultPort` (the agent's own serf LAN port).
 * Returns `host:port` (`[ipv6]:port`), the form the transports dial. Surrounding spaces are
 * ignored.
 */
export function formatJoinAddress(address: string, defaultPort: number): string {
  const a = address.trim();
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(a);
  if (bracketed) return `[${bracketed[1]}]:${bracketed[2] ?? defaultPort}`;
  const colons = a.split(':').length - 1;
  if (colons > 1) return `[${a}]:${defaultPort}`; // a bare IPv6 address
  if (colons === 1) return a;
  return `${a}:${defaultPort}`;
}
