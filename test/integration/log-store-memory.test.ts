import { describe, expect, it } from 'vitest';
import type { PortName, ProviderFactory, PluginContext, KernelServices } from '../../contracts/plugin.js';
import plugin from '../../plugins/log-store-memory/index.js';
import { MemoryRaftDisk } from '../../plugins/log-store-memory/memory-raft-disk.js';
import { MemoryRaftStorage } from '../../plugins/log-store-memory/memory-raft-storage.js';
import { describeLogStoreConformance } from '../conformance/log-store.conformance.js';

describeLogStoreConformance('memory', async () => {
  const disk = new MemoryRaftDisk();
  return {
    storage: new MemoryRaftStorage(disk),
    reopen: async () => new MemoryRaftStorage(disk),
    cleanup: async () => undefined,
  };
});

describe('log-store-memory plugin', () => {
  it('provides the logStore port under id "memory" with a fresh, empty storage', async () => {
    const provided: { port: PortName; id: string; factory: ProviderFactory<PortName> }[] = [];
    const ctx = {
      name: plugin.name,
      pluginConfig: {},
      provide: (port: PortName, id: string, factory: ProviderFactory<PortName>) => provided.push({ port, id, factory }),
    } as unknown as PluginContext;
    await plugin.register(ctx);
    expect(provided.map((p) => [p.port, p.id])).toEqual([['logStore', 'memory']]);
    const storage = (await provided[0]!.factory({} as KernelServices)) as MemoryRaftStorage;
    expect(await storage.log.lastIndex()).toBe(0);
    await storage.close();
  });
});
