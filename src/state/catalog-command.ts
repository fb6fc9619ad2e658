import type { CatalogService } from '../../contracts/model/catalog.js';
import type { HealthStatus } from '../../contracts/model/health.js';

/**
 * The catalog's replicated commands (wire tags 64–65 in CommandTag). Their payloads are fully
 * normalized by the endpoint before proposing (defaults filled, IDs derived), so applying one
 * is a pure function of the state and the command.
 */

/** A node's own fields as a registration carries them. */
export interface CatalogNodeFields {
  ID: string;
  Node: string;
  Address: string;
  Datacenter: string;
  TaggedAddresses: Record<string, string>;
  Meta: Record<string, string>;
}

/** A service instance's fields (no indexes). Optional members are absent when unset. */
export type CatalogServiceFields = Omit<CatalogService, 'CreateIndex' | 'ModifyIndex'>;

/** A check's fields as registered; Node, ServiceName and ServiceTags are filled by the table. */
export interface CatalogCheckFields {
  CheckID: string;
  Name: string;
  Status: HealthStatus;
  Notes: string;
  Output: string;
  ServiceID: string;
  Type: string;
  /** Absent when empty (entries written before these fields existed decode the same). */
  Interval?: string;
  Timeout?: string;
  /** Absent when 0. */
  ExposedPort?: number;
  Definition?: Record<string, unknown>;
}

/**
 * Registers (or updates) a node, optionally one service and any checks, all or nothing. With
 * `skipNodeUpdate` an existing node's fields are left as they are.
 */
export interface CatalogRegisterCommand {
  type: 'catalog.register';
  node: CatalogNodeFields;
  skipNodeUpdate: boolean;
  service: CatalogServiceFields | null;
  checks: CatalogCheckFields[];
  /** The proposing leader's clock (ms): the lock-delay start of sessions this write invalidates (absent in old entries: no delay). */
  now?: number;
}

/** Removes check `checkId`, else service `serviceId` with its checks, else (both '') node `node` with everything on it. */
export interface CatalogDeregisterCommand {
  type: 'catalog.deregister';
  node: string;
  serviceId: string;
  checkId: string;
  /** The proposing leader's clock (ms): the lock-delay start of sessions this write invalidates (absent in old entries: no delay). */
  now?: number;
}

/** What applying a catalog command returns: domain failures are values, never throws. */
export type CatalogWriteResult = { ok: true } | { ok: false; error: string };
