import type { AgentHooks } from '../../contracts/hooks.js';
import type { Logger } from '../../contracts/platform.js';
import type { Membership } from '../../contracts/ports/membership.js';

/**
 * Fires the member hooks from a Membership's events, as Consul's agent hands serf events to
 * its handlers: `join` → memberJoined, `failed` → memberFailed, `leave` → memberLeft, once per
 * member. `update` and `reap` fire nothing (the member was already reported). A tap that throws
 * is logged and never breaks the membership or the other members' calls. Returns the
 * unsubscribe function.
 */
export function wireMemberHooks(membership: Pick<Membership, 'onEvent'>, hooks: Pick<AgentHooks, 'memberJoined' | 'memberFailed' | 'memberLeft'>, logger: Logger): () => void {
  return membership.onEvent((e) => {
    const hook = e.type === 'join' ? hooks.memberJoined : e.type === 'failed' ? hooks.memberFailed : e.type === 'leave' ? hooks.memberLeft : undefined;
    if (!hook) return;
    for (const m of e.members) {
      try {
        hook.call(m);
      } catch (err) {
        logger.error(`a member ${e.type} tap failed`, { member: m.Name, error: err });
      }
    }
  });
}
