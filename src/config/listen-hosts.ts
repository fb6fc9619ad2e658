import type { RuntimeConfig } from '../../contracts/runtime-config.js';

/** A client-facing listener whose bind addresses Consul's `addresses.<name>` can set. */
export type ListenerName = 'http' | 'dns';

/**
 * The hosts a client-facing surface binds, as Consul chooses them: `addresses.<name>`
 * (space-separated) when set and non-empty, else every `client_addr` address.
 */
export function listenHosts(config: RuntimeConfig, name: ListenerName): string[] {
  const addresses = config.extra.addresses as Partial<Record<ListenerName, unknown>> | undefined;
  const value = addresses?.[name];
  const own = typeof value === 'string' ? value.split(/\s+/).filter((s) => s !== '') : [];
  return own.length > 0 ? own : [...config.clientAddrs];
}
