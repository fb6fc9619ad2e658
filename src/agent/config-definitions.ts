import { ErrorCode, isSextantError } from '../../contracts/errors.js';
import type { ConfigOrigin, RuntimeConfig } from '../../contracts/runtime-config.js';
import { pointerToken } from '../config/config-problem.js';
import type { ConfigProblem } from '../config/config-problem.js';
import { respellPointer } from '../config/key-case.js';
import { normalizeCheck } from './check-definition.js';
import type { CheckContext, CheckSpec } from './check-definition.js';
import { normalizeService } from './service-definition.js';
import type { NormalizedService } from './service-definition.js';

/**
 * The services and checks of the config directory, checked the one way the agent takes them:
 * every definition normalized with the loaded check runners (kind, interval/ttl, durations,
 * runner validation such as script checks being disabled), service ids unique, and each
 * top-level check's `service_id` naming a service defined in the configuration. Used by the
 * config loading step (`sextant validate`, agent start, reload) and by the agent's local state,
 * so all of them refuse the same definitions with the same `file: /pointer: message`.
 */

/** The normalized definitions, or (when `problems` is not empty) what is wrong with them. */
export interface ConfigDefinitions {
  readonly services: readonly NormalizedService[];
  readonly checks: readonly CheckSpec[];
  /** Every problem found, each naming the file and the JSON pointer of the definition part at fault. */
  readonly problems: readonly ConfigProblem[];
}

/** The part of a RuntimeConfig the definitions come from. */
export type DefinitionSource = Pick<RuntimeConfig, 'services' | 'checks' | 'serviceOrigins' | 'checkOrigins'>;

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The pointer a normalization error carries inside the definition (`/checks/1`), or ''. */
function innerPointer(e: unknown): string {
  return isSextantError(e) && typeof e.details?.['pointer'] === 'string' ? e.details['pointer'] : '';
}

/**
 * A problem located at `inner` (a pointer in canonical key spelling) inside the definition from
 * `origin`: the pointer is given as the file spells its keys. Without an origin (a config not
 * loaded from files) the entry is named `services[i] ("name")` in the message instead.
 */
function problemAt(origin: ConfigOrigin | undefined, where: string, inner: string, message: string): ConfigProblem {
  if (!origin) return { code: ErrorCode.ConfigInvalid, message: `${where}: ${message}` };
  return { code: ErrorCode.ConfigInvalid, source: origin.source, pointer: `${origin.pointer}${respellPointer(inner, origin.keys)}`, message };
}

function label(kind: 'services' | 'checks', i: number, raw: Readonly<Record<string, unknown>>): string {
  return `${kind}[${i}]${typeof raw['name'] === 'string' ? ` (${JSON.stringify(raw['name'])})` : ''}`;
}

/** The id a service definition claims, even when it does not normalize (so its checks are not reported twice). */
function claimedServiceId(raw: Readonly<Record<string, unknown>>): string | undefined {
  for (const k of ['id', 'name']) {
    const v = raw[k];
    if (typeof v === 'string' && v !== '') return v;
  }
  return undefined;
}

/**
 * Normalizes the configuration's services and checks with `ctx` (origin `config`), collecting
 * every problem instead of stopping at the first. Never throws for a bad definition.
 */
export function normalizeConfigDefinitions(c: DefinitionSource, ctx: CheckContext): ConfigDefinitions {
  const problems: ConfigProblem[] = [];
  const services: NormalizedService[] = [];
  const ids = new Set<string>();
  c.services.forEach((raw, i) => {
    const origin = c.serviceOrigins?.[i];
    const where = label('services', i, raw);
    let n: NormalizedService;
    try {
      n = normalizeService(raw, ctx);
    } catch (e) {
      problems.push(problemAt(origin, where, innerPointer(e), messageOf(e)));
      const claimed = claimedServiceId(raw);
      if (claimed !== undefined) ids.add(claimed);
      return;
    }
    if (ids.has(n.service.id)) {
      problems.push(problemAt(origin, where, '', `duplicate service id ${JSON.stringify(n.service.id)}`));
      return;
    }
    ids.add(n.service.id);
    services.push(n);
  });
  const checks: CheckSpec[] = [];
  c.checks.forEach((raw, i) => {
    const origin = c.checkOrigins?.[i];
    const where = label('checks', i, raw);
    let spec: CheckSpec;
    try {
      spec = normalizeCheck(raw, ctx);
    } catch (e) {
      problems.push(problemAt(origin, where, innerPointer(e), messageOf(e)));
      return;
    }
    if (spec.serviceId !== '' && !ids.has(spec.serviceId)) {
      const message = `service_id ${JSON.stringify(spec.serviceId)} does not name a registered service (a check in the config files must name a service defined in them)`;
      problems.push(problemAt(origin, where, `/${pointerToken('service_id')}`, message));
      return;
    }
    checks.push(spec);
  });
  return { services, checks, problems };
}
