import type { HealthCheck } from './health.js';

/** A catalog node (Consul's Node JSON). */
export interface CatalogNode {
  ID: string;
  Node: string;
  Address: string;
  Datacenter: string;
  TaggedAddresses: Record<string, string>;
  Meta: Record<string, string>;
  CreateIndex: number;
  ModifyIndex: number;
}

/** A service address tagged by purpose (`lan`, `wan`, `lan_ipv4`, …). */
export interface ServiceAddress {
  Address: string;
  Port: number;
}

/** A service instance on a node (Consul's NodeService / AgentService JSON). */
export interface CatalogService {
  ID: string;
  Service: string;
  Tags: string[];
  Address: string;
  TaggedAddresses?: Record<string, ServiceAddress>;
  Port: number;
  Meta: Record<string, string>;
  Weights: { Passing: number; Warning: number };
  EnableTagOverride: boolean;
  /** '' for a typical service; `connect-proxy`, `mesh-gateway`, … otherwise. */
  Kind?: string;
  Proxy?: Record<string, unknown>;
  Connect?: Record<string, unknown>;
  SocketPath?: string;
  CreateIndex: number;
  ModifyIndex: number;
}

/** One entry of /v1/health/service/:s — a node, one of its services, and the checks of both. */
export interface ServiceEntry {
  Node: CatalogNode;
  Service: CatalogService;
  Checks: HealthCheck[];
}

/** One entry of /v1/catalog/service/:s — node and service fields flattened (Consul's ServiceNode). */
export interface CatalogServiceNode {
  ID: string;
  Node: string;
  Address: string;
  Datacenter: string;
  TaggedAddresses: Record<string, string>;
  NodeMeta: Record<string, string>;
  ServiceKind: string;
  ServiceID: string;
  ServiceName: string;
  ServiceTags: string[];
  ServiceAddress: string;
  ServiceTaggedAddresses?: Record<string, ServiceAddress>;
  ServiceWeights: { Passing: number; Warning: number };
  ServiceMeta: Record<string, string>;
  ServicePort: number;
  ServiceSocketPath?: string;
  ServiceEnableTagOverride: boolean;
  ServiceProxy?: Record<string, unknown>;
  ServiceConnect?: Record<string, unknown>;
  CreateIndex: number;
  ModifyIndex: number;
}

/** PUT /v1/catalog/register (Consul's structs.RegisterRequest), after case-insensitive decoding. */
export interface RegisterRequest {
  Datacenter?: string;
  ID?: string;
  Node: string;
  Address: string;
  TaggedAddresses?: Record<string, string>;
  NodeMeta?: Record<string, string>;
  /** Index/timestamp fields are ignored; the indexes come from Raft. */
  Service?: Omit<CatalogService, 'CreateIndex' | 'ModifyIndex'>;
  Check?: Omit<HealthCheck, 'CreateIndex' | 'ModifyIndex'>;
  Checks?: Omit<HealthCheck, 'CreateIndex' | 'ModifyIndex'>[];
  /** Don't touch the node's own fields (address, meta) when it already exists. */
  SkipNodeUpdate?: boolean;
}

/** PUT /v1/catalog/deregister: CheckID or ServiceID, or neither to remove the whole node. */
export interface DeregisterRequest {
  Datacenter?: string;
  Node: string;
  ServiceID?: string;
  CheckID?: string;
}
