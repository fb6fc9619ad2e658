import { asFunction, asValue, createContainer, InjectionMode } from 'awilix';
import type { AwilixContainer } from 'awilix';
import type { KernelServices } from '../../contracts/plugin.js';

/**
 * The agent's awilix container (strict, proxy injection). Its cradle is the KernelServices
 * object handed to provider factories: lazily resolved, so a factory only pays for what it
 * touches. Domain classes never see awilix; they get typed constructor arguments.
 */
export type AgentContainer = AwilixContainer<KernelServices>;

/** Creates an empty strict container for one agent. */
export function createAgentContainer(): AgentContainer {
  return createContainer<KernelServices>({ injectionMode: InjectionMode.PROXY, strict: true });
}

/** Registers a ready value under a KernelServices name. */
export function registerValue<K extends keyof KernelServices>(c: AgentContainer, name: K, value: KernelServices[K]): void {
  c.register(name, asValue(value));
}

/** Registers a lazily built singleton under a KernelServices name. */
export function registerLazy<K extends keyof KernelServices>(
  c: AgentContainer,
  name: K,
  make: (cradle: KernelServices) => KernelServices[K],
): void {
  c.register(name, asFunction(make).singleton());
}
