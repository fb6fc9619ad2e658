import type { RequestContext } from '../model/query.js';

/** Cluster status as /v1/status reports it (Consul's Status RPC endpoint, answered by any server). */
export interface StatusService {
  /** The leader's server RPC address (`ip:port`), or '' when there is no known leader. */
  leader(ctx?: RequestContext): Promise<string>;
  /** The RPC addresses of the Raft voters, in configuration order. */
  peers(ctx?: RequestContext): Promise<string[]>;
}
