import type { UserEvent, UserEventParams } from '../model/event.js';
import type { QueryOptions, RequestContext } from '../model/query.js';

/** The events of /v1/event/list and the blocking index Consul derives from the newest one. */
export interface EventList {
  readonly events: UserEvent[];
  /**
   * Consul's event index: the newest listed event's UUID folded into 64 bits (its two halves
   * XORed), as a decimal string (it may exceed 2^53); '1' when nothing is listed. Not monotonic:
   * a blocking list waits only while it equals the `?index` given.
   */
  readonly index: string;
}

/**
 * User events (/v1/event/fire, /v1/event/list, `sextant event`): fired through a server into
 * the LAN pool's gossip, kept by every agent whose filters they pass in a ring of the 256 most
 * recent (Consul's eventBuf).
 */
export interface EventService {
  /**
   * Fires an event to the pool. Rejects with EVENT_REJECTED (HTTP 500, as Consul) in Consul's texts
   * (`User event missing name`, `Cannot provide tag filter without service filter`, `Invalid
   * node filter: …`); resolves with the event as fired (LTime 0).
   */
  fire(params: UserEventParams, ctx?: RequestContext): Promise<UserEvent>;
  /**
   * The events this agent has seen, oldest first, optionally only those named `name`. With
   * `opts.minIndex` > 0 it waits (up to `opts.waitMs`, or until `opts.signal` aborts) while the
   * index equals `opts.minIndex`, as Consul's EventList does.
   */
  list(name: string, opts: QueryOptions): Promise<EventList>;
}
