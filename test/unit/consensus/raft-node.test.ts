import { describe, expect, it } from 'vitest';
import { RaftNode, type RaftNodeOptions } from '../../../src/consensus/raft-node.js';
import { encodeConfiguration } from '../../../src/consensus/raft-configuration.js';
import type { RaftMessage } from '../../../src/consensus/raft-message.js';
import type { Ready } from '../../../src/consensus/raft-ready.js';
import { SeededRandom } from '../../../src/testing/seeded-random.js';
import { LogEntryType, type LogEntry } from '../../../contracts/ports/log-store.js';

const cfg = (ids: string[]): LogEntry => ({
  index: 1,
  term: 1,
  type: LogEntryType.Configuration,
  data: encodeConfiguration({ servers: ids.map((id) => ({ id, address: id, voter: true })) }),
});
const cmd = (index: number, term: number, v = `v${index}`): LogEntry => ({ index, term, type: LogEntryType.Command, data: new TextEncoder().encode(v) });

function mk(id: string, ids: string[], extra: LogEntry[] = [], opts: Partial<RaftNodeOptions> = {}): RaftNode {
  return new RaftNode({
    id,
    electionTicks: 10,
    heartbeatTicks: 1,
    random: new SeededRandom(id.charCodeAt(1)),
    hardState: { currentTerm: Math.max(1, ...extra.map((e) => e.term)), votedFor: '' },
    entries: [cfg(ids), ...extra],
    ...opts,
  });
}

/** A lossless in-test network of cores: persists (advance) and delivers until quiet. */
class Net {
  readonly nodes = new Map<string, RaftNode>();
  readonly cut = new Set<string>();
  readonly sent: RaftMessage[] = [];
  readonly readies = new Map<string, Ready[]>();
  constructor(nodes: RaftNode[]) {
    for (const n of nodes) this.nodes.set(n.id, n);
  }
  node(id: string): RaftNode {
    return this.nodes.get(id)!;
  }
  stabilize(max = 1000): void {
    for (let i = 0; i < max; i++) {
      const msgs: RaftMessage[] = [];
      for (const n of this.nodes.values()) {
        if (!n.hasReady()) continue;
        const rd = n.ready();
        (this.readies.get(n.id) ?? this.readies.set(n.id, []).get(n.id)!).push(rd);
        msgs.push(...rd.messages);
        n.advance(rd);
      }
      if (msgs.length === 0) return;
      for (const m of msgs) {
        this.sent.push(m);
        if (this.cut.has(m.from) || this.cut.has(m.to)) continue;
        this.nodes.get(m.to)?.step(m);
      }
    }
  }
  tick(id: string, n = 1): void {
    for (let i = 0; i < n; i++) {
      this.node(id).tick();
      this.stabilize();
    }
  }
  tickAll(n: number): void {
    for (let i = 0; i < n; i++) {
      for (const node of this.nodes.values()) node.tick();
      this.stabilize();
    }
  }
}

const three = (): Net => new Net(['n1', 'n2', 'n3'].map((id) => mk(id, ['n1', 'n2', 'n3'])));

function elect(net: Net, id: string): void {
  net.node(id).campaign();
  net.stabilize();
}

describe('RaftNode election (§5.2, §9.6 pre-vote, §4.2.3 stickiness)', () => {
  it('elects a campaigning server and appends a no-op of its term', () => {
    const net = three();
    elect(net, 'n1');
    expect(net.node('n1').currentRole()).toBe('leader');
    expect(net.node('n1').currentTerm()).toBe(2);
    for (const id of ['n2', 'n3']) expect(net.node(id).leaderId()).toBe('n1');
    const noop = net.node('n1').entries(2, 2)[0]!;
    expect(noop.type).toBe(LogEntryType.Noop);
    expect(noop.term).toBe(2);
    expect(net.node('n3').commitIndex()).toBe(2);
  });

  it('elects someone through election timeouts alone', () => {
    const net = three();
    net.tickAll(40);
    const leaders = [...net.nodes.values()].filter((n) => n.currentRole() === 'leader');
    expect(leaders).toHaveLength(1);
  });

  it('grants a vote only to logs at least as up to date: last term first, then last index', () => {
    const voter = (): RaftNode => mk('n1', ['n1', 'n2', 'n3'], [cmd(2, 2), cmd(3, 3), cmd(4, 3)]);
    const ask = (lastIndex: number, lastTerm: number): boolean => {
      const n = voter();
      n.step({ type: 'vote', from: 'n2', to: 'n1', term: 5, lastIndex, lastTerm });
      const resp = n.ready().messages.find((m) => m.type === 'voteResp');
      return resp?.type === 'voteResp' && !resp.reject;
    };
    expect(ask(10, 2)).toBe(false); // longer log, older last term
    expect(ask(3, 3)).toBe(false); // same last term, shorter
    expect(ask(4, 3)).toBe(true); // identical
    expect(ask(2, 4)).toBe(true); // newer last term wins even if shorter
  });

  it('votes at most once per term and persists the vote before answering', () => {
    const n = mk('n1', ['n1', 'n2', 'n3']);
    n.step({ type: 'vote', from: 'n2', to: 'n1', term: 5, lastIndex: 1, lastTerm: 1 });
    n.step({ type: 'vote', from: 'n3', to: 'n1', term: 5, lastIndex: 1, lastTerm: 1 });
    const rd = n.ready();
    expect(rd.hardState).toEqual({ currentTerm: 5, votedFor: 'n2' });
    const resps = rd.messages.filter((m) => m.type === 'voteResp');
    expect(resps.map((m) => [m.to, m.type === 'voteResp' && m.reject])).toEqual([
      ['n2', false],
      ['n3', true],
    ]);
  });

  it('a partitioned server cannot raise its term with pre-vote and does not disrupt the leader on return', () => {
    const net = three();
    elect(net, 'n1');
    net.cut.add('n3');
    net.tick('n3', 100);
    expect(net.node('n3').currentTerm()).toBe(2); // pre-votes failed: no term inflation
    net.cut.clear();
    net.tickAll(5);
    expect(net.node('n1').currentRole()).toBe('leader');
    expect(net.node('n1').currentTerm()).toBe(2);
    expect(net.node('n3').leaderId()).toBe('n1');
  });

  it('ignores vote requests while hearing from a live leader (leader stickiness)', () => {
    const net = three();
    elect(net, 'n1');
    const f = net.node('n2');
    f.step({ type: 'vote', from: 'n3', to: 'n2', term: 9, lastIndex: 100, lastTerm: 9 });
    expect(f.currentTerm()).toBe(2);
    expect(f.leaderId()).toBe('n1');
  });

  it('a leader that loses contact with its quorum steps down (check-quorum)', () => {
    const net = three();
    elect(net, 'n1');
    net.cut.add('n1');
    net.tick('n1', 25);
    expect(net.node('n1').currentRole()).toBe('follower');
  });
});

describe('RaftNode log replication (§5.3)', () => {
  it('rejects AppendEntries whose prevIndex term does not match, with a conflict hint', () => {
    const n = mk('n2', ['n1', 'n2', 'n3'], [cmd(2, 1), cmd(3, 2)]);
    n.step({ type: 'append', from: 'n1', to: 'n2', term: 4, prevIndex: 3, prevTerm: 3, entries: [cmd(4, 4)], commit: 0 });
    const resp = n.ready().messages[0]!;
    expect(resp).toMatchObject({ type: 'appendResp', reject: true, index: 3, hintIndex: 3, hintTerm: 2 });
    expect(n.lastIndex()).toBe(3);
  });

  it('truncates only at a real conflict and never drops matching entries', () => {
    const n = mk('n2', ['n1', 'n2', 'n3'], [cmd(2, 1), cmd(3, 2), cmd(4, 2)]);
    // a stale, shorter append that matches must not truncate entry 4
    n.step({ type: 'append', from: 'n1', to: 'n2', term: 2, prevIndex: 2, prevTerm: 1, entries: [cmd(3, 2)], commit: 0 });
    let rd = n.ready();
    n.advance(rd);
    expect(n.lastIndex()).toBe(4);
    expect(rd.truncateFrom).toBeUndefined();
    // a conflicting entry at 3 from a newer leader replaces 3 and 4
    n.step({ type: 'append', from: 'n3', to: 'n2', term: 3, prevIndex: 2, prevTerm: 1, entries: [cmd(3, 3, 'new')], commit: 0 });
    rd = n.ready();
    expect(rd.truncateFrom).toBe(3);
    expect(rd.entries.map((e) => [e.index, e.term])).toEqual([[3, 3]]);
    expect(n.lastIndex()).toBe(3);
  });

  it('commits only entries of the current term by counting replicas (Figure 8)', () => {
    // n1 holds an uncommitted entry from term 2; followers hold only the bootstrap entry
    const n1 = mk('n1', ['n1', 'n2', 'n3'], [cmd(2, 2)]);
    n1.campaign();
    n1.step({ type: 'preVoteResp', from: 'n2', to: 'n1', term: 3, reject: false });
    n1.step({ type: 'voteResp', from: 'n2', to: 'n1', term: 3, reject: false });
    expect(n1.currentRole()).toBe('leader');
    const rd = n1.ready();
    n1.advance(rd); // own log durable: [1:t1, 2:t2, 3:t3 noop]
    n1.step({ type: 'appendResp', from: 'n2', to: 'n1', term: 3, reject: false, index: 2, hintIndex: 0, hintTerm: 0 });
    expect(n1.commitIndex()).toBe(0); // entry 2 is on a majority but from term 2: not committed
    n1.step({ type: 'appendResp', from: 'n2', to: 'n1', term: 3, reject: false, index: 3, hintIndex: 0, hintTerm: 0 });
    expect(n1.commitIndex()).toBe(3); // the term-3 no-op commits, and entry 2 with it
  });

  it('repairs a divergent follower log with few round trips (fast backtracking)', () => {
    const ids = ['n1', 'n2', 'n3'];
    const leaderLog = Array.from({ length: 50 }, (_, i) => cmd(i + 2, 2));
    const stale = [...leaderLog.slice(0, 10), ...Array.from({ length: 70 }, (_, i) => cmd(i + 12, 3))];
    const net = new Net([mk('n1', ids, leaderLog, { hardState: { currentTerm: 4, votedFor: '' } }), mk('n2', ids, leaderLog), mk('n3', ids, stale)]);
    elect(net, 'n1');
    net.tickAll(3);
    expect(net.node('n3').lastIndex()).toBe(net.node('n1').lastIndex());
    expect(net.node('n3').entries(1, 100).map((e) => e.term)).toEqual(net.node('n1').entries(1, 100).map((e) => e.term));
    const rejections = net.sent.filter((m) => m.type === 'appendResp' && m.from === 'n3' && m.reject).length;
    expect(rejections).toBeLessThanOrEqual(3);
  });
});

describe('RaftNode snapshots (§7) and ReadIndex (§6.4)', () => {
  it('sends InstallSnapshot to a follower whose next entries were compacted', () => {
    const ids = ['n1', 'n2', 'n3'];
    const net = three();
    elect(net, 'n1');
    net.cut.add('n3');
    const l = net.node('n1');
    for (let i = 0; i < 20; i++) l.propose(new TextEncoder().encode(`x${i}`));
    net.stabilize();
    const at = l.appliedIndex();
    const snap = { meta: { lastIndex: at, lastTerm: l.termAt(at)!, configuration: encodeConfiguration({ servers: ids.map((id) => ({ id, address: id, voter: true })) }) }, data: new Uint8Array([7]) };
    l.compact(snap, at - 2);
    net.cut.clear();
    net.tickAll(3);
    const f = net.node('n3');
    const installed = net.readies.get('n3')!.find((r) => r.snapshot);
    expect(installed?.snapshot?.meta.lastIndex).toBe(at);
    expect(f.firstIndex()).toBe(at + 1);
    expect(f.commitIndex()).toBe(l.commitIndex());
    expect(l.matchIndex('n3')).toBe(l.lastIndex());
  });

  it('confirms a read with a quorum heartbeat round, and fails it when leadership is lost', () => {
    const net = three();
    elect(net, 'n1');
    const l = net.node('n1');
    l.readIndex('r1');
    net.stabilize();
    const states = net.readies.get('n1')!.flatMap((r) => r.readStates);
    expect(states).toEqual([{ id: 'r1', index: l.commitIndex() }]);

    net.cut.add('n1');
    l.readIndex('r2');
    net.stabilize();
    expect(net.readies.get('n1')!.flatMap((r) => r.readStates).map((s) => s.id)).toEqual(['r1']);
    net.tick('n1', 25); // check-quorum steps down
    expect(net.readies.get('n1')!.flatMap((r) => r.failedReads)).toEqual(['r2']);
    expect(() => l.readIndex('r3')).toThrow(/not the raft leader|no raft leader/);
  });

  it('refuses a second configuration change while one is uncommitted', () => {
    const net = three();
    elect(net, 'n1');
    const l = net.node('n1');
    const servers = ['n1', 'n2', 'n3', 'n4'].map((id) => ({ id, address: id, voter: true }));
    l.proposeConfiguration({ servers });
    expect(l.configuration().servers).toHaveLength(4); // effective when appended
    expect(() => l.proposeConfiguration({ servers: servers.slice(0, 3) })).toThrow(/already in progress/);
    expect(() => l.proposeConfiguration({ servers: [...servers, { id: 'n5', address: 'n5', voter: true }, { id: 'n6', address: 'n6', voter: true }] })).toThrow();
  });
});
