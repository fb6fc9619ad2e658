import { ErrorCode, SextantError, isSextantError } from '../../contracts/errors.js';
import { ADAPTER_KEYS, type KernelServices } from '../../contracts/plugin.js';
import type { ConnectionTransport, PacketTransport } from '../../contracts/ports/transport.js';
import type { RuntimeConfig } from '../../contracts/runtime-config.js';
import type { ProviderRegistry } from './provider-registry.js';

/** The two planes of the serf LAN port, bound to one port number, as memberlist binds UDP and TCP. */
export interface GossipTransports {
  packets: PacketTransport;
  connections: ConnectionTransport;
  /** The bound serf LAN port (the configured one, or the ephemeral one picked for port 0). */
  port: number;
}

/** Ephemeral ports tried before giving up when TCP finds the UDP port's number taken. */
const EPHEMERAL_ATTEMPTS = 10;

function portOf(address: string): number | undefined {
  const m = /:(\d+)$/.exec(address);
  return m ? Number(m[1]) : undefined;
}

/**
 * Opens the gossip transports from their adapters (`adapters.packet_transport`, default `udp`;
 * `adapters.connection_transport`, default `memory` beside a memory packet plane, else `tcp`) on
 * `serf_lan`'s bind address and port. With port 0, the UDP socket picks the port and TCP binds
 * the same number (retried on a fresh ephemeral port when that number is taken over TCP).
 * Rejects with the transport's error (TRANSPORT_FAILED: address in use) otherwise.
 */
export async function openGossipTransports(registry: ProviderRegistry, kernel: KernelServices, config: RuntimeConfig, bindAddr: string): Promise<GossipTransports> {
  const packetProvider = registry.select('packetTransport', config.adapters[ADAPTER_KEYS.packetTransport], 'udp');
  const connectionProvider = registry.select('connectionTransport', config.adapters[ADAPTER_KEYS.connectionTransport], packetProvider.id === 'memory' ? 'memory' : 'tcp');
  const withConfig = (c: RuntimeConfig): KernelServices => new Proxy(kernel, { get: (t, k) => (k === 'config' ? c : Reflect.get(t, k)) });
  const configured = config.ports.serfLan;
  for (let attempt = 1; ; attempt++) {
    const packets = await packetProvider.factory(withConfig({ ...config, bindAddr, ports: { ...config.ports, serfLan: configured } }));
    await packets.start();
    const port = portOf(packets.localAddress) ?? configured;
    const connections = await connectionProvider.factory(withConfig({ ...config, bindAddr, ports: { ...config.ports, serfLan: port } }));
    try {
      await connections.start();
      return { packets, connections, port };
    } catch (e) {
      await packets.close();
      const retry = configured === 0 && attempt < EPHEMERAL_ATTEMPTS && isSextantError(e, ErrorCode.TransportFailed);
      if (!retry) {
        throw isSextantError(e) ? e : new SextantError(ErrorCode.TransportFailed, `serf_lan: cannot listen on TCP ${bindAddr}:${port}: ${(e as Error).message}`, undefined, { cause: e });
      }
    }
  }
}
