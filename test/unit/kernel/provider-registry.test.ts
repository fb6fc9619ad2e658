import { describe, expect, it } from 'vitest';
import { ProviderRegistry } from '../../../src/kernel/provider-registry.js';
import { ErrorCode, isSextantError } from '../../../contracts/errors.js';

const factory = () => ({}) as never;

function registry(...ids: string[]): ProviderRegistry {
  const r = new ProviderRegistry();
  for (const id of ids) r.add({ port: 'logStore', id, plugin: `log-store-${id}`, factory });
  return r;
}

describe('provider registry', () => {
  it('uses the adapter the config chooses', () => {
    expect(registry('sqlite', 'memory').select('logStore', 'memory', 'sqlite').id).toBe('memory');
  });

  it('falls back to the kernel default, then to the only provider', () => {
    expect(registry('sqlite', 'memory').select('logStore', undefined, 'sqlite').id).toBe('sqlite');
    expect(registry('custom').select('logStore', undefined, 'sqlite').id).toBe('custom');
  });

  it('names the port and what is loaded when the chosen adapter is missing', () => {
    try {
      registry('sqlite').select('logStore', 'rocks', 'sqlite');
      expect.unreachable();
    } catch (e) {
      expect(isSextantError(e, ErrorCode.AdapterMissing)).toBe(true);
      expect((e as Error).message).toBe('adapters.log_store: no logStore provider "rocks" is loaded (loaded: sqlite)');
    }
  });

  it('refuses a provider of a port the agent does not take from plugins', () => {
    const r = new ProviderRegistry(['logStore', 'apiSurface']);
    expect(() => r.add({ port: 'resolver', id: 'mine', plugin: 'my-resolver', factory })).toThrow(
      'plugin my-resolver: cannot provide "resolver": plugins can provide logStore, apiSurface',
    );
    expect(() => r.add({ port: 'logstore' as never, id: 'x', plugin: 'typo', factory })).toThrow(/cannot provide "logstore"/);
    expect(r.all('resolver')).toEqual([]);
  });

  it('refuses two providers with one id and an ambiguous choice', () => {
    expect(() => registry('sqlite', 'sqlite')).toThrow(/already provided by plugin log-store-sqlite/);
    expect(() => registry('a', 'b').select('logStore', undefined)).toThrow(/choose one with adapters.log_store/);
  });
});
