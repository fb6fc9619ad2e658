import { encode } from '@msgpack/msgpack';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode, isSextantError } from '../../../contracts/errors.js';
import { CommandTag, type Command } from '../../../src/state/command.js';
import { decodeCommand, encodeCommand } from '../../../src/state/command-codec.js';

const key = fc.string({ unit: 'grapheme', maxLength: 40 });
const uint = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
const flags = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map((n) => n.toString());
const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record({ type: fc.constant('kv.set' as const), key, value: fc.uint8Array({ maxLength: 64 }), flags }),
  fc.record({ type: fc.constant('kv.cas' as const), key, value: fc.uint8Array({ maxLength: 64 }), flags, index: uint }),
  fc.record({ type: fc.constant('kv.delete' as const), key }),
  fc.record({ type: fc.constant('kv.delete-cas' as const), key, index: uint }),
  fc.record({ type: fc.constant('kv.delete-tree' as const), prefix: key }),
  fc.record({ type: fc.constant('kv.tombstone-reap' as const), index: uint }),
);

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return isSextantError(e) ? e.code : 'not-a-sextant-error';
  }
  return undefined;
}

describe('command codec', () => {
  it('round-trips every command type, binary values included', () => {
    fc.assert(
      fc.property(command, (cmd) => {
        const back = decodeCommand(encodeCommand(cmd));
        expect(back).toEqual(cmd);
        if ('value' in cmd && 'value' in back) expect(Array.from(back.value)).toEqual(Array.from(cmd.value));
      }),
    );
  });

  it('keeps bytes that are not valid UTF-8 and the full uint64 flags range', () => {
    const value = new Uint8Array([0xff, 0x00, 0xfe, 0xc3, 0x28]);
    const back = decodeCommand(encodeCommand({ type: 'kv.set', key: 'bin', value, flags: '18446744073709551615' }));
    expect(back).toEqual({ type: 'kv.set', key: 'bin', value, flags: '18446744073709551615' });
  });

  it('writes the stable wire tags', () => {
    expect(CommandTag).toEqual({
      KvSet: 1, KvCas: 2, KvDelete: 3, KvDeleteCas: 4, KvDeleteTree: 5, KvTombstoneReap: 6, KvLock: 7, KvUnlock: 8,
      SessionCreate: 32, SessionDestroy: 33, SessionRenew: 34, SessionExpire: 35,
      CatalogRegister: 64, CatalogDeregister: 65, CoordinateBatchUpdate: 66,
      TxnApply: 96,
      StateRestore: 224,
      AutopilotSetConfig: 240,
    });
    expect(encodeCommand({ type: 'kv.delete', key: 'a' })).toEqual(encode([3, 1, 'a']));
  });

  it('rejects unknown tags, unknown versions, bad fields and garbage with COMMAND_INVALID', () => {
    expect(code(() => decodeCommand(encode([99, 1, 'x'])))).toBe(ErrorCode.CommandInvalid);
    expect(code(() => decodeCommand(encode([3, 2, 'x'])))).toBe(ErrorCode.CommandInvalid);
    expect(code(() => decodeCommand(encode([3, 1, 7])))).toBe(ErrorCode.CommandInvalid);
    expect(code(() => decodeCommand(encode([3, 1, 'a', 'extra'])))).toBe(ErrorCode.CommandInvalid);
    expect(code(() => decodeCommand(encode([1, 1, 'k', 'not-bytes', '0'])))).toBe(ErrorCode.CommandInvalid);
    expect(code(() => decodeCommand(encode([1, 1, 'k', new Uint8Array(1), '18446744073709551616'])))).toBe(ErrorCode.CommandInvalid);
    expect(code(() => decodeCommand(encode([4, 1, 'k', -1])))).toBe(ErrorCode.CommandInvalid);
    expect(code(() => decodeCommand(encode({ t: 1 })))).toBe(ErrorCode.CommandInvalid);
    expect(code(() => decodeCommand(new Uint8Array([0xc1])))).toBe(ErrorCode.CommandInvalid);
    expect(code(() => decodeCommand(new Uint8Array([])))).toBe(ErrorCode.CommandInvalid);
  });
});
