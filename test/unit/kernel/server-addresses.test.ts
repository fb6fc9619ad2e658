import { describe, expect, it } from 'vitest';
import { MemberStatus, type MemberEvent } from '../../../contracts/ports/membership.js';
import type { Member } from '../../../contracts/services/agent-service.js';
import { serverAddresses } from '../../../src/kernel/start-membership.js';

function member(name: string, addr: string, tags: Record<string, string>, status: number = MemberStatus.Alive): Member {
  return { Name: name, Addr: addr, Port: 8301, Tags: tags, Status: status, ProtocolMin: 1, ProtocolMax: 5, ProtocolCur: 2, DelegateMin: 2, DelegateMax: 5, DelegateCur: 4 };
}

/** A pool whose members the test sets, counting how often they are listed. */
class Pool {
  members: Member[] = [];
  listed = 0;
  private listeners: ((e: MemberEvent) => void)[] = [];
  readonly membership = {
    members: (): Member[] => {
      this.listed++;
      return this.members.map((m) => ({ ...m, Tags: { ...m.Tags } }));
    },
    onEvent: (fn: (e: MemberEvent) => void): (() => void) => {
      this.listeners.push(fn);
      return () => undefined;
    },
  };
  event(type: MemberEvent['type'], m: Member): void {
    for (const fn of this.listeners) fn({ type, members: [m] });
  }
}

const server = (name: string, addr: string, dc = 'dc1', status: number = MemberStatus.Alive): Member =>
  member(name, addr, { role: 'consul', dc, port: '8300' }, status);

describe('serverAddresses (a client agent’s servers, from the LAN pool)', () => {
  it('lists the alive servers of its datacenter and lists the pool again only after a member event', () => {
    const pool = new Pool();
    pool.members = [server('s1', '10.0.0.1'), server('s2', '10.0.0.2'), server('s3', '10.0.0.3', 'dc2'), member('c1', '10.0.0.9', { role: 'node', dc: 'dc1' })];
    const servers = serverAddresses(pool.membership, () => 'dc1');
    const first = servers();
    expect(first).toEqual(['10.0.0.1:8300', '10.0.0.2:8300']);
    for (let i = 0; i < 100; i++) expect(servers()).toBe(first);
    expect(pool.listed).toBe(1);

    pool.members[1] = server('s2', '10.0.0.2', 'dc1', MemberStatus.Failed);
    pool.event('failed', pool.members[1]!);
    expect(servers()).toEqual(['10.0.0.1:8300']);
    pool.members.push(server('s4', 'fd00::4'));
    pool.event('join', pool.members[4]!);
    expect(servers()).toEqual(['10.0.0.1:8300', '[fd00::4]:8300']);
    expect(pool.listed).toBe(3);
  });

  it('follows a change of datacenter without an event', () => {
    const pool = new Pool();
    pool.members = [server('s1', '10.0.0.1'), server('s3', '10.0.0.3', 'dc2')];
    let dc = 'dc1';
    const servers = serverAddresses(pool.membership, () => dc);
    expect(servers()).toEqual(['10.0.0.1:8300']);
    dc = 'dc2';
    expect(servers()).toEqual(['10.0.0.3:8300']);
  });
});
