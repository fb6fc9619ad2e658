import { isAbsolute, join, resolve } from 'node:path';
import { ErrorCode, SextantError } from '../../contracts/errors.js';
import { definePlugin } from '../../contracts/plugin.js';
import { SqliteRaftStorage } from './sqlite-raft-storage.js';

/** plugin_config.log-store-sqlite */
interface SqliteLogStoreConfig {
  /** Database file; relative paths are resolved against data_dir. Default `raft/raft.db`. */
  file?: string;
  /** `normal` is accepted only in dev mode (see SqliteRaftStorageOptions.synchronous). */
  synchronous?: 'full' | 'normal';
  /** Where log entries live: segment files beside the database (default) or its `log` table. */
  log?: 'segments' | 'sqlite';
}

export default definePlugin({
  name: 'log-store-sqlite',
  version: '1.0.0',
  kernel: '^1.0.0',
  description: 'Raft log in append-only segment files (group commit, one fdatasync per batch), hard state in SQLite (WAL, synchronous=FULL); snapshots as checksummed files beside it',
  configSchema: {
    type: 'object',
    properties: {
      file: { type: 'string', minLength: 1 },
      synchronous: { enum: ['full', 'normal'], default: 'full' },
      log: { enum: ['segments', 'sqlite'], default: 'segments' },
    },
    additionalProperties: false,
  },
  register(ctx) {
    const cfg = (ctx.pluginConfig ?? {}) as SqliteLogStoreConfig;
    ctx.provide('logStore', 'sqlite', ({ config, clock }) => {
      if (cfg.synchronous === 'normal' && !config.dev) {
        throw new SextantError(ErrorCode.ConfigInvalid, 'plugin_config.log-store-sqlite.synchronous "normal" is only allowed in dev mode');
      }
      const file = cfg.file ?? join('raft', 'raft.db');
      if (!isAbsolute(file) && config.dataDir === undefined) {
        throw new SextantError(ErrorCode.ConfigInvalid, 'the sqlite log store needs data_dir (or use adapters.log_store = "memory")');
      }
      const path = isAbsolute(file) ? file : resolve(join(config.dataDir ?? '', file));
      return SqliteRaftStorage.open(path, { synchronous: cfg.synchronous ?? 'full', log: cfg.log ?? 'segments', clock });
    });
  },
});
