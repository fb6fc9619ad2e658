import { ADAPTER_KEYS } from '../../contracts/plugin.js';
import { RpcResolver } from '../rpc/rpc-resolver.js';
import { RpcRouter } from '../rpc/rpc-router.js';
import { ServerPool } from '../rpc/server-pool.js';
import type { AgentCore, AssemblyEnv } from './agent-core.js';
import { rpcServices } from './rpc-services.js';

/**
 * The client assembly (`server = false`): no Raft and no store. The service contracts are the
 * same RPC clients as on a server, over a router whose forward step sends every call to a
 * server of the pool (`servers`: the RPC addresses of this datacenter's servers, from the LAN
 * pool once gossip exists), rebalanced every 2–3 minutes as Consul's router.Manager does. The stream transport only dials out; it listens on an ephemeral
 * port because the adapter needs a local address.
 */
export async function startClient(env: AssemblyEnv, servers: () => readonly string[]): Promise<AgentCore> {
  const { config, logger: log, clock, random, registry, kernel } = env;
  const transportProvider = registry.select('transport', config.adapters[ADAPTER_KEYS.transport], 'tcp');
  const outboundOnly = { ...config, ports: { ...config.ports, server: 0 } };
  const transport = await transportProvider.factory(new Proxy(kernel, { get: (t, k) => (k === 'config' ? outboundOnly : Reflect.get(t, k)) }));
  await transport.start();
  env.onStop('transport', () => transport.close());

  const pool = new ServerPool(servers, random, {
    clock,
    numNodes: () => env.membership?.members().length ?? 1,
    ping: (addr) => router.ping(addr),
    logger: log.child('router'),
  });
  const router: RpcRouter = new RpcRouter({
    role: { kind: 'client', servers: pool },
    datacenter: () => config.datacenter,
    streams: transport,
    clock,
    random,
    logger: log.child('rpc'),
    ...(config.rpcHoldTimeoutMs !== undefined ? { holdTimeoutMs: config.rpcHoldTimeoutMs } : {}),
  });
  env.onStop('server-pool', async () => stopRebalance());
  const stopRebalance = pool.start();
  const services = rpcServices(router, () => config.nodeName);
  return {
    role: 'client',
    services: { ...services, resolver: new RpcResolver(services) },
    address: transport.localAddress,
    leaderAddress: () => '',
    ready: () => Promise.resolve(),
  };
}
