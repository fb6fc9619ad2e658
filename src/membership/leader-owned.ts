/**
 * The catalog entries the leader owns for every member of the pool (Consul's structs
 * SerfCheckID/SerfCheckName/SerfCheckAliveOutput/SerfCheckFailedOutput and
 * ConsulServiceID/ConsulServiceName): the node-level `serfHealth` check and, on servers, the
 * `consul` service. The leader's member reconciliation writes them; an agent's anti-entropy
 * neither writes nor deletes them (agent/local/state.go skips them).
 */
export const SERF_HEALTH_ID = 'serfHealth';
export const SERF_HEALTH_NAME = 'Serf Health Status';
export const SERF_HEALTH_ALIVE_OUTPUT = 'Agent alive and reachable';
export const SERF_HEALTH_FAILED_OUTPUT = 'Agent not live or unreachable';
export const CONSUL_SERVICE_ID = 'consul';
export const CONSUL_SERVICE_NAME = 'consul';
