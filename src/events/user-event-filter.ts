import { ErrorCode, SextantError } from '../../contracts/errors.js';
import type { UserEvent, UserEventParams } from '../../contracts/model/event.js';

/** What an agent matches an event's filters against: its node name and its services' names and tags. */
export interface EventTarget {
  readonly nodeName: string;
  /** The agent's own services: name and tags. */
  readonly services: readonly { readonly name: string; readonly tags: readonly string[] }[];
}

/**
 * Consul's validateUserEventParams: a name, no tag filter without a service filter, and filters
 * that compile. Throws EVENT_REJECTED with Consul's texts.
 */
export function validateUserEventParams(p: UserEventParams): void {
  if (!p.name) throw new SextantError(ErrorCode.EventRejected, 'User event missing name');
  if (p.tagFilter && !p.serviceFilter) throw new SextantError(ErrorCode.EventRejected, 'Cannot provide tag filter without service filter');
  for (const [what, expr] of [['node', p.nodeFilter], ['service', p.serviceFilter], ['tag', p.tagFilter]] as const) {
    if (!expr) continue;
    try {
      new RegExp(expr);
    } catch (e) {
      throw new SextantError(ErrorCode.EventRejected, `Invalid ${what} filter: ${(e as Error).message}`);
    }
  }
}

/**
 * Consul's shouldProcessUserEvent: whether this agent keeps `e` — its node name matches the node
 * filter, and one of its services matches the service filter (and, when given, one of that
 * service's tags the tag filter). Filters match anywhere in the text, as Go's MatchString. A
 * filter that does not compile drops the event; `problem` says why.
 */
export function passesEventFilters(e: UserEvent, target: EventTarget, problem: (text: string) => void): boolean {
  const compile = (what: string, expr: string): RegExp | undefined => {
    try {
      return new RegExp(expr);
    } catch (err) {
      problem(`Failed to parse ${what} filter '${expr}' for event '${e.Name}': ${(err as Error).message}`);
      return undefined;
    }
  };
  if (e.NodeFilter) {
    const re = compile('node', e.NodeFilter);
    if (!re || !re.test(target.nodeName)) return false;
  }
  if (!e.ServiceFilter) return true;
  const svc = compile('service', e.ServiceFilter);
  if (!svc) return false;
  const tag = e.TagFilter ? compile('tag', e.TagFilter) : undefined;
  if (e.TagFilter && !tag) return false;
  return target.services.some((s) => svc.test(s.name) && (!tag || s.tags.some((t) => tag.test(t))));
}
