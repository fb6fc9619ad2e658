import { ErrorCode, isSextantError } from '../../contracts/errors.js';
import type { CatalogNode } from '../../contracts/model/catalog.js';
import type { QueryOptions, QueryResult } from '../../contracts/model/query.js';
import type { Clock, Logger } from '../../contracts/platform.js';
import type { Resolver } from '../../contracts/ports/resolver.js';
import type { Metrics } from '../../contracts/ports/metrics.js';
import { chaseHostname } from './cname-chase.js';
import { CLASSIC_UDP_SIZE, Flag, MAX_EDNS_UDP_SIZE, OPTION_ECS, Rcode, RRType } from './dns-constants.js';
import { dnsInstances, type DnsInstance } from './dns-instance.js';
import { QNAME, type DnsRecord, type DnsResponse, type EdnsOption } from './dns-record.js';
import type { DnsSettings } from './dns-settings.js';
import type { FastShuffle } from './fast-shuffle.js';
import { ipBytes, type IpBytes } from './ip-bytes.js';
import { isEncodableName } from './message-encoder.js';
import { nodeMetaTxt } from './node-meta-txt.js';
import { classifyName, type DomainLookup } from './question-name.js';
import type { RecursorClient } from './recursor-client.js';
import { answerCap, ResponseSizer } from './response-sizer.js';
import { parseQuery, type ParsedQuery } from './wire-query.js';

/** What the responder needs. */
export interface DnsResponderDeps {
  resolver: Resolver;
  /** The current settings (replaced on reload). */
  settings: () => DnsSettings;
  clock: Clock;
  shuffle: FastShuffle;
  recursors: RecursorClient;
  logger: Logger;
  /** Where `dns.domain_query` times go (label `node`); nothing is recorded when absent. */
  metrics?: { sink: Metrics; nodeName: string };
}

/** How a message arrived (decides its size rules). */
export type DnsTransport = 'udp' | 'tcp';

const STALE: QueryOptions = Object.freeze({ minIndex: 0, waitMs: 0, consistency: 'stale' });
const DEFAULT: QueryOptions = Object.freeze({ minIndex: 0, waitMs: 0, consistency: 'default' });
const OPCODE_AND_RD = 0x7800 | Flag.RD;
/** EDNS BADVERS (RFC 6891): extended rcode 1, header rcode 0. */
const BADVERS = 16;

/**
 * Answers one DNS message (Consul's agent/dns.go, see consul-behaviour.md §6): parses it,
 * classifies the name (the agent's domain, reverse zones, or anything else), reads the catalog
 * through the Resolver (stale by default, re-read from the leader when older than max_stale)
 * and builds the answer, sized for its transport. Never throws: a message it cannot read gets
 * FORMERR (or nothing when not even the header can be read), an internal failure SERVFAIL.
 */
export class DnsResponder {
  private readonly sizer = new ResponseSizer();

  constructor(private readonly deps: DnsResponderDeps) {}

  /** The wire answer to `msg`, or undefined when the message must be dropped. */
  async handle(msg: Uint8Array, transport: DnsTransport): Promise<Buffer | undefined> {
    const parsed = parseQuery(msg);
    if (parsed.kind === 'drop') return undefined;
    const s = this.deps.settings();
    if (parsed.kind === 'reject') {
      const r: DnsResponse = { id: parsed.id, flags: Flag.QR | (parsed.flags & OPCODE_AND_RD), rcode: parsed.rcode, answers: [], authority: [], additional: [] };
      return this.encode(r, undefined, transport, s);
    }
    const q = parsed.query;
    const r = this.skeleton(q, s);
    try {
      if (q.edns && q.edns.version > 0) {
        r.rcode = BADVERS;
        r.flags &= ~Flag.AA;
        return this.encode(r, q, transport, s);
      }
      const zone = classifyName(q.labels, q.qtype, s.domain, s.altDomain);
      if (zone.zone === 'other') return await this.recurse(msg, q, r, transport, s);
      if (zone.zone === 'reverse') {
        const found = zone.ip === undefined ? false : await this.ptr(zone.ip, q, r, s);
        if (!found) {
          if (s.recursors.length > 0) return await this.recurse(msg, q, r, transport, s);
          this.nxdomain(r, s.domain, s);
        }
      } else {
        const started = this.deps.clock.now();
        await this.domain(zone.lookup, zone.respDomain, q, r, s, transport);
        this.deps.metrics?.sink.measureSince('dns.domain_query', started, { node: this.deps.metrics.nodeName });
      }
    } catch (e) {
      if (isSextantError(e, ErrorCode.NoPathToDatacenter)) {
        r.answers = [];
        r.glue = undefined;
        r.additional = [];
        r.authority = [];
        this.nxdomain(r, s.domain, s);
      } else {
        this.deps.logger.error('DNS lookup failed', { name: q.name, qtype: q.qtype, error: e });
        r.rcode = Rcode.ServFail;
        r.answers = [];
        r.glue = undefined;
        r.authority = [];
        r.additional = [];
      }
    }
    return this.encode(r, q, transport, s);
  }

  private skeleton(q: ParsedQuery, s: DnsSettings): DnsResponse {
    let flags = Flag.QR | Flag.AA | (q.flags & OPCODE_AND_RD);
    if (s.recursors.length > 0) flags |= Flag.RA;
    const r: DnsResponse = {
      id: q.id,
      flags,
      rcode: Rcode.NoError,
      question: { wire: q.questionWire, nameLength: q.nameLength, name: q.plainLabels ? q.name : '' },
      answers: [],
      authority: [],
      additional: [],
    };
    if (q.edns) r.opt = { udpSize: q.edns.udpSize, options: echoedOptions(q.edns.options) };
    return r;
  }

  private encode(r: DnsResponse, q: ParsedQuery | undefined, transport: DnsTransport, s: DnsSettings): Buffer {
    return this.sizer.encode(r, {
      transport,
      ednsSize: q?.edns?.udpSize,
      udpAnswerLimit: s.udpAnswerLimit,
      enableTruncate: s.enableTruncate,
      compress: !s.disableCompression,
      qtype: q?.qtype ?? 0,
    });
  }

  // ---- outside the domain ----

  private async recurse(msg: Uint8Array, q: ParsedQuery, r: DnsResponse, transport: DnsTransport, s: DnsSettings): Promise<Buffer> {
    if (s.recursors.length === 0) {
      // Consul (miekg/dns ServeMux without a "." handler, and the v2 router): REFUSED, not authoritative.
      r.flags &= ~Flag.AA;
      r.rcode = Rcode.Refused;
      return this.encode(r, q, transport, s);
    }
    const clientUdpLimit = q.edns ? Math.min(Math.max(q.edns.udpSize, CLASSIC_UDP_SIZE), MAX_EDNS_UDP_SIZE) : CLASSIC_UDP_SIZE;
    const answer = await this.deps.recursors.forward(msg, {
      recursors: s.recursors,
      strategy: s.recursorStrategy,
      timeoutMs: s.recursorTimeoutMs,
      transport,
      clientUdpLimit,
    });
    if (answer && (transport === 'tcp' || answer.length <= clientUdpLimit)) return answer;
    this.deps.logger.warn('all recursors failed', { name: q.name, qtype: q.qtype });
    r.flags &= ~Flag.AA;
    r.rcode = Rcode.ServFail;
    return this.encode(r, q, transport, s);
  }

  // ---- reverse zones ----

  /** PTR for a node's address (first), else a service's own address; false when nothing has the address. */
  private async ptr(ip: string, q: ParsedQuery, r: DnsResponse, s: DnsSettings): Promise<boolean> {
    const dc = s.datacenter;
    const nodes = await this.read((o) => this.deps.resolver.nodesByAddress(ip, undefined, o), s);
    let target: string | undefined;
    const node = nodes.value.find((n) => isEncodableName(`${n.Node}.node.${dc}.${s.domain}`));
    if (node) target = `${node.Node}.node.${dc}.${s.domain}`;
    if (target === undefined) {
      const services = await this.read((o) => this.deps.resolver.servicesByAddress(ip, undefined, o), s);
      const svc = services.value.find((e) => isEncodableName(`${e.Service.Service}.service.${dc}.${s.domain}`));
      if (svc) target = `${svc.Service.Service}.service.${dc}.${s.domain}`;
    }
    if (target === undefined) return false;
    if (q.qtype === RRType.PTR || q.qtype === RRType.ANY) r.answers.push({ name: QNAME, ttl: 0, data: { type: RRType.PTR, target } });
    else this.addSoa(r, s.domain, s);
    return true;
  }

  // ---- the agent's domain ----

  private async domain(lookup: DomainLookup, respDomain: string, q: ParsedQuery, r: DnsResponse, s: DnsSettings, transport: DnsTransport): Promise<void> {
    if (q.qtype === RRType.AXFR || q.qtype === RRType.IXFR) {
      r.rcode = Rcode.NotImp;
      return;
    }
    switch (lookup.kind) {
      case 'apex':
        return this.apex(respDomain, q, r, s);
      case 'service':
        return this.service(lookup.service, lookup.tag, lookup.datacenter, respDomain, q, r, s, transport);
      case 'node':
        return this.node(lookup.node, lookup.datacenter, respDomain, q, r, s);
      case 'addr':
        return this.addr(lookup.bytes, lookup.datacenter, respDomain, q, r, s);
      case 'invalid':
        this.nxdomain(r, respDomain, s);
        return;
    }
  }

  /** The domain itself: SOA and NS (with glue); other types NODATA. */
  private async apex(respDomain: string, q: ParsedQuery, r: DnsResponse, s: DnsSettings): Promise<void> {
    const t = q.qtype;
    if (t !== RRType.SOA && t !== RRType.NS && t !== RRType.ANY) {
      this.addSoa(r, respDomain, s);
      return;
    }
    const { ns, glue } = await this.nameservers(respDomain, s);
    if (t === RRType.SOA || t === RRType.ANY) r.answers.push(this.soa(respDomain, s));
    if (t === RRType.SOA) r.authority.push(...ns);
    else r.answers.push(...ns);
    r.additional.push(...glue);
  }

  /** Up to three servers (instances of the `consul` service, shuffled), else this agent. */
  private async nameservers(respDomain: string, s: DnsSettings): Promise<{ ns: DnsRecord[]; glue: DnsRecord[] }> {
    const ns: DnsRecord[] = [];
    const glue: DnsRecord[] = [];
    const add = (node: string, address: string): void => {
      const target = `${node}.node.${s.datacenter}.${respDomain}`;
      if (!isEncodableName(target) || ns.some((n) => n.data.type === RRType.NS && n.data.target === target)) return;
      ns.push({ name: respDomain, ttl: s.nodeTtl, data: { type: RRType.NS, target } });
      const ip = ipBytes(address);
      if (ip) glue.push(addressRecord(target, s.nodeTtl, ip));
    };
    const servers = await this.read((o) => this.deps.resolver.serviceInstances({ service: 'consul' }, o), s);
    const healthy = this.deps.shuffle.shuffle([...dnsInstances(servers.value, false).all]);
    for (const inst of healthy) {
      if (ns.length >= 3) break;
      add(inst.node, inst.nodeAddress);
    }
    if (ns.length === 0) add(s.nodeName, s.advertiseAddr);
    return { ns, glue };
  }

  private async service(service: string, tag: string, dc: string | undefined, respDomain: string, q: ParsedQuery, r: DnsResponse, s: DnsSettings, transport: DnsTransport): Promise<void> {
    const res = await this.read((o) => this.deps.resolver.serviceInstances({ service, tags: tag === '' ? [] : [tag], datacenter: dc }, o), s);
    const healthy = dnsInstances(res.value, s.onlyPassing);
    if (healthy.all.length === 0) {
      this.nxdomain(r, respDomain, s);
      return;
    }
    const ttl = s.serviceTtl.ttl(service);
    const datacenter = dc ?? s.datacenter;
    if (q.qtype === RRType.SRV) {
      const hostTargets = this.srvRecords(this.deps.shuffle.shuffle([...healthy.all]), ttl, datacenter, respDomain, r, s);
      if (hostTargets.length > 0 && s.recursors.length > 0) await this.chaseSrvTargets(hostTargets, q.qtype, ttl, r, s);
    } else {
      this.addressRecords(healthy.byAddress, ttl, q, transport, r, s);
      if (s.recursors.length > 0) await this.chaseCnames(q.qtype, ttl, r, s);
    }
    if (r.answers.length === 0) this.addSoa(r, respDomain, s);
  }

  /**
   * With recursors, each CNAME answer (a hostname address) is followed by what the recursors say
   * the hostname is, as Consul does; a hostname is asked once per response.
   */
  private async chaseCnames(qtype: number, ttl: number, r: DnsResponse, s: DnsSettings): Promise<void> {
    if (!r.answers.some((a) => a.data.type === RRType.CNAME)) return;
    const chased = await Promise.all(r.answers.map((a) => (a.data.type === RRType.CNAME ? chaseHostname(this.deps.recursors, a.data.target, qtype, ttl, s) : undefined)));
    const out: DnsRecord[] = [];
    r.answers.forEach((a, i) => {
      out.push(a);
      const more = chased[i];
      if (more) for (const rr of more) if (!out.some((o) => sameRecord(o, rr))) out.push(rr);
    });
    r.answers = out;
  }

  /** With recursors, an SRV target that is a hostname gets the recursors' records for it in ADDITIONAL. */
  private async chaseSrvTargets(targets: readonly { index: number; host: string }[], qtype: number, ttl: number, r: DnsResponse, s: DnsSettings): Promise<void> {
    const byHost = new Map<string, Promise<DnsRecord[]>>();
    for (const t of targets) {
      const key = t.host.toLowerCase();
      if (!byHost.has(key)) byHost.set(key, chaseHostname(this.deps.recursors, t.host, qtype, ttl, s));
    }
    const glue = r.glue ?? [];
    for (const t of targets) {
      const more = await byHost.get(t.host.toLowerCase())!;
      if (more.length > 0) glue[t.index] = [...(glue[t.index] ?? []), ...more];
    }
    r.glue = glue;
  }

  /** Writes the SRV answers and their glue; returns the answers whose target is a hostname (to chase). */
  private srvRecords(list: readonly DnsInstance[], ttl: number, dc: string, respDomain: string, r: DnsResponse, s: DnsSettings): { index: number; host: string }[] {
    const seen = new Set<string>();
    const glue: DnsRecord[][] = [];
    const hostTargets: { index: number; host: string }[] = [];
    for (const inst of list) {
      if (seen.has(inst.srvKey)) continue;
      const nodeName = `${inst.node}.node.${dc}.${respDomain}`;
      let target: string;
      if (inst.ip) target = inst.ownIp ? `${inst.hex}.addr.${dc}.${respDomain}` : nodeName;
      else if (inst.hostname) target = inst.hostname;
      else continue;
      if (!isEncodableName(target)) continue;
      seen.add(inst.srvKey);
      if (!inst.ip) hostTargets.push({ index: r.answers.length, host: target });
      r.answers.push({ name: QNAME, ttl, data: { type: RRType.SRV, priority: 1, weight: inst.weight, port: inst.port, target } });
      const g: DnsRecord[] = [];
      if (inst.ip) g.push(addressRecord(target, ttl, inst.ip));
      if (s.enableAdditionalNodeMetaTxt && isEncodableName(nodeName)) {
        for (const strings of nodeMetaTxt(inst.nodeMeta)) g.push({ name: nodeName, ttl, data: { type: RRType.TXT, strings } });
      }
      glue.push(g);
    }
    r.glue = glue;
    return hostTargets;
  }

  /**
   * One A/AAAA (or CNAME) per distinct address, in random order: a lazy Fisher–Yates that stops
   * once the answers the response can carry (a_record_limit, the UDP answer limit) are drawn.
   */
  private addressRecords(candidates: readonly DnsInstance[], ttl: number, q: ParsedQuery, transport: DnsTransport, r: DnsResponse, s: DnsSettings): void {
    const qtype = q.qtype;
    const udpCap = answerCap(transport, q.edns?.udpSize, s.udpAnswerLimit);
    const aLimit = s.aRecordLimit > 0 ? s.aRecordLimit : Number.POSITIVE_INFINITY;
    const cap = Math.min(aLimit, udpCap);
    // Answers the UDP answer limit leaves out only matter for TC (enable_truncate); a_record_limit cuts silently.
    const countOmitted = s.enableTruncate && udpCap < aLimit;
    let omitted = 0;
    const pool = candidates.slice();
    const n = pool.length;
    for (let i = 0; i < n; i++) {
      const j = i + this.deps.shuffle.int(n - i);
      const inst = pool[j]!;
      pool[j] = pool[i]!;
      pool[i] = inst;
      let rr: DnsRecord | undefined;
      if (inst.ip) {
        if (wantsFamily(qtype, inst.ip.family)) rr = addressRecord(QNAME, ttl, inst.ip);
      } else if (inst.hostname && wantsCname(qtype) && isEncodableName(inst.hostname)) {
        rr = { name: QNAME, ttl, data: { type: RRType.CNAME, target: inst.hostname } };
      }
      if (!rr) continue;
      if (r.answers.length < cap) r.answers.push(rr);
      else if (countOmitted && r.answers.length + omitted < aLimit) omitted++;
      else break;
    }
    if (omitted > 0) r.omitted = omitted;
  }

  private async node(name: string, dc: string | undefined, respDomain: string, q: ParsedQuery, r: DnsResponse, s: DnsSettings): Promise<void> {
    const res = await this.read((o) => this.deps.resolver.node(name, dc, o), s);
    const node: CatalogNode | null = res.value;
    if (!node) {
      this.nxdomain(r, respDomain, s);
      return;
    }
    const t = q.qtype;
    const ttl = s.nodeTtl;
    if (t === RRType.A || t === RRType.AAAA || t === RRType.ANY) {
      const ip = ipBytes(node.Address);
      if (ip && wantsFamily(t, ip.family)) r.answers.push(addressRecord(QNAME, ttl, ip));
      else if (!ip && node.Address !== '' && isEncodableName(node.Address.replace(/\.$/, ''))) {
        const target = node.Address.replace(/\.$/, '');
        r.answers.push({ name: QNAME, ttl, data: { type: RRType.CNAME, target } });
        r.answers.push(...(await chaseHostname(this.deps.recursors, target, t, ttl, s)));
      }
    }
    const meta = nodeMetaTxt(node.Meta ?? {});
    if (t === RRType.TXT || t === RRType.ANY) {
      for (const strings of meta) r.answers.push({ name: QNAME, ttl, data: { type: RRType.TXT, strings } });
    } else if ((t === RRType.A || t === RRType.AAAA) && s.enableAdditionalNodeMetaTxt) {
      for (const strings of meta) r.additional.push({ name: QNAME, ttl, data: { type: RRType.TXT, strings } });
    }
    if (r.answers.length === 0) this.addSoa(r, respDomain, s);
  }

  private async addr(bytes: Uint8Array, dc: string | undefined, respDomain: string, q: ParsedQuery, r: DnsResponse, s: DnsSettings): Promise<void> {
    if (dc !== undefined && !(await this.deps.resolver.datacenters()).some((d) => d.toLowerCase() === dc)) {
      this.nxdomain(r, respDomain, s);
      return;
    }
    const ip: IpBytes = { family: bytes.length === 4 ? 4 : 6, bytes };
    if (wantsFamily(q.qtype, ip.family)) r.answers.push(addressRecord(QNAME, s.nodeTtl, ip));
    else this.addSoa(r, respDomain, s);
  }

  // ---- helpers ----

  /** A catalog read, stale when allowed; re-read with leader consistency when the stale one is older than max_stale. */
  private async read<T>(fn: (o: QueryOptions) => Promise<QueryResult<T>>, s: DnsSettings): Promise<QueryResult<T>> {
    if (!s.allowStale) return fn(DEFAULT);
    const res = await fn(STALE);
    if (res.meta.lastContactMs > s.maxStaleMs) return fn(DEFAULT);
    return res;
  }

  private soa(respDomain: string, s: DnsSettings): DnsRecord {
    return {
      name: respDomain,
      ttl: s.soa.minTtl,
      data: {
        type: RRType.SOA,
        mname: `ns.${respDomain}`,
        rname: `hostmaster.${respDomain}`,
        serial: Math.floor(this.deps.clock.now() / 1000) >>> 0,
        refresh: s.soa.refresh,
        retry: s.soa.retry,
        expire: s.soa.expire,
        minimum: s.soa.minTtl,
      },
    };
  }

  private addSoa(r: DnsResponse, respDomain: string, s: DnsSettings): void {
    r.authority.push(this.soa(respDomain, s));
  }

  private nxdomain(r: DnsResponse, respDomain: string, s: DnsSettings): void {
    r.rcode = Rcode.NxDomain;
    this.addSoa(r, respDomain, s);
  }
}

/** Same owner (case-insensitively), type and data. */
function sameRecord(a: DnsRecord, b: DnsRecord): boolean {
  if (a.data.type !== b.data.type) return false;
  const an = typeof a.name === 'string' ? a.name.toLowerCase() : a.name;
  const bn = typeof b.name === 'string' ? b.name.toLowerCase() : b.name;
  if (an !== bn) return false;
  if ((a.data.type === RRType.A || a.data.type === RRType.AAAA) && (b.data.type === RRType.A || b.data.type === RRType.AAAA)) return Buffer.compare(a.data.ip, b.data.ip) === 0;
  if (a.data.type === RRType.CNAME && b.data.type === RRType.CNAME) return a.data.target.toLowerCase() === b.data.target.toLowerCase();
  return false;
}

function addressRecord(name: DnsRecord['name'], ttl: number, ip: IpBytes): DnsRecord {
  return { name, ttl, data: ip.family === 4 ? { type: RRType.A, ip: ip.bytes } : { type: RRType.AAAA, ip: ip.bytes } };
}

function wantsFamily(qtype: number, family: 4 | 6): boolean {
  return qtype === RRType.ANY || (family === 4 ? qtype === RRType.A : qtype === RRType.AAAA);
}

function wantsCname(qtype: number): boolean {
  return qtype === RRType.A || qtype === RRType.AAAA || qtype === RRType.ANY || qtype === RRType.CNAME;
}

/** The EDNS options a response carries: Client Subnet echoed with scope 0 (the answer is the same for every client). */
function echoedOptions(options: readonly EdnsOption[]): EdnsOption[] {
  const out: EdnsOption[] = [];
  for (const o of options) {
    if (o.code !== OPTION_ECS || o.data.length < 4) continue;
    const data = Uint8Array.from(o.data);
    data[3] = 0;
    out.push({ code: OPTION_ECS, data });
  }
  return out;
}
