/** Consul's maintenance-mode checks: ids, names and default notes. */

/** The node maintenance check's id. */
export const NODE_MAINTENANCE_ID = '_node_maintenance';
/** The prefix of a service maintenance check's id (`_service_maintenance:<service id>`). */
export const SERVICE_MAINTENANCE_PREFIX = '_service_maintenance:';
/** The node maintenance check's name. */
export const NODE_MAINTENANCE_NAME = 'Node Maintenance Mode';
/** A service maintenance check's name. */
export const SERVICE_MAINTENANCE_NAME = 'Service Maintenance Mode';
/** Notes of the node maintenance check when no reason was given. */
export const DEFAULT_NODE_MAINTENANCE_REASON = 'Maintenance mode is enabled for this node, but no reason was provided. This is a default message.';
/** Notes of a service maintenance check when no reason was given. */
export const DEFAULT_SERVICE_MAINTENANCE_REASON = 'Maintenance mode is enabled for this service, but no reason was provided. This is a default message.';
/** The check type Consul reports for maintenance checks. */
export const MAINTENANCE_TYPE = 'maintenance';

/** The maintenance check id of a service. */
export function serviceMaintenanceId(serviceId: string): string {
  return `${SERVICE_MAINTENANCE_PREFIX}${serviceId}`;
}

/** True for `_node_maintenance` and `_service_maintenance:*` ids. */
export function isMaintenanceCheckId(id: string): boolean {
  return id === NODE_MAINTENANCE_ID || id.startsWith(SERVICE_MAINTENANCE_PREFIX);
}
