/** Health states, as Consul spells them on the wire. */
export type HealthStatus = 'passing' | 'warning' | 'critical' | 'maintenance';

/** A health check as it appears in the catalog (Consul's HealthCheck JSON). */
export interface HealthCheck {
  Node: string;
  CheckID: string;
  Name: string;
  Status: HealthStatus;
  Notes: string;
  Output: string;
  ServiceID: string;
  ServiceName: string;
  ServiceTags: string[];
  Type: string;
  Definition?: Record<string, unknown>;
  CreateIndex: number;
  ModifyIndex: number;
}
