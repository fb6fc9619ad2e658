import { AsyncSeriesHook, SyncHook } from 'tapable';
import type { AgentHooks, KvChange } from '../../contracts/hooks.js';
import type { RuntimeConfig } from '../../contracts/runtime-config.js';
import type { Member } from '../../contracts/services/agent-service.js';

/** Builds the agent's one frozen hooks object. Each agent has its own. */
export function createHooks(): AgentHooks {
  return Object.freeze({
    starting: new AsyncSeriesHook<[]>(),
    started: new AsyncSeriesHook<[]>(),
    stopping: new AsyncSeriesHook<[]>(),
    reload: new AsyncSeriesHook<[RuntimeConfig, RuntimeConfig]>(['next', 'previous']),
    leadership: new SyncHook<[boolean]>(['isLeader']),
    kvChanged: new SyncHook<[KvChange]>(['change']),
    catalogChanged: new SyncHook<[readonly string[]]>(['services']),
    checkStatusChanged: new SyncHook<[string, string, string]>(['checkId', 'status', 'output']),
    memberJoined: new SyncHook<[Member]>(['member']),
    memberFailed: new SyncHook<[Member]>(['member']),
    memberLeft: new SyncHook<[Member]>(['member']),
  });
}
