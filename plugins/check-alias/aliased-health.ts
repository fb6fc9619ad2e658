import type { CheckResult } from '../../contracts/ports/check-runner.js';

/** The fields of a health check the alias check reads (catalog and agent views both have them). */
export interface AliasedCheck {
  readonly Node: string;
  readonly CheckID: string;
  readonly Name: string;
  readonly ServiceID: string;
  readonly Status: string;
  readonly Output: string;
}

/** Which service (or, with serviceId '', which node) an alias check mirrors. */
export interface AliasTarget {
  /** alias_node; '' = this agent. */
  readonly node: string;
  /** alias_service (a service ID, not a name); '' = the node's own checks. */
  readonly serviceId: string;
}

/**
 * Consul's CheckAlias.processChecks: among `checks`, the node's checks and the aliased
 * service's: critical if any is critical (`Aliased check "<name>" failing: <output>`), else
 * warning if any warns, else passing (`All checks passing.`, or `No checks found.`). When no
 * check belongs to the service and `serviceExists` says it is not registered either: critical
 * `Service <id> could not be found on node <node>`.
 */
export function aliasedHealth(target: AliasTarget, checks: readonly AliasedCheck[], serviceExists: () => boolean): CheckResult {
  let status: CheckResult['status'] = 'passing';
  let output = 'No checks found.';
  let serviceFound = false;
  for (const chk of checks) {
    if (target.node !== '' && target.node.toLowerCase() !== chk.Node.toLowerCase()) continue;
    const serviceMatch = chk.ServiceID === target.serviceId;
    if (chk.ServiceID !== '' && !serviceMatch) continue;
    if (serviceMatch) serviceFound = true;
    if (chk.Status === 'critical' || chk.Status === 'warning') {
      status = chk.Status;
      output = `Aliased check ${JSON.stringify(chk.Name)} failing: ${chk.Output}`;
      if (chk.Status === 'critical') break;
    } else if (status === 'passing') {
      output = 'All checks passing.';
    }
  }
  if (!serviceFound && !serviceExists()) {
    return { status: 'critical', output: `Service ${target.serviceId} could not be found on node ${target.node}` };
  }
  return { status, output };
}
