import type { AgentHooks, PluginHooks } from '../../contracts/hooks.js';

/**
 * The plugin-facing facade of the agent's hooks: each hook with only its tap methods, so a plugin
 * can tap a hook but never call it. Built once per AgentHooks object and cached, so the facade
 * handed to every plugin's `register` and the one in KernelServices are the same object.
 */

type HookKind = 'sync' | 'asyncSeries';

/** Each hook's kind; typed from AgentHooks so a hook added there without a kind here is a compile error. */
const HOOK_KINDS: { readonly [K in keyof AgentHooks]: AgentHooks[K] extends { call: (...args: never[]) => unknown } ? 'sync' : 'asyncSeries' } = {
  starting: 'asyncSeries',
  started: 'asyncSeries',
  stopping: 'asyncSeries',
  reload: 'asyncSeries',
  leadership: 'sync',
  kvChanged: 'sync',
  catalogChanged: 'sync',
  checkStatusChanged: 'sync',
  memberJoined: 'sync',
  memberFailed: 'sync',
  memberLeft: 'sync',
};

const TAP_METHODS: Readonly<Record<HookKind, readonly ('tap' | 'tapAsync' | 'tapPromise')[]>> = {
  sync: ['tap'],
  asyncSeries: ['tap', 'tapAsync', 'tapPromise'],
};

const facadeOf = new WeakMap<AgentHooks, PluginHooks>();
const facades = new WeakSet<PluginHooks>();

/** A hook seen as a bag of methods, for forwarding its tap methods. */
type Tappable = Record<'tap' | 'tapAsync' | 'tapPromise', (options: unknown, fn: unknown) => void>;

/**
 * The tap-only facade of `hooks`, the same object on every call for the same hooks. Given a
 * facade it returns it unchanged, so code that may receive either can always hand plugins a
 * facade. The facade and each of its members are frozen.
 */
export function pluginHooks(hooks: AgentHooks | PluginHooks): PluginHooks {
  if (facades.has(hooks)) return hooks;
  const full = hooks as AgentHooks;
  const cached = facadeOf.get(full);
  if (cached) return cached;
  const members: Record<string, unknown> = {};
  for (const name of Object.keys(HOOK_KINDS) as (keyof AgentHooks)[]) {
    const hook = full[name] as unknown as Tappable;
    const taps: Record<string, unknown> = {};
    for (const method of TAP_METHODS[HOOK_KINDS[name]]) {
      taps[method] = (options: unknown, fn: unknown): void => hook[method](options, fn);
    }
    members[name] = Object.freeze(taps);
  }
  const facade = Object.freeze(members) as unknown as PluginHooks;
  facadeOf.set(full, facade);
  facades.add(facade);
  return facade;
}
