import { ErrorCode, SextantError } from '../../contracts/errors.js';
import type { NetworkCoordinate } from '../../contracts/model/coordinate.js';
import type { KeyringOperation, KeyringResult } from '../../contracts/model/keyring.js';
import type { Logger } from '../../contracts/platform.js';
import type { MemberEvent, Membership, PoolUserEvent } from '../../contracts/ports/membership.js';
import type { Member } from '../../contracts/services/agent-service.js';
import type { Serf, SerfEvent, SerfMember } from '../gossip/serf/serf.js';

/** What GossipMembership is built from. */
export interface GossipMembershipDeps {
  /** The agent's serf (LAN pool); started, left and shut down by this membership. */
  serf: Serf;
  /** This agent's own gossip keys (base64, primary first), or undefined when the pool is not encrypted. */
  localKeys: () => string[] | undefined;
  logger: Logger;
}

/** Consul's Member JSON from a serf member. */
function toMember(m: SerfMember): Member {
  return {
    Name: m.name,
    Addr: m.addr,
    Port: m.port,
    Tags: { ...m.tags },
    Status: m.status,
    ProtocolMin: m.protocolMin,
    ProtocolMax: m.protocolMax,
    ProtocolCur: m.protocolCur,
    DelegateMin: m.delegateMin,
    DelegateMax: m.delegateMax,
    DelegateCur: m.delegateCur,
  };
}

/** The key an install, use or remove names (serf's key manager checks its encoding and size). */
function requireKey(key: string | undefined, operation: KeyringOperation): string {
  if (key === undefined || key === '') throw new SextantError(ErrorCode.BadRequest, `Missing key for ${operation}`);
  return key;
}

/**
 * The Membership port over a real gossip pool: serf (Lamport clocks, intents, tags, user events,
 * key queries) on memberlist (SWIM + Lifeguard) over the packet and connection transports.
 * Member events and user events come from serf's event stream; keyring operations are serf's
 * KeyManager queries across the pool; the coordinate is serf's Vivaldi estimate.
 *
 * `close` shuts the pool down without leaving: the others see this agent fail, as a Consul
 * agent stopped without `leave` does. The caller (signal handling, `/v1/agent/leave`) calls
 * `leave` first when the agent should leave.
 */
export class GossipMembership implements Membership {
  private readonly listeners = new Set<(e: MemberEvent) => void>();
  private readonly userListeners = new Set<(e: PoolUserEvent) => void>();
  private readonly offSerf: () => void;
  private started = false;
  private left = false;
  private closed = false;

  constructor(private readonly deps: GossipMembershipDeps) {
    this.offSerf = deps.serf.onEvent((e) => this.dispatch(e));
  }

  localMember(): Member {
    return toMember(this.deps.serf.localMember());
  }

  members(): Member[] {
    return this.deps.serf
      .members()
      .map(toMember)
      .sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
  }

  setTags(tags: Readonly<Record<string, string>>): void {
    if (this.closed) return;
    this.deps.serf.setTags({ ...tags }).catch((e: unknown) => this.deps.logger.error('failed to update serf tags', { error: e }));
  }

  onEvent(listener: (e: MemberEvent) => void): () => void {
    const wrapped = (e: MemberEvent): void => listener(e);
    this.listeners.add(wrapped);
    return () => {
      this.listeners.delete(wrapped);
    };
  }

  async userEvent(name: string, payload: Uint8Array, coalesce: boolean): Promise<void> {
    if (this.closed) throw new SextantError(ErrorCode.Shutdown, 'serf is shut down');
    await this.deps.serf.userEvent(name, payload, coalesce);
  }

  onUserEvent(listener: (e: PoolUserEvent) => void): () => void {
    const wrapped = (e: PoolUserEvent): void => listener(e);
    this.userListeners.add(wrapped);
    return () => {
      this.userListeners.delete(wrapped);
    };
  }

  async join(addresses: readonly string[], replay: boolean): Promise<number> {
    if (this.closed) throw new SextantError(ErrorCode.Shutdown, 'serf is shut down');
    return this.deps.serf.join(
      addresses.map((a) => a.trim()),
      !replay,
    ); // serf adds its own port to an address without one
  }

  async leave(): Promise<void> {
    if (this.left || this.closed || !this.started) return;
    this.left = true;
    await this.deps.serf.leave();
  }

  async forceLeave(node: string, prune: boolean): Promise<void> {
    if (!this.deps.serf.members().some((m) => m.name === node)) {
      throw new SextantError(ErrorCode.NotFound, `agent: No node found with name '${node}'`);
    }
    await this.deps.serf.removeFailedNode(node, prune);
  }

  async keyring(operation: KeyringOperation, key?: string, opts: { relayFactor?: number; localOnly?: boolean } = {}): Promise<KeyringResult> {
    const own = this.deps.localKeys();
    if (!own) throw new SextantError(ErrorCode.NotImplemented, 'keyring is not enabled: gossip encryption is off (no encrypt key)');
    if (opts.localOnly && operation === 'list') {
      return { messages: {}, numNodes: 1, numResp: 1, numErr: 0, keys: Object.fromEntries(own.map((k) => [k, 1])), primaryKeys: own[0] ? { [own[0]]: 1 } : {} };
    }
    const km = this.deps.serf.keyManager();
    const relay = opts.relayFactor ?? 0;
    switch (operation) {
      case 'list':
        return km.listKeys(relay);
      case 'install':
        return km.installKey(requireKey(key, operation), relay);
      case 'use':
        return km.useKey(requireKey(key, operation), relay);
      case 'remove':
        return km.removeKey(requireKey(key, operation), relay);
    }
  }

  coordinate(): NetworkCoordinate | undefined {
    const c = this.deps.serf.getCoordinate();
    if (!c) return undefined;
    const j = c.toJSON();
    return { Vec: [...j.Vec], Error: j.Error, Adjustment: j.Adjustment, Height: j.Height };
  }

  async start(): Promise<void> {
    if (this.started || this.closed) return;
    this.started = true;
    await this.deps.serf.start();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.deps.serf.shutdown();
    this.offSerf();
    this.listeners.clear();
    this.userListeners.clear();
  }

  private dispatch(e: SerfEvent): void {
    if (e.kind === 'member') {
      const event: MemberEvent = { type: e.type, members: e.members.map(toMember) };
      this.deliver(this.listeners, event, `member ${e.type}`);
    } else if (e.kind === 'user') {
      const event: PoolUserEvent = { name: e.name, payload: e.payload, ltime: e.ltime, coalesce: e.coalesce };
      this.deliver(this.userListeners, event, `user event ${e.name}`);
    }
    // Queries: serf answers its internal ones (ping, conflict, keyring) itself; Consul fires no others on the LAN.
  }

  private deliver<E>(listeners: Set<(e: E) => void>, event: E, what: string): void {
    for (const listener of [...listeners]) {
      try {
        listener(event);
      } catch (err) {
        this.deps.logger.error('a membership listener failed', { event: what, error: err });
      }
    }
  }
}
