import { describe, expect, it } from 'vitest';
import { Awareness } from '../../../../src/gossip/memberlist/awareness.js';
import { TransmitLimitedQueue } from '../../../../src/gossip/memberlist/broadcast-queue.js';
import { Suspicion } from '../../../../src/gossip/memberlist/suspicion.js';
import { ManualClock } from '../../../../src/testing/manual-clock.js';

const b = (n: number, len = 10): Uint8Array => new Uint8Array(len).fill(n);

describe('TransmitLimitedQueue', () => {
  it('sends each broadcast retransmitMult × ceil(log10(N+1)) times, then drops it', () => {
    const q = new TransmitLimitedQueue(2, () => 9); // limit 2
    q.queue(b(1), 'a');
    expect(q.getBroadcasts(2, 100)).toHaveLength(1);
    expect(q.getBroadcasts(2, 100)).toHaveLength(1);
    expect(q.getBroadcasts(2, 100)).toHaveLength(0);
    expect(q.numQueued()).toBe(0);
  });

  it('replaces a queued broadcast about the same node and fits the byte limit, fewest-sent first', () => {
    const q = new TransmitLimitedQueue(4, () => 10);
    q.queue(b(1), 'a');
    q.queue(b(2), 'a');
    expect(q.numQueued()).toBe(1);
    q.queue(b(3), 'b');
    expect(q.getBroadcasts(2, 12).map((x) => x[0])).toEqual([3]);
    expect(q.getBroadcasts(2, 12).map((x) => x[0])).toEqual([2]);
    expect(q.getBroadcasts(2, 100).map((x) => x[0]).sort()).toEqual([2, 3]);
  });
});

describe('Suspicion (Lifeguard dynamic timeout)', () => {
  it('fires at max without confirmations and sooner with each, never before min', () => {
    const fired: number[] = [];
    const clock = new ManualClock(0);
    new Suspicion(clock, 'a', 3, 2000, 12000, () => fired.push(clock.now()));
    clock.advance(20_000);
    expect(fired).toEqual([12000]);

    const clock2 = new ManualClock(0);
    const fired2: number[] = [];
    const s = new Suspicion(clock2, 'a', 3, 2000, 12000, () => fired2.push(clock2.now()));
    expect(s.confirm('a')).toBe(false); // the first suspecter does not confirm
    expect(s.confirm('b')).toBe(true);
    expect(s.confirm('b')).toBe(false);
    expect(s.confirm('c')).toBe(true);
    expect(s.confirm('d')).toBe(true);
    expect(s.confirm('e')).toBe(false); // k reached
    clock2.advance(20_000);
    expect(fired2).toEqual([2000]);
  });

  it('with k = 0 fires at min; cancel stops it', () => {
    const clock = new ManualClock(0);
    const fired: number[] = [];
    new Suspicion(clock, 'a', 0, 4000, 24000, () => fired.push(clock.now()));
    const s = new Suspicion(clock, 'a', 0, 4000, 24000, () => fired.push(-1));
    s.cancel();
    clock.advance(30_000);
    expect(fired).toEqual([4000]);
  });
});

describe('Awareness', () => {
  it('scales timeouts by score + 1 within [0, max)', () => {
    const a = new Awareness(8);
    a.applyDelta(-5);
    expect(a.scaleTimeout(500)).toBe(500);
    a.applyDelta(3);
    expect(a.scaleTimeout(500)).toBe(2000);
    a.applyDelta(100);
    expect(a.getHealthScore()).toBe(7);
  });
});
