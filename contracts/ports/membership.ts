import type { NetworkCoordinate } from '../model/coordinate.js';
import type { KeyringOperation, KeyringResult } from '../model/keyring.js';
import type { Member } from '../services/agent-service.js';

/**
 * Membership port: the LAN pool this agent belongs to, as serf sees it. Gossip (SWIM +
 * Lifeguard on memberlist's and serf's wire format) implements it for a cluster; a single agent
 * has an honest one-member implementation. The member hooks (memberJoined/memberFailed/
 * memberLeft) fire from its events, and the leader reconciles its members into the catalog
 * (`serfHealth`, the `consul` service, deregistration of left and reaped nodes).
 *
 * Members use Consul's JSON shape (/v1/agent/members): Name, Addr, Port, Tags, Status and the
 * protocol numbers. Status follows serf: 0 none, 1 alive, 2 leaving, 3 left, 4 failed.
 */

/** serf's member status values, as /v1/agent/members reports them. */
export const MemberStatus = Object.freeze({ None: 0, Alive: 1, Leaving: 2, Left: 3, Failed: 4 } as const);

/** serf's member event kinds: `reap` is a failed or left member forgotten for good. */
export type MemberEventType = 'join' | 'leave' | 'failed' | 'update' | 'reap';

/** One member event: what happened, to whom (one or more members, coalesced as serf does). */
export interface MemberEvent {
  readonly type: MemberEventType;
  /** The members concerned, each with its state after the event. Never empty. */
  readonly members: readonly Member[];
}

/** A user event as serf delivers it (serf's UserEvent): Consul's are named `consul:event:<name>`. */
export interface PoolUserEvent {
  readonly name: string;
  readonly payload: Uint8Array;
  /** The event clock's Lamport time it was sent at. */
  readonly ltime: number;
  /** Whether serf may coalesce it with later ones of the same name (Consul fires with false). */
  readonly coalesce: boolean;
}

export interface Membership {
  /**
   * This agent as a member of the pool, with its current tags. Available before `start` (then
   * with the status it will join with); never throws.
   */
  localMember(): Member;
  /**
   * Every member this agent knows of, itself included, in a stable order (by name). Left and
   * failed members stay listed until reaped. Returns a fresh array the caller may keep.
   */
  members(): Member[];
  /**
   * Replaces this agent's tags (serf's SetTags): the local member shows them at once and the
   * pool is told with an `update` event. Tags are strings; the caller owns the object it passed
   * (it is copied). Never throws for a running or stopped membership.
   */
  setTags(tags: Readonly<Record<string, string>>): void;
  /**
   * Calls `listener` for every member event from now on, synchronously and in order, until the
   * returned function is called. A listener that throws does not stop the others or the
   * membership (the implementation logs it). Events already past are not replayed: read
   * `members()` after subscribing.
   */
  onEvent(listener: (e: MemberEvent) => void): () => void;
  /**
   * Broadcasts a user event to every member of the pool, this agent included (serf's
   * UserEvent). Rejects with EVENT_REJECTED when name and payload together exceed the pool's user
   * event size limit, SHUTDOWN once closed.
   */
  userEvent(name: string, payload: Uint8Array, coalesce: boolean): Promise<void>;
  /**
   * Calls `listener` for every user event delivered to this agent from now on (each once, in
   * delivery order) until the returned function is called. A listener that throws is logged.
   */
  onUserEvent(listener: (e: PoolUserEvent) => void): () => void;
  /**
   * Joins the pool through the agents at `addresses` (`host` or `host:port`; the default port is
   * the serf LAN port). Resolves with how many of them were contacted; rejects with JOIN_FAILED
   * (the message says which addresses failed and why) when none was. `replay`: whether user
   * events sent before the join are delivered (Consul joins with false).
   */
  join(addresses: readonly string[], replay: boolean): Promise<number>;
  /**
   * Leaves the pool gracefully (serf's Leave): the pool is told this agent is leaving and, once
   * the intent has spread (or the leave propagation time has passed), sees it as `left`. After a
   * leave the membership can only be closed. Idempotent.
   */
  leave(): Promise<void>;
  /**
   * Forces a failed (or, with `prune`, a left) member out of the pool (serf's
   * RemoveFailedNode/RemoveFailedNodePrune): it is marked left at once and, with `prune`,
   * forgotten (reaped) instead of kept until the tombstone timeout. Rejects with NOT_FOUND when
   * no member has that name.
   */
  forceLeave(node: string, prune: boolean): Promise<void>;
  /**
   * Carries out a keyring operation across the pool (serf's KeyManager queries) and resolves
   * with every member's answer. `key` (base64) is required for install, use and remove.
   * `relayFactor` (0–5) asks that many other members to relay each answer; `localOnly` (list
   * only) answers from this agent's own keyring without asking the pool. Rejects with
   * BAD_REQUEST for a key that is not base64 of 16, 24 or 32 bytes, and with NOT_IMPLEMENTED
   * when the pool is not encrypted (Consul: "keyring is not enabled").
   */
  keyring(operation: KeyringOperation, key?: string, opts?: { relayFactor?: number; localOnly?: boolean }): Promise<KeyringResult>;
  /**
   * This agent's network coordinate (serf's GetCoordinate), or undefined when coordinates are
   * disabled or the membership computes none. A fresh copy.
   */
  coordinate(): NetworkCoordinate | undefined;
  /** Joins the pool (a `join` event for this agent). Rejects if the pool cannot be joined. Idempotent. */
  start(): Promise<void>;
  /** Leaves the pool gracefully (a `leave` event for this agent) and releases its resources. Idempotent. */
  close(): Promise<void>;
}
