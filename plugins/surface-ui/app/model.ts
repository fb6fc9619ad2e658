/** The parts of Consul's HTTP API answers the views read. */

export type CheckStatus = 'passing' | 'warning' | 'critical' | 'maintenance';

export interface HealthCheck {
  Node: string;
  CheckID: string;
  Name: string;
  Status: CheckStatus | string;
  Notes: string;
  Output: string;
  ServiceID: string;
  ServiceName: string;
  ServiceTags?: string[] | null;
  Type?: string;
  ModifyIndex?: number;
}

export interface CatalogNode {
  ID?: string;
  Node: string;
  Address: string;
  Datacenter?: string;
  TaggedAddresses?: Record<string, string> | null;
  Meta?: Record<string, string> | null;
}

export interface AgentService {
  ID: string;
  Service: string;
  Tags: string[] | null;
  Address: string;
  Port: number;
  Meta?: Record<string, string> | null;
}

/** One instance as /v1/health/service/:name answers it. */
export interface ServiceEntry {
  Node: CatalogNode;
  Service: AgentService;
  Checks: HealthCheck[];
}

export interface KvPair {
  Key: string;
  Value: string | null;
  Flags: number;
  CreateIndex: number;
  ModifyIndex: number;
  LockIndex: number;
  Session?: string;
}

export interface Session {
  ID: string;
  Name: string;
  Node: string;
  Behavior: string;
  TTL: string;
  LockDelay: number;
  NodeChecks?: string[] | null;
  ServiceChecks?: { ID: string }[] | null;
  CreateIndex: number;
}

/** /v1/catalog/node/:node */
export interface NodeServices {
  Node: CatalogNode;
  Services: Record<string, AgentService>;
}

/** One entry of /v1/internal/ui/services (Consul's ServiceListingSummary): a service name's roll-up. */
export interface ServiceSummary {
  Kind?: string;
  Name: string;
  Datacenter: string;
  Tags: string[] | null;
  Nodes: string[] | null;
  InstanceCount: number;
  ChecksPassing: number;
  ChecksWarning: number;
  ChecksCritical: number;
}

/** One entry of /v1/internal/ui/nodes (Consul's NodeInfo): a node with all its services and checks. */
export interface NodeInfo extends CatalogNode {
  Services: AgentService[] | null;
  Checks: HealthCheck[] | null;
}
