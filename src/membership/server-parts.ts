import type { Member } from '../../contracts/services/agent-service.js';

/** A server of the pool as its tags describe it (Consul's metadata.IsConsulServer). */
export interface ServerParts {
  name: string;
  id: string;
  address: string;
  expect: number;
  bootstrap: boolean;
  nonVoter: boolean;
  datacenter: string;
}

/** Reads a member's server tags; undefined for a client or a server without a usable port. */
export function serverParts(m: Member): ServerParts | undefined {
  if (m.Tags['role'] !== 'consul') return undefined;
  const port = Number(m.Tags['port']);
  if (!Number.isInteger(port) || port <= 0) return undefined;
  const expect = Number(m.Tags['expect'] ?? '0');
  return {
    name: m.Name,
    id: m.Tags['id'] ?? m.Name,
    address: m.Addr.includes(':') ? `[${m.Addr}]:${port}` : `${m.Addr}:${port}`,
    expect: Number.isInteger(expect) ? expect : 0,
    bootstrap: m.Tags['bootstrap'] === '1',
    nonVoter: m.Tags['nonvoter'] === '1',
    datacenter: m.Tags['dc'] ?? '',
  };
}
