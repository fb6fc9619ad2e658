import type { Membership } from '../../contracts/ports/membership.js';
import { CONSUL_EVENT_PREFIX } from '../events/user-event-codec.js';

/**
 * The server side of Consul's Internal endpoint (agent/consul/internal_endpoint.go) that this
 * agent has: EventFire hands a user event to the LAN pool's gossip. Any server may do it (the
 * request is stale-allowed), since gossip carries it to everyone anyway.
 */
export class InternalEndpoint {
  constructor(private readonly membership: Pick<Membership, 'userEvent'>) {}

  /** Broadcasts the encoded user event `payload` as `consul:event:<name>` (never coalesced, as Consul fires). */
  eventFire(name: string, payload: Uint8Array): Promise<void> {
    return this.membership.userEvent(CONSUL_EVENT_PREFIX + name, payload, false);
  }
}
