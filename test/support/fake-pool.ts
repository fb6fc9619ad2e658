import type { MemberEvent } from '../../contracts/ports/membership.js';
import type { Member } from '../../contracts/services/agent-service.js';

/** A member as gossip reports it (Consul's /v1/agent/members shape). */
export function poolMember(name: string, addr: string, status: number, tags: Record<string, string>): Member {
  return { Name: name, Addr: addr, Port: 8301, Tags: tags, Status: status, ProtocolMin: 1, ProtocolMax: 5, ProtocolCur: 2, DelegateMin: 2, DelegateMax: 5, DelegateCur: 4 };
}

/** A server's tags as memberTags writes them. */
export function serverMemberTags(id: string, port: number, extra: Record<string, string> = {}): Record<string, string> {
  return { role: 'consul', dc: 'dc1', id, port: String(port), expect: '3', build: '1.2.3:sextant', raft_vsn: '3', vsn: '2', ...extra };
}

/** A pool the test controls: members() and events, as gossip would report them. */
export class FakePool {
  list: Member[] = [];
  private readonly listeners = new Set<(e: MemberEvent) => void>();
  members(): Member[] {
    return [...this.list];
  }
  onEvent(fn: (e: MemberEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
  /** Applies the event to the list (a reap removes) and tells the listeners. */
  emit(e: MemberEvent): void {
    for (const m of e.members) this.list = [...this.list.filter((x) => x.Name !== m.Name), ...(e.type === 'reap' ? [] : [m])];
    for (const fn of [...this.listeners]) fn(e);
  }
}
