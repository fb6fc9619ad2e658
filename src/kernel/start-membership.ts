import type { AgentHooks } from '../../contracts/hooks.js';
import type { Logger } from '../../contracts/platform.js';
import { MemberStatus, type Membership } from '../../contracts/ports/membership.js';
import type { RuntimeConfig } from '../../contracts/runtime-config.js';
import { LocalMembership } from '../membership/local-membership.js';
import { wireMemberHooks } from '../membership/member-hooks.js';
import { memberTags } from '../membership/member-tags.js';

/** What the agent's membership is built from. */
export interface MembershipDeps {
  /** The live runtime config. */
  config: () => RuntimeConfig;
  /** Sextant's version (the member's `build` tag). */
  version: string;
  hooks: AgentHooks;
  logger: Logger;
  /** Registers a teardown step (run in reverse registration order). */
  onStop: (what: string, run: () => Promise<void>) => void;
}

/**
 * Builds and starts the agent's membership (both roles): today the single-agent Membership, the
 * gossip pool once it exists. Its events fire the member hooks; its tags follow reloads.
 */
export async function startMembership(deps: MembershipDeps): Promise<Membership> {
  const { config, hooks, logger } = deps;
  const membership = new LocalMembership({
    identity: () => {
      const c = config();
      return { name: c.nodeName, addr: c.advertiseAddr, port: c.ports.serfLan };
    },
    tags: memberTags(config(), deps.version),
    logger: logger.child('serf'),
  });
  const offHooks = wireMemberHooks(membership, hooks, logger.child('serf'));
  hooks.reload.tap('membership', (next) => membership.setTags(memberTags(next, deps.version)));
  await membership.start();
  deps.onStop('membership', async () => {
    await membership.close();
    offHooks();
  });
  return membership;
}

/**
 * The RPC addresses of the servers of `datacenter` among `membership`'s alive members (Consul's
 * server lookup from the `role`, `dc` and `port` tags): what a client agent sends its requests to.
 */
export function serverAddresses(membership: Pick<Membership, 'members'>, datacenter: () => string): () => string[] {
  return () =>
    membership
      .members()
      .filter((m) => m.Status === MemberStatus.Alive && m.Tags['role'] === 'consul' && m.Tags['dc'] === datacenter() && m.Tags['port'] !== undefined)
      .map((m) => (m.Addr.includes(':') ? `[${m.Addr}]:${m.Tags['port']}` : `${m.Addr}:${m.Tags['port']}`));
}
