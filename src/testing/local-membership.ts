import type { Logger } from '../../contracts/platform.js';
import { MemberStatus } from '../../contracts/ports/membership.js';
import type { MemberEvent, Membership, PoolUserEvent } from '../../contracts/ports/membership.js';
import type { NetworkCoordinate } from '../../contracts/model/coordinate.js';
import type { KeyringOperation, KeyringResult } from '../../contracts/model/keyring.js';
import { ErrorCode, SextantError } from '../../contracts/errors.js';
import type { Member } from '../../contracts/services/agent-service.js';

/** Gossip protocol numbers Sextant advertises (Consul's serf/memberlist protocol 2..5, current 2; delegate 2..5, current 4). */
const PROTOCOL = { min: 1, max: 5, cur: 2, dmin: 2, dmax: 5, dcur: 4 };

/** Where the local member's name, address and serf port come from (the live config). */
export interface LocalMemberIdentity {
  /** The node name. */
  name: string;
  /** The advertised LAN address. */
  addr: string;
  /** The serf LAN port. */
  port: number;
}

/** serf's default UserEventSizeLimit: name plus payload, in bytes. */
export const USER_EVENT_SIZE_LIMIT = 512;

/** What LocalMembership is built from. */
export interface LocalMembershipDeps {
  /** The agent's identity, read on every call (it follows reloads). */
  identity: () => LocalMemberIdentity;
  /** The agent's initial tags (see memberTags); replaced by setTags. */
  tags: Readonly<Record<string, string>>;
  logger: Logger;
}

/**
 * A Membership of one, for tests of what sits above the port (user events, member hooks): this
 * agent alone, alive from `start` to `close` (left afterwards), emitting `join` for itself on
 * start, `update` when its tags change and `leave` on close; a user event is delivered to this
 * agent alone. Agents run the real pool (GossipMembership); nothing here pretends to know of
 * other agents.
 */
export class LocalMembership implements Membership {
  private tags: Record<string, string>;
  private status: number = MemberStatus.Alive;
  private started = false;
  private closed = false;
  private readonly listeners = new Set<(e: MemberEvent) => void>();
  private readonly eventListeners = new Set<(e: PoolUserEvent) => void>();
  /** serf's event clock (a Lamport clock): the time the next user event is sent at. */
  private eventClock = 0;

  constructor(private readonly deps: LocalMembershipDeps) {
    this.tags = { ...deps.tags };
  }

  localMember(): Member {
    const id = this.deps.identity();
    return {
      Name: id.name,
      Addr: id.addr,
      Port: id.port,
      Tags: { ...this.tags },
      Status: this.status,
      ProtocolMin: PROTOCOL.min,
      ProtocolMax: PROTOCOL.max,
      ProtocolCur: PROTOCOL.cur,
      DelegateMin: PROTOCOL.dmin,
      DelegateMax: PROTOCOL.dmax,
      DelegateCur: PROTOCOL.dcur,
    };
  }

  members(): Member[] {
    return [this.localMember()];
  }

  setTags(tags: Readonly<Record<string, string>>): void {
    const same = Object.keys(tags).length === Object.keys(this.tags).length && Object.entries(tags).every(([k, v]) => this.tags[k] === v);
    this.tags = { ...tags };
    if (!same && this.started && !this.closed) this.emit('update');
  }

  onEvent(listener: (e: MemberEvent) => void): () => void {
    const wrapped = (e: MemberEvent): void => listener(e);
    this.listeners.add(wrapped);
    return () => {
      this.listeners.delete(wrapped);
    };
  }

  /** Delivers the event to this agent's listeners on a later turn (as serf's event channel would), with serf's size check. */
  async userEvent(name: string, payload: Uint8Array, coalesce: boolean): Promise<void> {
    if (this.closed) throw new SextantError(ErrorCode.Shutdown, 'serf is shut down');
    if (name.length + payload.byteLength > USER_EVENT_SIZE_LIMIT) {
      throw new SextantError(ErrorCode.EventRejected, `user event exceeds configured limit of ${USER_EVENT_SIZE_LIMIT} bytes before encoding`);
    }
    const event: PoolUserEvent = { name, payload: payload.slice(), ltime: this.eventClock++, coalesce };
    await Promise.resolve();
    for (const listener of [...this.eventListeners]) {
      try {
        listener(event);
      } catch (e) {
        this.deps.logger.error('a user event listener failed', { event: name, error: e });
      }
    }
  }

  onUserEvent(listener: (e: PoolUserEvent) => void): () => void {
    const wrapped = (e: PoolUserEvent): void => listener(e);
    this.eventListeners.add(wrapped);
    return () => {
      this.eventListeners.delete(wrapped);
    };
  }

  /** A pool of one joins no one: every address is refused with the reason. */
  async join(addresses: readonly string[]): Promise<number> {
    throw new SextantError(ErrorCode.JoinFailed, `Failed to join ${addresses.join(', ')}: this agent runs without a gossip pool`);
  }

  /** Leaving a pool of one: this agent shows `left`. */
  async leave(): Promise<void> {
    if (this.closed || this.status === MemberStatus.Left) return;
    this.status = MemberStatus.Left;
    if (this.started) this.emit('leave');
  }

  /** No other member exists to force out. */
  async forceLeave(node: string): Promise<void> {
    throw new SextantError(ErrorCode.NotFound, `agent: No node found with name '${node}'`);
  }

  /** A pool of one has no gossip encryption, so no keyring. */
  async keyring(_operation: KeyringOperation): Promise<KeyringResult> {
    throw new SextantError(ErrorCode.NotImplemented, 'keyring is not enabled: this agent runs without a gossip pool');
  }

  /** No probes, no coordinate. */
  coordinate(): NetworkCoordinate | undefined {
    return undefined;
  }

  async start(): Promise<void> {
    if (this.started || this.closed) return;
    this.started = true;
    this.status = MemberStatus.Alive;
    this.emit('join');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const wasLeft = this.status === MemberStatus.Left;
    this.status = MemberStatus.Left;
    if (this.started && !wasLeft) this.emit('leave');
    this.listeners.clear();
    this.eventListeners.clear();
  }

  private emit(type: MemberEvent['type']): void {
    const event: MemberEvent = { type, members: [this.localMember()] };
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch (e) {
        this.deps.logger.error('a member event listener failed', { event: type, error: e });
      }
    }
  }
}
