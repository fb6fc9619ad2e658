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

/** A service instance on a node (Consul's AgentService / NodeService JSON). */
export interface CatalogService {
  ID: string;
  Service: string;
  Tags: string[];
  Address: string;
  Port: number;
  Meta: Record<string, string>;
  Weights: { Passing: number; Warning: number };
  EnableTagOverride: boolean;
  CreateIndex: number;
  ModifyIndex: number;
}

/** One entry of /v1/health/service/:s — a node, one of its services, and the checks of both. */
export interface ServiceEntry {
  Node: CatalogNode;
  Service: CatalogService;
  Checks: HealthCheck[];
}
