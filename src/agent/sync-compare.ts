import type { CatalogService } from '../../contracts/model/catalog.js';
import type { HealthCheck } from '../../contracts/model/health.js';

/**
 * Equality of catalog entries as anti-entropy needs it (Consul's NodeService.IsSame /
 * HealthCheck.IsSame): absent and empty collections are equal, index fields are ignored.
 */

/** A service body as registered (no indexes). */
export type ServiceBody = Omit<CatalogService, 'CreateIndex' | 'ModifyIndex'>;
/** A check body as registered (no indexes). */
export type CheckBody = Omit<HealthCheck, 'CreateIndex' | 'ModifyIndex'>;

function sameMap(a: Readonly<Record<string, unknown>> | undefined, b: Readonly<Record<string, unknown>> | undefined): boolean {
  const ka = Object.keys(a ?? {}).filter((k) => (a ?? {})[k] !== undefined);
  const kb = Object.keys(b ?? {}).filter((k) => (b ?? {})[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => JSON.stringify((a ?? {})[k]) === JSON.stringify((b ?? {})[k]));
}

/**
 * A JSON value with members that carry nothing (undefined, `{}`, objects of only such members)
 * left out and keys sorted, as text: the catalog shows an absent Proxy as
 * `{"MeshGateway":{},"Expose":{}}` and an absent Connect as `{}`, which is no difference.
 */
function prunedText(v: unknown): string {
  const prune = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(prune);
    if (x === null || typeof x !== 'object') return x;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(x).sort()) {
      const p = prune((x as Record<string, unknown>)[k]);
      if (p === undefined || (p !== null && typeof p === 'object' && !Array.isArray(p) && Object.keys(p).length === 0)) continue;
      out[k] = p;
    }
    return out;
  };
  return JSON.stringify(prune(v ?? {}));
}

function sameList(a: readonly string[] | undefined | null, b: readonly string[] | undefined | null): boolean {
  const x = a ?? [];
  const y = b ?? [];
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/**
 * True when the catalog's copy of a service matches the local one (Consul's NodeService.IsSame).
 * Tags count even with enable_tag_override: anti-entropy copies the catalog's tags into such a
 * service at a full sync, so only a local change of tags makes them differ.
 */
export function sameService(local: ServiceBody, remote: ServiceBody): boolean {
  return (
    local.ID === remote.ID &&
    local.Service === remote.Service &&
    sameList(local.Tags, remote.Tags) &&
    (local.Address ?? '') === (remote.Address ?? '') &&
    (local.Port ?? 0) === (remote.Port ?? 0) &&
    sameMap(local.Meta, remote.Meta) &&
    (local.Weights?.Passing ?? 1) === (remote.Weights?.Passing ?? 1) &&
    (local.Weights?.Warning ?? 1) === (remote.Weights?.Warning ?? 1) &&
    Boolean(local.EnableTagOverride) === Boolean(remote.EnableTagOverride) &&
    sameMap(local.TaggedAddresses, remote.TaggedAddresses) &&
    (local.Kind ?? '') === (remote.Kind ?? '') &&
    (local.SocketPath ?? '') === (remote.SocketPath ?? '') &&
    prunedText(local.Proxy) === prunedText(remote.Proxy) &&
    prunedText(local.Connect) === prunedText(remote.Connect)
  );
}

/** True when the catalog's copy of a check matches the local one, output left out. */
export function sameCheckIgnoringOutput(local: CheckBody, remote: CheckBody): boolean {
  return (
    local.CheckID === remote.CheckID &&
    local.Name === remote.Name &&
    local.Status === remote.Status &&
    (local.Notes ?? '') === (remote.Notes ?? '') &&
    (local.ServiceID ?? '') === (remote.ServiceID ?? '') &&
    (local.ServiceName ?? '') === (remote.ServiceName ?? '') &&
    sameList(local.ServiceTags, remote.ServiceTags) &&
    (local.Type ?? '') === (remote.Type ?? '') &&
    (local.Interval ?? '') === (remote.Interval ?? '') &&
    (local.Timeout ?? '') === (remote.Timeout ?? '') &&
    (local.ExposedPort ?? 0) === (remote.ExposedPort ?? 0)
  );
}
