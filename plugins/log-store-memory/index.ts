import { definePlugin } from '../../contracts/plugin.js';
import { MemoryRaftStorage } from './memory-raft-storage.js';

export default definePlugin({
  name: 'log-store-memory',
  version: '1.0.0',
  kernel: '^1.0.0',
  description: 'Raft log, hard state and snapshots in memory (tests and -dev without a data dir; nothing survives a restart)',
  configSchema: { type: 'object', properties: {}, additionalProperties: false },
  register(ctx) {
    ctx.provide('logStore', 'memory', () => new MemoryRaftStorage());
  },
});
