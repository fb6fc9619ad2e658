import { ErrorCode, SextantError } from '../../contracts/errors.js';
import type { KernelServices } from '../../contracts/plugin.js';
import type { CheckRunner } from '../../contracts/ports/check-runner.js';
import type { ProviderRegistry } from './provider-registry.js';

/**
 * Builds one runner per checkRunner provider into `into` (by kind), in registration order. Runners
 * already built stay in `into` when a later one fails, so the caller can close them. Throws
 * ADAPTER_DUPLICATE when two plugins provide the same kind.
 */
export async function createCheckRunners(registry: ProviderRegistry, services: KernelServices, into: Map<string, CheckRunner>): Promise<void> {
  for (const provider of registry.all('checkRunner')) {
    const runner = await provider.factory(services);
    const clash = into.get(runner.kind);
    if (clash) {
      await runner.close();
      throw new SextantError(ErrorCode.AdapterDuplicate, `plugin ${provider.plugin}: check kind "${runner.kind}" is already provided by another plugin`);
    }
    into.set(runner.kind, runner);
  }
}

/** Closes every runner in `runners`; a failing close does not stop the others. Returns the first error, if any. */
export async function closeCheckRunners(runners: ReadonlyMap<string, CheckRunner>): Promise<unknown> {
  let first: unknown;
  for (const r of runners.values()) {
    try {
      await r.close();
    } catch (e) {
      first ??= e;
    }
  }
  return first;
}
