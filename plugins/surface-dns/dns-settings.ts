import { isIP } from 'node:net';
import type { RuntimeConfig } from '../../contracts/runtime-config.js';
import { durationMs } from 'sextant/plugin-sdk';
import { ServiceTtl } from './service-ttl.js';

/** An upstream DNS server. */
export interface RecursorAddress {
  host: string;
  port: number;
}

/** The SOA timers (seconds). */
export interface SoaSettings {
  refresh: number;
  retry: number;
  expire: number;
  minTtl: number;
}

/**
 * Everything the DNS surface reads from the agent config (Consul's `domain`, `alt_domain`,
 * `recursors` and `dns_config`), with Consul's defaults, in the units the surface uses.
 * Rebuilt on every reload.
 */
export interface DnsSettings {
  /** Primary domain, lower-case, no trailing dot (`consul`). */
  readonly domain: string;
  /** Alternative domain, lower-case, no trailing dot; '' when unset. */
  readonly altDomain: string;
  readonly datacenter: string;
  /** This agent's node name and address: the NS fallback when no `consul` server is registered. */
  readonly nodeName: string;
  readonly advertiseAddr: string;
  readonly allowStale: boolean;
  readonly maxStaleMs: number;
  /** Seconds. */
  readonly nodeTtl: number;
  readonly serviceTtl: ServiceTtl;
  readonly udpAnswerLimit: number;
  readonly aRecordLimit: number;
  readonly enableTruncate: boolean;
  readonly onlyPassing: boolean;
  readonly disableCompression: boolean;
  readonly enableAdditionalNodeMetaTxt: boolean;
  readonly soa: SoaSettings;
  readonly recursors: readonly RecursorAddress[];
  readonly recursorStrategy: 'sequential' | 'random';
  readonly recursorTimeoutMs: number;
  /** Recursor entries that could not be parsed (reported once by the surface). */
  readonly badRecursors: readonly string[];
}

const DEFAULT_MAX_STALE = '87600h';

const obj = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const bool = (v: unknown, d: boolean): boolean => (typeof v === 'boolean' ? v : d);
const int = (v: unknown, d: number): number => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : d);
const dur = (v: unknown, d: string): number => durationMs(typeof v === 'string' && v !== '' ? v : d);

/** A config domain (`consul.`, `Example.COM`) as the surface keys it: lower-case, no dots at the ends. */
export function normalizeDomain(d: string): string {
  return d.toLowerCase().replace(/^\.+|\.+$/g, '');
}

/** Reads the DNS settings from a (validated) runtime config. Never throws for a schema-valid config. */
export function dnsSettingsFrom(config: RuntimeConfig): DnsSettings {
  const c = obj(config.extra.dns_config);
  const soa = obj(c.soa);
  const recursors: RecursorAddress[] = [];
  const badRecursors: string[] = [];
  for (const r of config.recursors) {
    const parsed = parseRecursor(r);
    if (parsed) recursors.push(parsed);
    else badRecursors.push(r);
  }
  return {
    domain: normalizeDomain(config.domain) || 'consul',
    altDomain: normalizeDomain(config.altDomain),
    datacenter: config.datacenter.toLowerCase(),
    nodeName: config.nodeName,
    advertiseAddr: config.advertiseAddr,
    allowStale: bool(c.allow_stale, true),
    maxStaleMs: dur(c.max_stale, DEFAULT_MAX_STALE),
    nodeTtl: Math.floor(dur(c.node_ttl, '0s') / 1000),
    serviceTtl: new ServiceTtl(Object.fromEntries(Object.entries(obj(c.service_ttl)).map(([k, v]) => [k, Math.floor(dur(v, '0s') / 1000)]))),
    udpAnswerLimit: int(c.udp_answer_limit, 3),
    aRecordLimit: int(c.a_record_limit, 0),
    enableTruncate: bool(c.enable_truncate, false),
    onlyPassing: bool(c.only_passing, false),
    disableCompression: bool(c.disable_compression, false),
    enableAdditionalNodeMetaTxt: bool(c.enable_additional_node_meta_txt, true),
    soa: {
      refresh: int(soa.refresh, 3600),
      retry: int(soa.retry, 600),
      expire: int(soa.expire, 86400),
      minTtl: int(soa.min_ttl, 0),
    },
    recursors,
    recursorStrategy: c.recursor_strategy === 'random' ? 'random' : 'sequential',
    // Consul hands recursor_timeout to its DNS client, which treats 0 as "not set" (2 s).
    recursorTimeoutMs: dur(c.recursor_timeout, '2s') || 2000,
    badRecursors,
  };
}

/** `ip`, `ip:port`, `[ipv6]:port` or a bare IPv6 address; port 53 by default. Undefined when not one of those. */
export function parseRecursor(s: string): RecursorAddress | undefined {
  const t = s.trim();
  if (isIP(t)) return { host: t, port: 53 };
  const bracket = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(t);
  if (bracket) return isIP(bracket[1]!) === 6 ? withPort(bracket[1]!, bracket[2]) : undefined;
  const hostPort = /^([^:]+):(\d{1,5})$/.exec(t);
  if (hostPort && isIP(hostPort[1]!) === 4) return withPort(hostPort[1]!, hostPort[2]);
  return undefined;
}

function withPort(host: string, port: string | undefined): RecursorAddress | undefined {
  const p = port === undefined ? 53 : Number(port);
  return p >= 1 && p <= 65535 ? { host, port: p } : undefined;
}
