import { describe, expect, it } from 'vitest';
import { encodeCommand } from '../../../src/state/command-codec.js';
import { StateStore } from '../../../src/state/state-store.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('state.restore command', () => {
  it('replaces the whole state with the image at the entry index', async () => {
    const src = new StateStore();
    src.apply({ index: 1, term: 1, data: encodeCommand({ type: 'kv.set', key: 'a', value: enc('1'), flags: '0' }) });
    const image = await src.snapshot();

    const dst = new StateStore();
    dst.apply({ index: 1, term: 1, data: encodeCommand({ type: 'kv.set', key: 'b', value: enc('2'), flags: '0' }) });
    expect(dst.apply({ index: 2, term: 1, data: encodeCommand({ type: 'state.restore', image }) })).toBe(true);
    expect(dst.lastApplied()).toBe(2);
    expect(dst.kv.get('a').value?.value).toEqual(enc('1'));
    expect(dst.kv.get('b').value).toBeNull();
  });

  it('refuses a corrupt image and changes nothing', () => {
    const dst = new StateStore();
    dst.apply({ index: 1, term: 1, data: encodeCommand({ type: 'kv.set', key: 'b', value: enc('2'), flags: '0' }) });
    expect(() => dst.apply({ index: 2, term: 1, data: encodeCommand({ type: 'state.restore', image: enc('garbage') }) })).toThrow(/state snapshot/);
    expect(dst.lastApplied()).toBe(1);
    expect(dst.kv.get('b').value?.value).toEqual(enc('2'));
  });
});
