import { ADAPTER_KEYS, SINGLE_SLOT_PORTS } from '../../contracts/plugin.js';
import type { PortName, ProviderFactory } from '../../contracts/plugin.js';
import { ErrorCode, SextantError } from '../../contracts/errors.js';

/** One registered provider of a port. */
export interface Provider<P extends PortName = PortName> {
  port: P;
  id: string;
  plugin: string;
  factory: ProviderFactory<P>;
}

/**
 * Collects the providers plugins register and chooses the active one for each single-slot
 * port: the `adapters` config names it, else the kernel's default for that port, else the
 * only provider there is.
 */
export class ProviderRegistry {
  private readonly byPort = new Map<PortName, Provider[]>();

  /**
   * `pluggable`: the ports this agent takes from plugins (default: all six). A provider of any
   * other port would never be used, so offering one is an error rather than silently ignored.
   */
  constructor(private readonly pluggable: readonly PortName[] = Object.keys(ADAPTER_KEYS) as PortName[]) {}

  /**
   * Adds a provider. An id already taken for the port is an ADAPTER_DUPLICATE error; a port this
   * agent does not take from plugins (or no port at all) is PLUGIN_REGISTER_FAILED.
   */
  add<P extends PortName>(provider: Provider<P>): void {
    if (!this.pluggable.includes(provider.port)) {
      throw new SextantError(
        ErrorCode.PluginRegisterFailed,
        `plugin ${provider.plugin}: cannot provide ${JSON.stringify(provider.port)}: plugins can provide ${this.pluggable.join(', ')}`,
      );
    }
    const list = this.byPort.get(provider.port) ?? [];
    const clash = list.find((p) => p.id === provider.id);
    if (clash) {
      throw new SextantError(
        ErrorCode.AdapterDuplicate,
        `plugin ${provider.plugin}: ${provider.port} provider "${provider.id}" is already provided by plugin ${clash.plugin}`,
      );
    }
    list.push(provider as unknown as Provider);
    this.byPort.set(provider.port, list);
  }

  /** Every provider of a port, in registration order. */
  all<P extends PortName>(port: P): Provider<P>[] {
    return (this.byPort.get(port) ?? []) as unknown as Provider<P>[];
  }

  /**
   * The active provider of a single-slot port. `chosen` is the `adapters` config value (if any),
   * `fallback` the kernel default. Throws ADAPTER_MISSING naming the port and the ids on offer.
   */
  select<P extends PortName>(port: P, chosen: string | undefined, fallback?: string): Provider<P> {
    if (!SINGLE_SLOT_PORTS.includes(port)) throw new TypeError(`${port} is not a single-slot port`);
    const list = this.all(port);
    const ids = list.map((p) => p.id);
    const want = chosen ?? fallback;
    if (want !== undefined) {
      const hit = list.find((p) => p.id === want);
      if (hit) return hit;
      if (chosen !== undefined || list.length !== 1) {
        throw new SextantError(
          ErrorCode.AdapterMissing,
          `adapters.${ADAPTER_KEYS[port]}: no ${port} provider "${want}" is loaded (loaded: ${ids.join(', ') || 'none'})`,
        );
      }
    }
    if (list.length === 1) return list[0]!;
    if (list.length === 0) {
      throw new SextantError(ErrorCode.AdapterMissing, `no plugin provides the ${port} port`);
    }
    throw new SextantError(
      ErrorCode.AdapterAmbiguous,
      `several ${port} providers are loaded (${ids.join(', ')}): choose one with adapters.${ADAPTER_KEYS[port]}`,
    );
  }
}
