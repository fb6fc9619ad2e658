import { describe, expect, it } from 'vitest';
import { encode } from '@msgpack/msgpack';
import { decodeRaftMessage, encodeRaftMessage, RAFT_FRAME_TAG } from '../../../src/consensus/raft-message-codec.js';
import type { RaftMessage } from '../../../src/consensus/raft-message.js';
import { ErrorCode, isSextantError } from '../../../contracts/errors.js';

const base = { from: 'a', to: 'b', term: 7 };
const samples: RaftMessage[] = [
  { ...base, type: 'preVote', lastIndex: 10, lastTerm: 6 },
  { ...base, type: 'preVoteResp', reject: true },
  { ...base, type: 'vote', lastIndex: 3, lastTerm: 2 },
  { ...base, type: 'vote', lastIndex: 3, lastTerm: 2, transfer: true },
  { ...base, type: 'timeoutNow' },
  { ...base, type: 'voteResp', reject: false },
  {
    ...base,
    type: 'append',
    prevIndex: 4,
    prevTerm: 3,
    commit: 4,
    entries: [
      { index: 5, term: 7, type: 0, data: new Uint8Array([1, 2, 3]) },
      { index: 6, term: 7, type: 1, data: new Uint8Array(0) },
    ],
  },
  { ...base, type: 'appendResp', reject: true, index: 4, hintIndex: 2, hintTerm: 1 },
  { ...base, type: 'heartbeat', commit: 9, context: 'b/1' },
  { ...base, type: 'heartbeatResp', context: '' },
  { ...base, type: 'snapshot', snapshot: { meta: { lastIndex: 100, lastTerm: 5, configuration: new Uint8Array([9]) }, data: new Uint8Array([4, 5]) } },
];

describe('raft message codec', () => {
  it('round-trips every message type through a binary frame', () => {
    for (const m of samples) {
      const frame = encodeRaftMessage(m);
      expect(frame).toBeInstanceOf(Uint8Array);
      expect(frame[0]).toBe(RAFT_FRAME_TAG);
      expect(decodeRaftMessage(frame)).toEqual(m);
    }
  });

  it('rejects unknown versions, unknown types and garbage with BAD_REQUEST', () => {
    const bad = (bytes: Uint8Array): boolean => {
      try {
        decodeRaftMessage(bytes);
        return false;
      } catch (e) {
        return isSextantError(e, ErrorCode.BadRequest);
      }
    };
    const frame = (wire: unknown): Uint8Array => new Uint8Array([RAFT_FRAME_TAG, ...encode(wire)]);
    expect(bad(frame([2, 0, 'a', 'b', 1, [1, 1]]))).toBe(true);
    expect(bad(frame([1, 99, 'a', 'b', 1, []]))).toBe(true);
    expect(bad(frame([1, 4, 'a', 'b', 1, [1, 1, 1, [[1, 1, 0, 'not-bytes']]]]))).toBe(true);
    expect(bad(new Uint8Array([RAFT_FRAME_TAG, 0xc1]))).toBe(true);
    expect(bad(new Uint8Array([0x00, 0x01]))).toBe(true);
  });
});
