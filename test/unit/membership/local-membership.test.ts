import { describe, expect, it } from 'vitest';
import type { MemberEvent } from '../../../contracts/ports/membership.js';
import type { RuntimeConfig } from '../../../contracts/runtime-config.js';
import type { Member } from '../../../contracts/services/agent-service.js';
import { createHooks } from '../../../src/kernel/hooks.js';
import { LocalMembership } from '../../../src/testing/local-membership.js';
import { wireMemberHooks } from '../../../src/membership/member-hooks.js';
import { memberTags } from '../../../src/membership/member-tags.js';
import { SilentLogger } from '../../../src/testing/silent-logger.js';
import { testConfig } from '../surface-rest/fakes.js';

function setup(overrides: Partial<RuntimeConfig> = {}) {
  let config = testConfig({ nodeName: 'node-a', nodeId: '11111111-2222-3333-4444-555555555555', advertiseAddr: '10.0.0.5', server: true, bootstrap: true, ...overrides });
  const logger = new SilentLogger();
  const membership = new LocalMembership({
    identity: () => ({ name: config.nodeName, addr: config.advertiseAddr, port: config.ports.serfLan }),
    tags: memberTags(config, '1.2.3'),
    logger,
  });
  const events: MemberEvent[] = [];
  membership.onEvent((e) => events.push(e));
  return { membership, events, logger, config: () => config, setConfig: (c: RuntimeConfig) => (config = c) };
}

describe('LocalMembership (the single-agent pool: this agent, alive)', () => {
  it('lists this agent alone, alive, with Consul\'s tags for a server', async () => {
    const { membership, config } = setup();
    await membership.start();
    const c = config();
    expect(membership.members()).toEqual([membership.localMember()]);
    expect(membership.localMember()).toEqual({
      Name: 'node-a',
      Addr: '10.0.0.5',
      Port: c.ports.serfLan,
      Tags: {
        build: '1.2.3:sextant', dc: 'dc1', id: '11111111-2222-3333-4444-555555555555', vsn: '2', vsn_min: '2', vsn_max: '3', raft_vsn: '3',
        role: 'consul', port: String(c.ports.server), expect: String(c.bootstrapExpect), bootstrap: '1',
      },
      Status: 1,
      ProtocolMin: 1, ProtocolMax: 5, ProtocolCur: 2, DelegateMin: 2, DelegateMax: 5, DelegateCur: 4,
    });
  });

  it('a client is role=node without server tags', () => {
    const { membership } = setup({ server: false, bootstrap: false });
    const tags = membership.localMember().Tags;
    expect(tags['role']).toBe('node');
    expect(tags).not.toHaveProperty('port');
    expect(tags).not.toHaveProperty('bootstrap');
  });

  it('emits join for itself on start, update when its tags change, leave (status left) on close; each once', async () => {
    const { membership, events, config, setConfig } = setup();
    await membership.start();
    await membership.start();
    expect(events.map((e) => [e.type, e.members.map((m) => [m.Name, m.Status])])).toEqual([['join', [['node-a', 1]]]]);
    membership.setTags(memberTags(config(), '1.2.3'));
    expect(events).toHaveLength(1); // same tags: nothing to tell
    setConfig({ ...config(), datacenter: 'dc2' });
    membership.setTags(memberTags(config(), '1.2.3'));
    expect(events.at(-1)).toMatchObject({ type: 'update', members: [{ Name: 'node-a', Tags: { dc: 'dc2' } }] });
    expect(membership.localMember().Tags['dc']).toBe('dc2');
    await membership.close();
    await membership.close();
    expect(events.map((e) => e.type)).toEqual(['join', 'update', 'leave']);
    expect(events.at(-1)!.members[0]!.Status).toBe(3);
    expect(membership.localMember().Status).toBe(3);
  });

  it('a listener that throws is logged and the others still hear the event; unsubscribing stops delivery', async () => {
    const { membership, events, logger } = setup();
    const off = membership.onEvent(() => {
      throw new Error('bad listener');
    });
    await membership.start();
    expect(events.map((e) => e.type)).toEqual(['join']);
    expect(logger.lines.some((l) => l.startsWith('ERROR') && l.includes('member event listener failed'))).toBe(true);
    off();
    const heard: string[] = [];
    const off2 = membership.onEvent((e) => heard.push(e.type));
    off2();
    await membership.close();
    expect(heard).toEqual([]);
  });
});

describe('member hooks fire from Membership events', () => {
  it('join → memberJoined, failed → memberFailed, leave → memberLeft, per member; update and reap fire nothing; a throwing tap is logged', () => {
    const hooks = createHooks();
    const calls: string[] = [];
    hooks.memberJoined.tap('t', (m) => calls.push(`joined ${m.Name}`));
    hooks.memberFailed.tap('t', (m) => calls.push(`failed ${m.Name}`));
    hooks.memberLeft.tap('t', (m) => {
      calls.push(`left ${m.Name}`);
      if (m.Name === 'boom') throw new Error('tap broke');
    });
    let emit: (e: MemberEvent) => void = () => {};
    const logger = new SilentLogger();
    const off = wireMemberHooks({ onEvent: (fn) => ((emit = fn), () => (emit = () => {})) }, hooks, logger);
    const m = (Name: string, Status: number): Member => ({ Name, Addr: '10.0.0.9', Port: 8301, Tags: {}, Status, ProtocolMin: 1, ProtocolMax: 5, ProtocolCur: 2, DelegateMin: 2, DelegateMax: 5, DelegateCur: 4 });
    emit({ type: 'join', members: [m('a', 1), m('b', 1)] });
    emit({ type: 'failed', members: [m('a', 4)] });
    emit({ type: 'update', members: [m('b', 1)] });
    expect(() => emit({ type: 'leave', members: [m('boom', 3), m('b', 3)] })).not.toThrow();
    emit({ type: 'reap', members: [m('a', 4)] });
    expect(calls).toEqual(['joined a', 'joined b', 'failed a', 'left boom', 'left b']);
    expect(logger.lines.filter((l) => l.startsWith('ERROR'))).toEqual([expect.stringContaining('a member leave tap failed')]);
    off();
    emit({ type: 'join', members: [m('c', 1)] });
    expect(calls).toHaveLength(5);
  });

  it('a LocalMembership fires memberJoined on start and memberLeft on close for this agent', async () => {
    const { membership } = setup();
    const hooks = createHooks();
    const calls: string[] = [];
    hooks.memberJoined.tap('t', (m) => calls.push(`joined ${m.Name} ${m.Status}`));
    hooks.memberLeft.tap('t', (m) => calls.push(`left ${m.Name} ${m.Status}`));
    wireMemberHooks(membership, hooks, new SilentLogger());
    await membership.start();
    await membership.close();
    expect(calls).toEqual(['joined node-a 1', 'left node-a 3']);
  });
});
