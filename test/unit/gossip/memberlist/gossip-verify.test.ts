import { describe, expect, it } from 'vitest';
import { Keyring } from '../../../../src/gossip/memberlist/keyring.js';
import { NodeStateType } from '../../../../src/gossip/memberlist/messages.js';
import { MemberlistSim } from '../../../../src/testing/memberlist-sim.js';

const KEY = new Uint8Array(16).fill(7);

/**
 * Consul's encrypt_verify_incoming / encrypt_verify_outgoing (memberlist's GossipVerifyIncoming /
 * GossipVerifyOutgoing): the rolling upgrade from a plaintext pool to an encrypted one. A member
 * holding the key with both checks off talks with plaintext members; with the defaults (both on)
 * it refuses them.
 */
describe('gossip verify incoming/outgoing', () => {
  it('a keyed member with both checks off joins a plaintext pool and both see each other alive', async () => {
    const sim = new MemberlistSim(11, { minDelayMs: 1, maxDelayMs: 5 });
    const plain = await sim.add();
    const rolling = await sim.add(undefined, undefined, { keyring: new Keyring(KEY), gossipVerifyIncoming: false, gossipVerifyOutgoing: false });
    expect(await sim.runUntilSettled(rolling.list.join([plain.address]))).toBe(1);
    await sim.run(5_000);
    expect(sim.stateOf(plain, rolling.name)).toBe(NodeStateType.Alive);
    expect(sim.stateOf(rolling, plain.name)).toBe(NodeStateType.Alive);
    await Promise.all(sim.members.map((m) => m.list.shutdown()));
  });

  it('a keyed member with the default checks cannot join a plaintext pool', async () => {
    const sim = new MemberlistSim(12, { minDelayMs: 1, maxDelayMs: 5 });
    const plain = await sim.add();
    const strict = await sim.add(undefined, undefined, { keyring: new Keyring(KEY) });
    await expect(sim.runUntilSettled(strict.list.join([plain.address]))).rejects.toThrow();
    await sim.run(5_000);
    expect(sim.stateOf(plain, strict.name)).toBeUndefined();
    await Promise.all(sim.members.map((m) => m.list.shutdown()));
  });
});
