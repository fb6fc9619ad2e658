import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Agent } from '../../src/kernel/agent.js';
import { startInProcessAgent } from '../support/in-process-agent.js';

// A running agent hands its plugins the hooks to tap, not to call: `register` and the provider
// factories (KernelServices.hooks) get one and the same frozen tap-only object.

const SEEN = Symbol.for('sextant.test.plugin-hooks');
type Seen = { registerHooks?: object; factoryHooks?: object; changes: number[] };
const seen = (): Seen => (globalThis as unknown as Record<symbol, Seen>)[SEEN]!;

const PLUGIN = `
const seen = (globalThis[Symbol.for('sextant.test.plugin-hooks')] = { changes: [] });
export default {
  name: 'hook-spy',
  version: '1.0.0',
  kernel: '^1.0.0',
  register(ctx) {
    seen.registerHooks = ctx.hooks;
    ctx.hooks.kvChanged.tap(ctx.name, (change) => seen.changes.push(change.index));
    ctx.provide('checkRunner', 'hook_spy', (services) => {
      seen.factoryHooks = services.hooks;
      return { kind: 'hook_spy', accepts: () => false, validate: () => undefined, probe: async () => ({ status: 'passing', output: '' }), close: async () => {} };
    });
  },
};
`;

let agent: Agent | undefined;
let dir: string | undefined;
afterEach(async () => {
  await agent?.stop();
  agent = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('plugin hooks in a running agent', () => {
  it('gives register and the provider factories the same tap-only facade, and the taps hear the kernel', async () => {
    dir = mkdtempSync(join(tmpdir(), 'sextant-hooks-'));
    writeFileSync(join(dir, 'hook-spy.mjs'), PLUGIN);
    writeFileSync(join(dir, 'agent.json'), JSON.stringify({ plugins: ['./hook-spy.mjs'] }));
    const started = await startInProcessAgent(['-dev', '-config-dir', dir]);
    agent = started.agent;

    const { registerHooks, factoryHooks } = seen();
    expect(factoryHooks).toBeDefined();
    expect(factoryHooks).toBe(registerHooks);
    expect(registerHooks).not.toBe(agent.hooks);
    expect(Object.isFrozen(registerHooks)).toBe(true);
    expect(Object.keys((registerHooks as Record<string, object>)['kvChanged']!)).toEqual(['tap']);

    expect(await (await fetch(`${started.http}/v1/kv/k`, { method: 'PUT', body: 'v' })).text()).toBe('true\n');
    expect(seen().changes.length).toBe(1);
  });
});
