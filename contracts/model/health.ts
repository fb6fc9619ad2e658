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
  /** The check's interval as Go prints it (`10s`), '' when it has none; views always show it. */
  Interval?: string;
  /** The check's timeout as Go prints it, '' when none was given; views always show it. */
  Timeout?: string;
  /** The Envoy listener port an exposed check is reached through (0: not exposed); views always show it. */
  ExposedPort?: number;
  Definition?: Record<string, unknown>;
  CreateIndex: number;
  ModifyIndex: number;
}
