import { RRType } from './dns-constants.js';
import { bytesOfHex, reverseToIp } from './ip-bytes.js';

/** What a name under the agent's domain asks for. */
export type DomainLookup =
  /** The domain itself (SOA, NS). */
  | { kind: 'apex' }
  | { kind: 'service'; service: string; tag: string; datacenter: string | undefined }
  | { kind: 'node'; node: string; datacenter: string | undefined }
  | { kind: 'addr'; bytes: Uint8Array; datacenter: string | undefined }
  /** Not a name Sextant answers (malformed, or a form not supported yet such as `.query`): NXDOMAIN. */
  | { kind: 'invalid' };

/** Where a question name belongs. */
export type NameZone =
  | { zone: 'domain'; respDomain: string; lookup: DomainLookup }
  /** `in-addr.arpa` / `ip6.arpa`; `ip` undefined when the name is not a whole address. */
  | { zone: 'reverse'; ip: string | undefined }
  /** Anything else: recursors' business. */
  | { zone: 'other' };

const QUERY_KINDS = new Set(['service', 'connect', 'virtual', 'ingress', 'node', 'query', 'addr']);

/**
 * Classifies a question name (lower-cased labels) the way Consul's DNS dispatch does: strips
 * the primary or alternative domain (the response then uses the domain asked), scans the
 * labels right to left for the first query kind (`service`, `node`, `addr`, …; an SRV question
 * whose label starts with `_` implies `service`), and reads the datacenter from what follows it
 * (`<dc>` or the canonical `<dc>.dc`).
 */
export function classifyName(labels: readonly string[], qtype: number, domain: string, altDomain: string): NameZone {
  const respDomain = longestSuffix(labels, domain, altDomain);
  if (respDomain === undefined) {
    const n = labels.length;
    if (n >= 2 && labels[n - 1] === 'arpa' && labels[n - 2] === 'in-addr') return { zone: 'reverse', ip: reverseToIp(labels.slice(0, n - 2), 'in-addr') };
    if (n >= 2 && labels[n - 1] === 'arpa' && labels[n - 2] === 'ip6') return { zone: 'reverse', ip: reverseToIp(labels.slice(0, n - 2), 'ip6') };
    return { zone: 'other' };
  }
  const rest = labels.slice(0, labels.length - labelsOf(respDomain).length);
  return { zone: 'domain', respDomain, lookup: parseLookup(rest, qtype) };
}

const domainLabels = new Map<string, readonly string[]>();

function labelsOf(domain: string): readonly string[] {
  let l = domainLabels.get(domain);
  if (!l) {
    l = domain.split('.');
    if (domainLabels.size < 64) domainLabels.set(domain, l);
  }
  return l;
}

function longestSuffix(labels: readonly string[], domain: string, altDomain: string): string | undefined {
  let best: string | undefined;
  let bestLength = 0;
  for (const d of [domain, altDomain]) {
    if (d === '') continue;
    const dl = labelsOf(d);
    if (dl.length > labels.length) continue;
    let ok = true;
    for (let i = 1; i <= dl.length; i++) {
      if (labels[labels.length - i] !== dl[dl.length - i]) {
        ok = false;
        break;
      }
    }
    if (ok && dl.length > bestLength) {
      best = d;
      bestLength = dl.length;
    }
  }
  return best;
}

function parseLookup(labels: readonly string[], qtype: number): DomainLookup {
  if (labels.length === 0) return { kind: 'apex' };
  let kind: string | undefined;
  let parts: readonly string[] = [];
  let suffixes: readonly string[] = [];
  for (let i = labels.length - 1; i >= 0; i--) {
    const l = labels[i]!;
    if (QUERY_KINDS.has(l)) {
      kind = l;
      parts = labels.slice(0, i);
      suffixes = labels.slice(i + 1);
      break;
    }
    if (qtype === RRType.SRV && l.startsWith('_')) {
      kind = 'service';
      parts = labels.slice(0, i + 1);
      suffixes = labels.slice(i + 1);
      break;
    }
  }
  const dc = datacenterOf(suffixes);
  if (kind === undefined || dc === false) return { kind: 'invalid' };
  switch (kind) {
    case 'service': {
      const n = parts.length;
      if (n < 1) return { kind: 'invalid' };
      if (n === 2 && parts[0]!.startsWith('_') && parts[1]!.startsWith('_')) {
        // RFC 2782: _service._proto; `_tcp` and `_udp` mean "no tag", any other label is a tag.
        const tag = parts[1]!.slice(1);
        return { kind: 'service', service: parts[0]!.slice(1), tag: tag === 'tcp' || tag === 'udp' ? '' : tag, datacenter: dc };
      }
      // tag[.tag].name: leading labels re-joined form one tag (Consul allows a "." in a tag).
      return { kind: 'service', service: parts[n - 1]!, tag: parts.slice(0, n - 1).join('.'), datacenter: dc };
    }
    case 'node':
      if (parts.length < 1) return { kind: 'invalid' };
      return { kind: 'node', node: parts.join('.'), datacenter: dc };
    case 'addr': {
      if (parts.length !== 1) return { kind: 'invalid' };
      const bytes = bytesOfHex(parts[0]!);
      return bytes ? { kind: 'addr', bytes, datacenter: dc } : { kind: 'invalid' };
    }
    default:
      return { kind: 'invalid' };
  }
}

/** The datacenter after the query kind: none (the agent's), `<dc>` or `<dc>.dc`; false when neither. */
function datacenterOf(suffixes: readonly string[]): string | undefined | false {
  if (suffixes.length === 0) return undefined;
  if (suffixes.length === 1) return suffixes[0]!;
  if (suffixes.length === 2 && suffixes[1] === 'dc') return suffixes[0]!;
  return false;
}
