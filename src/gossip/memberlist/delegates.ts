/** The hooks a layer above memberlist (serf) plugs in: memberlist's Delegate, EventDelegate and PingDelegate. */
import type { Member } from './member.js';

/** memberlist's Delegate + PingDelegate. Every method is optional. */
export interface MemberlistDelegate {
  /** This node's meta (at most `limit` bytes; serf puts its encoded tags here). */
  nodeMeta?(limit: number): Uint8Array;
  /** A user message arrived (packet or stream). */
  notifyMsg?(msg: Uint8Array): void;
  /** User broadcasts to piggy-back, each costing `overhead` bytes more, within `limit` bytes total. */
  getBroadcasts?(overhead: number, limit: number): Uint8Array[];
  /** The user state sent in a push/pull. */
  localState?(join: boolean): Uint8Array;
  /** The peer's user state received in a push/pull. */
  mergeRemoteState?(buf: Uint8Array, join: boolean): void;
  /** The payload of our acks (serf: its network coordinate). */
  ackPayload?(): Uint8Array;
  /** A probe of `node` completed after `rttMs` with the ack's payload. */
  notifyPingComplete?(node: Member, rttMs: number, payload: Uint8Array | null): void;
  /** memberlist's ConflictDelegate: `other` claims the name of the live member `existing` from another address (the alive message is ignored). */
  notifyConflict?(existing: Member, other: Member): void;
}

/** memberlist's EventDelegate. */
export interface MemberlistEvents {
  /** A node became alive (joined, or came back from dead/left). */
  onJoin?(node: Member): void;
  /** A node was declared dead or left. */
  onLeave?(node: Member): void;
  /** A node's meta changed. */
  onUpdate?(node: Member): void;
}
