import type { RuntimeConfig } from '../../contracts/runtime-config.js';

/**
 * The serf tags a Consul agent advertises about itself (agent/consul/server.go and client.go
 * setupSerf): role (`consul` on a server, `node` on a client), dc, id, the protocol versions,
 * build, and on a server its RPC port, bootstrap_expect and the bootstrap flag. The leader reads
 * them back (role, port, id, build, raft_vsn) when it reconciles members into the catalog.
 */
export function memberTags(c: RuntimeConfig, version: string): Record<string, string> {
  const tags: Record<string, string> = {
    build: `${version}:sextant`,
    dc: c.datacenter,
    id: c.nodeId,
    vsn: '2',
    vsn_min: '2',
    vsn_max: '3',
    raft_vsn: '3',
  };
  if (c.server) {
    Object.assign(tags, { role: 'consul', port: String(c.ports.server), expect: String(c.bootstrapExpect) });
    if (c.bootstrap) tags['bootstrap'] = '1';
  } else {
    tags['role'] = 'node';
  }
  return tags;
}
