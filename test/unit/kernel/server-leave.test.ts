import { describe, expect, it } from 'vitest';
import { ErrorCode, SextantError } from '../../../contracts/errors.js';
import type { RaftPeer } from '../../../src/consensus/raft-api.js';
import { RAFT_REMOVE_GRACE_MS, serverLeave } from '../../../src/kernel/server-leave.js';
import { ManualClock } from '../../../src/testing/manual-clock.js';
import { SilentLogger } from '../../../src/testing/silent-logger.js';

const peer = (id: string, voter = true): RaftPeer => ({ id, address: `127.0.0.1:${id}`, voter });

function setup(opts: { leader: boolean; servers: RaftPeer[]; removeFails?: Error; removeCommits?: boolean; leaveFails?: Error; drainMs?: number }) {
  const clock = new ManualClock();
  const logger = new SilentLogger();
  const steps: string[] = [];
  let servers = opts.servers;
  const raft = {
    isLeader: () => opts.leader,
    configuration: () => servers,
    removeServer: async (id: string) => {
      steps.push(`remove ${id}`);
      if (opts.removeCommits) servers = servers.filter((s) => s.id !== id);
      if (opts.removeFails) throw opts.removeFails;
      servers = servers.filter((s) => s.id !== id);
    },
  };
  const membership = {
    leave: async () => {
      steps.push('leave pool');
      if (opts.leaveFails) throw opts.leaveFails;
    },
  };
  const removeByLeader = (id: string) => (servers = servers.filter((s) => s.id !== id));
  const done = { value: false };
  const startLeaving = () => steps.push('refuse RPCs');
  // leave_drain_time is 0 unless a test is about it.
  const run = () => serverLeave({ raft, membership, selfId: 'a', clock, logger, startLeaving, drainMs: opts.drainMs ?? 0 }).then(() => (done.value = true));
  return { clock, logger, steps, run, done, removeByLeader, logs: () => logger.lines.join('\n') };
}

/** Lets pending promise callbacks run. */
const flush = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

describe('serverLeave (Consul Server.Leave)', () => {
  it('a leader with other voters removes itself from Raft first, then leaves the pool, without waiting', async () => {
    const h = setup({ leader: true, servers: [peer('a'), peer('b'), peer('c')] });
    await h.run();
    expect(h.steps).toEqual(['remove a', 'leave pool', 'refuse RPCs']);
    expect(h.logs()).toContain('server starting leave');
    expect(h.logs()).not.toContain('failed');
  });

  it('a lone leader (single voter) does not remove itself', async () => {
    const h = setup({ leader: true, servers: [peer('a'), peer('n', false)] });
    await h.run();
    expect(h.steps).toEqual(['leave pool', 'refuse RPCs']);
  });

  it('a leader whose own removal ends in lost leadership but did commit logs no error', async () => {
    const lost = new SextantError(ErrorCode.LeadershipLost, 'leadership lost');
    const h = setup({ leader: true, servers: [peer('a'), peer('b')], removeFails: lost, removeCommits: true });
    await h.run();
    expect(h.logs()).not.toContain('failed to remove ourself as a Raft peer');
    expect(h.steps).toEqual(['remove a', 'leave pool', 'refuse RPCs']);
  });

  it('a leader whose removal fails logs Consul\'s error and still leaves the pool', async () => {
    const h = setup({ leader: true, servers: [peer('a'), peer('b')], removeFails: new SextantError(ErrorCode.NotLeader, 'not the leader') });
    await h.run();
    expect(h.logs()).toContain('failed to remove ourself as a Raft peer');
    expect(h.steps).toEqual(['remove a', 'leave pool', 'refuse RPCs']);
  });

  it("after leaving the pool refuses forwarded RPCs and waits leave_drain_time (Consul's 5 s by default) before going on", async () => {
    const h = setup({ leader: true, servers: [peer('a'), peer('b')], drainMs: 5_000 });
    void h.run();
    await flush();
    expect(h.steps).toEqual(['remove a', 'leave pool', 'refuse RPCs']);
    expect(h.logs()).toContain('Waiting to drain RPC traffic');
    h.clock.advance(4_999);
    await flush();
    expect(h.done.value).toBe(false);
    h.clock.advance(1);
    await flush();
    expect(h.done.value).toBe(true);
  });

  it('a follower leaves the pool, then returns once the leader has removed it', async () => {
    const h = setup({ leader: false, servers: [peer('a'), peer('b'), peer('c')] });
    void h.run();
    await flush();
    expect(h.steps).toEqual(['leave pool', 'refuse RPCs']);
    h.clock.advance(1_000);
    await flush();
    expect(h.done.value).toBe(false);
    h.removeByLeader('a');
    h.clock.advance(50);
    await flush();
    expect(h.done.value).toBe(true);
    expect(h.logs()).not.toContain('failed to leave raft configuration gracefully');
  });

  it('a follower never removed gives up after the raft remove grace period (5 s) with Consul\'s warning', async () => {
    const h = setup({ leader: false, servers: [peer('a'), peer('b'), peer('c')] });
    void h.run();
    await flush();
    for (let t = 0; t < RAFT_REMOVE_GRACE_MS - 100; t += 50) {
      h.clock.advance(50);
      await flush();
    }
    expect(h.done.value).toBe(false);
    for (let t = 0; t < 200; t += 50) {
      h.clock.advance(50);
      await flush();
    }
    expect(h.done.value).toBe(true);
    expect(h.logs()).toContain('failed to leave raft configuration gracefully, timeout');
  });

  it('a failed pool leave is logged and the leave goes on', async () => {
    const h = setup({ leader: true, servers: [peer('a')], leaveFails: new Error('boom') });
    await h.run();
    expect(h.logs()).toContain('failed to leave LAN Serf cluster');
  });
});
