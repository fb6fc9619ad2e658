import type { UserEvent, UserEventParams } from '../../contracts/model/event.js';
import type { QueryOptions, RequestContext } from '../../contracts/model/query.js';
import type { Clock, Logger, Random } from '../../contracts/platform.js';
import type { Membership, PoolUserEvent } from '../../contracts/ports/membership.js';
import type { EventList, EventService } from '../../contracts/services/event-service.js';
import { CONSUL_EVENT_PREFIX, USER_EVENT_VERSION, decodeUserEvent, encodeUserEvent, eventIndex } from './user-event-codec.js';
import { passesEventFilters, validateUserEventParams, type EventTarget } from './user-event-filter.js';

/** How many recent events an agent keeps (Consul's eventBuf of 256). */
export const USER_EVENT_BUFFER = 256;

/** What a UserEventLog is built from. */
export interface UserEventLogDeps {
  /** Where events arrive from (the LAN pool). */
  membership: Pick<Membership, 'onUserEvent'>;
  /** How an event is fired: Internal.EventFire through a server. */
  fire: (name: string, payload: Uint8Array, ctx?: RequestContext) => Promise<void>;
  /** This agent's node name and services, for the events' filters (read per event). */
  target: () => EventTarget;
  clock: Clock;
  random: Random;
  logger: Logger;
}

/**
 * The agent's user events (Consul's agent UserEvent / handleEvents / UserEvents): fires events
 * through a server into the pool, and keeps the `consul:event:` ones delivered to this agent that
 * pass its filters in a ring of the 256 most recent, which /v1/event/list reads and blocks on.
 */
export class UserEventLog implements EventService {
  private readonly ring: (UserEvent | undefined)[] = new Array<UserEvent | undefined>(USER_EVENT_BUFFER).fill(undefined);
  private next = 0;
  private readonly waiters = new Set<() => void>();
  private readonly off: () => void;

  constructor(private readonly deps: UserEventLogDeps) {
    this.off = deps.membership.onUserEvent((e) => this.deliver(e));
  }

  /** See EventService.fire: validated, given a UUID and version 1, encoded as Consul encodes it, fired through a server. */
  async fire(params: UserEventParams, ctx?: RequestContext): Promise<UserEvent> {
    validateUserEventParams(params);
    const event: UserEvent = {
      ID: this.deps.random.uuid(),
      Name: params.name,
      Payload: params.payload && params.payload.byteLength > 0 ? params.payload : null,
      NodeFilter: params.nodeFilter ?? '',
      ServiceFilter: params.serviceFilter ?? '',
      TagFilter: params.tagFilter ?? '',
      Version: USER_EVENT_VERSION,
      LTime: 0,
    };
    await this.deps.fire(event.Name, encodeUserEvent(event), ctx);
    return event;
  }

  /** See EventService.list. */
  async list(name: string, opts: QueryOptions): Promise<EventList> {
    const wanted = opts.minIndex > 0 ? opts.minIndex : undefined;
    const deadline = this.deps.clock.now() + opts.waitMs;
    for (;;) {
      const events = this.recent().filter((e) => !name || e.Name === name);
      const index = events.length === 0 ? '1' : eventIndex(events[events.length - 1]!.ID);
      // The index is not monotonic: wait only while it is exactly the one the client has.
      if (wanted === undefined || Number(index) !== wanted || opts.signal?.aborted) return { events, index };
      const left = deadline - this.deps.clock.now();
      if (left <= 0) return { events, index };
      await this.changeOrTimeout(left, opts.signal);
    }
  }

  /** Stops listening to the pool and releases blocked lists. */
  close(): void {
    this.off();
    for (const wake of [...this.waiters]) wake();
  }

  /** The kept events, oldest first. */
  private recent(): UserEvent[] {
    const out: UserEvent[] = [];
    for (let i = 0; i < USER_EVENT_BUFFER; i++) {
      const e = this.ring[(this.next + i) % USER_EVENT_BUFFER];
      if (e) out.push(e);
    }
    return out;
  }

  private deliver(pe: PoolUserEvent): void {
    if (!pe.name.startsWith(CONSUL_EVENT_PREFIX)) return;
    const e = decodeUserEvent(pe.payload, pe.ltime);
    const log = this.deps.logger;
    if (!e) {
      log.error('Failed to decode event', { event: pe.name });
      return;
    }
    if (e.Version > USER_EVENT_VERSION) log.warn(`Event version ${e.Version} may have unsupported features (${e.Name})`);
    if (!passesEventFilters(e, this.deps.target(), (text) => log.error(text))) return;
    log.debug('new event', { name: e.Name, id: e.ID });
    this.ring[this.next] = e;
    this.next = (this.next + 1) % USER_EVENT_BUFFER;
    for (const wake of [...this.waiters]) wake();
  }

  private changeOrTimeout(ms: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        this.waiters.delete(done);
        timer.cancel();
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = this.deps.clock.setTimeout(done, ms);
      this.waiters.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}
