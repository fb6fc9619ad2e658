/** Cluster status as /v1/status reports it. */
export interface StatusService {
  /** The leader's server RPC address (`ip:port`), or '' when there is no known leader. */
  leader(): string;
  /** The RPC addresses of the Raft voters, in configuration order. */
  peers(): string[];
  /** True when this agent currently knows a leader. */
  knownLeader(): boolean;
  /** Milliseconds since the last contact with the leader (0 on the leader itself). */
  lastContactMs(): number;
}
