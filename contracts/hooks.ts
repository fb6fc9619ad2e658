import type { AsyncSeriesHook, SyncHook } from 'tapable';
import type { RuntimeConfig } from './runtime-config.js';
import type { Member } from './services/agent-service.js';

/**
 * The agent's hooks: one frozen object built with tapable. Tap names are plugin names.
 * Hooks on the replication path (`kvChanged`, `leadership`) observe; a tap that throws is
 * logged and never breaks replication.
 */

/** What changed in the KV store when a command was applied. */
export interface KvChange {
  index: number;
  /** Keys written or deleted by the command. */
  keys: readonly string[];
}

export interface AgentHooks {
  /** Before surfaces start; the core (storage, raft, state) is up. Async taps run in series. */
  readonly starting: AsyncSeriesHook<[]>;
  /** After every surface is listening. */
  readonly started: AsyncSeriesHook<[]>;
  /** At the start of shutdown, before surfaces stop. */
  readonly stopping: AsyncSeriesHook<[]>;
  /** After a reload was validated and applied: (new, old). */
  readonly reload: AsyncSeriesHook<[RuntimeConfig, RuntimeConfig]>;
  /** This server gained (true) or lost (false) Raft leadership. */
  readonly leadership: SyncHook<[boolean]>;
  /** A committed command changed KV entries. */
  readonly kvChanged: SyncHook<[KvChange]>;
  /** A committed command changed catalog nodes, services or checks (service names affected). */
  readonly catalogChanged: SyncHook<[readonly string[]]>;
  /** A local check changed status: (checkId, status, output). */
  readonly checkStatusChanged: SyncHook<[string, string, string]>;
  /** A gossip member joined. */
  readonly memberJoined: SyncHook<[Member]>;
  /** A gossip member failed. */
  readonly memberFailed: SyncHook<[Member]>;
  /** A gossip member left gracefully. */
  readonly memberLeft: SyncHook<[Member]>;
}
