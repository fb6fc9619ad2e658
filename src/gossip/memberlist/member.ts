/** A member of the pool as the engine and its delegates see it (memberlist's Node + nodeState). */
import type { NodeStateType } from './messages.js';

export interface Member {
  name: string;
  /** The transport address (`ip:port`). */
  address: string;
  addr: Uint8Array;
  port: number;
  meta: Uint8Array;
  incarnation: number;
  state: NodeStateType;
  /** Clock ms of the last state change. */
  stateChange: number;
  /** Protocol versions [pmin, pmax, pcur, dmin, dmax, dcur]. */
  vsn: Uint8Array;
}

/** `a.b.c.d:port` (or `[v6]:port`) from memberlist's Addr bytes and Port. */
export function addressOf(addr: Uint8Array, port: number): string {
  if (addr.length === 4) return `${addr[0]}.${addr[1]}.${addr[2]}.${addr[3]}:${port}`;
  const parts: string[] = [];
  for (let i = 0; i + 1 < addr.length; i += 2) parts.push(((addr[i]! << 8) | addr[i + 1]!).toString(16));
  return `[${parts.join(':')}]:${port}`;
}

/** memberlist's Addr bytes and Port of an `a.b.c.d:port` address (IPv4 only; others give empty bytes). */
export function parseAddress(address: string): { addr: Uint8Array; port: number } {
  const i = address.lastIndexOf(':');
  const host = address.slice(0, i);
  const port = Number(address.slice(i + 1));
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(host);
  return { addr: m ? Uint8Array.from(m.slice(1).map(Number)) : new Uint8Array(0), port };
}
