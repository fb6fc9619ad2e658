import { decode, encode } from '@msgpack/msgpack';
import { describe, expect, it } from 'vitest';
import { CommandTag, type Command } from '../../../src/state/command.js';
import { decodeCommand, encodeCommand } from '../../../src/state/command-codec.js';
import { commandEntries } from '../../../src/state/command-registry.js';
import { bytes } from './state-harness.js';

const T0 = 1_700_000_000_000;
const S1 = '11111111-1111-1111-1111-111111111111';
const value = new Uint8Array([0xff, 0x00, 0x7f]);

const register: Extract<Command, { type: 'catalog.register' }> = {
  type: 'catalog.register',
  node: { ID: '', Node: 'n1', Address: '10.0.0.1', Datacenter: 'dc1', TaggedAddresses: { lan: '10.0.0.1' }, Meta: { rack: 'r1' } },
  skipNodeUpdate: false,
  service: { ID: 'web', Service: 'web', Tags: ['a'], Address: '', Port: 80, Meta: {}, Weights: { Passing: 1, Warning: 1 }, EnableTagOverride: false },
  checks: [{ CheckID: 'c', Name: 'c', Status: 'passing', Notes: '', Output: '', ServiceID: 'web', Type: 'ttl' }],
  now: T0,
};

/** One command of every type, with the record each must encode to (the wire format, pinned). */
const SAMPLES: [Command, unknown[]][] = [
  [{ type: 'state.restore', image: value }, [224, 1, value]],
  [
    { type: 'autopilot.set-config', settings: { cleanupDeadServers: true, lastContactThresholdMs: 200, maxTrailingLogs: 250, minQuorum: 0, serverStabilizationTimeMs: 10_000 } },
    [240, 1, [true, 200, 250, 0, 10_000], -1],
  ],
  [
    { type: 'autopilot.set-config', settings: { cleanupDeadServers: false, lastContactThresholdMs: 0.5, maxTrailingLogs: 0, minQuorum: 3, serverStabilizationTimeMs: 0 }, cas: 17 },
    [240, 1, [false, 0.5, 0, 3, 0], 17],
  ],
  [{ type: 'kv.set', key: 'k', value, flags: '18446744073709551615' }, [1, 1, 'k', value, '18446744073709551615']],
  [{ type: 'kv.cas', key: 'k', value, flags: '0', index: 7 }, [2, 1, 'k', value, '0', 7]],
  [{ type: 'kv.delete', key: 'k' }, [3, 1, 'k']],
  [{ type: 'kv.delete-cas', key: 'k', index: 9 }, [4, 1, 'k', 9]],
  [{ type: 'kv.delete-tree', prefix: 'p/' }, [5, 1, 'p/']],
  [{ type: 'kv.tombstone-reap', index: 12 }, [6, 1, 12]],
  [{ type: 'kv.lock', key: 'k', value, flags: '3', session: S1, now: T0 }, [7, 1, 'k', value, '3', S1, T0]],
  [{ type: 'kv.unlock', key: 'k', value, flags: '3', session: S1 }, [8, 1, 'k', value, '3', S1]],
  [
    {
      type: 'session.create',
      session: { ID: S1, Name: 'n', Node: 'n1', LockDelay: 15_000_000_000, Behavior: 'release', TTL: '10s', NodeChecks: ['serfHealth'], ServiceChecks: [{ ID: 'c', Namespace: '' }], Checks: [] },
      ttlMs: 10_000,
      now: T0,
    },
    [
      32,
      1,
      {
        session: { ID: S1, Name: 'n', Node: 'n1', LockDelay: 15_000_000_000, Behavior: 'release', TTL: '10s', NodeChecks: ['serfHealth'], ServiceChecks: [{ ID: 'c', Namespace: '' }], Checks: [] },
        ttlMs: 10_000,
        now: T0,
      },
    ],
  ],
  [{ type: 'session.destroy', id: S1, now: T0 }, [33, 1, S1, T0]],
  [{ type: 'session.renew', ids: [S1, 'x'], now: T0 }, [34, 1, [S1, 'x'], T0]],
  [{ type: 'session.expire', id: S1, now: T0 }, [35, 1, S1, T0]],
  [register, [64, 1, { node: register.node, skipNodeUpdate: false, service: register.service, checks: register.checks, now: T0 }]],
  [{ type: 'catalog.deregister', node: 'n1', serviceId: 'web', checkId: '', now: T0 }, [65, 1, { node: 'n1', serviceId: 'web', checkId: '', now: T0 }]],
  [
    { type: 'coordinate.batch-update', updates: [{ Node: 'n1', Segment: '', Coord: { Vec: [0.5, 0], Error: 1.5, Adjustment: 0.25, Height: 1e-5 } }] },
    [66, 1, [['n1', '', [0.5, 0], 1.5, 0.25, 1e-5]]],
  ],
  [
    { type: 'txn', now: T0, ops: [{ kind: 'kv', verb: 'set', key: 'k', value: bytes('v'), flags: '0', index: 0, session: '' }, { kind: 'node', verb: 'get', index: 0, register: { ...register, now: undefined } }] },
    [
      96,
      1,
      {
        now: T0,
        ops: [
          { kind: 'kv', verb: 'set', key: 'k', value: bytes('v'), flags: '0', index: 0, session: '' },
          { kind: 'node', verb: 'get', index: 0, register: { node: register.node, skipNodeUpdate: false, service: register.service, checks: register.checks } },
        ],
      },
    ],
  ],
];

describe('command registry', () => {
  it('has exactly one entry per CommandTag value, and one per command type', () => {
    const entries = commandEntries();
    expect(entries.map((e) => e.tag).sort((a, b) => a - b)).toEqual(Object.values(CommandTag).sort((a, b) => a - b));
    expect(new Set(entries.map((e) => e.type)).size).toBe(entries.length);
    expect(new Set(SAMPLES.map(([c]) => c.type))).toEqual(new Set(entries.map((e) => e.type)));
  });

  it('every entry round-trips encode/decode and writes the pinned record, byte for byte', () => {
    for (const [cmd, record] of SAMPLES) {
      const wire = encodeCommand(cmd);
      expect(Buffer.from(wire).equals(Buffer.from(encode(record))), cmd.type).toBe(true);
      const entry = commandEntries().find((e) => e.type === cmd.type)!;
      expect((decode(wire) as unknown[]).slice(0, 2)).toEqual([entry.tag, entry.version]);
      expect(decodeCommand(wire), cmd.type).toEqual(cmd);
    }
  });

  it('checks each record\'s arity against its entry', () => {
    for (const entry of commandEntries()) {
      expect(() => decodeCommand(encode([entry.tag, entry.version, ...new Array<unknown>(entry.arity + 1).fill('x')]))).toThrow(/fields, expected/);
    }
  });
});
