import { join } from 'node:path';
import type { AgentHooks } from '../../contracts/hooks.js';
import type { Clock, Logger, Random } from '../../contracts/platform.js';
import type { KernelServices } from '../../contracts/plugin.js';
import { MemberStatus, type Membership } from '../../contracts/ports/membership.js';
import type { RuntimeConfig } from '../../contracts/runtime-config.js';
import type { Keyring } from '../gossip/memberlist/keyring.js';
import { initialKeyring, keyringFileKeys, toMemberlistKeyring, writeKeyringFile } from '../gossip/serf/keyring-file.js';
import { Serf } from '../gossip/serf/serf.js';
import type { SerfSnapshot } from '../gossip/serf/serf-snapshot.js';
import { openSerfSnapshot } from '../gossip/serf/serf-snapshotter.js';
import { GossipMembership } from '../membership/gossip-membership.js';
import { wireMemberHooks } from '../membership/member-hooks.js';
import { memberTags } from '../membership/member-tags.js';
import { openGossipTransports } from './gossip-transports.js';
import type { ProviderRegistry } from './provider-registry.js';

/** What the agent's membership is built from. */
export interface MembershipDeps {
  /** The live runtime config. */
  config: () => RuntimeConfig;
  /** Sextant's version (the member's `build` tag). */
  version: string;
  hooks: AgentHooks;
  logger: Logger;
  clock: Clock;
  random: Random;
  /** The plugins' providers: the packet and connection transports of the serf LAN port. */
  registry: ProviderRegistry;
  /** What provider factories are handed. */
  kernel: KernelServices;
  /** Registers a teardown step (run in reverse registration order). */
  onStop: (what: string, run: () => Promise<void>) => void;
}

/** The started membership and the serf LAN port it listens on (the ephemeral one for port 0). */
export interface StartedMembership {
  membership: Membership;
  serfLanPort: number;
}

/** serf's files under data_dir, as Consul names them. */
const SERF_DIR = 'serf';
const SNAPSHOT_FILE = 'local.snapshot';
const KEYRING_FILE = 'local.keyring';

/**
 * Builds and starts the agent's LAN pool (both roles): serf over memberlist on the serf LAN
 * port (`serf_lan` bind address, `ports.serf_lan`), with Consul's `gossip_lan` timings, the
 * gossip keyring (`encrypt`, `data_dir/serf/local.keyring`) and the pool snapshot
 * (`data_dir/serf/local.snapshot`) when the agent has a data dir. Its events fire the member
 * hooks; its tags follow reloads. Stopping shuts the pool down without a leave (the agent's
 * leave path calls `leave` first when it should).
 */
export async function startMembership(deps: MembershipDeps): Promise<StartedMembership> {
  const { config, hooks, logger } = deps;
  const c = config();
  const log = logger.child('serf');
  const transports = await openGossipTransports(deps.registry, deps.kernel, c, c.serfLanBindAddr);
  const serfDir = c.dataDir ? join(c.dataDir, SERF_DIR) : undefined;
  const keyringPath = serfDir && !c.disableKeyringFile ? join(serfDir, KEYRING_FILE) : undefined;
  let keyring: Keyring | undefined;
  let snapshot: SerfSnapshot | undefined;
  try {
    const keys = await initialKeyring({ encrypt: c.encrypt, keyringPath, logger: log, random: deps.random });
    keyring = keys ? toMemberlistKeyring(keys) : undefined;
    snapshot = serfDir ? await openSerfSnapshot(join(serfDir, SNAPSHOT_FILE), { clock: deps.clock, logger: log, rejoinAfterLeave: c.rejoinAfterLeave }) : undefined;
  } catch (e) {
    await Promise.all([transports.packets.close(), transports.connections.close()]);
    throw e;
  }
  const g = c.gossipLan;
  const serf = new Serf(
    {
      nodeName: c.nodeName,
      tags: memberTags(c, deps.version),
      memberlist: {
        gossipIntervalMs: g.gossipIntervalMs,
        gossipNodes: g.gossipNodes,
        probeIntervalMs: g.probeIntervalMs,
        probeTimeoutMs: g.probeTimeoutMs,
        retransmitMult: g.retransmitMult,
        suspicionMult: g.suspicionMult,
        ...(keyring ? { keyring, gossipVerifyIncoming: c.encryptVerifyIncoming, gossipVerifyOutgoing: c.encryptVerifyOutgoing } : {}),
      },
      reconnectTimeoutMs: c.reconnectTimeoutMs,
      disableCoordinates: c.disableCoordinates,
      ...(keyringPath
        ? {
            onKeyringChange: (keys: string[]) => {
              writeKeyringFile(keyringPath, keys, deps.random).catch((e: unknown) => log.error('failed to write the keyring file', { path: keyringPath, error: e }));
            },
          }
        : {}),
    },
    { clock: deps.clock, random: deps.random, logger: log, packets: transports.packets, connections: transports.connections, ...(snapshot ? { snapshot } : {}) },
  );
  const membership = new GossipMembership({ serf, localKeys: () => (keyring ? keyringFileKeys(keyring) : undefined), logger: log });
  const offHooks = wireMemberHooks(membership, hooks, log);
  hooks.reload.tap('membership', (next) => membership.setTags(memberTags(next, deps.version)));
  deps.onStop('membership', async () => {
    await membership.close();
    await snapshot?.close();
    offHooks();
  });
  await membership.start();
  return { membership, serfLanPort: transports.port };
}

/**
 * The RPC addresses of the servers of `datacenter` among `membership`'s alive members (Consul's
 * server lookup from the `role`, `dc` and `port` tags): what a client agent sends its requests to.
 * Every request asks, so the list is worked out again only after a member event (join, leave,
 * failure, reap, tag update: how Consul's router follows the servers) or a datacenter change,
 * not by walking the whole pool each time. Returns the same array until then.
 */
export function serverAddresses(membership: Pick<Membership, 'members' | 'onEvent'>, datacenter: () => string): () => readonly string[] {
  let list: string[] | undefined;
  let listDc = '';
  membership.onEvent(() => {
    list = undefined;
  });
  return () => {
    const dc = datacenter();
    if (list === undefined || dc !== listDc) {
      listDc = dc;
      list = membership
        .members()
        .filter((m) => m.Status === MemberStatus.Alive && m.Tags['role'] === 'consul' && m.Tags['dc'] === dc && m.Tags['port'] !== undefined)
        .map((m) => (m.Addr.includes(':') ? `[${m.Addr}]:${m.Tags['port']}` : `${m.Addr}:${m.Tags['port']}`));
    }
    return list;
  };
}
