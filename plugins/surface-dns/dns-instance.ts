import type { ServiceEntry } from '../../contracts/model/catalog.js';
import { hexOf, ipBytes, ipText, type IpBytes } from './ip-bytes.js';

/** What the DNS answers need of one healthy service instance, computed once per catalog change. */
export interface DnsInstance {
  node: string;
  /** The node's own address. */
  nodeAddress: string;
  nodeMeta: Readonly<Record<string, string>>;
  port: number;
  /** Weights.Passing or Weights.Warning, by the instance's aggregated health. */
  weight: number;
  /** The address A/AAAA answers give: the service's own IP, else the node's IP. */
  ip: IpBytes | undefined;
  /** Text of `ip`, the de-duplication key of address answers. */
  ipKey: string;
  /** True when `ip` is the service's own address (SRV targets then use `<hex>.addr`). */
  ownIp: boolean;
  /** Lower-case hex of `ip` (for `<hex>.addr` targets). */
  hex: string;
  /** A hostname (no trailing dot) when the service address (or, without one, the node address) is not an IP: answered with CNAME. */
  hostname: string | undefined;
  /** The SRV de-duplication key: node, service address and port. */
  srvKey: string;
}

/** The healthy instances of one read, and the same with one instance per answer address (A/AAAA/CNAME de-duplicated). */
export interface DnsInstances {
  readonly all: readonly DnsInstance[];
  readonly byAddress: readonly DnsInstance[];
}

const memo = new WeakMap<readonly ServiceEntry[], { all?: DnsInstances; passing?: DnsInstances }>();

/**
 * The instances DNS may hand out, per Consul's health filter: an instance with any critical
 * (or maintenance) check, of the node or of the service, is left out; with `onlyPassing`, so is
 * one with a warning. Memoized on the identity of the resolver's (frozen, shared) entry list.
 */
export function dnsInstances(entries: readonly ServiceEntry[], onlyPassing: boolean): DnsInstances {
  let m = memo.get(entries);
  if (!m) {
    m = {};
    memo.set(entries, m);
  }
  const hit = onlyPassing ? m.passing : m.all;
  if (hit) return hit;
  const out: DnsInstance[] = [];
  for (const e of entries) {
    let warning = false;
    let critical = false;
    for (const c of e.Checks) {
      if (c.Status === 'passing') continue;
      if (c.Status === 'warning') warning = true;
      else critical = true;
    }
    if (critical || (onlyPassing && warning)) continue;
    out.push(instanceOf(e, warning));
  }
  const seen = new Set<string>();
  const byAddress = out.filter((i) => !seen.has(i.ipKey) && seen.add(i.ipKey));
  const result: DnsInstances = Object.freeze({ all: Object.freeze(out), byAddress: Object.freeze(byAddress) });
  if (onlyPassing) m.passing = result;
  else m.all = result;
  return result;
}

function instanceOf(e: ServiceEntry, warning: boolean): DnsInstance {
  const svc = e.Service;
  const weights = svc.Weights ?? { Passing: 1, Warning: 1 };
  const serviceAddr = svc.Address ?? '';
  const nodeAddr = e.Node.Address;
  let ip: IpBytes | undefined;
  let hostname: string | undefined;
  let ownIp = false;
  if (serviceAddr !== '') {
    ip = ipBytes(serviceAddr);
    ownIp = ip !== undefined;
    if (!ip) hostname = serviceAddr.replace(/\.$/, '');
  } else {
    ip = ipBytes(nodeAddr);
    if (!ip && nodeAddr !== '') hostname = nodeAddr.replace(/\.$/, '');
  }
  return {
    node: e.Node.Node,
    nodeAddress: nodeAddr,
    nodeMeta: e.Node.Meta ?? {},
    port: svc.Port,
    weight: clampWeight(warning ? weights.Warning : weights.Passing),
    ip,
    ipKey: ip ? ipText(ip.bytes) : `h:${hostname ?? ''}`,
    ownIp,
    hex: ip ? hexOf(ip.bytes) : '',
    hostname,
    srvKey: `${e.Node.Node}\0${serviceAddr}\0${svc.Port}`,
  };
}

function clampWeight(w: number): number {
  return Number.isInteger(w) && w >= 0 ? Math.min(w, 65535) : 1;
}
