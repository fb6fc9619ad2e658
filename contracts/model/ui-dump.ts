import type { CatalogService } from './catalog.js';
import type { HealthCheck } from './health.js';

/**
 * One service name as /v1/internal/ui/services lists it (Consul's ServiceListingSummary, CE,
 * members in its JSON order): the union of its instances' tags, the nodes it runs on, and the
 * status counts of the distinct checks (by node and CheckID) that bear on it: every instance's
 * own checks and the node checks of the nodes it runs on.
 */
export interface UiServiceSummary {
  /** Set only for a non-typical service (`connect-proxy`, …): Consul's `omitempty`. */
  Kind?: string;
  Name: string;
  Datacenter: string;
  /** Union of the instances' tags, sorted; null when none has a tag (Go's nil slice). */
  Tags: string[] | null;
  /** Names of the nodes the service runs on, sorted, unique. */
  Nodes: string[];
  /** Distinct `external-source` service meta values, in first-seen order; null when none. */
  ExternalSources: string[] | null;
  InstanceCount: number;
  ChecksPassing: number;
  ChecksWarning: number;
  ChecksCritical: number;
  /** Gateway data (none without gateways): `{}`. */
  GatewayConfig: Record<string, never>;
  TransparentProxy: boolean;
  ConnectNative: boolean;
  /** True when a connect-proxy instance names this service as its destination. */
  ConnectedWithProxy: boolean;
  ConnectedWithGateway: boolean;
}

/**
 * One node as /v1/internal/ui/nodes lists it (Consul's structs.NodeInfo, CE: members in its JSON
 * order, no Datacenter and no index fields): the node with all its services and checks.
 */
export interface UiNodeInfo {
  ID: string;
  Node: string;
  Address: string;
  TaggedAddresses: Record<string, string>;
  Meta: Record<string, string>;
  /** Every service on the node (services without checks too), by service ID. */
  Services: CatalogService[];
  /** Every check on the node (node and service level), by CheckID. */
  Checks: HealthCheck[];
}
