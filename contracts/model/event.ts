/**
 * A user event as Consul's /v1/event endpoints show it (agent/user_event.go UserEvent). Events
 * travel by gossip: each agent keeps the ones that passed its filters; there is no total order
 * and no delivery promise.
 */
export interface UserEvent {
  /** A random UUID, generated when the event is fired. */
  readonly ID: string;
  readonly Name: string;
  /** The opaque payload (the fire request's body); null when there was none. Base64 in JSON. */
  readonly Payload: Uint8Array | null;
  /** A regular expression on node names; '' for every node. */
  readonly NodeFilter: string;
  /** A regular expression on the names of the services an agent runs; '' for any. */
  readonly ServiceFilter: string;
  /** A regular expression on those services' tags (needs ServiceFilter); '' for any. */
  readonly TagFilter: string;
  /** The event format version (1). */
  readonly Version: number;
  /** The serf Lamport time it was delivered with (0 in the fire response). */
  readonly LTime: number;
}

/** What a user fires: a name, a payload and the filters of who should act on it. */
export interface UserEventParams {
  readonly name: string;
  readonly payload?: Uint8Array;
  readonly nodeFilter?: string;
  readonly serviceFilter?: string;
  readonly tagFilter?: string;
}
