import type { AsyncSeriesHook, SyncHook } from 'tapable';
import type { RuntimeConfig } from './runtime-config.js';
import type { Member } from './services/agent-service.js';

/**
 * The agent's hooks: one frozen object built with tapable. Tap names are plugin names.
 * Hooks on the replication path (`kvChanged`, `leadership`) observe; a tap that throws is
 * logged and never breaks replication.
 *
 * The kernel holds the full {@link AgentHooks} and is the only one that calls them. Plugins get
 * {@link PluginHooks}: the same hooks with only their tap methods, so a plugin can observe an
 * event but never fire one.
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

/** What a plugin may do with a synchronous hook: tap it (the tap runs inline when the kernel calls the hook). */
export type SyncHookTaps<T> = Pick<SyncHook<T>, 'tap'>;

/**
 * What a plugin may do with an async series hook: tap it with a synchronous function, a
 * callback-style function (`tapAsync`) or a promise-returning one (`tapPromise`); the kernel
 * awaits the taps one after another.
 */
export type AsyncSeriesHookTaps<T> = Pick<AsyncSeriesHook<T>, 'tap' | 'tapAsync' | 'tapPromise'>;

/** The tap-only view of one of the agent's hooks. */
export type HookTaps<H> = H extends AsyncSeriesHook<infer T> ? AsyncSeriesHookTaps<T> : H extends SyncHook<infer T> ? SyncHookTaps<T> : never;

/**
 * The hooks as plugins see them (PluginContext.hooks, KernelServices.hooks): every hook of
 * {@link AgentHooks} with only its tap methods. One frozen object per agent; its members are
 * frozen too and have no `call`, `callAsync`, `promise` or `intercept` at runtime.
 */
export type PluginHooks = { readonly [K in keyof AgentHooks]: HookTaps<AgentHooks[K]> };
